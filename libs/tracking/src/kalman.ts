/**
 * The constant-velocity Kalman filter of SORT/ByteTrack over a box's (centre x, centre y, aspect w/h, height):
 * state = those four plus their velocities per frame. Noise is relative to the box height, as in ByteTrack, so one
 * tuning serves small and large objects. Plain arrays: the state is 8 numbers and serialises as JSON.
 */
import { type Box } from '@sightline/contracts';

export interface KalmanState {
  mean: number[];
  covariance: number[][];
}

const POSITION_WEIGHT = 1 / 20;
const VELOCITY_WEIGHT = 1 / 160;

type Matrix = number[][];
const zeros = (rows: number, cols: number): Matrix => Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
const diag = (values: number[]): Matrix => values.map((v, i) => values.map((_, j) => (i === j ? v : 0)));
const transpose = (m: Matrix): Matrix => m[0]!.map((_, j) => m.map((row) => row[j]!));
function multiply(a: Matrix, b: Matrix): Matrix {
  const out = zeros(a.length, b[0]!.length);
  for (let i = 0; i < a.length; i++) {
    for (let k = 0; k < b.length; k++) {
      const aik = a[i]![k]!;
      if (aik === 0) continue;
      for (let j = 0; j < b[0]!.length; j++) out[i]![j]! += aik * b[k]![j]!;
    }
  }
  return out;
}
const add = (a: Matrix, b: Matrix): Matrix => a.map((row, i) => row.map((v, j) => v + b[i]![j]!));
const subtract = (a: Matrix, b: Matrix): Matrix => a.map((row, i) => row.map((v, j) => v - b[i]![j]!));
/** Gauss-Jordan with partial pivoting; the innovation covariance is symmetric positive definite (R > 0). */
function invert(m: Matrix): Matrix {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...diag(new Array<number>(n).fill(1))[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    for (let j = 0; j < 2 * n; j++) a[col]![j]! /= p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]!;
      if (f !== 0) for (let j = 0; j < 2 * n; j++) a[r]![j]! -= f * a[col]![j]!;
    }
  }
  return a.map((row) => row.slice(n));
}

/** Transition for one frame: position += velocity. */
const F: Matrix = Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, j) => (i === j || j === i + 4 ? 1 : 0)));
const FT = transpose(F);
/** Measurement: the first four state components. */
const H: Matrix = Array.from({ length: 4 }, (_, i) => Array.from({ length: 8 }, (_, j) => (i === j ? 1 : 0)));
const HT = transpose(H);

export function boxToMeasurement(box: Box): number[] {
  return [box.x + box.w / 2, box.y + box.h / 2, box.w / Math.max(box.h, 1e-6), box.h];
}

export function stateToBox(mean: readonly number[]): Box {
  const [cx, cy, aspect, h] = mean as [number, number, number, number];
  const w = aspect * h;
  return { x: cx - w / 2, y: cy - h / 2, w, h };
}

export function initiate(box: Box): KalmanState {
  const measurement = boxToMeasurement(box);
  const h = measurement[3]!;
  const std = [
    2 * POSITION_WEIGHT * h,
    2 * POSITION_WEIGHT * h,
    1e-2,
    2 * POSITION_WEIGHT * h,
    10 * VELOCITY_WEIGHT * h,
    10 * VELOCITY_WEIGHT * h,
    1e-5,
    10 * VELOCITY_WEIGHT * h,
  ];
  return { mean: [...measurement, 0, 0, 0, 0], covariance: diag(std.map((s) => s * s)) };
}

/** Predicts `steps` frames ahead (frames missing upstream are steps without a measurement). */
export function predict(state: KalmanState, steps = 1): KalmanState {
  let { mean, covariance } = state;
  for (let s = 0; s < steps; s++) {
    const h = Math.max(mean[3]!, 1e-6);
    const std = [
      POSITION_WEIGHT * h,
      POSITION_WEIGHT * h,
      1e-2,
      POSITION_WEIGHT * h,
      VELOCITY_WEIGHT * h,
      VELOCITY_WEIGHT * h,
      1e-5,
      VELOCITY_WEIGHT * h,
    ];
    mean = multiply(
      F,
      mean.map((v) => [v]),
    ).map((row) => row[0]!);
    covariance = add(multiply(multiply(F, covariance), FT), diag(std.map((v) => v * v)));
  }
  return { mean, covariance };
}

export function correct(state: KalmanState, box: Box): KalmanState {
  const z = boxToMeasurement(box);
  const h = Math.max(state.mean[3]!, 1e-6);
  const std = [POSITION_WEIGHT * h, POSITION_WEIGHT * h, 1e-1, POSITION_WEIGHT * h];
  const projectedMean = state.mean.slice(0, 4);
  const projectedCov = add(multiply(multiply(H, state.covariance), HT), diag(std.map((v) => v * v)));
  const gain = multiply(multiply(state.covariance, HT), invert(projectedCov)); // 8x4
  const innovation = z.map((v, i) => [v - projectedMean[i]!]);
  const mean = add(
    state.mean.map((v) => [v]),
    multiply(gain, innovation),
  ).map((row) => row[0]!);
  const covariance = subtract(state.covariance, multiply(multiply(gain, projectedCov), transpose(gain)));
  return { mean, covariance };
}
