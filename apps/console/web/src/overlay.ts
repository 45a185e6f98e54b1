/**
 * Drawing `frameAnalyzed` detections over the session's snapshot. Detections are in source pixels (inference maps
 * them back from the model input); the snapshot is the letterboxed model input that ingest published (e.g. 256×256
 * with bars). The same letterbox plan ingest used (contracts' computeLetterbox) maps source pixels into the snapshot.
 */
import { computeLetterbox, type Detection, type Size } from '@sightline/contracts';

export interface OverlayBox {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
  label: string;
  keypoints: { x: number; y: number }[];
}

export interface SnapshotGeometry {
  /** Source pixels → snapshot pixels: `snapshot = source × scale + pad`. */
  scale: number;
  padX: number;
  padY: number;
  /** The snapshot's size (the canvas bitmap's size). */
  size: Size;
  /** Where the snapshot sits in a box of the source's aspect ratio so that its letterbox bars fall outside (CSS %). */
  crop: { left: number; top: number; width: number; height: number };
}

/** The letterbox of `source` inside `snapshot`; without a snapshot yet, the source frame's own geometry. */
export function snapshotGeometry(source: Size, snapshot: Size | undefined): SnapshotGeometry {
  if (!snapshot) return { scale: 1, padX: 0, padY: 0, size: source, crop: { left: 0, top: 0, width: 100, height: 100 } };
  const plan = computeLetterbox(source, snapshot);
  return {
    scale: plan.scale,
    padX: plan.padX,
    padY: plan.padY,
    size: snapshot,
    crop: {
      left: (-plan.padX / plan.scaledWidth) * 100,
      top: (-plan.padY / plan.scaledHeight) * 100,
      width: (snapshot.width / plan.scaledWidth) * 100,
      height: (snapshot.height / plan.scaledHeight) * 100,
    },
  };
}

/** The boxes (and keypoints) as drawn, in snapshot pixels. */
export function projectDetections(detections: readonly Detection[], geometry: SnapshotGeometry): OverlayBox[] {
  const { scale, padX, padY } = geometry;
  const px = (v: number, pad: number) => v * scale + pad;
  return detections.map((d) => ({
    x: px(d.box.x, padX),
    y: px(d.box.y, padY),
    w: d.box.w * scale,
    h: d.box.h * scale,
    score: d.score,
    label: d.label,
    keypoints: (d.keypoints ?? []).map((k) => ({ x: px(k.x, padX), y: px(k.y, padY) })),
  }));
}

/** Paints boxes and keypoints on a canvas whose bitmap has the snapshot's size (CSS scales it with the image). */
export function paintOverlay(canvas: HTMLCanvasElement, boxes: readonly OverlayBox[], size: Size): void {
  if (canvas.width !== size.width) canvas.width = size.width;
  if (canvas.height !== size.height) canvas.height = size.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const line = Math.max(1, Math.round(size.width / 200));
  ctx.lineWidth = line;
  ctx.font = `${Math.max(9, Math.round(size.width / 28))}px system-ui, sans-serif`;
  for (const box of boxes) {
    ctx.strokeStyle = '#00e676';
    ctx.strokeRect(box.x, box.y, box.w, box.h);
    ctx.fillStyle = '#00e676';
    ctx.fillText(`${box.label} ${(box.score * 100).toFixed(0)}%`, box.x, Math.max(10, box.y - 2 * line));
    ctx.fillStyle = '#ff4081';
    for (const k of box.keypoints) {
      ctx.beginPath();
      ctx.arc(k.x, k.y, line * 1.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}
