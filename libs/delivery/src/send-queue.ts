/**
 * A per-client bounded send buffer in front of a WebSocket.
 *
 * Messages go straight to the socket while its own buffer (`bufferedAmount`) is below a high-water mark; beyond that
 * they wait here and are written as the socket drains (each write's completion callback pumps the next). Bytes held
 * for the client = waiting bytes + the socket's buffer; the owner decides what happens when `offer` reports overflow.
 *
 * Producers that can wait (a subscription replaying a backlog) await `drained()` while `congested`, so the stream,
 * not this queue, holds what the client has not read yet.
 *
 * A message with a `replaceKey` (a `frameAnalyzed` under the `latest` policy, keyed by session) supersedes the one
 * with the same key still waiting here: the older one is skipped, order of the rest is kept.
 */
export interface OutgoingMessage {
  data: string;
  bytes: number;
  event: string;
  replaceKey?: string;
  /** Epoch ms of the frame's capture, for the end-to-end latency metric. */
  captureTimeMs?: number;
}

/** The slice of a `ws` WebSocket the queue needs. */
export interface MessageSink {
  readonly bufferedAmount: number;
  send(data: string, done: (err?: Error) => void): void;
}

export interface SendQueueHooks {
  onSent(message: OutgoingMessage): void;
  onReplaced(message: OutgoingMessage): void;
}

export type OfferOutcome = 'sent' | 'queued' | 'overflow';

interface Waiting {
  message: OutgoingMessage;
  skipped: boolean;
}

export class BoundedSendQueue {
  private waiting: Waiting[] = [];
  private head = 0;
  private waitingBytes = 0;
  private waitingCount = 0;
  private readonly latestByKey = new Map<string, Waiting>();
  private stopped = false;
  private readonly highWaterBytes: number;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly sink: MessageSink,
    readonly limitBytes: number,
    private readonly hooks: SendQueueHooks,
  ) {
    // Keep the socket busy without letting it hold most of the budget: what sits in our queue can still be skipped.
    this.highWaterBytes = Math.min(64 * 1024, Math.floor(limitBytes / 4));
  }

  /** Bytes held for this client: waiting here plus buffered in the socket. */
  get bufferedBytes(): number {
    return this.waitingBytes + this.sink.bufferedAmount;
  }

  get length(): number {
    return this.waitingCount;
  }

  /** True while messages wait here (the socket is above its high-water mark). */
  get congested(): boolean {
    return this.waitingCount > 0;
  }

  /** Resolves once nothing waits here any more (or the queue is stopped): the producer's cue to read on. */
  drained(): Promise<void> {
    if (!this.congested || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  offer(message: OutgoingMessage): OfferOutcome {
    if (this.stopped) return 'queued';
    if (this.waitingCount === 0 && this.sink.bufferedAmount < this.highWaterBytes) {
      this.write(message);
      return 'sent';
    }
    const entry: Waiting = { message, skipped: false };
    if (message.replaceKey !== undefined) {
      const previous = this.latestByKey.get(message.replaceKey);
      if (previous && !previous.skipped) {
        previous.skipped = true;
        this.waitingBytes -= previous.message.bytes;
        this.waitingCount--;
        this.hooks.onReplaced(previous.message);
      }
      this.latestByKey.set(message.replaceKey, entry);
    }
    this.waiting.push(entry);
    this.waitingBytes += message.bytes;
    this.waitingCount++;
    return this.bufferedBytes > this.limitBytes ? 'overflow' : 'queued';
  }

  /** Stops sending and forgets what is waiting; returns how many messages were discarded. */
  stop(): number {
    const discarded = this.waitingCount;
    this.stopped = true;
    this.waiting = [];
    this.head = 0;
    this.waitingBytes = 0;
    this.waitingCount = 0;
    this.latestByKey.clear();
    this.releaseDrainWaiters();
    return discarded;
  }

  private pump(): void {
    while (!this.stopped && this.waitingCount > 0 && this.sink.bufferedAmount < this.highWaterBytes) {
      const entry = this.waiting[this.head++]!;
      if (entry.skipped) continue;
      this.waitingBytes -= entry.message.bytes;
      this.waitingCount--;
      if (entry.message.replaceKey !== undefined && this.latestByKey.get(entry.message.replaceKey) === entry) {
        this.latestByKey.delete(entry.message.replaceKey);
      }
      this.write(entry.message);
    }
    if (this.waitingCount === 0) {
      this.waiting = [];
      this.head = 0;
      this.releaseDrainWaiters();
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      // Compact once the consumed prefix dominates, so the array does not grow without bound.
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }

  private releaseDrainWaiters(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private write(message: OutgoingMessage): void {
    this.sink.send(message.data, () => this.pump());
    this.hooks.onSent(message);
  }
}
