import {
  EVENTS,
  STREAMS,
  SUBJECTS,
  makeEnvelope,
  parseJson,
  resultEnvelopeSchema,
  silentLogger,
  type ResultEnvelope,
  type SessionZones,
} from '@sightline/contracts';
import { LocalNatsServer, makeTempDir, waitUntil } from '@sightline/local-infra';
import { JetStreamPublisher, NatsClient, ensureStreams } from '@sightline/messaging';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackingWorker, partitionOf, trackerConsumerName, type TrackingWorkerOptions } from './tracking-worker.js';

const logger = process.env.DEBUG_TEST ? console : silentLogger;
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

// A face walking right, 10 px per frame (centre x = 40 + 10·seq); the zone spans x 305..505: inside from frame 27.
const ZONES: SessionZones = {
  zones: [
    {
      id: 'desk',
      polygon: [
        { x: 305, y: 0 },
        { x: 505, y: 0 },
        { x: 505, y: 400 },
        { x: 305, y: 400 },
      ],
    },
  ],
  lines: [],
};
const ENTERS_AT = 27;
const LEAVES_AT = 47;

function frame(sessionId: string, seq: number, run = 'r1'): ResultEnvelope<'frameAnalyzed'> {
  const captureTime = new Date(T0 + seq * 40);
  return makeEnvelope(
    sessionId,
    EVENTS.frameAnalyzed,
    {
      frameSeq: seq,
      run,
      pts: seq * 0.04,
      captureTime: captureTime.toISOString(),
      source: { width: 1280, height: 720 },
      model: 'test',
      provider: 'cpu',
      batchSize: 1,
      detections: [{ label: 'face', score: 0.92, box: { x: 10 * seq, y: 100, w: 60, h: 60 } }],
      latency: { queueMs: 0, preprocessMs: 0, inferenceMs: 0, postprocessMs: 0, totalMs: 0 },
    },
    captureTime,
  );
}

/** Publishes frames in blocks of four, each block reversed: what out-of-order inference replicas produce. */
async function publishShuffled(publisher: JetStreamPublisher, sessionId: string, seqs: number[]): Promise<void> {
  for (let i = 0; i < seqs.length; i += 4) {
    for (const seq of seqs.slice(i, i + 4).reverse()) {
      const envelope = frame(sessionId, seq);
      await publisher.publishJson(SUBJECTS.result(sessionId, EVENTS.frameAnalyzed), envelope, { msgId: `${sessionId}:${seq}` });
    }
  }
}

async function trackingEvents(client: NatsClient, sessionId: string): Promise<ResultEnvelope[]> {
  const { state } = await client.manager.streams.info(STREAMS.results);
  const out: ResultEnvelope[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const msg = await client.manager.streams.getMessage(STREAMS.results, { seq }).catch(() => undefined);
    if (!msg || !msg.subject.startsWith(`results.${sessionId}.`) || msg.subject.endsWith(EVENTS.frameAnalyzed)) continue;
    out.push(parseJson(resultEnvelopeSchema, msg.data, 'result') as ResultEnvelope);
  }
  return out;
}

const of = (events: ResultEnvelope[], event: string) => events.filter((e) => e.event === event);

describe('tracking worker against a real nats-server', () => {
  let nats: LocalNatsServer;
  let client: NatsClient;
  let publisher: JetStreamPublisher;
  const running: TrackingWorker[] = [];
  const options = (): TrackingWorkerOptions => ({
    client,
    logger,
    registry: new Registry(),
    zonesFor: async () => ZONES,
    reorder: { maxFrames: 32, maxWaitMs: 100 },
    idleMs: 1500,
    zonesRefreshMs: 60_000,
    stateTtlMs: 3600_000,
    maxInFlight: 64,
    partition: 0,
    partitions: 1,
  });
  const start = async (overrides: Partial<TrackingWorkerOptions> = {}) => {
    const worker = await TrackingWorker.start({ ...options(), ...overrides });
    running.push(worker);
    return worker;
  };
  const settled = (consumer = trackerConsumerName(0, 1)) =>
    waitUntil(async () => {
      const info = await client.manager.consumers.info(STREAMS.results, consumer);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, 'tracker consumer caught up');

  beforeAll(async () => {
    nats = await LocalNatsServer.start({ dataDir: await makeTempDir('tracker') });
    client = await NatsClient.connect({ url: nats.url, name: 'test', logger });
    publisher = new JetStreamPublisher(client);
    await ensureStreams(client.manager);
  });
  afterAll(async () => {
    for (const worker of running) await worker.stop();
    await client?.drain();
    await nats?.stop();
  });

  it('tracks a known trajectory from out-of-order frames with a gap: appeared once, zone at the right frames, left once', async () => {
    const worker = await start();
    const sessionId = 'walk-1';
    // Frames 33 and 34 never arrive (dropped upstream): a gap the tracker predicts across.
    const seqs = Array.from({ length: 60 }, (_, i) => i).filter((s) => s !== 33 && s !== 34);
    await publishShuffled(publisher, sessionId, seqs);
    await waitUntil(
      async () => of(await trackingEvents(client, sessionId), EVENTS.objectLeft).length > 0,
      'objectLeft after the session went idle',
    );

    const events = await trackingEvents(client, sessionId);
    const tracked = of(events, EVENTS.frameTracked).map((e) => e.payload as { frameSeq: number; tracks: Array<{ trackId: number }> });
    expect(tracked.map((t) => t.frameSeq)).toEqual(seqs); // every frame once, in order
    expect(new Set(tracked.slice(1).flatMap((t) => t.tracks.map((x) => x.trackId)))).toEqual(new Set([1]));

    expect(of(events, EVENTS.objectAppeared).map((e) => e.payload)).toEqual([
      expect.objectContaining({ trackId: 1, label: 'face', frameSeq: 0, run: 'r1', box: { x: 0, y: 100, w: 60, h: 60 } }),
    ]);
    const entered = of(events, EVENTS.zoneEntered).map((e) => e.payload as { frameSeq: number; zoneId: string });
    expect(entered).toHaveLength(1);
    expect(Math.abs(entered[0]!.frameSeq - ENTERS_AT)).toBeLessThanOrEqual(2);
    const zoneLeft = of(events, EVENTS.zoneLeft).map((e) => e.payload as { frameSeq: number; dwellMs: number });
    expect(zoneLeft).toHaveLength(1);
    expect(Math.abs(zoneLeft[0]!.frameSeq - LEAVES_AT)).toBeLessThanOrEqual(2);
    expect(of(events, EVENTS.objectLeft).map((e) => e.payload)).toEqual([
      expect.objectContaining({
        trackId: 1,
        reason: 'sessionIdle',
        firstSeen: expect.objectContaining({ frameSeq: 0 }),
        lastSeen: expect.objectContaining({ frameSeq: 59 }),
        dwellMs: 59 * 40,
      }),
    ]);
    // Object events come in causal order.
    expect(events.filter((e) => e.event !== EVENTS.frameTracked).map((e) => e.event)).toEqual([
      EVENTS.objectAppeared,
      EVENTS.zoneEntered,
      EVENTS.zoneLeft,
      EVENTS.objectLeft,
    ]);
    await settled();
    await worker.stop();
    running.splice(running.indexOf(worker), 1);
  });

  it('resumes a session from its saved state after a restart: same track, no second appearance', async () => {
    const sessionId = 'walk-2';
    const first = await start();
    await publishShuffled(
      publisher,
      sessionId,
      Array.from({ length: 20 }, (_, i) => i),
    );
    await waitUntil(async () => of(await trackingEvents(client, sessionId), EVENTS.frameTracked).length === 20, 'first 20 frames tracked');
    await settled();
    await first.stop();
    running.splice(running.indexOf(first), 1);

    const second = await start();
    // A redelivered old frame (already tracked) and the rest of the walk.
    await publisher.publishJson(SUBJECTS.result(sessionId, EVENTS.frameAnalyzed), frame(sessionId, 19), { msgId: `${sessionId}:19:again` });
    await publishShuffled(
      publisher,
      sessionId,
      Array.from({ length: 20 }, (_, i) => 20 + i),
    );
    await waitUntil(async () => of(await trackingEvents(client, sessionId), EVENTS.objectLeft).length > 0, 'objectLeft after idle');
    const events = await trackingEvents(client, sessionId);
    expect(of(events, EVENTS.frameTracked).map((e) => (e.payload as { frameSeq: number }).frameSeq)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    expect(of(events, EVENTS.objectAppeared)).toHaveLength(1);
    expect(of(events, EVENTS.objectLeft).map((e) => e.payload)).toEqual([expect.objectContaining({ trackId: 1, frames: 40 })]);
    const lastTracked = of(events, EVENTS.frameTracked).at(-1)!.payload as { tracks: Array<{ trackId: number }> };
    expect(lastTracked.tracks.map((t) => t.trackId)).toEqual([1]);
    await settled();
    await second.stop();
    running.splice(running.indexOf(second), 1);
  });

  it('partitions sessions: a replica tracks only the sessions that hash to it', async () => {
    const sessions = ['p-a', 'p-b', 'p-c', 'p-d', 'p-e', 'p-f'];
    const mine = sessions.filter((s) => partitionOf(s, 2) === 1);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(sessions.length);
    await start({ partition: 1, partitions: 2 });
    for (const s of sessions) await publishShuffled(publisher, s, [0, 1, 2, 3]);
    await settled(trackerConsumerName(1, 2));
    await waitUntil(
      async () =>
        (await Promise.all(mine.map(async (s) => of(await trackingEvents(client, s), EVENTS.frameTracked).length))).every((n) => n === 4),
      'partition tracked',
    );
    for (const s of sessions.filter((x) => !mine.includes(x))) expect(await trackingEvents(client, s)).toEqual([]);
  });
});
