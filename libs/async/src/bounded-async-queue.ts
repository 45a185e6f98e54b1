/**
 * A bounded hand-off from a producer to an async consumer (`await queue.next()` or `for await`): the one queue behind
 * the RTSP client's samples, an ingest session's frames and the agent SDK's events. The SDK keeps a byte-identical
 * copy of this file (libs/client/src/bounded-async-queue.ts): it is published on its own, depending on `ws` only.
 *
 * Two kinds of bound, usable together:
 * - Water marks: once `highWater` items wait, `onHigh` asks the producer to pause (a socket stops being read); once
 *   they are down to `lowWater`, `onLow` lets it go on. Items pushed in between are kept.
 * - A capacity with an overflow policy: `dropOldest` makes room by dropping the oldest waiting item (reported to
 *   `onDrop`); `wait` makes `push` wait for room, so a producer that awaits it loses nothing.
 *
 * Ending is the same for every user: `end()` refuses further pushes, the items already queued are still taken, then
 * iteration is done; `end(error)` does the same, then every later `next()` rejects with `error`. `close()` ends at once
 * and discards what waits (a discard is not a drop: `onDrop` is not called). After the end, pushes are ignored and a
 * producer waiting for room is released.
 */
export type OverflowPolicy = 'dropOldest' | 'wait';

export interface BoundedAsyncQueueOptions<T> {
  /** The most items held; without it only the water marks bound the queue (through the producer). */
  capacity?: number;
  /** What a push into a full queue does. Default `wait`. */
  overflow?: OverflowPolicy;
  /** Called for each item pushed out by a newer one (`dropOldest`). */
  onDrop?: (item: T) => void;
  /** Items waiting at which `onHigh` is called. */
  highWater?: number;
  /** Items waiting at (or below) which `onLow` is called after `onHigh`. Default half of `highWater`, rounded down. */
  lowWater?: number;
  onHigh?: () => void;
  onLow?: () => void;
}

interface Taker<T> {
  resolve: (result: IteratorResult<T>) => void;
  reject: (error: Error) => void;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
const PUSHED: Promise<void> = Promise.resolve();

export class BoundedAsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly takers: Taker<T>[] = [];
  private readonly roomWaiters: Array<() => void> = [];
  private readonly capacity: number;
  private readonly highWater: number;
  private readonly lowWater: number;
  private isEnded = false;
  private failure?: Error;
  private isCongested = false;

  constructor(private readonly options: BoundedAsyncQueueOptions<T> = {}) {
    this.capacity = options.capacity ?? Infinity;
    this.highWater = options.highWater ?? Infinity;
    this.lowWater = options.lowWater ?? Math.floor(this.highWater / 2);
    if (!(this.capacity >= 1)) throw new RangeError(`capacity must be at least 1 (got ${options.capacity})`);
  }

  /** Items waiting to be taken. */
  get length(): number {
    return this.items.length;
  }

  /** True from reaching high water until drained to low water: the producer was asked to pause. */
  get congested(): boolean {
    return this.isCongested;
  }

  /** True while a producer waits for room (the consumer is the bottleneck, not the source). */
  get producerBlocked(): boolean {
    return this.roomWaiters.length > 0;
  }

  /** end() or close() was called. */
  get ended(): boolean {
    return this.isEnded;
  }

  /**
   * Queues the item, or hands it straight to a waiting consumer. Resolves at once unless the `wait` policy holds the
   * item back until there is room; after the end the item is ignored.
   */
  push(item: T): Promise<void> {
    if (this.isEnded) return PUSHED;
    const taker = this.takers.shift();
    if (taker) {
      taker.resolve({ done: false, value: item });
      return PUSHED;
    }
    if (this.items.length >= this.capacity) {
      if (this.options.overflow !== 'dropOldest') return this.pushWhenRoom(item);
      this.options.onDrop?.(this.items.shift()!);
    }
    this.items.push(item);
    if (!this.isCongested && this.items.length >= this.highWater) {
      this.isCongested = true;
      this.options.onHigh?.();
    }
    return PUSHED;
  }

  /** The next item; done once ended and empty (or rejected with the error given to end()). */
  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const value = this.items.shift()!;
      if (this.isCongested && this.items.length <= this.lowWater) {
        this.isCongested = false;
        this.options.onLow?.();
      }
      this.roomWaiters.shift()?.();
      return Promise.resolve({ done: false, value });
    }
    if (this.isEnded) return this.failure ? Promise.reject(this.failure) : Promise.resolve(DONE);
    return new Promise((resolve, reject) => this.takers.push({ resolve, reject }));
  }

  /** No more pushes: what is queued is still taken, then iteration is done (or throws `error`). */
  end(error?: Error): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.failure = error;
    // Takers wait only while nothing is queued, so they get the end now.
    for (const taker of this.takers.splice(0)) {
      if (error) taker.reject(error);
      else taker.resolve(DONE);
    }
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /**
   * The producer that was asked to pause is gone and a new one flows (a reconnected socket): onHigh asks again once
   * high water is reached (at the next push if it already is), and onLow waits for that.
   */
  resetCongestion(): void {
    this.isCongested = false;
  }

  /** Ends now, discarding what is queued. */
  close(): void {
    this.items.length = 0;
    this.end();
  }

  /** Leaving a `for await` loop early closes the queue. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve(DONE);
      },
    };
  }

  private async pushWhenRoom(item: T): Promise<void> {
    await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    // Anything may have happened meanwhile (a consumer waiting, another producer first, the end): push decides again.
    return this.push(item);
  }
}
