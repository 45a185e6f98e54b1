import {
  CONSUMERS,
  HEADERS,
  STREAMS,
  SUBJECTS,
  parseJson,
  deadLetterSchema,
  frameMetaSchema,
  InvalidMessageError,
  silentLogger,
  type DeadLetter,
  type FrameMeta,
} from '@sightline/contracts';
import { LocalNatsServer, makeTempDir, waitUntil } from '@sightline/local-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsClient } from './connection.js';
import { JetStreamPublisher } from './publisher.js';
import { PullWorker, type Delivery } from './pull-worker.js';
import { CONSUMER_DEFINITIONS, DEFAULT_STREAM_LIMITS, ensureConsumer, ensureStreams } from './streams.js';

const logger = process.env.DEBUG_TEST ? console : silentLogger;

function frameMeta(sessionId: string, seq: number): FrameMeta {
  return {
    sessionId,
    seq,
    pts: seq / 60,
    captureTime: Date.now(),
    publishedAt: Date.now(),
    live: true,
    source: { width: 1920, height: 1080 },
    frame: { width: 640, height: 640, pixelFormat: 'rgb24' },
    letterbox: { scale: 1 / 3, padX: 0, padY: 140 },
  };
}

/** Waits for the dead-letter stream to hold `count` letters and returns them all. */
async function readDeadLetters(client: NatsClient, count: number): Promise<DeadLetter[]> {
  await waitUntil(async () => (await client.manager.streams.info(STREAMS.deadLetters)).state.messages >= count);
  const { state } = await client.manager.streams.info(STREAMS.deadLetters);
  const letters: DeadLetter[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    letters.push(parseJson(deadLetterSchema, (await client.manager.streams.getMessage(STREAMS.deadLetters, { seq })).data, 'dead letter'));
  }
  return letters;
}

describe('messaging against a real nats-server', () => {
  let nats: LocalNatsServer;
  let client: NatsClient;
  let publisher: JetStreamPublisher;
  let firstProvisioning: Record<string, string>;

  beforeAll(async () => {
    nats = await LocalNatsServer.start({ dataDir: await makeTempDir('messaging') });
    client = await NatsClient.connect({ url: nats.url, name: 'test', logger });
    publisher = new JetStreamPublisher(client);
    firstProvisioning = await ensureStreams(client.manager);
    await ensureConsumer(client.manager, CONSUMER_DEFINITIONS.inference());
  });
  afterAll(async () => {
    await client?.drain();
    await nats?.stop();
  });

  it('provisions streams and consumers idempotently', async () => {
    expect(Object.values(firstProvisioning).every((o) => o === 'created')).toBe(true);
    const before = await client.manager.streams.info(STREAMS.frames);
    const second = await ensureStreams(client.manager);
    expect(second).toEqual({ [STREAMS.frames]: 'unchanged', [STREAMS.results]: 'unchanged', [STREAMS.deadLetters]: 'unchanged' });
    const after = await client.manager.streams.info(STREAMS.frames);
    expect(after.config).toEqual(before.config);
    expect(after.created).toEqual(before.created);

    expect(await ensureConsumer(client.manager, CONSUMER_DEFINITIONS.inference())).toBe('unchanged');
    expect(await ensureConsumer(client.manager, CONSUMER_DEFINITIONS.inference(32))).toBe('updated');
    await ensureConsumer(client.manager, CONSUMER_DEFINITIONS.inference());

    const changedLimit = await ensureStreams(client.manager, { ...DEFAULT_STREAM_LIMITS, framesPerSession: 45 });
    expect(changedLimit[STREAMS.frames]).toBe('updated');
    await ensureStreams(client.manager);
  });

  it('carries a frame-sized (1.2 MB) message with its metadata header, acked after handling', async () => {
    const pixels = new Uint8Array(640 * 640 * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = i % 251;
    const meta = frameMeta('cam-big', 1);
    await publisher.publish(SUBJECTS.frame('cam-big'), pixels, {
      msgId: 'cam-big:1',
      headers: { [HEADERS.frameMeta]: JSON.stringify(meta) },
    });
    const received: Array<Delivery<{ meta: FrameMeta; bytes: number; checksum: number }>> = [];
    const worker = new PullWorker({
      client,
      stream: STREAMS.frames,
      consumer: CONSUMERS.inference,
      logger,
      decode: (msg) => ({
        meta: parseJson(frameMetaSchema, msg.headers?.get(HEADERS.frameMeta) ?? '', 'frame meta'),
        bytes: msg.data.length,
        checksum: msg.data.reduce((a, b) => (a + b) % 65521, 0),
      }),
      handle: async (batch) => void received.push(...batch),
    });
    worker.start();
    await waitUntil(() => received.length === 1);
    await worker.stop();
    expect(received[0]!.item.bytes).toBe(1_228_800);
    expect(received[0]!.item.checksum).toBe(pixels.reduce((a, b) => (a + b) % 65521, 0));
    expect(received[0]!.item.meta).toEqual(meta);
    // Work-queue retention: the acked frame is gone from the stream.
    await waitUntil(async () => (await client.manager.streams.info(STREAMS.frames)).state.messages === 0);
  });

  it('redelivers after a handler failure and dead-letters after the limit; malformed messages at once', async () => {
    await publisher.publish(SUBJECTS.frame('cam-fail'), new Uint8Array(10), {
      headers: { [HEADERS.frameMeta]: JSON.stringify(frameMeta('cam-fail', 7)) },
    });
    await publisher.publish(SUBJECTS.frame('cam-bad'), new Uint8Array(10), {
      headers: { [HEADERS.frameMeta]: '{"sessionId": 42' },
    });
    const attempts: number[] = [];
    const worker = new PullWorker({
      client,
      stream: STREAMS.frames,
      consumer: CONSUMERS.inference,
      logger,
      maxDeliver: 3,
      retryDelayMs: () => 50,
      decode: (msg) => parseJson(frameMetaSchema, msg.headers?.get(HEADERS.frameMeta) ?? '', 'frame meta'),
      handle: async (batch) => {
        attempts.push(batch[0]!.item.seq);
        throw new Error('model exploded');
      },
    });
    worker.start();
    const letters = await readDeadLetters(client, 2);
    await worker.stop();
    expect(attempts).toEqual([7, 7, 7]);
    const byCode = Object.fromEntries(letters.map((l) => [l.code, l]));
    expect(byCode.HANDLER_FAILED?.reason).toContain('model exploded');
    expect(byCode.HANDLER_FAILED?.deliveries).toBe(3);
    expect(byCode.HANDLER_FAILED?.subject).toBe('frames.cam-fail');
    expect(byCode.INVALID_MESSAGE?.reason).toMatch(/not valid JSON/);
    expect(byCode.INVALID_MESSAGE?.deliveries).toBe(1);
    expect(byCode.INVALID_MESSAGE?.headers[HEADERS.frameMeta]).toBe('{"sessionId": 42');
    await waitUntil(async () => (await client.manager.streams.info(STREAMS.frames)).state.messages === 0);
  });

  it('refuses a publish beyond the per-session backlog with STREAM_SUBJECT_FULL', async () => {
    const limit = DEFAULT_STREAM_LIMITS.framesPerSession;
    for (let i = 0; i < limit; i++) await publisher.publish(SUBJECTS.frame('cam-full'), new Uint8Array(1));
    await expect(publisher.publish(SUBJECTS.frame('cam-full'), new Uint8Array(1))).rejects.toMatchObject({
      code: 'STREAM_SUBJECT_FULL',
    });
    // Other sessions are unaffected.
    await expect(publisher.publish(SUBJECTS.frame('cam-other'), new Uint8Array(1))).resolves.toBeTruthy();
    await client.manager.streams.purge(STREAMS.frames);
  });

  it('de-duplicates results by message id', async () => {
    const before = (await client.manager.streams.info(STREAMS.results)).state.messages;
    const first = await publisher.publishJson(SUBJECTS.result('cam-d', 'frameAnalyzed'), { a: 1 }, { msgId: 'cam-d:frameAnalyzed:1' });
    const again = await publisher.publishJson(SUBJECTS.result('cam-d', 'frameAnalyzed'), { a: 1 }, { msgId: 'cam-d:frameAnalyzed:1' });
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
    expect((await client.manager.streams.info(STREAMS.results)).state.messages).toBe(before + 1);
  });

  it('treats an InvalidMessageError thrown by the handler as permanent', async () => {
    await ensureConsumer(client.manager, CONSUMER_DEFINITIONS.persistence());
    await publisher.publishJson(SUBJECTS.result('cam-x', 'frameAnalyzed'), { nope: true });
    let calls = 0;
    const worker = new PullWorker({
      client,
      stream: STREAMS.results,
      consumer: CONSUMERS.persistence,
      logger,
      maxDeliver: -1,
      decode: (msg) => msg.data,
      handle: async () => {
        calls++;
        throw new InvalidMessageError('payload: required');
      },
    });
    worker.start();
    await waitUntil(async () => (await client.manager.streams.info(STREAMS.deadLetters)).state.messages >= 3);
    await worker.stop();
    expect(calls).toBeGreaterThanOrEqual(1);
    const info = await client.manager.consumers.info(STREAMS.results, CONSUMERS.persistence);
    expect(info.num_ack_pending).toBe(0);
  });
});

describe('a pull worker across a nats-server restart', () => {
  let nats: LocalNatsServer;
  let client: NatsClient;

  beforeAll(async () => {
    nats = await LocalNatsServer.start({ dataDir: await makeTempDir('messaging-restart') });
    client = await NatsClient.connect({ url: nats.url, name: 'test-restart', logger });
    await ensureStreams(client.manager);
  });
  afterAll(async () => {
    await client?.drain();
    await nats?.stop();
  });

  it('pulls from the consumer it re-creates (FRAMES is memory storage) without waiting for the old pull to expire', async () => {
    const publisher = new JetStreamPublisher(client);
    const send = (seq: number) =>
      publisher.publish(SUBJECTS.frame('cam-restart'), new Uint8Array(16), {
        msgId: `cam-restart:${seq}`,
        headers: { [HEADERS.frameMeta]: JSON.stringify(frameMeta('cam-restart', seq)) },
      });
    const received: number[] = [];
    const worker = new PullWorker({
      client,
      stream: STREAMS.frames,
      consumer: CONSUMERS.inference,
      logger,
      decode: (msg) => parseJson(frameMetaSchema, msg.headers?.get(HEADERS.frameMeta) ?? '', 'frame meta').seq,
      handle: async (batch) => void received.push(...batch.map((d) => d.item)),
      // As in the fleet, the worker may only create its consumer; the streams come from a provisioning identity.
      provision: () => ensureConsumer(client.manager, CONSUMER_DEFINITIONS.inference()),
    });
    await ensureConsumer(client.manager, CONSUMER_DEFINITIONS.inference());
    worker.start();
    try {
      await send(1);
      await waitUntil(() => received.length === 1);
      await nats.stop();
      await nats.start();
      // The restarted server has neither FRAMES nor the consumer; the stream comes back a moment after the reconnect
      // (from the provisioner), the consumer when the worker next tries.
      await new Promise((r) => setTimeout(r, 500));
      await waitUntil(() => client.isConnected(), 'reconnected', 20_000);
      await new Promise((r) => setTimeout(r, 2000));
      await ensureStreams(client.manager);
      await waitUntil(
        async () =>
          await client.manager.consumers.info(STREAMS.frames, CONSUMERS.inference).then(
            () => true,
            () => false,
          ),
        'consumer re-created',
        20_000,
      );
      await send(2);
      // The pull loop's own requests expire after 30 s; a frame must not wait for that (20 s leaves a loaded box room).
      await waitUntil(() => received.length === 2, 'frame after the restart handled', 20_000);
      expect(received).toEqual([1, 2]);
    } finally {
      await worker.stop();
    }
  });
});
