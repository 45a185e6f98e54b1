/**
 * The inference worker in-process against a real nats-server and the real ONNX Runtime: micro-batching across
 * sessions with a dynamic-batch model (a small YOLO-format graph generated here), and frames never acknowledged
 * before their results are stored.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CONSUMERS,
  HEADERS,
  MESSAGE_IDS,
  STREAMS,
  SUBJECTS,
  deadLetterSchema,
  parseJson,
  resultEnvelopeSchema,
  silentLogger,
  type FrameMeta,
  type ResultEnvelope,
} from '@sightline/contracts';
import { LocalNatsServer, makeTempDir, waitUntil } from '@sightline/local-infra';
import { JetStreamPublisher, NatsClient, ensureStreams } from '@sightline/messaging';
import { Detector, loadManifestFile } from '@sightline/vision';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxModel } from '@sightline/vision/testing';
import { InferenceWorker } from './inference-worker.js';

const logger = process.env.DEBUG_TEST ? console : silentLogger;

/** 20x20 NCHW input reshaped into the YOLO output [batch, 4 + 1 class, 240 boxes]: black frames detect nothing. */
const SIZE = 20;
const dynamicBatchModel = buildOnnxModel({
  inputs: { images: ['batch', 3, SIZE, SIZE] },
  outputs: { output0: ['batch', 5, (3 * SIZE * SIZE) / 5] },
  nodes: [{ op: 'Reshape', inputs: ['images', 'rows_shape'], outputs: ['output0'] }],
  int64Constants: { rows_shape: { dims: [3], values: [0, 5, -1] } },
});

describe('InferenceWorker against a real nats-server', () => {
  let folder: string;
  let nats: LocalNatsServer;
  let client: NatsClient;
  let publisher: JetStreamPublisher;
  let detector: Detector;

  beforeAll(async () => {
    folder = await makeTempDir('inference-worker');
    await writeFile(join(folder, 'model.onnx'), dynamicBatchModel);
    await writeFile(
      join(folder, 'model.json'),
      JSON.stringify({
        id: 'dynamic-test',
        file: 'model.onnx',
        input: { name: 'images', width: SIZE, height: SIZE },
        decoder: { kind: 'yolo' },
        labels: ['thing'],
        maxBatch: 16,
      }),
    );
    detector = await Detector.create({ manifest: await loadManifestFile(join(folder, 'model.json')), provider: 'cpu' });
    nats = await LocalNatsServer.start({ dataDir: join(folder, 'nats') });
    client = await NatsClient.connect({ url: nats.url, name: 'inference-worker-test', logger });
    publisher = new JetStreamPublisher(client);
    await ensureStreams(client.manager);
  });
  afterAll(async () => {
    await client?.drain();
    await nats?.stop();
    await detector?.release();
    await rm(folder, { recursive: true, force: true });
  });

  const startWorker = (maxBatch: number, lingerMs: number) =>
    InferenceWorker.start({
      client,
      detector,
      logger,
      registry: new Registry(),
      maxBatch,
      lingerMs,
      maxInFlight: 64,
      prefetch: 16,
      frameDeadlineMs: 500,
    });

  async function publishFrame(sessionId: string, seq: number): Promise<void> {
    const meta: FrameMeta = {
      sessionId,
      seq,
      pts: seq / 60,
      captureTime: Date.now(),
      publishedAt: Date.now(),
      live: false,
      source: { width: SIZE, height: SIZE },
      frame: { width: SIZE, height: SIZE, pixelFormat: 'rgb24' },
      letterbox: { scale: 1, padX: 0, padY: 0 },
    };
    await publisher.publish(SUBJECTS.frame(sessionId), new Uint8Array(SIZE * SIZE * 3), {
      msgId: MESSAGE_IDS.frame(sessionId, seq),
      headers: { [HEADERS.frameMeta]: JSON.stringify(meta) },
    });
  }

  async function resultsOf(sessionId: string): Promise<Array<ResultEnvelope<'frameAnalyzed'>>> {
    const { state } = await client.manager.streams.info(STREAMS.results);
    const results: Array<ResultEnvelope<'frameAnalyzed'>> = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const message = await client.manager.streams.getMessage(STREAMS.results, { seq });
      if (message.subject !== SUBJECTS.result(sessionId, 'frameAnalyzed')) continue;
      results.push(parseJson(resultEnvelopeSchema, message.data, 'result') as ResultEnvelope<'frameAnalyzed'>);
    }
    return results;
  }

  it('micro-batches frames of several sessions into one inference run, up to the configured batch', async () => {
    // Interleaved sessions, queued before the worker starts: it takes 4, runs them together, then the last 2.
    for (let seq = 0; seq < 3; seq++) {
      await publishFrame('batch-a', seq);
      await publishFrame('batch-b', seq);
    }
    const worker = await startWorker(4, 500);
    expect(worker.batchSize).toBe(4);
    try {
      await waitUntil(async () => (await resultsOf('batch-a')).length + (await resultsOf('batch-b')).length === 6, 'six results', 20_000);
    } finally {
      await worker.stop();
    }
    const batchSizes = async (sessionId: string) =>
      (await resultsOf(sessionId)).map((r) => [r.payload.frameSeq, r.payload.batchSize, r.payload.model]);
    expect(await batchSizes('batch-a')).toEqual([
      [0, 4, 'dynamic-test'],
      [1, 4, 'dynamic-test'],
      [2, 2, 'dynamic-test'],
    ]);
    expect(await batchSizes('batch-b')).toEqual([
      [0, 4, 'dynamic-test'],
      [1, 4, 'dynamic-test'],
      [2, 2, 'dynamic-test'],
    ]);
    const consumer = await client.manager.consumers.info(STREAMS.frames, CONSUMERS.inference);
    expect(consumer.num_ack_pending).toBe(0);
    expect(consumer.num_pending).toBe(0);
  });

  it('never acknowledges a frame whose result could not be stored: retried, then dead-lettered', async () => {
    await client.manager.streams.delete(STREAMS.results);
    const worker = await startWorker(1, 0);
    try {
      await publishFrame('no-results', 1);
      await waitUntil(async () => (await client.manager.streams.info(STREAMS.deadLetters)).state.messages > 0, 'a dead letter', 20_000);
    } finally {
      await worker.stop();
    }
    const { state } = await client.manager.streams.info(STREAMS.deadLetters);
    const letter = parseJson(
      deadLetterSchema,
      (await client.manager.streams.getMessage(STREAMS.deadLetters, { seq: state.last_seq })).data,
      'dead letter',
    );
    // Three deliveries (the consumer's max_deliver), each failing to publish: never acknowledged as done.
    expect(letter).toMatchObject({ subject: 'frames.no-results', deliveries: 3, code: expect.stringMatching(/^PUBLISH_/) });

    await ensureStreams(client.manager);
    const again = await startWorker(1, 0);
    try {
      await publishFrame('no-results', 2);
      await waitUntil(async () => (await resultsOf('no-results')).length === 1, 'the result', 20_000);
    } finally {
      await again.stop();
    }
    expect((await resultsOf('no-results'))[0].payload.frameSeq).toBe(2);
  });
});
