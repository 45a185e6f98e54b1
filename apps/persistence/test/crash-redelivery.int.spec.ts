/**
 * 10,000 results → exactly 10,000 rows, through two forced redeliveries:
 * 1. a consumer on the same durable commits a batch and dies before acking it (deterministic), and
 * 2. the running service is SIGKILLed mid-stream and restarted while results keep arriving.
 */
import { CONSUMERS, STREAMS, silentLogger } from '@sightline/contracts';
import { ResultStore, RESULT_ENTITIES, RESULT_MIGRATIONS, createDataSource } from '@sightline/db';
import { ManagedProcess } from '@sightline/local-infra';
import { NatsClient, ensureConsumer } from '@sightline/messaging';
import { decodeResult, persistenceConsumerDefinition } from '@sightline/persistence-core';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersistenceHarness, metric, until, type ServiceProcess } from './harness.js';

const TOTAL = 10_000;
const SESSION = 'crash-cam';
const ACK_WAIT_MS = 3000;
const serviceEnv = { PERSIST_ACK_WAIT_MS: String(ACK_WAIT_MS), PERSIST_MAX_IN_FLIGHT: '2000' };

describe('persistence survives crashes between commit and ack', () => {
  let h: PersistenceHarness;
  let first: ServiceProcess | undefined;
  let second: ServiceProcess | undefined;
  const rows = () => h.count(`SELECT count(*) FROM analysis_results WHERE session_id = '${SESSION}'`);

  beforeAll(async () => {
    h = await PersistenceHarness.start('persist-crash');
  });
  afterAll(async () => {
    await h?.stop(first, second);
  });

  it('stores every result exactly once', async () => {
    // The documented migration command creates the schema.
    const migrate = new ManagedProcess(process.execPath, [join(resolve(import.meta.dirname, '..'), 'dist/migrate.js')], {
      name: 'migrate',
      env: { PATH: process.env.PATH, DATABASE_URL: h.pg.url },
    }).start();
    expect(await migrate.waitForExit()).toBe(0);
    expect(migrate.outputTail).toContain('CreateAnalysisResults');

    await h.publishFrames(SESSION, 0, 2000);

    // A consumer takes 1,000 results from the durable, commits them, and dies before acking.
    await ensureConsumer(h.client.manager, persistenceConsumerDefinition({ maxInFlight: 2000, ackWaitMs: ACK_WAIT_MS }));
    const doomed = await NatsClient.connect({ url: h.nats.url, name: 'doomed', logger: silentLogger });
    const dataSource = createDataSource({ url: h.pg.url, entities: RESULT_ENTITIES, migrations: RESULT_MIGRATIONS });
    await dataSource.initialize();
    const fetched = await (await doomed.jetstream.consumers.get(STREAMS.results, CONSUMERS.persistence)).fetch({ max_messages: 1000 });
    const taken = [];
    for await (const msg of fetched) taken.push(decodeResult(msg));
    expect(taken).toHaveLength(1000);
    expect(await new ResultStore(dataSource).insertBatch(taken)).toEqual({ inserted: 1000, duplicates: 0 });
    await dataSource.destroy();
    await doomed.connection.close();
    expect(rows()).toBe(1000);

    // The service gets the other 1,000 at once and, after ack_wait, the 1,000 committed-but-unacked ones again.
    first = await h.startService(serviceEnv);
    await until(() => rows() === 2000, 'the first 2,000 results');
    await until(async () => (await metric(first!, 'sightline_persistence_duplicate_rows_total')) >= 1000, 'redelivered results skipped');
    expect(await metric(first, 'sightline_persistence_redeliveries_total')).toBeGreaterThanOrEqual(1000);
    expect(rows()).toBe(2000);

    // Results keep flowing; the service is killed mid-stream and restarted while they do.
    const publishing = (async () => {
      for (let from = 2000; from < TOTAL; from += 500) {
        await h.publishFrames(SESSION, from, from + 500);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await until(() => rows() >= 4000, 'results flowing');
    await first.process.kill();
    const rowsAtKill = rows();
    expect(rowsAtKill).toBeLessThan(TOTAL);
    second = await h.startService(serviceEnv);
    await publishing;

    await until(() => rows() >= TOTAL, 'all results stored', 60_000);
    await until(async () => {
      const state = await h.consumerState();
      return state.pending === 0 && state.ackPending === 0;
    }, 'every result acked');
    expect(rows()).toBe(TOTAL);
    expect(h.count(`SELECT count(DISTINCT payload->>'frameSeq') FROM analysis_results WHERE session_id = '${SESSION}'`)).toBe(TOTAL);
    expect(h.pg.psql(`SELECT frame_count, detection_count FROM analysis_session_summaries WHERE session_id = '${SESSION}'`).trim()).toBe(
      `${TOTAL}|${TOTAL}`,
    );
    expect(await h.deadLetters()).toEqual([]);
    console.log(
      `rows at kill ${rowsAtKill}; after restart: redeliveries ${await metric(second, 'sightline_persistence_redeliveries_total')}, ` +
        `duplicates skipped ${await metric(second, 'sightline_persistence_duplicate_rows_total')}`,
    );
  });
});
