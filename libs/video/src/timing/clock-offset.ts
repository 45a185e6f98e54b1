/**
 * The sender's clock against ours: for each frame that carries the sender's wall clock (RTCP sender reports), the
 * difference to its arrival here. Smoothed, because arrival jitters with the network and the event loop; reported
 * (metric, status, one warning), never used to time anything.
 */
export class ClockOffsetEstimate {
  private smoothedMs?: number;
  private observations = 0;

  constructor(
    /** Weight of a new observation in the running average. */
    private readonly weight = 0.1,
  ) {}

  /** Adds one frame's `sourceTime - captureTime`; returns the smoothed offset. */
  observe(offsetMs: number): number {
    this.observations++;
    this.smoothedMs = this.smoothedMs === undefined ? offsetMs : this.smoothedMs + this.weight * (offsetMs - this.smoothedMs);
    return this.smoothedMs;
  }

  /** Undefined until the first observation. */
  get offsetMs(): number | undefined {
    return this.smoothedMs;
  }

  /** Enough observations to trust the estimate (a few dozen frames). */
  get settled(): boolean {
    return this.observations >= 30;
  }

  /** A new sender (reconnect, camera restart) starts a new estimate. */
  reset(): void {
    this.smoothedMs = undefined;
    this.observations = 0;
  }
}
