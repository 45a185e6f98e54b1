/**
 * Helpers for the inference service's end-to-end tests: the built service as child processes (so a replica can be
 * SIGKILLed), frames made the way ingest makes them (FFmpeg letterbox), and readers for the result and dead-letter
 * streams.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  HEADERS,
  MESSAGE_IDS,
  STREAMS,
  SUBJECTS,
  deadLetterSchema,
  parseJson,
  resultEnvelopeSchema,
  type DeadLetter,
  type FrameMeta,
  type ResultEnvelope,
} from '@sightline/contracts';
import { ManagedProcess, freePort } from '@sightline/local-infra';
import type { JetStreamPublisher, NatsClient } from '@sightline/messaging';
import type { InputFrame } from '@sightline/vision';
import { ASTRONAUT_PNG, letterboxedFrame } from '@sightline/vision/testing';
import { parsePrometheusText, sumSamples } from '@sightline/observability';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Brings dist up to date (incremental); serialised, as test files run in parallel. */
export async function buildInferenceService(): Promise<void> {
  await promisify(execFile)('flock', ['/tmp/sightline-inference-build.lock', 'node_modules/.bin/tsc', '-b', 'apps/inference'], {
    cwd: ROOT,
  });
}

export interface Replica {
  process: ManagedProcess;
  baseUrl: string;
  /** Parsed JSON log lines. */
  logs: Array<Record<string, unknown>>;
  /** Value of one Prometheus series (0 when absent), matched by name and a subset of its labels. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

/** Starts `node apps/inference/dist/main.js` and waits until it serves. */
export async function startReplica(name: string, env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const logs: Array<Record<string, unknown>> = [];
  const process_ = new ManagedProcess(process.execPath, [MAIN], {
    name,
    cwd: ROOT,
    env: { ...process.env, HTTP_PORT: String(port), LOG_LEVEL: 'info', INFERENCE_INTRA_OP_THREADS: '1', ...env },
    onLine: (line) => {
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  process_.start();
  await process_.waitForLine(/"message":"service started"/, 60_000);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    process: process_,
    baseUrl,
    logs,
    metric: async (metricName, labels = {}) =>
      sumSamples(parsePrometheusText(await (await fetch(`${baseUrl}/metrics`)).text()), metricName, labels),
  };
}

/** Where the astronaut photo (512x512) sits in the 1080p source frames, and where its face is (ASTRONAUT_FACE_REGION's fractions). */
export const PLACEMENT = { canvas: { width: 1920, height: 1080 }, x: 1200, y: 400 };
export const FACE_IN_SOURCE = { x0: 1200 + 0.33 * 512, x1: 1200 + 0.53 * 512, y0: 400 + 0.12 * 512, y1: 400 + 0.33 * 512 };

/** The photo on a grey 1920x1080 canvas, letterboxed by FFmpeg to the model's 256x256 rgb24, as ingest does. */
export function astronautFrame1080p(): Promise<InputFrame> {
  return letterboxedFrame(ASTRONAUT_PNG, { width: 256, height: 256 }, PLACEMENT);
}

export function frameMeta(frame: InputFrame, sessionId: string, seq: number, overrides: Partial<FrameMeta> = {}): FrameMeta {
  const now = Date.now();
  return {
    ...frame.meta,
    sessionId,
    seq,
    pts: seq / 60,
    captureTime: now - 20,
    publishedAt: now,
    live: true,
    decodeMs: 3,
    ...overrides,
  };
}

export async function publishFrame(
  publisher: JetStreamPublisher,
  meta: FrameMeta,
  pixels: Uint8Array,
  metaHeader = JSON.stringify(meta),
): Promise<void> {
  await publisher.publish(SUBJECTS.frame(meta.sessionId), pixels, {
    msgId: MESSAGE_IDS.frame(meta.sessionId, meta.seq),
    headers: { [HEADERS.frameMeta]: metaHeader },
  });
}

async function readStream<T>(client: NatsClient, stream: string, read: (subject: string, data: Uint8Array) => T | undefined): Promise<T[]> {
  const { state } = await client.manager.streams.info(stream);
  const items: T[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const message = await client.manager.streams.getMessage(stream, { seq });
    const item = read(message.subject, message.data);
    if (item !== undefined) items.push(item);
  }
  return items;
}

/** Every frameAnalyzed result stored for the sessions, validated against the contract. */
export function readResults(client: NatsClient, sessionIds: string[]): Promise<Array<ResultEnvelope<'frameAnalyzed'>>> {
  const subjects = sessionIds.map((id) => SUBJECTS.result(id, 'frameAnalyzed'));
  return readStream(client, STREAMS.results, (subject, data) =>
    subjects.includes(subject) ? (parseJson(resultEnvelopeSchema, data, 'result') as ResultEnvelope<'frameAnalyzed'>) : undefined,
  );
}

export function readDeadLetters(client: NatsClient, frameSubject: string): Promise<DeadLetter[]> {
  return readStream(client, STREAMS.deadLetters, (_subject, data) => {
    const letter = parseJson(deadLetterSchema, data, 'dead letter');
    return letter.subject === frameSubject ? letter : undefined;
  });
}

/** Results stored for the sessions, counted by the server (cheap enough to poll). */
export async function countResults(client: NatsClient, sessionIds: string[]): Promise<number> {
  const info = await client.manager.streams.info(STREAMS.results, { subjects_filter: SUBJECTS.allResults });
  const perSubject = info.state.subjects ?? {};
  return sessionIds.reduce((sum, id) => sum + (perSubject[SUBJECTS.result(id, 'frameAnalyzed')] ?? 0), 0);
}
