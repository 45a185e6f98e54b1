// The tracking benchmark's scene: copies of the repository's astronaut photo moving in straight lines over a grey
// background, crossing and covering each other (a later photo is drawn over an earlier one). Positions are what
// FFmpeg's overlay filter draws (its expression, truncated, then even for 4:2:0 chroma), so the ground truth is exact.
import { ASTRONAUT_FACE_REGION } from '@sightline/local-infra';

export const SCENE = {
  width: 1280,
  height: 720,
  fps: 30,
  seconds: 8,
  photoSize: 360,
  // Linear paths x = x0 + vx·t, y = y0 + vy·t (pixels, seconds), drawn in this order (the last one on top).
  photos: [
    { id: 3, x0: 560, y0: 720, vx: 0, vy: -60 }, // rises from below the frame; briefly hidden by photo 1 passing over it
    { id: 1, x0: -120, y0: 60, vx: 144, vy: 0 }, // enters on the left, moves right
    { id: 2, x0: 1040, y0: 90, vx: -144, vy: 0 }, // moves left over photo 1: their faces cross, 1's hidden for ~1 s
  ],
};

/** Top-left corner of a photo at time t, as the overlay filter places it. */
export function photoAt(photo, t) {
  const at = (v) => Math.floor(v) & ~1;
  return { x: at(photo.x0 + photo.vx * t), y: at(photo.y0 + photo.vy * t), size: SCENE.photoSize };
}

/** The FFmpeg filter graph drawing the scene (input 0: background, input 1: the photo). */
export function sceneFilter() {
  const n = SCENE.photos.length;
  const parts = [`[1:v]scale=${SCENE.photoSize}:${SCENE.photoSize},split=${n}${SCENE.photos.map((_, i) => `[p${i}]`).join('')}`];
  let last = '0:v';
  SCENE.photos.forEach((p, i) => {
    const out = i === n - 1 ? 'video' : `v${i}`;
    parts.push(`[${last}][p${i}]overlay=x='${p.x0}+${p.vx}*t':y='${p.y0}+${p.vy}*t':eval=frame[${out}]`);
    last = out;
  });
  return parts.join(';');
}

const area = (b) => Math.max(0, b.w) * Math.max(0, b.h);
function intersect(a, b) {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  return { x, y, w: Math.min(a.x + a.w, b.x + b.w) - x, h: Math.min(a.y + a.h, b.y + b.h) - y };
}

/**
 * Ground truth of frame n: each face's box (clipped to the frame) and its visibility — the share of its box inside
 * the frame and not covered by a photo drawn later. Covering photos are assumed not to overlap each other over one
 * face (true for this scene's paths; the union is bounded by the sum otherwise).
 */
export function truthAt(frame) {
  const t = frame / SCENE.fps;
  const r = ASTRONAUT_FACE_REGION;
  const screen = { x: 0, y: 0, w: SCENE.width, h: SCENE.height };
  const placed = SCENE.photos.map((p) => ({ id: p.id, ...photoAt(p, t) }));
  return placed.map((p, i) => {
    const full = { x: p.x + r.x0 * p.size, y: p.y + r.y0 * p.size, w: (r.x1 - r.x0) * p.size, h: (r.y1 - r.y0) * p.size };
    const box = intersect(full, screen);
    let covered = 0;
    for (const above of placed.slice(i + 1)) covered += area(intersect(box, { x: above.x, y: above.y, w: above.size, h: above.size }));
    const visibility = area(box) > 0 ? Math.max(0, area(box) - covered) / area(full) : 0;
    return { id: p.id, box, visibility };
  });
}
