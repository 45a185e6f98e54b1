/**
 * The small hand-off between a session's decoder loop and its publisher loop. Live sessions never block the decoder:
 * when the publisher falls behind, the oldest waiting frame is dropped (and reported). Batch sessions block the
 * decoder instead, which stops reading FFmpeg's stdout, which pauses FFmpeg: nothing is lost.
 */
export type OverflowPolicy = 'dropOldest' | 'wait';

export class FrameQueue<T> {
  private readonly items: T[] = [];
  private closed = false;
  private taker?: (item: T | undefined) => void;
  private spaceWaiter?: () => void;

  constructor(
    private readonly capacity: number,
    private readonly overflow: OverflowPolicy,
    /** Called for each item pushed out by a newer one (dropOldest). */
    private readonly onDrop: (item: T) => void,
  ) {}

  /** True while a producer waits for space (the consumer is the bottleneck, not the source). */
  get producerBlocked(): boolean {
    return this.spaceWaiter !== undefined;
  }

  get length(): number {
    return this.items.length;
  }

  /** Queues the item (after a close it is discarded). */
  async put(item: T): Promise<void> {
    if (this.closed) return;
    if (this.taker) {
      const take = this.taker;
      this.taker = undefined;
      return take(item);
    }
    while (this.items.length >= this.capacity && !this.closed) {
      if (this.overflow === 'dropOldest') {
        this.onDrop(this.items.shift()!);
        break;
      }
      await new Promise<void>((resolve) => (this.spaceWaiter = resolve));
    }
    if (this.closed) return;
    this.items.push(item);
  }

  /** The next item; undefined once the queue is closed and empty. */
  take(): Promise<T | undefined> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.wakeProducer();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.taker = resolve));
  }

  /**
   * No more puts. Items already queued are still taken, unless `discard`. Discarding is not dropping: `onDrop` reports
   * only what overflow pushed out.
   */
  close(discard = false): void {
    this.closed = true;
    if (discard) this.items.length = 0;
    const take = this.taker;
    this.taker = undefined;
    take?.(undefined);
    this.wakeProducer();
  }

  private wakeProducer(): void {
    const wake = this.spaceWaiter;
    this.spaceWaiter = undefined;
    wake?.();
  }
}
