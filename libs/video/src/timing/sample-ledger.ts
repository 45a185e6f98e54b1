/**
 * Remembers where each piped sample (an RTSP access unit or a run of TS packets) starts in FFmpeg's input byte
 * stream, so a decoded frame can be traced back to the sample it came from through showinfo's `pos`: its RTP
 * presentation time, its capture time, and when we wrote it (decode latency). Works with reordered (B-)frames,
 * and a frame FFmpeg drops simply never asks.
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
    /** Samples older than this are forgotten (their frames are long decoded or never will be). */
    private readonly retentionMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a sample about to be written; returns its start offset. */
  record(byteLength: number, value: T): number {
    const start = this.written;
    const writtenAt = this.now();
    this.entries.push({ start, writtenAt, value });
    this.written += byteLength;
    this.forgetBefore(writtenAt - this.retentionMs);
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
    return this.entries[lo];
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  private forgetBefore(cutoff: number): void {
    while (this.head < this.entries.length - 1 && this.entries[this.head]!.writtenAt < cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
