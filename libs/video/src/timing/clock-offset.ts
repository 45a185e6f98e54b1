/**
 * The sender's clock against ours: for each frame that carries the sender's wall clock (RTCP sender reports), the
 * difference to its arrival here. A sender whose clock is off is off for every frame; what disturbs single frames
 * is transient — our own lateness reading the socket on a loaded host, a burst after a stall, a sender report that
 * maps one frame oddly. So the estimate is the recent difference closest to zero: "the sender's clock is at least
 * this far from ours", which a few disturbed frames can neither create nor hide for longer than the window.
 * Reported (metric, status, one warning), never used to time anything.
 */
export class ClockOffsetEstimate {
  private readonly recent: number[] = [];
  private next = 0;
  private observations = 0;

  constructor(
    /** How many of the latest frames the estimate looks at (~2 s of 60 fps video). */
    private readonly window = 120,
  ) {}

  /** Adds one frame's `sourceTime - captureTime`; returns the estimate. */
  observe(offsetMs: number): number {
    this.observations++;
    if (this.recent.length < this.window) this.recent.push(offsetMs);
    else this.recent[this.next] = offsetMs;
    this.next = (this.next + 1) % this.window;
    return this.offsetMs!;
  }

  /** Undefined until the first observation. */
  get offsetMs(): number | undefined {
    if (this.recent.length === 0) return undefined;
    return this.recent.reduce((closest, value) => (Math.abs(value) < Math.abs(closest) ? value : closest));
  }

  /** Enough observations to trust the estimate (a few dozen frames). */
  get settled(): boolean {
    return this.observations >= 30;
  }

  /** A new sender (reconnect, camera restart) starts a new estimate. */
  reset(): void {
    this.recent.length = 0;
    this.next = 0;
    this.observations = 0;
  }
}
