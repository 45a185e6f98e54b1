/**
 * Letterboxing: fit a source frame into the model's input keeping the aspect ratio, centred, padded.
 * Ingest asks FFmpeg for exactly this transform; inference maps boxes back with its inverse.
 */
import type { Box, Letterbox, Size } from './schemas.js';

export interface LetterboxPlan extends Letterbox {
  /** Size of the scaled source inside the padded frame (FFmpeg `scale=` arguments). */
  scaledWidth: number;
  scaledHeight: number;
}

export function computeLetterbox(source: Size, target: Size): LetterboxPlan {
  const scale = Math.min(target.width / source.width, target.height / source.height);
  // Even sizes keep chroma-subsampled intermediates exact; never exceed the target.
  const scaledWidth = Math.min(target.width, Math.max(2, Math.round((source.width * scale) / 2) * 2));
  const scaledHeight = Math.min(target.height, Math.max(2, Math.round((source.height * scale) / 2) * 2));
  const padX = Math.floor((target.width - scaledWidth) / 2);
  const padY = Math.floor((target.height - scaledHeight) / 2);
  // The effective scale per axis can differ slightly after rounding; use the horizontal one (they agree to < 1 px).
  return { scale: scaledWidth / source.width, padX, padY, scaledWidth, scaledHeight };
}

/** Maps a box in letterboxed (model input) pixels back to source pixels, clipped to the source frame. */
export function unletterboxBox(box: Box, letterbox: Letterbox, source: Size): Box {
  const x0 = clamp((box.x - letterbox.padX) / letterbox.scale, 0, source.width);
  const y0 = clamp((box.y - letterbox.padY) / letterbox.scale, 0, source.height);
  const x1 = clamp((box.x + box.w - letterbox.padX) / letterbox.scale, 0, source.width);
  const y1 = clamp((box.y + box.h - letterbox.padY) / letterbox.scale, 0, source.height);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

export function unletterboxPoint(p: { x: number; y: number }, letterbox: Letterbox): { x: number; y: number } {
  return { x: (p.x - letterbox.padX) / letterbox.scale, y: (p.y - letterbox.padY) / letterbox.scale };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
