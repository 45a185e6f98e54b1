/**
 * A session's lifecycle events (sessionStarted, sourceError, sourceReconnecting, sourceRecovered, sessionStopped) onto
 * the RESULTS stream as `makeEnvelope` JSON on `results.<sessionId>.<event>`. Published one at a time in order, each
 * retried while NATS is unreachable (the message id makes retries idempotent), so agents and persistence see every
 * state change exactly once and in order.
 */
import { MESSAGE_IDS, SUBJECTS, makeEnvelope, type EventPayloads } from '@sightline/contracts';
import type { JetStreamPublisher } from '@sightline/messaging';
import { silentLogger, type VideoLogger } from '../logger.js';
import { sleep } from '../util/sleep.js';

export type LifecycleEvent = Exclude<keyof EventPayloads, 'frameAnalyzed'>;

export interface SessionEventsOptions {
  /** Give an event up after trying this long (it is logged as lost). */
  giveUpAfterMs?: number;
}

export class SessionEvents {
  private counter = 0;
  private tail: Promise<void> = Promise.resolve();
  private readonly giveUpAfterMs: number;

  constructor(
    private readonly publisher: JetStreamPublisher,
    private readonly sessionId: string,
    /**
     * Makes message ids unique across session incarnations (a session id reused after a restart must not have its
     * events de-duplicated away by the stream): the session's creation time.
     */
    private readonly incarnation: string,
    private readonly logger: VideoLogger = silentLogger,
    options: SessionEventsOptions = {},
  ) {
    this.giveUpAfterMs = options.giveUpAfterMs ?? 30_000;
  }

  /** Queues the event; the promise settles once it is stored (or given up). */
  emit<E extends LifecycleEvent>(event: E, payload: EventPayloads[E]): Promise<void> {
    const envelope = makeEnvelope(this.sessionId, event, payload);
    const msgId = MESSAGE_IDS.result(this.sessionId, event, `${this.incarnation}.${this.counter++}`);
    const sent = this.tail.then(() => this.publishWithRetry(SUBJECTS.result(this.sessionId, event), envelope, msgId));
    this.tail = sent;
    return sent;
  }

  /** Resolves when every queued event is stored or given up. */
  flushed(): Promise<void> {
    return this.tail;
  }

  private async publishWithRetry(subject: string, envelope: object, msgId: string): Promise<void> {
    const deadline = Date.now() + this.giveUpAfterMs;
    for (let delayMs = 100; ; delayMs = Math.min(2000, delayMs * 2)) {
      try {
        await this.publisher.publishJson(subject, envelope, { msgId });
        return;
      } catch (err) {
        if (Date.now() + delayMs > deadline) {
          this.logger.error('lifecycle event lost', { sessionId: this.sessionId, subject, msgId, error: (err as Error).message });
          return;
        }
        await sleep(delayMs);
      }
    }
  }
}
