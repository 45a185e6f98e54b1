import { computeLetterbox, unletterboxBox } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { projectDetections, snapshotGeometry } from './overlay.js';

describe('projectDetections', () => {
  const source = { width: 1920, height: 1080 };
  const snapshot = { width: 256, height: 256 };

  it('maps source-pixel boxes into the letterboxed snapshot, inverting what inference did', () => {
    const plan = computeLetterbox(source, snapshot);
    // A box as the model saw it (snapshot pixels), mapped to source pixels by inference…
    const modelBox = { x: 100, y: 90, w: 40, h: 40 };
    const sourceBox = unletterboxBox(modelBox, plan, source);
    // …lands where the model saw it when the console draws it over the snapshot.
    const [drawn] = projectDetections(
      [{ label: 'face', score: 0.9, box: sourceBox, keypoints: [{ x: sourceBox.x, y: sourceBox.y }] }],
      snapshotGeometry(source, snapshot),
    );
    expect(drawn!.x).toBeCloseTo(modelBox.x, 5);
    expect(drawn!.y).toBeCloseTo(modelBox.y, 5);
    expect(drawn!.w).toBeCloseTo(modelBox.w, 5);
    expect(drawn!.h).toBeCloseTo(modelBox.h, 5);
    expect(drawn!.keypoints[0]).toEqual({ x: drawn!.x, y: drawn!.y });
    expect(plan.padY).toBeGreaterThan(0);
  });

  it('crops the letterbox bars: the scaled source fills the view box exactly', () => {
    const { crop } = snapshotGeometry(source, snapshot);
    const plan = computeLetterbox(source, snapshot);
    expect(crop.left).toBeCloseTo(0, 9);
    expect(crop.width).toBe(100);
    // The snapshot is taller than the view by the bars; its top bar is pushed above the view's top edge.
    expect(crop.height).toBeCloseTo((256 / plan.scaledHeight) * 100, 9);
    expect(crop.top).toBeCloseTo((-plan.padY / plan.scaledHeight) * 100, 9);
    expect(crop.top + (plan.padY / plan.scaledHeight) * 100).toBeCloseTo(0, 9);
  });

  it('draws in source pixels until the first snapshot arrives', () => {
    const geometry = snapshotGeometry(source, undefined);
    expect(geometry).toMatchObject({ scale: 1, padX: 0, padY: 0, size: source, crop: { left: 0, top: 0, width: 100, height: 100 } });
    const [drawn] = projectDetections([{ label: 'face', score: 0.5, box: { x: 10, y: 20, w: 30, h: 40 } }], geometry);
    expect(drawn).toMatchObject({ x: 10, y: 20, w: 30, h: 40, keypoints: [] });
  });
});
