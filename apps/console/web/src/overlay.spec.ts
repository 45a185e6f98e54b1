import { computeLetterbox, unletterboxBox } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { clickToSource, pictureGeometry, projectDetections, snapshotGeometry, toPicture } from './overlay.js';

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
    expect(geometry).toMatchObject({
      scaleX: 1,
      scaleY: 1,
      padX: 0,
      padY: 0,
      size: source,
      crop: { left: 0, top: 0, width: 100, height: 100 },
    });
    const [drawn] = projectDetections([{ label: 'face', score: 0.5, box: { x: 10, y: 20, w: 30, h: 40 } }], geometry);
    expect(drawn).toMatchObject({ x: 10, y: 20, w: 30, h: 40, keypoints: [] });
  });
});

describe('the source picture (the camera frame downscaled by ingest)', () => {
  const source = { width: 1920, height: 1080 };
  const picture = { width: 960, height: 540 };

  it('maps source-pixel boxes and keypoints by the plain scale, with no bars to crop', () => {
    const geometry = pictureGeometry(source, picture);
    expect(geometry.crop).toEqual({ left: 0, top: 0, width: 100, height: 100 });
    const [drawn] = projectDetections(
      [{ label: 'face', score: 0.8, box: { x: 800, y: 300, w: 120, h: 160 }, keypoints: [{ x: 860, y: 380 }] }],
      geometry,
    );
    expect(drawn).toMatchObject({ x: 400, y: 150, w: 60, h: 80, keypoints: [{ x: 430, y: 190 }] });
  });

  it('scales each axis on its own (ingest rounds the picture to even sizes)', () => {
    const geometry = pictureGeometry({ width: 1281, height: 721 }, { width: 960, height: 540 });
    const corner = toPicture({ x: 1281, y: 721 }, geometry);
    expect(corner.x).toBeCloseTo(960, 9);
    expect(corner.y).toBeCloseTo(540, 9);
    expect(toPicture({ x: 0, y: 0 }, geometry)).toEqual({ x: 0, y: 0 });
  });

  it('labels detections with the track ids of their frameTracked, by detection index', () => {
    const detections = [0, 1, 2].map((i) => ({ label: 'face', score: 0.9, box: { x: i * 100, y: 0, w: 50, h: 50 } }));
    const drawn = projectDetections(
      detections,
      pictureGeometry(source, picture),
      new Map([
        [0, 7],
        [2, 9],
      ]),
    );
    expect(drawn.map((b) => b.trackId)).toEqual([7, undefined, 9]);
  });

  it('turns a click on the displayed picture into whole source pixels inside the frame', () => {
    // The stage shows the 1920×1080 frame 800×450 CSS pixels large.
    const displayed = { width: 800, height: 450 };
    expect(clickToSource({ x: 200, y: 112.5 }, displayed, source)).toEqual({ x: 480, y: 270 });
    expect(clickToSource({ x: 800, y: 450 }, displayed, source)).toEqual({ x: 1920, y: 1080 });
    expect(clickToSource({ x: 0.2, y: 0.2 }, displayed, source)).toEqual({ x: 0, y: 0 });
    // Outside the element (a drag that ended beyond its edge) is clamped to the frame.
    expect(clickToSource({ x: -5, y: 500 }, displayed, source)).toEqual({ x: 0, y: 1080 });
    // And back: the clicked point lands under the cursor in the picture.
    const geometry = pictureGeometry(source, picture);
    expect(toPicture(clickToSource({ x: 200, y: 112.5 }, displayed, source), geometry)).toEqual({ x: 240, y: 135 });
  });
});
