/**
 * Integration-test harness for ingest: a real nats-server with the project's streams, a SessionManager wired to it,
 * and collectors that read what ingest published (frames through a per-session durable consumer, like inference
 * would; lifecycle events through an ordered consumer, like the gateway would).
 */
import {
  HEADERS,
  STREAMS,
  SUBJECTS,
  frameMetaSchema,
  parseJson,
  resultEnvelopeSchema,
  silentLogger,
  type FrameMeta,
  type ResultEnvelope,
} from '@sightline/contracts';
import { LocalNatsServer, ffmpegPath, makeTempDir } from '@sightline/local-infra';
import { DEFAULT_STREAM_LIMITS, JetStreamPublisher, NatsClient, ensureStreams, type StreamLimits } from '@sightline/messaging';
import { AckPolicy, type ConsumerMessages } from 'nats';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import { SessionManager, type IngestSettings, type VideoLogger } from '../src/index.js';

export const TEST_FRAME = { width: 256, height: 256, pixelFormat: 'rgb24' } as const;
export const TEST_FRAME_BYTES = TEST_FRAME.width * TEST_FRAME.height * 3;

export const testLogger: VideoLogger = process.env.DEBUG_TEST
  ? { debug: console.debug, info: console.info, warn: console.warn, error: console.error }
  : silentLogger;

/** Polls until `probe` returns a value. The default bound is a hang detector: 1080p60 decoding on a loaded 2-core box can run at a few fps. */
export async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface IngestHarness {
  nats: LocalNatsServer;
  client: NatsClient;
  publisher: JetStreamPublisher;
  registry: Registry;
  manager: SessionManager;
  close(): Promise<void>;
}

export async function startIngestHarness(
  options: { settings?: Partial<IngestSettings>; limits?: Partial<StreamLimits>; logger?: VideoLogger } = {},
): Promise<IngestHarness> {
  const nats = await LocalNatsServer.start({ dataDir: await makeTempDir('ingest') });
  const client = await NatsClient.connect({ url: nats.url, name: 'ingest-test', logger: silentLogger });
  await ensureStreams(client.manager, { ...DEFAULT_STREAM_LIMITS, ...options.limits });
  const publisher = new JetStreamPublisher(client);
  const registry = new Registry();
  const manager = new SessionManager(
    { client, publisher, registry, logger: options.logger ?? testLogger },
    {
      ffmpegPath: await ffmpegPath(),
      frame: TEST_FRAME,
      maxSessions: 8,
      stallTimeoutMs: 5000,
      reconnectInitialDelayMs: 200,
      reconnectMaxDelayMs: 2000,
      fileRoot: '/',
      rtspAuth: 'auto',
      rtspConnectTimeoutMs: 3000,
      ...options.settings,
    },
  );
  return {
    nats,
    client,
    publisher,
    registry,
    manager,
    async close() {
      await manager.stopAll();
      await client.drain();
      await nats.stop();
    },
  };
}

export interface ReceivedFrame {
  meta: FrameMeta;
  bytes: number;
  receivedAt: number;
  pixels?: Uint8Array;
}

/** Reads one session's frames from FRAMES with an explicit-ack durable consumer (frames are removed once acked). */
export class FrameCollector {
  readonly frames: ReceivedFrame[] = [];
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;

  private constructor(
    private readonly client: NatsClient,
    private readonly durable: string,
  ) {}

  static async start(client: NatsClient, sessionId: string, options: { keepPixels?: boolean } = {}): Promise<FrameCollector> {
    const durable = `test-${sessionId}`;
    await client.manager.consumers.add(STREAMS.frames, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: SUBJECTS.frame(sessionId),
    });
    const collector = new FrameCollector(client, durable);
    const consumer = await client.jetstream.consumers.get(STREAMS.frames, durable);
    collector.messages = await consumer.consume({ max_messages: 64 });
    collector.loop = (async () => {
      for await (const message of collector.messages!) {
        const meta = parseJson(frameMetaSchema, message.headers?.get(HEADERS.frameMeta) ?? '', 'frame meta');
        collector.frames.push({
          meta,
          bytes: message.data.length,
          receivedAt: Date.now(),
          ...(options.keepPixels && { pixels: Uint8Array.from(message.data) }),
        });
        message.ack();
      }
    })();
    return collector;
  }

  async stop(): Promise<void> {
    await this.messages?.close();
    await this.loop;
    await this.client.manager.consumers.delete(STREAMS.frames, this.durable).catch(() => undefined);
  }
}

/** Reads one session's lifecycle events from RESULTS (ordered consumer, from the beginning). */
export class EventCollector {
  readonly events: ResultEnvelope[] = [];
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;

  static async start(client: NatsClient, sessionId: string): Promise<EventCollector> {
    const collector = new EventCollector();
    const consumer = await client.jetstream.consumers.get(STREAMS.results, { filterSubjects: SUBJECTS.sessionResults(sessionId) });
    collector.messages = await consumer.consume();
    collector.loop = (async () => {
      for await (const message of collector.messages!) {
        collector.events.push(parseJson(resultEnvelopeSchema, message.data, 'result') as ResultEnvelope);
      }
    })();
    return collector;
  }

  names(): string[] {
    return this.events.map((e) => e.event);
  }

  of<E extends ResultEnvelope['event']>(event: E): ResultEnvelope<E>[] {
    return this.events.filter((e): e is ResultEnvelope<E> => e.event === event);
  }

  waitFor<E extends ResultEnvelope['event']>(event: E, timeoutMs = 60_000): Promise<ResultEnvelope<E>> {
    return until(() => this.of(event)[0], `${event} event`, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.messages?.close();
    await this.loop;
  }
}

export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every line (and still prints them with DEBUG_TEST). */
export function recordingLogger(): VideoLogger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const at =
    (level: LoggedLine['level']) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, message, fields });
      testLogger[level](message, fields);
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** How many frames of a session sit in the FRAMES stream. */
export async function framesInStream(client: NatsClient, sessionId: string): Promise<number> {
  const info = await client.manager.streams.info(STREAMS.frames, { subjects_filter: SUBJECTS.frame(sessionId) });
  return info.state.subjects?.[SUBJECTS.frame(sessionId)] ?? 0;
}

/**
 * Sequence numbers strictly increase from 0, and every gap is a frame the session counted as dropped (a live session
 * drops its oldest queued frames when publishing stutters, e.g. on a CPU-starved machine). `≤`: drops just before a
 * stop may be followed only by discarded frames, leaving no visible gap.
 */
export function expectOneSequence(seqs: number[], framesDropped: number): void {
  expect(seqs[0]).toBe(0);
  expect(seqs.slice(1).every((s, i) => s > seqs[i]!)).toBe(true);
  expect(seqs.at(-1)! + 1 - seqs.length).toBeLessThanOrEqual(framesDropped);
}
