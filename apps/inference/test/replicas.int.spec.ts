/**
 * Two replicas of the built inference service (child processes) sharing the durable consumer on a real
 * nats-server: the work is split with every frame analysed exactly once, and when one replica is SIGKILLed
 * mid-stream the frames it held are redelivered to the other.
 */
import { rm } from 'node:fs/promises';
import { CONSUMERS, STREAMS, silentLogger } from '@sightline/contracts';
import { LocalNatsServer, makeTempDir, waitUntil } from '@sightline/local-infra';
import { JetStreamPublisher, NatsClient, ensureStreams } from '@sightline/messaging';
import type { InputFrame } from '@sightline/vision';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  astronautFrame1080p,
  buildInferenceService,
  countResults,
  frameMeta,
  publishFrame,
  readResults,
  startReplica,
  type Replica,
} from './support.js';

const REPLICA_ENV = { INFERENCE_PROVIDER: 'cpu', INFERENCE_PREFETCH: '4' };

describe('two inference replicas sharing one consumer', () => {
  let folder: string;
  let nats: LocalNatsServer;
  let client: NatsClient;
  let publisher: JetStreamPublisher;
  let replicas: Replica[];
  let face: InputFrame;

  beforeAll(async () => {
    [folder, face] = await Promise.all([makeTempDir('inference-replicas'), astronautFrame1080p(), buildInferenceService()]);
    nats = await LocalNatsServer.start({ dataDir: folder });
    client = await NatsClient.connect({ url: nats.url, name: 'inference-replicas', logger: silentLogger });
    publisher = new JetStreamPublisher(client);
    await ensureStreams(client.manager);
    replicas = await Promise.all(['a', 'b'].map((n) => startReplica(`inference-${n}`, { NATS_URL: nats.url, ...REPLICA_ENV })));
  });
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.process.kill()));
    await client?.drain();
    await nats?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  /**
   * Batch (non-live) frames, so none is skipped however long it waits. Like ingest in batch mode, a publish refused
   * because the session's backlog in FRAMES is full waits and retries.
   */
  async function publishFrames(sessions: string[], framesPerSession: number): Promise<void> {
    for (let seq = 0; seq < framesPerSession; seq++) {
      for (const session of sessions) {
        for (;;) {
          try {
            await publishFrame(publisher, frameMeta(face, session, seq, { live: false }), face.pixels);
            break;
          } catch (err) {
            if ((err as { code?: string }).code !== 'STREAM_SUBJECT_FULL') throw err;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      }
    }
  }

  async function expectEveryFrameOnce(sessions: string[], framesPerSession: number): Promise<void> {
    const results = await readResults(client, sessions);
    for (const session of sessions) {
      const seqs = results.filter((r) => r.sessionId === session).map((r) => r.payload.frameSeq);
      expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: framesPerSession }, (_, i) => i));
    }
    expect(results.every((r) => r.payload.detections.length === 1)).toBe(true);
    const consumer = await client.manager.consumers.info(STREAMS.frames, CONSUMERS.inference);
    expect(consumer.num_ack_pending).toBe(0);
    expect((await client.manager.streams.info(STREAMS.frames)).state.messages).toBe(0);
  }

  const analyzedBy = (replica: Replica) => replica.metric('sightline_inference_frames_total', { outcome: 'analyzed' });

  it('splits the frames between the replicas and analyses each exactly once', async () => {
    const sessions = ['split-1', 'split-2', 'split-3'];
    await publishFrames(sessions, 40);
    await waitUntil(async () => (await countResults(client, sessions)) === 120, 'all 120 results', 40_000);
    await expectEveryFrameOnce(sessions, 40);

    const analyzed = await Promise.all(replicas.map(analyzedBy));
    console.info(`frames analysed per replica: ${analyzed.join(' + ')}`);
    // Nothing analysed twice (the sum would exceed the frames), and both replicas took part.
    expect(analyzed[0] + analyzed[1]).toBe(120);
    expect(Math.min(...analyzed)).toBeGreaterThan(0);
    for (const replica of replicas) expect(await replica.metric('sightline_inference_frames_redelivered_total')).toBe(0);
  });

  it('redelivers the frames of a replica killed mid-stream to the other; every frame gets its result', async () => {
    const sessions = ['kill-1', 'kill-2', 'kill-3'];
    const [victim, survivor] = replicas;
    const publishing = publishFrames(sessions, 80);
    await waitUntil(async () => (await countResults(client, sessions)) >= 40, 'first 40 results', 40_000);
    await victim.process.kill();
    await publishing;
    // The victim's unacknowledged frames come back after the consumer's ack wait (5 s).
    await waitUntil(async () => (await countResults(client, sessions)) === 240, 'all 240 results', 50_000);
    await expectEveryFrameOnce(sessions, 80);
    const redelivered = await survivor.metric('sightline_inference_frames_redelivered_total');
    console.info(`frames redelivered to the survivor: ${redelivered}`);
    expect(redelivered).toBeGreaterThan(0);
  });
});
