/**
 * One subscription target (`*` or a session id) read from the RESULTS stream through a JetStream ordered consumer:
 * ephemeral, no acks, in stream order, recreated by the nats client from its cursor after a NATS hiccup (no gap).
 * nats-server 2.9 takes one filter subject per consumer, hence one consumer per target.
 *
 * Messages are read through the consumer's iterator: the next pull is only issued as the handler gets through the
 * previous batch, so a handler that awaits (the client's socket is full) holds the stream back instead of piling
 * messages up in memory.
 */
import { ALL_SESSIONS, STREAMS, SUBJECTS } from '@sightline/contracts';
import { type NatsClient } from '@sightline/messaging';
import { type Consumer, type ConsumerMessages, type JsMsg, type OrderedConsumerOptions } from 'nats';

/** Where delivery starts: after a stream sequence (exclusive), or at a time (inclusive). */
export type StartPosition = { afterSequence: number } | { fromTime: string };

/** Results pulled ahead of the handler: bounds the memory a subscription holds outside the send queue. */
const PREFETCH_MESSAGES = 100;

export class ResultSubscription {
  private constructor(
    readonly target: string,
    private readonly consumer: Consumer,
    private readonly messages: ConsumerMessages,
  ) {}

  /** The stream's last sequence now: "only new results" is "after this one", a position a client can resume from. */
  static async lastSequence(nats: NatsClient): Promise<number> {
    return (await nats.manager.streams.info(STREAMS.results)).state.last_seq;
  }

  /** Creates the consumer and starts pulling; nothing is handed out until `run`. */
  static async open(nats: NatsClient, target: string, start: StartPosition): Promise<ResultSubscription> {
    const options: Partial<OrderedConsumerOptions> = {
      // A single string becomes `filter_subject` (2.9); an array would become 2.10's `filter_subjects`.
      filterSubjects: target === ALL_SESSIONS ? SUBJECTS.allResults : SUBJECTS.sessionResults(target),
      ...('afterSequence' in start ? { opt_start_seq: start.afterSequence + 1 } : { opt_start_time: start.fromTime }),
    };
    const consumer = await nats.jetstream.consumers.get(STREAMS.results, options);
    const messages = await consumer.consume({ max_messages: PREFETCH_MESSAGES });
    return new ResultSubscription(target, consumer, messages);
  }

  /** Hands each result to `handle`, waiting whenever it returns a promise; ends when the subscription is closed. */
  async run(handle: (msg: JsMsg) => void | Promise<void>): Promise<void> {
    for await (const msg of this.messages) {
      const pending = handle(msg);
      if (pending) await pending;
    }
  }

  /** Stops the pull and deletes the ephemeral consumer now rather than when its inactivity threshold passes. */
  async close(): Promise<void> {
    await this.messages.close();
    await this.consumer.delete().catch(() => false);
  }
}
