/** Box and polygon geometry in source pixels (image coordinates: y grows downwards). */
import { type Box } from '@sightline/contracts';

export interface Point {
  x: number;
  y: number;
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const intersection = ix * iy;
  const union = a.w * a.h + b.w * b.h - intersection;
  return union > 0 ? intersection / union : 0;
}

export const centreOf = (box: Box): Point => ({ x: box.x + box.w / 2, y: box.y + box.h / 2 });

/** Even-odd ray casting; points exactly on an edge may fall either way (zones are areas, not outlines). */
export function pointInPolygon(point: Point, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i]!;
    const b = polygon[j]!;
    if (a.y > point.y !== b.y > point.y && point.x < ((b.x - a.x) * (point.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

/** > 0: `p` is right of the directed line a→b (image coordinates); < 0: left; 0: on it. */
export function sideOf(a: Point, b: Point, p: Point): number {
  return Math.sign((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x));
}

/**
 * How a move p→q crosses segment a→b: `leftToRight` or `rightToLeft` seen from a towards b, or undefined when it
 * does not. A point exactly on the line counts as on its right, so a move that stops on the line and then goes on
 * crosses once, not zero or two times.
 */
export function crossing(p: Point, q: Point, a: Point, b: Point): 'leftToRight' | 'rightToLeft' | undefined {
  const from = sideOf(a, b, p) || 1;
  const to = sideOf(a, b, q) || 1;
  if (from === to) return undefined;
  // The move's segment must also pass between the line's ends.
  const t1 = sideOf(p, q, a);
  const t2 = sideOf(p, q, b);
  if (t1 === t2 && t1 !== 0) return undefined;
  return from < 0 ? 'leftToRight' : 'rightToLeft';
}
