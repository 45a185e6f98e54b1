import { describe, expect, it } from 'vitest';
import { computeLetterbox, unletterboxBox } from './geometry.js';

describe('letterbox', () => {
  it('fits 1080p into 256x256 with vertical padding', () => {
    const plan = computeLetterbox({ width: 1920, height: 1080 }, { width: 256, height: 256 });
    expect(plan.scaledWidth).toBe(256);
    expect(plan.scaledHeight).toBe(144);
    expect(plan.padX).toBe(0);
    expect(plan.padY).toBe(56);
    expect(plan.scale).toBeCloseTo(256 / 1920, 6);
  });

  it('maps a model-space box back to source pixels (round trip)', () => {
    const source = { width: 1920, height: 1080 };
    const plan = computeLetterbox(source, { width: 256, height: 256 });
    const srcBox = { x: 960, y: 300, w: 192, h: 216 };
    const modelBox = {
      x: srcBox.x * plan.scale + plan.padX,
      y: srcBox.y * plan.scale + plan.padY,
      w: srcBox.w * plan.scale,
      h: srcBox.h * plan.scale,
    };
    const back = unletterboxBox(modelBox, plan, source);
    expect(back.x).toBeCloseTo(960, 3);
    expect(back.y).toBeCloseTo(300, 3);
    expect(back.w).toBeCloseTo(192, 3);
    expect(back.h).toBeCloseTo(216, 3);
  });

  it('clips boxes that extend into the padding', () => {
    const source = { width: 1920, height: 1080 };
    const plan = computeLetterbox(source, { width: 256, height: 256 });
    const back = unletterboxBox({ x: -10, y: 0, w: 50, h: 80 }, plan, source);
    expect(back.x).toBe(0);
    expect(back.y).toBe(0);
  });
});
