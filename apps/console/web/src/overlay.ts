/**
 * Drawing results and zones over the live picture. Detections, track boxes and zones are all in source pixels
 * (inference maps boxes back from the model input; zones are stored that way). The picture is either ingest's source
 * picture (the camera's own frame, downscaled: a plain scale) or, where ingest has none, the letterboxed model input
 * (e.g. 256×256 with bars: the letterbox plan ingest used, contracts' computeLetterbox).
 */
import { computeLetterbox, type CountingLine, type Detection, type Size, type Zone } from '@sightline/contracts';

export interface OverlayBox {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
  label: string;
  /** The tracker's id for this detection, when the frame's frameTracked arrived. */
  trackId?: number;
  keypoints: { x: number; y: number }[];
}

export interface Point {
  x: number;
  y: number;
}

export interface SnapshotGeometry {
  /** Source pixels → picture pixels: `picture = source × scale + pad`, per axis. */
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  /** The picture's size (the canvas bitmap's size). */
  size: Size;
  /** Where the picture sits in a box of the source's aspect ratio so that letterbox bars fall outside (CSS %). */
  crop: { left: number; top: number; width: number; height: number };
}

const FULL_VIEW = { left: 0, top: 0, width: 100, height: 100 };

/** The letterbox of `source` inside the model-input `snapshot`; without a snapshot yet, the source frame's own geometry. */
export function snapshotGeometry(source: Size, snapshot: Size | undefined): SnapshotGeometry {
  if (!snapshot) return { scaleX: 1, scaleY: 1, padX: 0, padY: 0, size: source, crop: FULL_VIEW };
  const plan = computeLetterbox(source, snapshot);
  return {
    scaleX: plan.scale,
    scaleY: plan.scale,
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

/**
 * The source picture is the whole source frame scaled (ingest rounds its size to even pixels, so each axis has its
 * own factor); no bars.
 */
export function pictureGeometry(source: Size, picture: Size): SnapshotGeometry {
  return { scaleX: picture.width / source.width, scaleY: picture.height / source.height, padX: 0, padY: 0, size: picture, crop: FULL_VIEW };
}

/** A source-pixel point in picture pixels. */
export function toPicture(point: Point, geometry: SnapshotGeometry): Point {
  return { x: point.x * geometry.scaleX + geometry.padX, y: point.y * geometry.scaleY + geometry.padY };
}

/**
 * Where a click on the displayed picture lands in source pixels: `offset` is the click inside the element that shows
 * the source frame (the stage, of the source's aspect ratio), `displayed` that element's CSS size. Rounded to whole
 * pixels and kept inside the frame, as the zones API wants them.
 */
export function clickToSource(offset: Point, displayed: Size, source: Size): Point {
  const clamp = (v: number, max: number) => Math.min(max, Math.max(0, Math.round(v)));
  return {
    x: clamp((offset.x / displayed.width) * source.width, source.width),
    y: clamp((offset.y / displayed.height) * source.height, source.height),
  };
}

/** The boxes (and keypoints) as drawn, in picture pixels; `trackIds[i]` labels detection i. */
export function projectDetections(
  detections: readonly Detection[],
  geometry: SnapshotGeometry,
  trackIds: ReadonlyMap<number, number> = new Map(),
): OverlayBox[] {
  return detections.map((d, i) => {
    const corner = toPicture(d.box, geometry);
    const trackId = trackIds.get(i);
    return {
      x: corner.x,
      y: corner.y,
      w: d.box.w * geometry.scaleX,
      h: d.box.h * geometry.scaleY,
      score: d.score,
      label: d.label,
      ...(trackId !== undefined && { trackId }),
      keypoints: (d.keypoints ?? []).map((k) => toPicture(k, geometry)),
    };
  });
}

export interface OverlayZones {
  zones: readonly Zone[];
  lines: readonly CountingLine[];
  /** The shape being drawn (source pixels), not saved yet. */
  draft?: { kind: 'zone' | 'line'; points: readonly Point[] };
}

const BOX_COLOUR = '#00e676';
const KEYPOINT_COLOUR = '#ff4081';
const ZONE_COLOUR = '#40c4ff';
const DRAFT_COLOUR = '#ffd740';

/** Paints zones, lines, boxes and keypoints on a canvas whose bitmap has the picture's size (CSS scales it with the image). */
export function paintOverlay(
  canvas: HTMLCanvasElement,
  boxes: readonly OverlayBox[],
  geometry: SnapshotGeometry,
  zones?: OverlayZones,
): void {
  const { size } = geometry;
  if (canvas.width !== size.width) canvas.width = size.width;
  if (canvas.height !== size.height) canvas.height = size.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const line = Math.max(1, Math.round(size.width / 400));
  ctx.lineWidth = line;
  ctx.font = `${Math.max(9, Math.round(size.width / 60))}px system-ui, sans-serif`;
  if (zones) paintZones(ctx, zones, geometry, line);
  for (const box of boxes) {
    ctx.strokeStyle = BOX_COLOUR;
    ctx.strokeRect(box.x, box.y, box.w, box.h);
    ctx.fillStyle = BOX_COLOUR;
    const id = box.trackId !== undefined ? `#${box.trackId} ` : '';
    ctx.fillText(`${id}${box.label} ${(box.score * 100).toFixed(0)}%`, box.x, Math.max(10, box.y - 2 * line));
    ctx.fillStyle = KEYPOINT_COLOUR;
    for (const k of box.keypoints) {
      ctx.beginPath();
      ctx.arc(k.x, k.y, line * 1.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

function paintZones(ctx: CanvasRenderingContext2D, { zones, lines, draft }: OverlayZones, geometry: SnapshotGeometry, width: number): void {
  const path = (points: readonly Point[], close: boolean) => {
    ctx.beginPath();
    points.forEach((p, i) => {
      const { x, y } = toPicture(p, geometry);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    if (close) ctx.closePath();
  };
  const label = (text: string, at: Point) => {
    const { x, y } = toPicture(at, geometry);
    ctx.fillText(text, x + 3 * width, y + 12 * width);
  };
  ctx.strokeStyle = ZONE_COLOUR;
  ctx.fillStyle = ZONE_COLOUR;
  for (const zone of zones) {
    path(zone.polygon, true);
    ctx.globalAlpha = 0.15;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.stroke();
    label(zone.id, zone.polygon[0]!);
  }
  ctx.lineWidth = width * 2;
  for (const l of lines) {
    path([l.a, l.b], false);
    ctx.stroke();
    label(l.id, l.a);
  }
  ctx.lineWidth = width;
  if (draft && draft.points.length) {
    ctx.strokeStyle = DRAFT_COLOUR;
    ctx.fillStyle = DRAFT_COLOUR;
    ctx.setLineDash([4 * width, 3 * width]);
    path(draft.points, draft.kind === 'zone' && draft.points.length > 2);
    ctx.stroke();
    ctx.setLineDash([]);
    for (const p of draft.points) {
      const { x, y } = toPicture(p, geometry);
      ctx.fillRect(x - 2 * width, y - 2 * width, 4 * width, 4 * width);
    }
  }
}
