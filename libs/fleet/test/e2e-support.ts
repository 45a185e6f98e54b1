/**
 * Helpers for the fleet's end-to-end test: reading one session's results straight from the RESULTS stream, telling
 * when a durable consumer has nothing left to do, comparing detected face boxes with the clip's known path, and what
 * the fleet's nats-server says of the services' connections.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { STREAMS, parseJson, resultEnvelopeSchema, type FrameAnalyzedPayload, type ResultEnvelope } from '@sightline/contracts';
import { astronautFaceBoxAt, type AstronautClipParams } from '@sightline/local-infra';
import type { NatsClient } from '@sightline/messaging';
import { REPO_ROOT, SERVICE_NAMES, type LocalFleet } from '../src/index.js';
import { parsePrometheusText, sumSamples } from '@sightline/observability';

/** The fleet runs the services' build output: fail with the remedy rather than with a child's stack trace. */
export function assertServicesBuilt(): void {
  const missing = SERVICE_NAMES.filter((name) => !existsSync(join(REPO_ROOT, 'apps', name, 'dist', 'main.js')));
  if (missing.length) {
    throw new Error(`not built: ${missing.join(', ')}; run \`npx tsc -b tsconfig.build.json\` first (npm test does)`);
  }
}

export interface StreamResult {
  /** RESULTS stream sequence: what the gateway sends as `seq`. */
  streamSeq: number;
  envelope: ResultEnvelope;
}

/** Every result of one session in the RESULTS stream, validated against the contract, in stream order. */
export async function readSessionResults(client: NatsClient, sessionId: string): Promise<StreamResult[]> {
  const { state } = await client.manager.streams.info(STREAMS.results);
  const prefix = `results.${sessionId}.`;
  const results: StreamResult[] = [];
  // The fleet is this test's own: the stream holds a few hundred messages, read one by one without a consumer.
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const message = await client.manager.streams.getMessage(STREAMS.results, { seq });
    if (message.subject.startsWith(prefix)) {
      results.push({ streamSeq: message.seq, envelope: parseJson(resultEnvelopeSchema, message.data, 'result') as ResultEnvelope });
    }
  }
  return results;
}

/** True when a durable consumer has delivered and had acknowledged everything in its stream. */
export async function consumerCaughtUp(client: NatsClient, stream: string, consumer: string): Promise<boolean> {
  const info = await client.manager.consumers.info(stream, consumer);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

/** Sum of a Prometheus counter's samples at a service's /metrics whose labels include `labels` (0 when absent). */
export async function counterValue(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sumSamples(parsePrometheusText(await (await fetch(`${baseUrl}/metrics`)).text()), name, labels);
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

// -----------------------------------------------------------------------------------------------------------------
// The face's known path.
// -----------------------------------------------------------------------------------------------------------------

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Which frame of the clip a result shows. The RTSP server plays the clip from its first frame for each client and
 * loops it with presentation times that keep increasing (no reset at the loop), and ingest counts MPEG-TS times from
 * the first decoded frame; so frame = round(pts × fps) modulo the clip's frame count. Rounding to a whole frame
 * first matters at the loop point, where the vertical path (period 3 s in a 4 s clip) jumps.
 */
function clipFrameAt(pts: number, clip: Pick<AstronautClipParams, 'fps' | 'seconds'>): number {
  const frames = Math.round(clip.fps * clip.seconds);
  return ((Math.round(pts * clip.fps) % frames) + frames) % frames;
}

function expectedFaceBox(pts: number, clip: AstronautClipParams): Box {
  const { x, y, width, height } = astronautFaceBoxAt(clipFrameAt(pts, clip) / clip.fps, clip);
  return { x, y, w: width, h: height };
}

function intersectionOverUnion(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const intersection = w * h;
  return intersection / (a.w * a.h + b.w * b.h - intersection);
}

function centreDistance(a: Box, b: Box): number {
  return Math.hypot(a.x + a.w / 2 - (b.x + b.w / 2), a.y + a.h / 2 - (b.y + b.h / 2));
}

export interface FaceTolerance {
  centrePx: number;
  minIoU: number;
}

export interface FaceVerdict {
  frameSeq: number;
  clipFrame: number;
  expected: Box;
  detected: Box[];
  /** Exactly one face, its centre within `centrePx` of the expected centre, and IoU above `minIoU`. */
  matches: boolean;
  /** Of the best-overlapping detection (NaN when there is none). */
  centreErrorPx: number;
  iou: number;
}

export function judgeFace(payload: FrameAnalyzedPayload, clip: AstronautClipParams, tolerance: FaceTolerance): FaceVerdict {
  const expected = expectedFaceBox(payload.pts, clip);
  const faces = payload.detections.filter((d) => d.label === 'face');
  const best = faces
    .map((d) => ({ box: d.box, iou: intersectionOverUnion(d.box, expected), centreErrorPx: centreDistance(d.box, expected) }))
    .sort((a, b) => b.iou - a.iou)[0];
  return {
    frameSeq: payload.frameSeq,
    clipFrame: clipFrameAt(payload.pts, clip),
    expected,
    detected: payload.detections.map((d) => d.box),
    matches:
      payload.detections.length === 1 && faces.length === 1 && best!.centreErrorPx <= tolerance.centrePx && best!.iou > tolerance.minIoU,
    centreErrorPx: best?.centreErrorPx ?? Number.NaN,
    iou: best?.iou ?? Number.NaN,
  };
}

/** The NATS-using services of the fleet: each holds one connection named `<service>:<pid>`. */
export const NATS_SERVICES = ['ingest', 'inference', 'persistence', 'gateway', 'tracker'] as const;

/** What the fleet's nats-server reports for each service's connection: the identity it used and its TLS version. */
export async function serviceNatsConnections(fleet: LocalFleet): Promise<Record<string, { user?: string; tls?: string }>> {
  const connz = (await (await fetch(`http://127.0.0.1:${fleet.nats.monitorPort}/connz?auth=1&limit=1024`)).json()) as {
    connections: { name?: string; authorized_user?: string; tls_version?: string }[];
  };
  return Object.fromEntries(
    connz.connections
      .filter((c) => NATS_SERVICES.some((s) => c.name?.startsWith(`${s}:`)))
      .map((c) => [c.name!.split(':')[0], { user: c.authorized_user, tls: c.tls_version }]),
  );
}
