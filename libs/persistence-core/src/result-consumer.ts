/**
 * RESULTS → PostgreSQL. A durable pull consumer hands over micro-batches (bounded size and linger); each batch is
 * inserted in one transaction and acked only after it committed. Redeliveries are harmless (idempotent insert).
 *
 * PostgreSQL down: the handler keeps retrying the same batch with capped exponential back-off and tells JetStream
 * it is still working on those messages, so nothing is redelivered or dead-lettered meanwhile; the pull worker stops
 * taking deliveries once the next batch is full, so the backlog waits in the stream and is caught up afterwards.
 * A result PostgreSQL refuses outright (e.g. a NUL character inside a JSON string) is isolated and dead-lettered
 * with the database's reason; the rest of its batch is stored.
 */
import { CONSUMERS, SightlineError, STREAMS, type LoggerPort, type ResultEnvelope } from '@sightline/contracts';
import { ResultStore, connectAndMigrate, isDatabaseUp, isRowRejection, sqlState, type NewResult } from '@sightline/db';
import {
  CONSUMER_DEFINITIONS,
  JetStreamPublisher,
  PullWorker,
  buildDeadLetter,
  ensureConsumer,
  publishDeadLetter,
  seconds,
  type DurableConsumerDefinition,
  type Delivery,
  type NatsClient,
} from '@sightline/messaging';
import { setTimeout as sleep } from 'node:timers/promises';
import { type JsMsg } from 'nats';
import { type Registry } from 'prom-client';
import { type DataSource } from 'typeorm';
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import { decodeResult } from './decode.js';
import { persistenceMetrics, type PersistenceMetrics } from './metrics.js';
import { PersistenceErrorCode } from './errors.js';

export interface ResultConsumerOptions {
  client: NatsClient;
  /** Not yet initialised is fine: start() connects and migrates it. */
  dataSource: DataSource;
  logger: LoggerPort;
  registry: Registry;
  /** Rows per insert (PERSIST_BATCH_SIZE). */
  batchSize: number;
  /** How long a partial batch waits for more results (PERSIST_LINGER_MS). */
  lingerMs: number;
  /** Delivered-but-unacked results JetStream allows this consumer (max_ack_pending). */
  maxInFlight: number;
  /** Redelivery timeout of an unacked result, e.g. after a crash (ack_wait). */
  ackWaitMs: number;
  /** Back-off between attempts while PostgreSQL (or NATS at start-up) is unreachable. */
  retry: BackoffPolicy;
}

/** The durable consumer as provisioned: the shared definition with this deployment's in-flight bound and ack wait. */
export function persistenceConsumerDefinition(
  options: Pick<ResultConsumerOptions, 'maxInFlight' | 'ackWaitMs'>,
): DurableConsumerDefinition {
  const base = CONSUMER_DEFINITIONS.persistence(options.maxInFlight);
  return { ...base, config: { ...base.config, ack_wait: seconds(options.ackWaitMs / 1000) } };
}

export class ResultConsumer {
  private readonly store: ResultStore;
  private readonly publisher: JetStreamPublisher;
  private readonly worker: PullWorker<ResultEnvelope>;
  private readonly metrics: PersistenceMetrics;
  private readonly stopping = new AbortController();
  private starting?: Promise<void>;

  constructor(private readonly options: ResultConsumerOptions) {
    this.store = new ResultStore(options.dataSource);
    this.publisher = new JetStreamPublisher(options.client);
    this.metrics = persistenceMetrics(options.registry, () => this.isDatabaseUp());
    this.worker = new PullWorker({
      client: options.client,
      stream: STREAMS.results,
      consumer: CONSUMERS.persistence,
      logger: options.logger,
      decode: (msg) => this.decode(msg),
      handle: (batch) => this.handle(batch),
      batchSize: options.batchSize,
      lingerMs: options.lingerMs,
      // The handler never gives a batch up while the database is down; only stop() hands it back (nak).
      maxDeliver: -1,
      prefetch: Math.min(options.batchSize, options.maxInFlight),
      registry: options.registry,
      provision: () => ensureConsumer(options.client.manager, persistenceConsumerDefinition(options)),
    });
  }

  /** Readiness: PostgreSQL is migrated and answers. */
  isDatabaseUp(): Promise<boolean> {
    return isDatabaseUp(this.options.dataSource);
  }

  /**
   * Connects to PostgreSQL and applies migrations, provisions the durable consumer, then starts pulling. Each step is
   * retried while its peer is unreachable, so the service can start before its database. Resolves once pulling, or
   * early when stop() is called first.
   */
  start(): Promise<void> {
    this.starting ??= this.startOnce();
    return this.starting;
  }

  /** Stops pulling; the batch in hand is stored (or, with PostgreSQL down, handed back to JetStream). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.starting;
    await this.worker.stop();
  }

  private async startOnce(): Promise<void> {
    const { dataSource, client } = this.options;
    const migrated = await this.retryUntilDone('database migration', async () => {
      const applied = await connectAndMigrate(dataSource);
      this.options.logger.info('database ready', { appliedMigrations: applied });
    });
    if (!migrated) return;
    const provisioned = await this.retryUntilDone('consumer provisioning', () =>
      ensureConsumer(client.manager, persistenceConsumerDefinition(this.options)),
    );
    if (!provisioned) return;
    this.worker.start();
    this.options.logger.info('consuming results', { stream: STREAMS.results, consumer: CONSUMERS.persistence });
  }

  /** Runs `action` until it succeeds (true) or stop() is called (false). */
  private async retryUntilDone(what: string, action: () => Promise<unknown>): Promise<boolean> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      try {
        await action();
        return true;
      } catch (err) {
        const retryInMs = backoffDelayMs(attempt, this.options.retry);
        this.options.logger.warn(`${what} failed, retrying`, { ...describeError(err), attempt, retryInMs });
        await this.pause(retryInMs);
      }
    }
    return false;
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  private decode(msg: JsMsg): ResultEnvelope {
    try {
      return decodeResult(msg);
    } catch (err) {
      // The pull worker dead-letters it with this code and the error message as the reason.
      this.metrics.deadLetters.inc({ code: err instanceof SightlineError ? err.code : PersistenceErrorCode.invalidMessage });
      throw err;
    }
  }

  private async handle(batch: Array<Delivery<ResultEnvelope>>): Promise<void> {
    const redelivered = batch.filter(({ msg }) => msg.redelivered).length;
    if (redelivered) this.metrics.redeliveries.inc(redelivered);
    // Keeps ack_wait from expiring while the insert waits for PostgreSQL, which would redeliver the whole batch.
    const keepAlive = setInterval(() => batch.forEach(({ msg }) => msg.working()), Math.max(100, this.options.ackWaitMs / 3));
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.storeBatch(batch);
          if (attempt > 1) this.options.logger.info('database reachable again; batch stored', { attempt, rows: batch.length });
          return;
        } catch (err) {
          this.metrics.insertErrors.inc({ kind: 'unavailable' });
          if (this.stopping.signal.aborted) {
            throw new SightlineError(
              PersistenceErrorCode.dbUnavailable,
              'stopping before the batch was stored; JetStream redelivers it',
              {
                rows: batch.length,
              },
              { cause: err },
            );
          }
          const retryInMs = backoffDelayMs(attempt, this.options.retry);
          this.options.logger.warn('storing results failed; retrying the batch', {
            ...describeError(err),
            attempt,
            retryInMs,
            rows: batch.length,
          });
          await this.pause(retryInMs);
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async storeBatch(batch: Array<Delivery<ResultEnvelope>>): Promise<void> {
    try {
      await this.insert(batch.map(({ item }) => item));
    } catch (err) {
      if (!isRowRejection(err)) throw err;
      this.metrics.insertErrors.inc({ kind: 'rejected' });
      this.options.logger.warn('PostgreSQL refused a batch; storing it row by row to isolate the bad result', {
        ...describeError(err),
        rows: batch.length,
      });
      for (const delivery of batch) {
        try {
          await this.insert([delivery.item]);
        } catch (rowErr) {
          if (!isRowRejection(rowErr)) throw rowErr;
          await this.deadLetter(delivery.msg, rowErr);
        }
      }
    }
  }

  private async insert(results: NewResult[]): Promise<void> {
    const endTimer = this.metrics.commitSeconds.startTimer();
    const outcome = await this.store.insertBatch(results);
    endTimer();
    this.metrics.rows.inc(outcome.inserted);
    this.metrics.duplicates.inc(outcome.duplicates);
  }

  private async deadLetter(msg: JsMsg, err: unknown): Promise<void> {
    const code = PersistenceErrorCode.dbRejected;
    const reason = `PostgreSQL refused the result: ${(err as Error).message} (SQLSTATE ${sqlState(err)})`;
    await publishDeadLetter(this.publisher, buildDeadLetter(msg, CONSUMERS.persistence, code, reason));
    this.metrics.deadLetters.inc({ code });
    this.options.logger.warn('message dead-lettered', { code, reason, subject: msg.subject, seq: msg.info.streamSequence });
  }
}

function describeError(err: unknown): { code: string; error: string } {
  const code =
    err instanceof SightlineError ? err.code : (sqlState(err) ?? (err as { code?: string }).code ?? PersistenceErrorCode.unknown);
  return { code: String(code), error: (err as Error).message ?? String(err) };
}
