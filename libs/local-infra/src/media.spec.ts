import { describe, expect, it } from 'vitest';
import { astronautFaceBoxAt, astronautPositionAt, DEFAULT_ASTRONAUT_CLIP } from './media.js';

describe('astronautPositionAt', () => {
  const { width, height, photoSize, margin } = DEFAULT_ASTRONAUT_CLIP;

  it('starts in the top-left corner and bounces between the margins', () => {
    expect(astronautPositionAt(0)).toEqual({ x: margin, y: margin, size: photoSize });
    expect(astronautPositionAt(2).x).toBe(width - photoSize - margin); // half of the 4 s horizontal period
    expect(astronautPositionAt(1.5).y).toBe(height - photoSize - margin); // half of the 3 s vertical period
    expect(astronautPositionAt(12)).toEqual(astronautPositionAt(0)); // both periods (4 s, 3 s) complete
  });

  it('stays inside the frame on even coordinates (4:2:0 overlay placement)', () => {
    for (let frame = 0; frame < 8 * 60; frame++) {
      const { x, y } = astronautPositionAt(frame / 60);
      expect((x % 2) + (y % 2)).toBe(0);
      expect(x).toBeGreaterThanOrEqual(margin);
      expect(x + photoSize).toBeLessThanOrEqual(width - margin);
      expect(y + photoSize).toBeLessThanOrEqual(height - margin);
    }
  });

  it('scales the face box with the photo', () => {
    const face = astronautFaceBoxAt(0, { photoSize: 256 });
    expect(face.x).toBeCloseTo(margin + 0.33 * 256);
    expect(face.width).toBeCloseTo(0.2 * 256);
    expect(face.height).toBeCloseTo(0.21 * 256);
  });
});
