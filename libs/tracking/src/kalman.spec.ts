import { describe, expect, it } from 'vitest';
import { correct, initiate, predict, stateToBox } from './kalman.js';

describe('Kalman box filter', () => {
  it('starts at the measured box with zero velocity', () => {
    const state = initiate({ x: 100, y: 50, w: 40, h: 80 });
    expect(stateToBox(state.mean)).toEqual({ x: 100, y: 50, w: 40, h: 80 });
    expect(state.mean.slice(4)).toEqual([0, 0, 0, 0]);
  });

  it('learns a constant velocity and predicts ahead, one step per missing frame', () => {
    let state = initiate({ x: 0, y: 100, w: 50, h: 50 });
    for (let frame = 1; frame <= 30; frame++) state = correct(predict(state), { x: 10 * frame, y: 100, w: 50, h: 50 });
    expect(state.mean[4]).toBeCloseTo(10, 0); // vx in pixels per frame
    expect(Math.abs(state.mean[5]!)).toBeLessThan(0.5);
    const threeAhead = stateToBox(predict(state, 3).mean);
    expect(threeAhead.x).toBeCloseTo(330, -1);
    expect(threeAhead.w).toBeCloseTo(50, 0);
  });

  it('grows its uncertainty while predicting without measurements and shrinks it on a measurement', () => {
    const start = initiate({ x: 0, y: 0, w: 20, h: 20 });
    const predicted = predict(start, 5);
    expect(predicted.covariance[0]![0]).toBeGreaterThan(start.covariance[0]![0]!);
    const corrected = correct(predicted, { x: 0, y: 0, w: 20, h: 20 });
    expect(corrected.covariance[0]![0]).toBeLessThan(predicted.covariance[0]![0]!);
  });
});
