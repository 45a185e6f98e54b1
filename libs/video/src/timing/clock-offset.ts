/**
 * The sender's clock against ours: for each frame that carries the sender's wall clock (RTCP sender reports), the
 * difference to its arrival here. Every delay between the sender's clock reading and our arrival stamp — network,
 * a muxer holding packets, our own event loop or decoder busy on a loaded host — can only make that difference
 * smaller, never larger, so the estimate is the largest difference among the recent frames (the least-delayed one,
 * as NTP's minimum-delay filter does): a burst of our own lateness does not read as a sender clock that is off.
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
    return this.recent.length === 0 ? undefined : Math.max(...this.recent);
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
