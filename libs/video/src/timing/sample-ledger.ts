/**
 * Remembers where each piped sample (an RTSP access unit or a run of TS packets) starts in FFmpeg's input byte
 * stream, so a decoded frame can be traced back to the sample it came from through showinfo's `pos`: its RTP
 * presentation time, its capture time, and when we wrote it (decode latency). Works with reordered (B-)frames,
 * and a frame FFmpeg drops simply never asks.
 *
 * Entries are forgotten once the decoder is well past them (a margin behind the newest position looked up, for
 * reordered frames), never by age: a decoder that lags seconds behind must still find its samples, or its frames
 * would fall back to another time base. A count cap bounds memory when nothing is looked up.
 */
export interface LedgerEntry<T> {
  /** Byte offset of the sample's first byte in the piped input. */
  start: number;
  writtenAt: number;
  value: T;
}

export class SampleLedger<T> {
  private entries: LedgerEntry<T>[] = [];
  /** Index of the oldest live entry; entries before it are garbage, compacted in bulk. */
  private head = 0;
  private written = 0;

  constructor(
    /**
     * At most this many samples are remembered (the oldest go first): 18 min of 60 fps H.264 (one access unit a
     * sample), ~18 s of 1080p60 MPEG-TS (one RTP packet of TS a sample, ~60 a frame); a few MB.
     */
    private readonly maxEntries = 65_536,
    /** Samples this far (in entries) before the newest one looked up stay findable: reordered frames, TS frames. */
    private readonly reorderMargin = 4096,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a sample about to be written; returns its start offset. */
  record(byteLength: number, value: T): number {
    const start = this.written;
    const writtenAt = this.now();
    this.entries.push({ start, writtenAt, value });
    this.written += byteLength;
    if (this.size > this.maxEntries) this.forgetUpTo(this.entries.length - this.maxEntries);
    return start;
  }

  /** The sample containing input byte `pos`, if it is still remembered. */
  lookup(pos: number): LedgerEntry<T> | undefined {
    let lo = this.head;
    let hi = this.entries.length - 1;
    if (hi < lo || pos < this.entries[lo]!.start || pos >= this.written) return undefined;
    // Last entry whose start <= pos.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.entries[mid]!.start <= pos) lo = mid;
      else hi = mid - 1;
    }
    const entry = this.entries[lo];
    this.forgetUpTo(lo - this.reorderMargin);
    return entry;
  }

  /** When the first sample starting after byte `pos` was written: the oldest one not decoded yet; undefined: none. */
  writtenAfter(pos: number): number | undefined {
    let lo = this.head;
    let hi = this.entries.length;
    // First entry whose start > pos.
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.start <= pos) lo = mid + 1;
      else hi = mid;
    }
    return this.entries[lo]?.writtenAt;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Forgets the entries before index `index` (never the newest). */
  private forgetUpTo(index: number): void {
    this.head = Math.max(this.head, Math.min(index, this.entries.length - 1));
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
