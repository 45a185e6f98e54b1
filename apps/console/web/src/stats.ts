/** Small statistics for the live view and history: rolling latency percentiles and per-second buckets. */

/** Nearest-rank percentile (p in [0, 100]) of ascending `sorted` values; undefined when empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Samples of the last `windowMs` (by the sample's own time), oldest first. */
export class RollingSamples {
  private readonly times: number[] = [];
  private readonly values: number[] = [];

  constructor(readonly windowMs: number) {}

  add(atMs: number, value: number): void {
    this.times.push(atMs);
    this.values.push(value);
    const cutoff = atMs - this.windowMs;
    let drop = 0;
    while (drop < this.times.length && this.times[drop]! < cutoff) drop++;
    if (drop > 0) {
      this.times.splice(0, drop);
      this.values.splice(0, drop);
    }
  }

  get size(): number {
    return this.values.length;
  }

  /** [times in seconds, values]: the shape uPlot plots. */
  series(): [number[], number[]] {
    return [this.times.map((t) => t / 1000), [...this.values]];
  }

  percentiles(...ps: number[]): (number | undefined)[] {
    const sorted = [...this.values].sort((a, b) => a - b);
    return ps.map((p) => percentile(sorted, p));
  }
}

/**
 * Detections per wall-clock second: sums `count` of every item into its second (floor of the timestamp) and fills
 * the seconds in between with 0, so the chart shows gaps as gaps rather than joining distant points.
 */
export function perSecond(items: readonly { timestamp: string; count: number }[]): [number[], number[]] {
  const buckets = new Map<number, number>();
  for (const item of items) {
    const second = Math.floor(Date.parse(item.timestamp) / 1000);
    if (Number.isFinite(second)) buckets.set(second, (buckets.get(second) ?? 0) + item.count);
  }
  if (buckets.size === 0) return [[], []];
  const seconds = [...buckets.keys()];
  const first = Math.min(...seconds);
  const last = Math.max(...seconds);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let s = first; s <= last; s++) {
    xs.push(s);
    ys.push(buckets.get(s) ?? 0);
  }
  return [xs, ys];
}
