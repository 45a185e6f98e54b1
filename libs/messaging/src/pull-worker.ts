/**
 * A durable pull consumer that acks only after the handler succeeded.
 * - decode() throws  → the message is malformed: dead-lettered with the reason at once (retrying cannot help).
 * - handle() throws  → nak with back-off; after `maxDeliver` deliveries it is dead-lettered. Nothing is dropped silently.
 * Messages can be handled one by one or in micro-batches (bounded size and linger), in arrival order.
 * Always stop() a worker: an iterator abandoned without close() leaves the client's pull subscription dangling.
 */
import { ContractErrorCode, InvalidMessageError, SightlineError } from '@sightline/contracts';
import { ConsumerEvents, type ConsumerMessages, type JsMsg } from 'nats';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type MessagingLogger, type NatsClient } from './connection.js';
import { buildDeadLetter, publishDeadLetter } from './dead-letters.js';
import { JetStreamPublisher } from './publisher.js';
import { MessagingErrorCode } from './errors.js';

export interface Delivery<T> {
  item: T;
  msg: JsMsg;
}

export interface PullWorkerOptions<T> {
  client: NatsClient;
  stream: string;
  consumer: string;
  logger: MessagingLogger;
  decode: (msg: JsMsg) => T;
  /** Handles a batch; resolve = every message in it is acked. Throw to nak them all. */
  handle: (batch: Array<Delivery<T>>) => Promise<void>;
  /** 1 = one message at a time. */
  batchSize?: number;
  /** How long a partial batch may wait for more messages. */
  lingerMs?: number;
  /**
   * Batches handled at once (default 1). 2 lets a batch's slow tail (e.g. waiting for publish acks) overlap the next
   * batch's work; each batch is still acked only after its own handler resolved.
   */
  concurrency?: number;
  /** Deliveries before dead-lettering; <= 0 = never (the handler must then retry internally). */
  maxDeliver?: number;
  /** Messages the client buffers ahead of the handler. */
  prefetch?: number;
  retryDelayMs?: (deliveries: number) => number;
  registry?: Registry;
  /**
   * Creates the durable consumer again when the server reports it (or its stream) missing, e.g. after a restart of a
   * nats-server that held them in memory. Without it, the worker waits until someone else re-creates them.
   */
  provision?: () => Promise<unknown>;
}

const MISSING_RESOURCE_EVENTS: ReadonlySet<string> = new Set([
  ConsumerEvents.ConsumerNotFound,
  ConsumerEvents.StreamNotFound,
  ConsumerEvents.ConsumerDeleted,
]);

const defaultRetryDelay = (deliveries: number): number => Math.min(30_000, 500 * 2 ** (deliveries - 1));

export class PullWorker<T> {
  private messages?: ConsumerMessages;
  private running?: Promise<void>;
  private stopping = false;
  private batch: Array<Delivery<T>> = [];
  private lingerTimer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private lagTimer?: NodeJS.Timeout;
  private readonly publisher: JetStreamPublisher;
  private readonly metrics: WorkerMetrics;
  private provisioning?: Promise<void>;
  private stopWatchingReconnects?: () => void;

  constructor(private readonly options: PullWorkerOptions<T>) {
    this.publisher = new JetStreamPublisher(options.client);
    this.metrics = workerMetrics(options.registry);
  }

  private get labels() {
    return { stream: this.options.stream, consumer: this.options.consumer };
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.consumeForever();
    // Right after a reconnect, rather than when the pull loop notices (a missed heartbeat can take half a minute).
    if (this.options.provision)
      this.stopWatchingReconnects = this.options.client.onReconnect(() => void this.provisionAgain('reconnect', 15));
    this.lagTimer = setInterval(() => void this.sampleLag(), 5000).unref();
  }

  /** Stops pulling, finishes the batch in hand (acked or nak'ed), then resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.lagTimer);
    this.stopWatchingReconnects?.();
    await this.messages?.close().catch(() => undefined);
    await this.running;
    await this.enqueueFlush();
    await Promise.all(this.inFlight);
    this.running = undefined;
  }

  private async consumeForever(): Promise<void> {
    const { client, stream, consumer, logger } = this.options;
    while (!this.stopping) {
      try {
        const handle = await client.jetstream.consumers.get(stream, consumer);
        this.messages = await handle.consume({ max_messages: this.options.prefetch ?? 256 });
        void this.provisionWhenMissing(this.messages);
        for await (const msg of this.messages) {
          // After stop(): hand prefetched messages straight back instead of letting them wait out the ack timeout.
          if (this.stopping) msg.nak();
          else await this.accept(msg);
        }
      } catch (err) {
        if (this.stopping) break;
        logger.warn('consumer interrupted, resubscribing', { stream, consumer, error: (err as Error).message });
        await this.provisionAgain('consumer unavailable');
      }
      if (!this.stopping) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Provisions the consumer again whenever the server says it or its stream is missing (the pull loop then recovers). */
  private async provisionWhenMissing(messages: ConsumerMessages): Promise<void> {
    if (!this.options.provision) return;
    for await (const status of await messages.status()) {
      if (this.stopping) return;
      if (MISSING_RESOURCE_EVENTS.has(status.type)) await this.provisionAgain(status.type);
    }
  }

  /** Runs `provision` (one run at a time), trying up to `attempts` times a second apart (its stream may be coming back). */
  private provisionAgain(reason: string, attempts = 1): Promise<void> {
    const { provision, logger, stream, consumer } = this.options;
    if (!provision) return Promise.resolve();
    this.provisioning ??= (async () => {
      for (let attempt = 1; !this.stopping; attempt++) {
        try {
          const outcome = await provision();
          logger.info('consumer provisioned again', { stream, consumer, reason, attempt, outcome });
          // A consumer created anew (it was gone with a restarted server's memory) has none of the pull requests the
          // running `consume()` made; that loop would only notice at its next expiry (up to 30 s): pull afresh now.
          // Messages it held unacknowledged are redelivered after their ack wait; nothing is lost.
          if (outcome === 'created') void this.messages?.close().catch(() => undefined);
          return;
        } catch (err) {
          if (attempt >= attempts) {
            logger.warn('consumer not provisioned yet', { stream, consumer, reason, attempt, error: (err as Error).message });
            return;
          }
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    })().finally(() => (this.provisioning = undefined));
    return this.provisioning;
  }

  private async accept(msg: JsMsg): Promise<void> {
    let item: T;
    try {
      item = this.options.decode(msg);
    } catch (err) {
      const code = err instanceof SightlineError ? err.code : ContractErrorCode.invalidMessage;
      await this.deadLetter(msg, code, (err as Error).message);
      return;
    }
    this.batch.push({ item, msg });
    const batchSize = this.options.batchSize ?? 1;
    if (this.batch.length >= batchSize) {
      // Awaiting here applies back-pressure: no more deliveries are taken while the batch is handled.
      await this.enqueueFlush();
    } else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => void this.enqueueFlush(), this.options.lingerMs ?? 5);
    }
  }

  /** Hands the current batch to a handler slot; resolves once it is started (waits while all slots are busy). */
  private async enqueueFlush(): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const batch = this.batch;
    this.batch = [];
    if (!batch.length) return;
    while (this.inFlight.size >= (this.options.concurrency ?? 1)) await Promise.race(this.inFlight);
    const handling: Promise<void> = this.process(batch).finally(() => this.inFlight.delete(handling));
    this.inFlight.add(handling);
  }

  private async process(batch: Array<Delivery<T>>): Promise<void> {
    const end = this.metrics.handleSeconds.startTimer(this.labels);
    try {
      await this.options.handle(batch);
      for (const { msg } of batch) msg.ack();
      this.metrics.messages.inc({ ...this.labels, outcome: 'ack' }, batch.length);
      this.metrics.batchSize.observe(this.labels, batch.length);
    } catch (err) {
      await Promise.all(batch.map(({ msg }) => this.fail(msg, err as Error)));
    } finally {
      end();
    }
  }

  private async fail(msg: JsMsg, err: Error): Promise<void> {
    const deliveries = msg.info.redeliveryCount;
    const maxDeliver = this.options.maxDeliver ?? 5;
    const code = err instanceof SightlineError ? err.code : MessagingErrorCode.handlerFailed;
    if (err instanceof InvalidMessageError || (maxDeliver > 0 && deliveries >= maxDeliver)) {
      await this.deadLetter(msg, code, `${err.message} (after ${deliveries} deliveries)`);
      return;
    }
    const delay = (this.options.retryDelayMs ?? defaultRetryDelay)(deliveries);
    this.options.logger.warn('handler failed, will redeliver', {
      ...this.labels,
      code,
      error: err.message,
      subject: msg.subject,
      deliveries,
      retryInMs: delay,
    });
    msg.nak(delay);
    this.metrics.messages.inc({ ...this.labels, outcome: 'nak' });
  }

  private async deadLetter(msg: JsMsg, code: string, reason: string): Promise<void> {
    const letter = buildDeadLetter(msg, this.options.consumer, code, reason);
    try {
      await publishDeadLetter(this.publisher, letter);
    } catch (err) {
      // Could not record it: leave it un-acked so it is redelivered rather than lost.
      this.options.logger.error('dead-letter publish failed; message left for redelivery', {
        ...this.labels,
        error: (err as Error).message,
      });
      msg.nak(5000);
      return;
    }
    this.options.logger.warn('message dead-lettered', { ...this.labels, code, reason, subject: msg.subject, seq: letter.streamSequence });
    // Ack, not term: the dead letter now owns the message, and a work-queue stream only forgets acked messages.
    msg.ack();
    this.metrics.messages.inc({ ...this.labels, outcome: 'dead_letter' });
  }

  private async sampleLag(): Promise<void> {
    try {
      const info = await this.options.client.manager.consumers.info(this.options.stream, this.options.consumer);
      this.metrics.lag.set(this.labels, info.num_pending);
      this.metrics.ackPending.set(this.labels, info.num_ack_pending);
    } catch {
      // NATS down: the readiness probe reports it; the gauge keeps its last value.
    }
  }
}

interface WorkerMetrics {
  messages: Counter<'stream' | 'consumer' | 'outcome'>;
  handleSeconds: Histogram<'stream' | 'consumer'>;
  batchSize: Histogram<'stream' | 'consumer'>;
  lag: Gauge<'stream' | 'consumer'>;
  ackPending: Gauge<'stream' | 'consumer'>;
}

const metricsByRegistry = new WeakMap<Registry, WorkerMetrics>();

function workerMetrics(registry?: Registry): WorkerMetrics {
  const existing = registry && metricsByRegistry.get(registry);
  if (existing) return existing;
  const registers = registry ? [registry] : [];
  const labelNames = ['stream', 'consumer'] as const;
  const metrics: WorkerMetrics = {
    messages: new Counter({
      name: 'sightline_consumer_messages_total',
      help: 'Messages handled by a JetStream consumer, by outcome (ack, nak, dead_letter)',
      labelNames: [...labelNames, 'outcome'],
      registers,
    }),
    handleSeconds: new Histogram({
      name: 'sightline_consumer_handle_seconds',
      help: 'Time to handle one batch of messages',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    batchSize: new Histogram({
      name: 'sightline_consumer_batch_size',
      help: 'Messages per handled batch',
      labelNames,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    lag: new Gauge({
      name: 'sightline_consumer_pending_messages',
      help: 'Messages in the stream not yet delivered to the consumer (lag)',
      labelNames,
      registers,
    }),
    ackPending: new Gauge({
      name: 'sightline_consumer_ack_pending_messages',
      help: 'Messages delivered but not yet acknowledged',
      labelNames,
      registers,
    }),
  };
  if (registry) metricsByRegistry.set(registry, metrics);
  return metrics;
}
