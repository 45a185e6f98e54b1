/**
 * Puts one session's frames back in sequence order. Inference replicas finish frames out of order; frames dropped or
 * skipped upstream never arrive. A frame is released as soon as every earlier one has been released; a missing
 * frame is given up on (a gap) once the longest-buffered frame has waited `maxWaitMs`, or at once when more than
 * `maxFrames` are buffered. A frame arriving after its place was passed is late and refused.
 */
export interface ReorderOptions {
  maxFrames: number;
  maxWaitMs: number;
}

export const DEFAULT_REORDER_OPTIONS: ReorderOptions = { maxFrames: 32, maxWaitMs: 250 };

export type OfferOutcome = 'accepted' | 'late' | 'duplicate';

export interface Released<T> {
  seq: number;
  item: T;
  /** Frames given up on just before this one. */
  gap: number;
}

export class ReorderWindow<T> {
  private readonly pending = new Map<number, { item: T; arrivedAt: number }>();

  /** `next`: the sequence expected first (the one after the last frame processed, if known). */
  constructor(
    private readonly options: ReorderOptions = DEFAULT_REORDER_OPTIONS,
    private next?: number,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** The sequence the window waits for next (undefined before the first frame of a fresh session). */
  get expected(): number | undefined {
    return this.next;
  }

  offer(seq: number, item: T, now: number): OfferOutcome {
    if (this.next !== undefined && seq < this.next) return 'late';
    if (this.pending.has(seq)) return 'duplicate';
    this.pending.set(seq, { item, arrivedAt: now });
    return 'accepted';
  }

  /** Frames ready now, in order: the in-sequence run, plus any whose gap has waited long enough. */
  release(now: number): Array<Released<T>> {
    const out: Array<Released<T>> = [];
    for (;;) {
      if (this.next !== undefined && this.pending.has(this.next)) {
        out.push(this.take(this.next, 0));
        continue;
      }
      const lowest = this.lowest();
      if (lowest === undefined) break;
      // A run counts from 0, so frame 0 never waits; a later first frame waits for earlier ones still in flight.
      const waited = now - this.oldestArrival()!;
      const giveUp =
        (this.next === undefined && lowest === 0) || this.pending.size > this.options.maxFrames || waited >= this.options.maxWaitMs;
      if (!giveUp) break;
      out.push(this.take(lowest, this.next === undefined ? 0 : lowest - this.next));
    }
    return out;
  }

  /** Everything still buffered, in order (the session ends): gaps are given up on. */
  drain(): Array<Released<T>> {
    const out: Array<Released<T>> = [];
    for (let lowest = this.lowest(); lowest !== undefined; lowest = this.lowest()) {
      out.push(this.take(lowest, this.next === undefined ? 0 : lowest - this.next));
    }
    return out;
  }

  /** When the oldest wait ends (for a timer), or undefined when nothing is buffered. */
  nextDeadline(): number | undefined {
    const oldest = this.oldestArrival();
    return oldest === undefined ? undefined : oldest + this.options.maxWaitMs;
  }

  /** The frame buffered longest bounds the delay the window adds. */
  private oldestArrival(): number | undefined {
    let oldest: number | undefined;
    for (const { arrivedAt } of this.pending.values()) if (oldest === undefined || arrivedAt < oldest) oldest = arrivedAt;
    return oldest;
  }

  private lowest(): number | undefined {
    let lowest: number | undefined;
    for (const seq of this.pending.keys()) if (lowest === undefined || seq < lowest) lowest = seq;
    return lowest;
  }

  private take(seq: number, gap: number): Released<T> {
    const { item } = this.pending.get(seq)!;
    this.pending.delete(seq);
    this.next = seq + 1;
    return { seq, item, gap };
  }
}
