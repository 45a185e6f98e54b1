import { makeEnvelope, type ResultEnvelope } from '@sightline/contracts';
import { frameAnalyzedResult } from '@sightline/contracts/testing';
import { LocalPostgres, freePort, makeTempDir } from '@sightline/local-infra';
import { rmSync } from 'node:fs';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAndMigrate, createDataSource } from '../data-source.js';
import { RESULT_ENTITIES, RESULT_MIGRATIONS } from './index.js';
import { type StoredResult } from '@sightline/contracts';
import { findSessionResults, findSessionSummary, listSessionSummaries } from './queries.js';
import { ResultStore, isRowRejection } from './result-store.js';
import { deleteSessionZones, findSessionZones, saveSessionZones } from './zones.js';

/** The DDL of requirements §7.1/§7.2, verbatim: the migrated table must be indistinguishable from this. */
const SPEC_DDL = `
CREATE TABLE analysis_results (
  id          SERIAL PRIMARY KEY,
  session_id  VARCHAR(64) NOT NULL,
  timestamp   TIMESTAMPTZ NOT NULL,
  event       VARCHAR(32) NOT NULL,
  payload     JSONB        NOT NULL
);
CREATE INDEX ON analysis_results (session_id);
CREATE INDEX ON analysis_results (timestamp);`;

const T0 = Date.parse('2025-06-26T15:04:05Z');

function frame(sessionId: string, seq: number, detections = 1, at = new Date(T0 + seq * 10)): ResultEnvelope {
  return frameAnalyzedResult(sessionId, seq, { detections, captureTime: at });
}

describe('analysis_results on a real PostgreSQL', () => {
  let dir: string;
  let pg: LocalPostgres;
  let ds: DataSource;
  let store: ResultStore;

  const count = (sql: string) => Number(pg.psql(sql).trim());

  beforeAll(async () => {
    dir = await makeTempDir('results-db');
    pg = await LocalPostgres.start({ dataDir: dir, ephemeral: true });
    ds = createDataSource({ url: pg.url, entities: RESULT_ENTITIES, migrations: RESULT_MIGRATIONS });
    await connectAndMigrate(ds);
    store = new ResultStore(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates to exactly the specification’s columns and indexes (plus the idempotency and paging indexes)', async () => {
    pg.psql(`CREATE SCHEMA spec; SET search_path TO spec; ${SPEC_DDL}`);
    const columns = (schema: string) =>
      pg
        .psql(
          `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
               FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'analysis_results'
               ORDER BY ordinal_position`,
        )
        .replaceAll(`${schema}.`, '');
    const indexes = (schema: string) =>
      pg
        .psql(
          `SELECT indexname || ' ' || indexdef FROM pg_indexes
               WHERE schemaname = '${schema}' AND tablename = 'analysis_results' ORDER BY indexname`,
        )
        .replaceAll(`${schema}.`, '')
        .trim()
        .split('\n');

    expect(columns('public')).toBe(columns('spec'));
    expect(columns('public')).toContain('session_id|character varying|64|NO|');
    const specIndexes = indexes('spec');
    expect(specIndexes).toHaveLength(3);
    const extra = indexes('public').filter((i) => !specIndexes.includes(i));
    expect(indexes('public')).toEqual(expect.arrayContaining(specIndexes));
    expect(extra.map((i) => i.split(' ')[0])).toEqual([
      'analysis_results_frame_key',
      'analysis_results_lifecycle_key',
      'analysis_results_session_page_idx',
    ]);
    expect(extra.filter((i) => i.includes('UNIQUE'))).toHaveLength(2);
    // Running the migrations again is a no-op.
    expect(await connectAndMigrate(ds)).toEqual([]);
  });

  it('migrates with a pool configured to one connection (the advisory lock holds one of its own)', async () => {
    const single = createDataSource({ url: pg.url, entities: RESULT_ENTITIES, migrations: RESULT_MIGRATIONS, poolSize: 1 });
    try {
      expect(await connectAndMigrate(single)).toEqual([]);
    } finally {
      await single.destroy();
    }
  });

  it('stores a batch once: redelivered frames and lifecycle events are skipped, summaries count only new rows', async () => {
    const started = makeEnvelope('cam-a', 'sessionStarted', { source: { type: 'file', url: '/x.mp4' }, live: false }, new Date(T0 - 1000));
    const batch = [started, frame('cam-a', 0, 2), frame('cam-a', 1, 0), frame('cam-b', 0, 1), frame('cam-a', 1, 0)];
    expect(await store.insertBatch(batch)).toEqual({ inserted: 4, duplicates: 1 });
    // The same results again, plus a re-inferred frame 0 (new timestamp and detections): nothing new but frame 2.
    const reinferred = frame('cam-a', 0, 5, new Date(T0 + 99_999));
    expect(await store.insertBatch([started, reinferred, frame('cam-a', 2, 3)])).toEqual({ inserted: 1, duplicates: 2 });
    // A second sessionStarted at another time is another event, not a duplicate.
    const restarted = { ...started, timestamp: new Date(T0 + 500).toISOString() };
    expect(await store.insertBatch([restarted])).toEqual({ inserted: 1, duplicates: 0 });

    expect(count(`SELECT count(*) FROM analysis_results WHERE session_id = 'cam-a'`)).toBe(5);
    expect(
      pg
        .psql(
          `SELECT jsonb_array_length(payload->'detections') FROM analysis_results
                    WHERE session_id = 'cam-a' AND payload->>'frameSeq' = '0'`,
        )
        .trim(),
    ).toBe('2');
    expect(await findSessionSummary(ds, 'cam-a')).toEqual({
      sessionId: 'cam-a',
      firstTimestamp: new Date(T0 - 1000).toISOString(),
      lastTimestamp: restarted.timestamp,
      resultCount: 5,
      frameCount: 3,
      detectionCount: 5,
    });
    expect(await findSessionSummary(ds, 'cam-b')).toMatchObject({ resultCount: 1, frameCount: 1, detectionCount: 1 });
    expect(await findSessionSummary(ds, 'nobody')).toBeNull();
  });

  it('keeps the frames of a restarted session (same id, frameSeq from 0 again, a new run) apart from the first run', async () => {
    const inRun = (run: string, seq: number) => {
      const envelope = frame('cam-restarted', seq);
      return { ...envelope, payload: { ...envelope.payload, run } } as ResultEnvelope;
    };
    expect(await store.insertBatch([0, 1, 2].map((seq) => inRun('run1', seq)))).toEqual({ inserted: 3, duplicates: 0 });
    // After an ingest restart: the same frameSeqs in a new run are new frames; a redelivery within a run is not.
    expect(await store.insertBatch([inRun('run2', 0), inRun('run2', 1), inRun('run2', 1)])).toEqual({ inserted: 2, duplicates: 1 });
    expect(await store.insertBatch([inRun('run1', 2)])).toEqual({ inserted: 0, duplicates: 1 });
    expect(count(`SELECT count(*) FROM analysis_results WHERE session_id = 'cam-restarted'`)).toBe(5);
  });

  it('rolls back a batch PostgreSQL refuses and classifies that as a row rejection, unlike an outage', async () => {
    const poisoned = frame('cam-nul', 0);
    (poisoned.payload as { detections: Array<{ label: string }> }).detections[0]!.label = 'fa\u0000ce';
    const before = count('SELECT count(*) FROM analysis_results');
    const rejection = await store.insertBatch([frame('cam-nul', 1), poisoned]).catch((err: unknown) => err);
    expect(isRowRejection(rejection)).toBe(true);
    expect(count('SELECT count(*) FROM analysis_results')).toBe(before);
    expect(await findSessionSummary(ds, 'cam-nul')).toBeNull();

    const nowhere = createDataSource({ url: `postgres://sightline@127.0.0.1:${await freePort()}/sightline`, entities: [], migrations: [] });
    const outage = await nowhere.initialize().catch((err: unknown) => err);
    expect(outage).toBeInstanceOf(Error);
    expect(isRowRejection(outage)).toBe(false);
  });

  it('pages through a session completely and stably while results keep arriving', async () => {
    const session = 'cam-page';
    await store.insertBatch(Array.from({ length: 1050 }, (_, i) => frame(session, i)));
    await store.insertBatch(Array.from({ length: 50 }, (_, i) => frame('cam-other', i)));
    const seen: StoredResult[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await findSessionResults(ds, { sessionId: session, limit: 100, cursor });
      // Re-reading the same cursor returns the same page.
      expect((await findSessionResults(ds, { sessionId: session, limit: 100, cursor })).results).toEqual(page.results);
      seen.push(...page.results);
      cursor = page.nextCursor ?? undefined;
      // Results arriving mid-pagination are appended after what was already paged.
      if (++pages === 3) await store.insertBatch(Array.from({ length: 30 }, (_, i) => frame(session, 2000 + i)));
    } while (cursor);
    expect(seen).toHaveLength(1080);
    expect(new Set(seen.map((r) => r.id)).size).toBe(1080);
    expect(seen.map((r) => r.id)).toEqual([...seen.map((r) => r.id)].sort((a, b) => a - b));
    expect(seen.every((r) => r.sessionId === session && r.event === 'frameAnalyzed')).toBe(true);
    expect(seen[0]).toMatchObject({ timestamp: new Date(T0).toISOString(), payload: { frameSeq: 0 } });
  });

  it('filters by time range and event', async () => {
    const from = new Date(T0 + 100 * 10);
    const to = new Date(T0 + 200 * 10);
    const page = await findSessionResults(ds, { sessionId: 'cam-page', from, to, limit: 1000 });
    expect(page.results.map((r) => r.payload.frameSeq)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
    expect(page.nextCursor).toBeNull();
    const started = await findSessionResults(ds, { sessionId: 'cam-a', event: 'sessionStarted' });
    expect(started.results).toHaveLength(2);
  });

  it('lists session summaries with keyset pagination', async () => {
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listSessionSummaries(ds, { limit: 2, cursor });
      all.push(...page.sessions.map((s) => s.sessionId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(all).toEqual(['cam-a', 'cam-b', 'cam-other', 'cam-page', 'cam-restarted']);
    expect((await listSessionSummaries(ds)).sessions.find((s) => s.sessionId === 'cam-page')).toMatchObject({ frameCount: 1080 });
  });

  it('treats injection attempts as plain values and refuses forged cursors and limits', async () => {
    const tables = () => pg.psql(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'analysis_%'`).trim();
    expect(tables()).toBe('2');
    const hostile = [`cam-a' OR '1'='1`, `cam-a'; DROP TABLE analysis_results; --`, `%`, `cam-a\\`];
    for (const value of hostile) {
      expect((await findSessionResults(ds, { sessionId: value })).results).toEqual([]);
      expect((await findSessionResults(ds, { sessionId: 'cam-a', event: value })).results).toEqual([]);
      expect(await findSessionSummary(ds, value)).toBeNull();
    }
    expect(tables()).toBe('2');
    expect(count('SELECT count(*) FROM analysis_results')).toBeGreaterThan(1000);

    const sessionsCursor = (await listSessionSummaries(ds, { limit: 1 })).nextCursor!;
    const forged = [
      sessionsCursor,
      Buffer.from(`r:1 OR 1=1`).toString('base64url'),
      Buffer.from('r:99999999999').toString('base64url'),
      'not a cursor!',
    ];
    for (const cursor of forged) {
      await expect(findSessionResults(ds, { sessionId: 'cam-a', cursor })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    }
    await expect(listSessionSummaries(ds, { cursor: Buffer.from(`s:x' OR 'a'='a`).toString('base64url') })).rejects.toMatchObject({
      code: 'INVALID_CURSOR',
    });
    await expect(findSessionResults(ds, { sessionId: 'cam-a', limit: 1001 })).rejects.toMatchObject({ code: 'INVALID_LIMIT' });
  });

  it('stores tracker events once, however often they are delivered', async () => {
    const at = new Date(T0 + 5000);
    const appeared = makeEnvelope(
      'cam-track',
      'objectAppeared',
      { trackId: 1, label: 'face', frameSeq: 3, at: at.toISOString(), box: { x: 1, y: 2, w: 3, h: 4 }, score: 0.9 },
      at,
    );
    const tracked = makeEnvelope(
      'cam-track',
      'frameTracked',
      {
        frameSeq: 4,
        pts: 0.1,
        captureTime: at.toISOString(),
        tracks: [{ trackId: 1, detection: 0, label: 'face', score: 0.9, box: { x: 1, y: 2, w: 3, h: 4 } }],
      },
      at,
    );
    const rows = [appeared, tracked].map((e) => ({ ...e }));
    expect(await store.insertBatch(rows)).toEqual({ inserted: 2, duplicates: 0 });
    expect(await store.insertBatch(rows)).toEqual({ inserted: 0, duplicates: 2 });
    expect((await findSessionResults(ds, { sessionId: 'cam-track', event: 'objectAppeared' })).results.map((r) => r.payload)).toEqual([
      appeared.payload,
    ]);
  });

  it('keeps one validated zone configuration per session', async () => {
    const zones = {
      zones: [
        {
          id: 'door',
          polygon: [
            { x: 0, y: 0 },
            { x: 10, y: 0 },
            { x: 10, y: 10 },
          ],
        },
      ],
      lines: [{ id: 'gate', a: { x: 0, y: 5 }, b: { x: 10, y: 5 } }],
    };
    expect(await findSessionZones(ds, 'cam-z')).toBeUndefined();
    const saved = await saveSessionZones(ds, 'cam-z', zones);
    expect(saved).toMatchObject({ sessionId: 'cam-z', ...zones });
    const replaced = await saveSessionZones(ds, 'cam-z', { zones: [], lines: zones.lines });
    expect(await findSessionZones(ds, 'cam-z')).toEqual(replaced);
    await expect(
      saveSessionZones(ds, 'cam-z', {
        zones: [
          {
            id: 'x',
            polygon: [
              { x: 0, y: 0 },
              { x: 1, y: 1 },
            ],
          },
        ],
        lines: [],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    expect(await findSessionZones(ds, 'cam-z')).toEqual(replaced);
    expect(await deleteSessionZones(ds, 'cam-z')).toBe(true);
    expect(await deleteSessionZones(ds, 'cam-z')).toBe(false);
    expect(await findSessionZones(ds, 'cam-z')).toBeUndefined();
  });

  it('stores the zones a sessionStarted carries as the session zones; a start without zones or a redelivery leaves them', async () => {
    const source = { type: 'file' as const, url: '/x.mp4' };
    const zones = {
      zones: [
        {
          id: 'door',
          polygon: [
            { x: 0, y: 0 },
            { x: 100, y: 0 },
            { x: 100, y: 80 },
          ],
        },
      ],
      lines: [],
    };
    const first = makeEnvelope('cam-zs', 'sessionStarted', { source, live: true, zones }, new Date(T0));
    expect(await store.insertBatch([{ ...first }])).toEqual({ inserted: 1, duplicates: 0 });
    expect(await findSessionZones(ds, 'cam-zs')).toMatchObject({ sessionId: 'cam-zs', ...zones });

    // Changed through the API afterwards; the first start's event delivered again does not undo that.
    const edited = { zones: [], lines: [{ id: 'gate', a: { x: 0, y: 5 }, b: { x: 10, y: 5 } }] };
    await saveSessionZones(ds, 'cam-zs', edited);
    expect(await store.insertBatch([{ ...first }])).toEqual({ inserted: 0, duplicates: 1 });
    // A restart without zones keeps them.
    expect(await store.insertBatch([{ ...makeEnvelope('cam-zs', 'sessionStarted', { source, live: true }, new Date(T0 + 1000)) }])).toEqual(
      { inserted: 1, duplicates: 0 },
    );
    expect(await findSessionZones(ds, 'cam-zs')).toMatchObject(edited);
    // A restart with zones replaces them; other sessions of the batch are unaffected.
    const restart = makeEnvelope('cam-zs', 'sessionStarted', { source, live: true, zones }, new Date(T0 + 2000));
    const other = makeEnvelope('cam-other', 'sessionStarted', { source, live: true }, new Date(T0 + 2000));
    expect(await store.insertBatch([{ ...restart }, { ...other }])).toEqual({ inserted: 2, duplicates: 0 });
    expect(await findSessionZones(ds, 'cam-zs')).toMatchObject(zones);
    expect(await findSessionZones(ds, 'cam-other')).toBeUndefined();
  });
});
