import { describe, expect, it } from 'vitest';
import { iou, nonMaxSuppression, type Candidate } from './nms.js';

const candidate = (x: number, y: number, size: number, score: number, classIndex = 0): Candidate => ({
  box: { x, y, w: size, h: size },
  score,
  classIndex,
});

describe('iou', () => {
  it('is 1 for equal boxes, 0 for disjoint ones and the area ratio otherwise', () => {
    const box = { x: 0, y: 0, w: 10, h: 10 };
    expect(iou(box, box)).toBe(1);
    expect(iou(box, { x: 10, y: 0, w: 10, h: 10 })).toBe(0);
    expect(iou(box, { x: 5, y: 0, w: 10, h: 10 })).toBeCloseTo(50 / 150);
  });
});

describe('standard NMS', () => {
  const options = { mode: 'standard', iouThreshold: 0.3, maxDetections: 10 } as const;

  it('keeps the best of overlapping boxes and every separate one, best first', () => {
    const kept = nonMaxSuppression(
      [candidate(1, 0, 10, 0.7), candidate(0, 0, 10, 0.9), candidate(50, 50, 10, 0.8), candidate(2, 1, 10, 0.6)],
      options,
    );
    expect(kept.map((c) => c.score)).toEqual([0.9, 0.8]);
    expect(kept[0].box.x).toBe(0);
  });

  it('suppresses within a class only, and caps the count', () => {
    const overlapping = [candidate(0, 0, 10, 0.9, 0), candidate(0, 0, 10, 0.8, 1), candidate(1, 0, 10, 0.7, 0)];
    expect(nonMaxSuppression(overlapping, options).map((c) => [c.classIndex, c.score])).toEqual([
      [0, 0.9],
      [1, 0.8],
    ]);
    expect(nonMaxSuppression(overlapping, { ...options, maxDetections: 1 })).toHaveLength(1);
  });
});

describe('weighted NMS', () => {
  const options = { mode: 'weighted', iouThreshold: 0.3, maxDetections: 10 } as const;

  it('blends an overlapping cluster by score and keeps the best score', () => {
    const a: Candidate = { ...candidate(0, 0, 10, 0.75), keypoints: [{ x: 2, y: 2 }] };
    const b: Candidate = { ...candidate(4, 0, 10, 0.25), keypoints: [{ x: 6, y: 4 }] };
    const far: Candidate = { ...candidate(100, 100, 10, 0.5), keypoints: [{ x: 105, y: 105 }] };
    const [blended, separate] = nonMaxSuppression([b, far, a], options);
    expect(blended.score).toBe(0.75);
    // x0 = 0.75*0 + 0.25*4 = 1, x1 = 0.75*10 + 0.25*14 = 11.
    expect(blended.box).toEqual({ x: 1, y: 0, w: 10, h: 10 });
    expect(blended.keypoints).toEqual([{ x: 3, y: 2.5 }]);
    expect(separate).toBe(far);
  });

  it('leaves boxes below the overlap threshold alone', () => {
    // IoU of these two = 20 / 180 ≈ 0.11.
    const kept = nonMaxSuppression([candidate(0, 0, 10, 0.9), candidate(8, 0, 10, 0.8)], options);
    expect(kept.map((c) => c.box.x)).toEqual([0, 8]);
  });
});
