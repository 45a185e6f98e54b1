/**
 * The built inference service (one replica, a child process) against a real nats-server, with frames letterboxed by
 * real FFmpeg: CUDA fallback, the face in 1080p coordinates, stale-frame skipping, dead letters, graceful stop.
 */
import { rm } from 'node:fs/promises';
import { CONSUMERS, HEADERS, STREAMS, SUBJECTS, silentLogger } from '@sightline/contracts';
import { LocalNatsServer, makeTempDir, waitUntil } from '@sightline/local-infra';
import { JetStreamPublisher, NatsClient, ensureStreams } from '@sightline/messaging';
import { DEFAULT_MODEL_ID, type InputFrame } from '@sightline/vision';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FACE_IN_SOURCE,
  astronautFrame1080p,
  buildInferenceService,
  countResults,
  frameMeta,
  publishFrame,
  readDeadLetters,
  readResults,
  startReplica,
  type Replica,
} from './support.js';

const DEADLINE_MS = 5000;

describe('inference service, one replica', () => {
  let folder: string;
  let nats: LocalNatsServer;
  let client: NatsClient;
  let publisher: JetStreamPublisher;
  let replica: Replica;
  let face: InputFrame;

  beforeAll(async () => {
    [folder, face] = await Promise.all([makeTempDir('inference-e2e'), astronautFrame1080p(), buildInferenceService()]);
    nats = await LocalNatsServer.start({ dataDir: folder });
    client = await NatsClient.connect({ url: nats.url, name: 'inference-e2e', logger: silentLogger });
    publisher = new JetStreamPublisher(client);
    await ensureStreams(client.manager);
    // This workspace installs onnxruntime-node without its CUDA providers (.npmrc), so CUDA cannot load here.
    // A deadline far above this shared test machine's worst delays: only the deliberately stale frames are skipped.
    replica = await startReplica('inference', {
      NATS_URL: nats.url,
      INFERENCE_PROVIDER: 'cuda',
      INFERENCE_FRAME_DEADLINE_MS: String(DEADLINE_MS),
    });
  });
  afterAll(async () => {
    await replica?.process.kill();
    await client?.drain();
    await nats?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('falls back from CUDA to the CPU with one warning, and reports the provider in use', async () => {
    const warnings = replica.logs.filter((l) => l.code === 'CUDA_UNAVAILABLE');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', requestedProvider: 'cuda' });
    expect(warnings[0].message).toMatch(/CUDA execution provider unavailable, running on CPU/);
    expect(await replica.metric('sightline_inference_provider_info', { provider: 'cpu', model: DEFAULT_MODEL_ID })).toBe(1);

    const health = await fetch(`${replica.baseUrl}/health/ready`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ checks: { nats: { up: true }, model: { up: true } } });
  });

  it('publishes one frameAnalyzed per frame with the face box in 1080p source pixels', async () => {
    const session = 'cam-face';
    for (let seq = 0; seq < 3; seq++) await publishFrame(publisher, frameMeta(face, session, seq), face.pixels);
    await waitUntil(async () => (await countResults(client, [session])) === 3, 'three results', 30_000);

    const results = await readResults(client, [session]);
    expect(results.map((r) => r.payload.frameSeq)).toEqual([0, 1, 2]);
    for (const { payload, timestamp } of results) {
      expect(payload).toMatchObject({
        source: { width: 1920, height: 1080 },
        model: DEFAULT_MODEL_ID,
        provider: 'cpu',
        batchSize: 1,
      });
      expect(payload.detections).toHaveLength(1);
      const [detection] = payload.detections;
      expect(detection.label).toBe('face');
      expect(detection.score).toBeGreaterThan(0.5);
      const { x, y, w, h } = detection.box;
      const slack = 0.05 * 512;
      expect(x).toBeGreaterThan(FACE_IN_SOURCE.x0 - slack);
      expect(x + w).toBeLessThan(FACE_IN_SOURCE.x1 + slack);
      expect(y).toBeGreaterThan(FACE_IN_SOURCE.y0 - slack);
      expect(y + h).toBeLessThan(FACE_IN_SOURCE.y1 + slack);
      expect(w).toBeGreaterThan(0.5 * (FACE_IN_SOURCE.x1 - FACE_IN_SOURCE.x0));
      expect(detection.keypoints).toHaveLength(6);
      expect(payload.latency.decodeMs).toBe(3);
      expect(payload.latency.inferenceMs).toBeGreaterThan(0);
      // Capture was 20 ms before publishing; the result is stamped at analysis time.
      expect(payload.latency.totalMs).toBeGreaterThanOrEqual(20);
      expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(Date.parse(payload.captureTime) + 20);
    }
  });

  it('skips and counts live frames past the deadline; old batch (non-live) frames are still analysed', async () => {
    const session = 'cam-stale';
    const skippedBefore = await replica.metric('sightline_inference_frames_total', { outcome: 'skipped_stale' });
    const longAgo = Date.now() - 10 * DEADLINE_MS;
    for (let seq = 0; seq < 4; seq++) {
      await publishFrame(publisher, frameMeta(face, session, seq, { captureTime: longAgo }), face.pixels);
    }
    for (let seq = 4; seq < 6; seq++) {
      await publishFrame(publisher, frameMeta(face, session, seq, { captureTime: longAgo, live: false }), face.pixels);
    }
    await publishFrame(publisher, frameMeta(face, session, 6), face.pixels);
    await waitUntil(async () => (await countResults(client, [session])) === 3, 'results of the fresh frames', 30_000);
    await waitUntil(
      async () => (await client.manager.consumers.info(STREAMS.frames, CONSUMERS.inference)).num_ack_pending === 0,
      'every frame acknowledged',
      10_000,
    );

    expect((await readResults(client, [session])).map((r) => r.payload.frameSeq)).toEqual([4, 5, 6]);
    expect(await replica.metric('sightline_inference_frames_total', { outcome: 'skipped_stale' })).toBe(skippedBefore + 4);
    expect((await client.manager.streams.info(STREAMS.frames)).state.messages).toBe(0);
  });

  it('dead-letters malformed frames with the reason and keeps analysing', async () => {
    const session = 'cam-bad';
    const meta = (seq: number) => frameMeta(face, session, seq);
    await publishFrame(publisher, meta(0), face.pixels, '{"sessionId": "cam-bad", "seq":');
    await publishFrame(publisher, meta(1), face.pixels.subarray(0, face.pixels.length - 3));
    const small = { ...meta(2), frame: { width: 128, height: 128, pixelFormat: 'rgb24' as const } };
    await publishFrame(publisher, small, new Uint8Array(128 * 128 * 3));
    await publishFrame(publisher, meta(3), face.pixels);
    await waitUntil(async () => (await countResults(client, [session])) === 1, 'result of the good frame', 30_000);

    const letters = await readDeadLetters(client, SUBJECTS.frame(session));
    const seqOf = (header = '') => (header.endsWith('}') ? (JSON.parse(header) as { seq: number }).seq : 'unparsable');
    expect(letters.map((l) => [seqOf(l.headers[HEADERS.frameMeta]), l.code])).toEqual([
      ['unparsable', 'INVALID_MESSAGE'],
      [1, 'FRAME_LENGTH_MISMATCH'],
      [2, 'FRAME_SIZE_MISMATCH'],
    ]);
    expect(letters[1].reason).toContain('needs 196608');
    expect(letters[2].reason).toContain('the model input is 256x256');
    expect((await readResults(client, [session])).map((r) => r.payload.frameSeq)).toEqual([3]);
    expect(replica.process.running).toBe(true);
  });

  it('stops gracefully on SIGTERM: finishes its work and frees the model', async () => {
    await replica.process.stop('SIGTERM');
    expect(replica.logs.some((l) => l.message === 'inference stopped')).toBe(true);
    expect(replica.logs.filter((l) => l.level === 'error')).toEqual([]);
  });
});
