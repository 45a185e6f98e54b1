/**
 * PostgreSQL stopped for 12 s while results keep flowing → the service stays up, reports not-ready, and afterwards
 * every result is stored exactly once. Messages that can never be stored are dead-lettered with their reason.
 */
import { SUBJECTS } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersistenceHarness, frameResult, metric, until, type ServiceProcess } from './harness.js';

const OUTAGE_MS = 12_000;

describe('persistence through a PostgreSQL outage and bad messages', () => {
  let h: PersistenceHarness;
  let service: ServiceProcess;
  let agentToken: string;

  const health = async () => {
    const res = await fetch(`${service.url}/health`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, { up: boolean }> } };
  };

  beforeAll(async () => {
    h = await PersistenceHarness.start('persist-outage');
    // A 5 s ack wait is shorter than the outage: the batch in hand survives only because the service keeps it alive.
    service = await h.startService({ PERSIST_ACK_WAIT_MS: '5000' });
    agentToken = (await h.signer.sign({ userId: 1, username: 'agent', roles: ['agent'], sessions: '*' }, 600)).token;
  });
  afterAll(async () => {
    await h?.stop(service);
  });

  it('keeps running while PostgreSQL is down, reports not-ready, then stores everything exactly once', async () => {
    const session = 'outage-cam';
    let published = 0;
    let publishing = true;
    await h.publishLifecycle(session, 'sessionStarted', { source: { type: 'rtsp', url: 'rtsp://cam/1' }, live: true }, 0);
    const producer = (async () => {
      while (publishing) {
        await h.publishFrames(session, published, published + 40);
        published += 40;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const rows = () => h.count(`SELECT count(*) FROM analysis_results WHERE session_id = '${session}'`);
    await until(() => rows() > 200, 'results stored before the outage');
    expect((await health()).status).toBe(200);

    await h.pg.stop();
    const stoppedAt = Date.now();
    const publishedAtStop = published;
    await until(async () => (await health()).status === 503, 'readiness to report the database down');
    expect((await health()).body.checks).toMatchObject({ db: { up: false }, nats: { up: true } });
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    expect(await metric(service, 'sightline_persistence_db_up')).toBe(0);
    const query = await fetch(`${service.url}/sessions/${session}/results`, { headers: { authorization: `Bearer ${agentToken}` } });
    expect(query.status).toBe(503);
    expect(await query.json()).toMatchObject({ code: 'DB_UNAVAILABLE' });
    await h.publishLifecycle(session, 'sourceReconnecting', { attempt: 1, delayMs: 1000, reason: 'db drill' }, 1);
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - stoppedAt)));
    expect(service.process.running).toBe(true);
    expect(published).toBeGreaterThan(publishedAtStop);
    expect(await metric(service, 'sightline_persistence_insert_errors_total', 'kind="unavailable"')).toBeGreaterThan(0);

    await h.pg.start();
    const restartedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    publishing = false;
    await producer;
    await h.publishLifecycle(session, 'sessionStopped', { reason: 'done', framesPublished: published, framesDropped: 0 }, 2);

    await until(() => rows() === published + 3, 'every result stored', 60_000);
    const caughtUpMs = Date.now() - restartedAt;
    await until(async () => {
      const state = await h.consumerState();
      return state.pending === 0 && state.ackPending === 0;
    }, 'every result acked');
    expect(rows()).toBe(published + 3);
    expect(
      h.count(
        `SELECT count(DISTINCT payload->>'frameSeq') FROM analysis_results WHERE session_id = '${session}' AND event = 'frameAnalyzed'`,
      ),
    ).toBe(published);
    expect(
      h.pg
        .psql(
          `SELECT event, count(*) FROM analysis_results WHERE session_id = '${session}' AND event <> 'frameAnalyzed' GROUP BY event ORDER BY event`,
        )
        .trim()
        .split('\n'),
    ).toEqual(['sessionStarted|1', 'sessionStopped|1', 'sourceReconnecting|1']);
    expect(h.count(`SELECT frame_count FROM analysis_session_summaries WHERE session_id = '${session}'`)).toBe(published);
    expect(await h.deadLetters()).toEqual([]);
    expect((await health()).status).toBe(200);
    expect(await metric(service, 'sightline_persistence_db_up')).toBe(1);
    console.log(
      `outage ${OUTAGE_MS} ms: ${published - publishedAtStop} results published during it, caught up ${caughtUpMs} ms after restart`,
    );
  });

  it('dead-letters results that can never be stored, with the reason, and keeps consuming', async () => {
    const session = 'bad-cam';
    const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
    const subject = SUBJECTS.result(session, 'frameAnalyzed');
    const oversized = frameResult(session, 100);
    oversized.payload.detections[0]!.label = 'x'.repeat(300_000);
    const withNul = frameResult(session, 7);
    withNul.payload.detections[0]!.label = 'fa\u0000ce';
    const { frameSeq: _dropped, ...payloadWithoutSeq } = frameResult(session, 101).payload;

    await h.publisher.publish(subject, encode('{"sessionId": "bad-cam", "event": '));
    await h.publisher.publish(subject, encode({ sessionId: session, event: 'frameAnalyzed', payload: frameResult(session, 103).payload }));
    await h.publisher.publish(subject, encode({ ...frameResult(session, 101), payload: payloadWithoutSeq }));
    await h.publisher.publish(subject, encode(oversized));
    await h.publisher.publish(SUBJECTS.result('other-cam', 'frameAnalyzed'), encode(frameResult(session, 102)));
    for (const seq of [5, 6]) await h.publish(frameResult(session, seq), seq);
    await h.publish(withNul, 7);
    for (const seq of [8, 9]) await h.publish(frameResult(session, seq), seq);

    await until(async () => (await h.deadLetters()).length === 6, 'six dead letters');
    await until(async () => (await h.consumerState()).ackPending === 0, 'everything acked');
    const letters = await h.deadLetters();
    const reasons = letters.map((l) => `${l.code}: ${l.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(/^INVALID_MESSAGE: result envelope is not valid JSON/),
      expect.stringMatching(/^INVALID_MESSAGE: result envelope invalid: timestamp: /),
      expect.stringMatching(/^INVALID_MESSAGE: result envelope invalid: payload\.frameSeq: /),
      expect.stringMatching(/^MESSAGE_TOO_LARGE: result of \d+ bytes exceeds the 262144-byte limit/),
      expect.stringMatching(/^INVALID_MESSAGE: subject results\.other-cam\.frameAnalyzed does not match the envelope/),
      expect.stringMatching(/^DB_REJECTED: PostgreSQL refused the result: .*\(SQLSTATE 22P05\)/),
    ]);
    expect(letters.every((l) => l.consumer === 'persistence' && l.stream === 'RESULTS')).toBe(true);
    expect(Buffer.from(letters[5]!.dataBase64!, 'base64').toString()).toContain('fa\\u0000ce');
    // The neighbours of the refused result are stored; the service is up and still consuming.
    expect(
      h.pg.psql(`SELECT payload->>'frameSeq' FROM analysis_results WHERE session_id = '${session}' ORDER BY 1`).trim().split('\n'),
    ).toEqual(['5', '6', '8', '9']);
    expect(service.process.running).toBe(true);
    expect((await health()).status).toBe(200);
    expect(await metric(service, 'sightline_persistence_dead_letters_total', 'code="INVALID_MESSAGE"')).toBe(4);
    expect(await metric(service, 'sightline_persistence_dead_letters_total', 'code="DB_REJECTED"')).toBe(1);
    await h.publish(frameResult(session, 10), 10);
    await until(() => h.count(`SELECT count(*) FROM analysis_results WHERE session_id = '${session}'`) === 5, 'a later result stored');
  });

  it('shuts down gracefully with PostgreSQL down, and starts before PostgreSQL is back', async () => {
    const session = 'late-db-cam';
    await h.pg.stop();
    await h.publishFrames(session, 0, 100);
    await until(() => service.lines.some((l) => l.includes('storing results failed')), 'an insert attempt');
    // The batch in hand cannot be stored: a graceful stop hands it back to JetStream (nak) rather than losing it.
    await service.process.stop('SIGTERM', 15_000);
    expect(service.lines.some((l) => l.includes('stopping before the batch was stored; JetStream redelivers it'))).toBe(true);

    service = await h.startService({}, /"service started"/);
    await until(async () => service.lines.some((l) => l.includes('database migration failed, retrying')), 'a migration retry');
    expect(await health()).toMatchObject({ status: 503, body: { checks: { db: { up: false } } } });
    await h.pg.start();
    await service.process.waitForLine(/"consuming results"/, 30_000);
    await until(
      () => h.count(`SELECT count(*) FROM analysis_results WHERE session_id = '${session}'`) === 100,
      'results stored after the restart',
    );
    expect((await health()).status).toBe(200);
  });
});
