import { describe, expect, it } from 'vitest';
import { crossing, iou, pointInPolygon, sideOf } from './geometry.js';

describe('geometry', () => {
  it('computes IoU', () => {
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 0, y: 0, w: 10, h: 10 })).toBe(1);
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 0, w: 10, h: 10 })).toBeCloseTo(50 / 150);
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 20, y: 20, w: 5, h: 5 })).toBe(0);
  });

  it('tests points against a concave polygon', () => {
    const u = [
      { x: 0, y: 0 },
      { x: 30, y: 0 },
      { x: 30, y: 30 },
      { x: 20, y: 30 },
      { x: 20, y: 10 },
      { x: 10, y: 10 },
      { x: 10, y: 30 },
      { x: 0, y: 30 },
    ];
    expect(pointInPolygon({ x: 5, y: 20 }, u)).toBe(true);
    expect(pointInPolygon({ x: 15, y: 20 }, u)).toBe(false); // inside the notch
    expect(pointInPolygon({ x: 25, y: 5 }, u)).toBe(true);
    expect(pointInPolygon({ x: 40, y: 5 }, u)).toBe(false);
  });

  it('tells the side of a directed line in image coordinates and detects crossings of the segment only', () => {
    const a = { x: 0, y: 0 };
    const b = { x: 100, y: 0 }; // pointing right: below (y > 0) is its right-hand side
    expect(sideOf(a, b, { x: 50, y: 10 })).toBe(1);
    expect(sideOf(a, b, { x: 50, y: -10 })).toBe(-1);
    expect(crossing({ x: 50, y: -10 }, { x: 50, y: 10 }, a, b)).toBe('leftToRight');
    expect(crossing({ x: 50, y: 10 }, { x: 50, y: -10 }, a, b)).toBe('rightToLeft');
    expect(crossing({ x: 150, y: -10 }, { x: 150, y: 10 }, a, b)).toBeUndefined(); // beyond the end
    // Stopping on the line and going on counts once: on the line is the right side.
    expect(crossing({ x: 50, y: -10 }, { x: 50, y: 0 }, a, b)).toBe('leftToRight');
    expect(crossing({ x: 50, y: 0 }, { x: 50, y: 10 }, a, b)).toBeUndefined();
    expect(crossing({ x: 50, y: 0 }, { x: 50, y: -10 }, a, b)).toBe('rightToLeft');
  });
});
