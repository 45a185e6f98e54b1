/**
 * Non-maximum suppression over decoded candidates, per class.
 * - standard: keep the best box, drop the ones overlapping it.
 * - weighted (MediaPipe's WeightedNonMaxSuppression, the BlazeFace default): the best box and the ones overlapping
 *   it are blended into one, coordinates and keypoints averaged with the scores as weights; the best score is kept.
 *   Steadier boxes on video than picking one anchor's box.
 */
import type { Box } from '@sightline/contracts';
import type { NmsMode } from './manifest.js';

export interface Point {
  x: number;
  y: number;
}

/** A decoded detection in model-input pixels (top-left origin), before suppression and letterbox mapping. */
export interface Candidate {
  box: Box;
  score: number;
  classIndex: number;
  keypoints?: Point[];
}

export interface NmsOptions {
  mode: NmsMode;
  /** Boxes overlapping more than this are suppressed (standard) or blended (weighted). */
  iouThreshold: number;
  maxDetections: number;
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/** Returns the surviving detections, best score first, at most `maxDetections`. */
export function nonMaxSuppression(candidates: readonly Candidate[], options: NmsOptions): Candidate[] {
  const byClass = new Map<number, Candidate[]>();
  for (const c of candidates) {
    const group = byClass.get(c.classIndex) ?? [];
    if (group.length === 0) byClass.set(c.classIndex, group);
    group.push(c);
  }
  const suppress = options.mode === 'weighted' ? weightedNms : standardNms;
  return [...byClass.values()]
    .flatMap((group) => suppress(sortByScore(group), options.iouThreshold))
    .sort((a, b) => b.score - a.score)
    .slice(0, options.maxDetections);
}

function sortByScore(candidates: Candidate[]): Candidate[] {
  return candidates.sort((a, b) => b.score - a.score);
}

function standardNms(sorted: readonly Candidate[], iouThreshold: number): Candidate[] {
  const kept: Candidate[] = [];
  for (const candidate of sorted) {
    if (kept.every((k) => iou(k.box, candidate.box) <= iouThreshold)) kept.push(candidate);
  }
  return kept;
}

function weightedNms(sorted: readonly Candidate[], iouThreshold: number): Candidate[] {
  const kept: Candidate[] = [];
  let remaining: readonly Candidate[] = sorted;
  while (remaining.length > 0) {
    const [best, ...others] = remaining;
    const cluster = [best];
    const rest: Candidate[] = [];
    for (const other of others) (iou(best.box, other.box) > iouThreshold ? cluster : rest).push(other);
    kept.push(blend(cluster));
    remaining = rest;
  }
  return kept;
}

/** Score-weighted mean of the cluster's corners and keypoints, with the best (first) candidate's score and class. */
function blend(cluster: readonly Candidate[]): Candidate {
  const [best] = cluster;
  if (cluster.length === 1) return best;
  let total = 0;
  let x0 = 0;
  let y0 = 0;
  let x1 = 0;
  let y1 = 0;
  const keypoints = best.keypoints?.map(() => ({ x: 0, y: 0 }));
  for (const { box, score, keypoints: points } of cluster) {
    total += score;
    x0 += box.x * score;
    y0 += box.y * score;
    x1 += (box.x + box.w) * score;
    y1 += (box.y + box.h) * score;
    keypoints?.forEach((k, i) => {
      // Every candidate of one model has the same keypoints.
      k.x += (points?.[i].x ?? 0) * score;
      k.y += (points?.[i].y ?? 0) * score;
    });
  }
  return {
    box: { x: x0 / total, y: y0 / total, w: (x1 - x0) / total, h: (y1 - y0) / total },
    score: best.score,
    classIndex: best.classIndex,
    ...(keypoints && { keypoints: keypoints.map((k) => ({ x: k.x / total, y: k.y / total })) }),
  };
}
