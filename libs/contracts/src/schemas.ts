/**
 * Runtime schemas for every message that crosses a process boundary. Services validate on receipt; a message that
 * fails is rejected with the reason (dead-lettered for streams, an error reply for WebSocket clients).
 */
import { z } from 'zod';
import { InvalidMessageError } from './errors.js';
import { EVENT_NAMES, EVENTS } from './events.js';
import { SESSION_ID_PATTERN } from './subjects.js';

export const sessionIdSchema = z.string().regex(SESSION_ID_PATTERN, 'must match [A-Za-z0-9_-]{1,64}');
const isoTimestamp = z.iso.datetime({ offset: true });
const nonNegInt = z.number().int().nonnegative();

// ---------------------------------------------------------------------------------------------------------------
// Frames: raw pixels in the body, this metadata as JSON in the `Sightline-Frame` header.
// ---------------------------------------------------------------------------------------------------------------
export const PIXEL_FORMATS = ['rgb24', 'bgr24', 'gray'] as const;
export type PixelFormat = (typeof PIXEL_FORMATS)[number];
export const BYTES_PER_PIXEL: Record<PixelFormat, number> = { rgb24: 3, bgr24: 3, gray: 1 };

/** Maps model-input pixels back to source pixels: `src = (dst - pad) / scale`. */
export const letterboxSchema = z.object({
  scale: z.number().positive(),
  padX: z.number().nonnegative(),
  padY: z.number().nonnegative(),
});
export type Letterbox = z.infer<typeof letterboxSchema>;

export const sizeSchema = z.object({ width: z.number().int().positive(), height: z.number().int().positive() });
export type Size = z.infer<typeof sizeSchema>;

/** A start of a session: short, URL- and subject-safe. */
const runSchema = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);

export const frameMetaSchema = z.object({
  sessionId: sessionIdSchema,
  /** Monotonic per session, survives source reconnects. */
  seq: nonNegInt,
  /**
   * Which start of the session this frame belongs to (ingest sets a new one per start): a session id reused after an
   * ingest restart counts `seq` from 0 again, and (sessionId, run, seq) keeps its frames apart from the earlier ones.
   */
  run: runSchema.optional(),
  /** Presentation time in seconds from the start of the source. */
  pts: z.number(),
  /**
   * When the frame reached ingest, epoch ms on the *ingest host's* clock: the arrival of its RTSP access unit, or
   * when a file/device frame came out of the decoder. Deadlines, staleness and pipeline latency are measured from
   * here, so a camera's encoder/muxer delay or a clock that is off is never charged to the pipeline.
   */
  captureTime: z.number().nonnegative(),
  /**
   * The sender's wall clock for the frame (RTSP: RTCP sender report mapping of its RTP timestamp), epoch ms on the
   * *camera's* clock, when it sends reports. For correlating cameras only: it may be off by seconds or hours.
   */
  sourceTime: z.number().nonnegative().optional(),
  /** When ingest published the frame, epoch milliseconds (queue wait starts here). */
  publishedAt: z.number().nonnegative(),
  /** Live sources may be skipped when stale; batch (file, unpaced) frames never are. */
  live: z.boolean(),
  source: sizeSchema,
  frame: sizeSchema.extend({ pixelFormat: z.enum(PIXEL_FORMATS) }),
  letterbox: letterboxSchema,
  /** Time FFmpeg took from elementary stream in to raw frame out, when measurable. */
  decodeMs: z.number().nonnegative().optional(),
});
export type FrameMeta = z.infer<typeof frameMetaSchema>;

export function frameByteLength(meta: Pick<FrameMeta, 'frame'>): number {
  return meta.frame.width * meta.frame.height * BYTES_PER_PIXEL[meta.frame.pixelFormat];
}

// ---------------------------------------------------------------------------------------------------------------
// Results: the envelope of requirements §6.4 {sessionId, timestamp, event, payload}.
// ---------------------------------------------------------------------------------------------------------------
export const pointSchema = z.object({ x: z.number(), y: z.number() });
export const boxSchema = z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() });
export type Box = z.infer<typeof boxSchema>;

export const detectionSchema = z.object({
  label: z.string(),
  score: z.number().min(0).max(1),
  box: boxSchema,
  keypoints: z.array(pointSchema).optional(),
});
export type Detection = z.infer<typeof detectionSchema>;

export const latencySchema = z.object({
  decodeMs: z.number().nonnegative().optional(),
  queueMs: z.number().nonnegative(),
  preprocessMs: z.number().nonnegative(),
  inferenceMs: z.number().nonnegative(),
  postprocessMs: z.number().nonnegative(),
  /** Capture time to result published. */
  totalMs: z.number().nonnegative(),
});
export type LatencyBreakdown = z.infer<typeof latencySchema>;

/** Which frame of the session a per-frame event is about: the same four fields in every per-frame payload. */
const frameIdentityShape = {
  frameSeq: nonNegInt,
  /** The frame's `FrameMeta.run`: stored results are keyed by (session, run, frameSeq). */
  run: runSchema.optional(),
  pts: z.number(),
  captureTime: isoTimestamp,
};

export const frameAnalyzedPayloadSchema = z.object({
  ...frameIdentityShape,
  /**
   * The camera's own clock for the frame (RTSP sender reports), when it sends one; `captureTime` is the ingest host's
   * clock at arrival. For correlating cameras only: it may be off by seconds or hours, and nothing is timed from it.
   */
  sourceTime: isoTimestamp.optional(),
  source: sizeSchema,
  model: z.string(),
  provider: z.string(),
  batchSize: z.number().int().positive(),
  detections: z.array(detectionSchema),
  latency: latencySchema,
});
export type FrameAnalyzedPayload = z.infer<typeof frameAnalyzedPayloadSchema>;

export const SOURCE_TYPES = ['file', 'rtsp', 'device'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

export const sessionStartedPayloadSchema = z.object({
  source: z.object({ type: z.enum(SOURCE_TYPES), url: z.string() }),
  live: z.boolean(),
  /** The zones and lines of the start request (persistence stores them as the session's zones); absent without. */
  get zones() {
    return sessionZonesSchema.optional();
  },
});
export const sessionStoppedPayloadSchema = z.object({
  reason: z.string(),
  framesPublished: nonNegInt,
  framesDropped: nonNegInt,
  /** Decoded but not analysed by choice (the session's maxFps); absent when the session had no limit. */
  framesSkipped: nonNegInt.optional(),
});
export const sourceErrorPayloadSchema = z.object({
  code: z.string(),
  message: z.string(),
  fatal: z.boolean(),
  context: z.record(z.string(), z.unknown()).optional(),
});
export const sourceReconnectingPayloadSchema = z.object({
  attempt: z.number().int().positive(),
  delayMs: z.number().nonnegative(),
  reason: z.string(),
});
export const sourceRecoveredPayloadSchema = z.object({
  attempts: z.number().int().positive(),
  downtimeMs: z.number().nonnegative(),
});

// ---------------------------------------------------------------------------------------------------------------
// Tracking (published by the tracker): track ids per frame and object-level events. Boxes and points are in source
// pixels; `at` is the capture time of the frame the event was seen in.
// ---------------------------------------------------------------------------------------------------------------
const trackIdSchema = z.number().int().positive();
/** Where in the session an observation was made. */
export const frameRefSchema = z.object({ frameSeq: nonNegInt, at: isoTimestamp });
export type FrameRef = z.infer<typeof frameRefSchema>;

export const frameTrackedPayloadSchema = z.object({
  ...frameIdentityShape,
  /** One entry per detection of the frame's frameAnalyzed that belongs to a confirmed track. */
  tracks: z.array(
    z.object({
      trackId: trackIdSchema,
      /** Index of the detection in the frame's frameAnalyzed `detections`. */
      detection: nonNegInt,
      label: z.string(),
      score: z.number().min(0).max(1),
      box: boxSchema,
    }),
  ),
});
export type FrameTrackedPayload = z.infer<typeof frameTrackedPayloadSchema>;

const trackedObjectShape = { trackId: trackIdSchema, label: z.string(), run: runSchema.optional() };

export const objectAppearedPayloadSchema = z.object({
  ...trackedObjectShape,
  ...frameRefSchema.shape,
  box: boxSchema,
  score: z.number().min(0).max(1),
});
export type ObjectAppearedPayload = z.infer<typeof objectAppearedPayloadSchema>;

export const OBJECT_LEFT_REASONS = ['lost', 'sessionIdle'] as const;
export const objectLeftPayloadSchema = z.object({
  ...trackedObjectShape,
  firstSeen: frameRefSchema,
  lastSeen: frameRefSchema,
  /** Last seen minus first seen, capture time, milliseconds. */
  dwellMs: z.number().nonnegative(),
  /** Frames the object was detected in. */
  frames: z.number().int().positive(),
  /** Box centres, at most 8, evenly spaced over the track's life (first and last included). */
  path: z.array(pointSchema).min(1).max(8),
  /** lost: not detected for the tracker's buffer of frames; sessionIdle: the session's frames stopped. */
  reason: z.enum(OBJECT_LEFT_REASONS),
});
export type ObjectLeftPayload = z.infer<typeof objectLeftPayloadSchema>;

export const zoneEnteredPayloadSchema = z.object({
  ...trackedObjectShape,
  ...frameRefSchema.shape,
  zoneId: z.string(),
  point: pointSchema,
});
export type ZoneEnteredPayload = z.infer<typeof zoneEnteredPayloadSchema>;
export const zoneLeftPayloadSchema = zoneEnteredPayloadSchema.extend({
  /** Time inside the zone, capture time, milliseconds. */
  dwellMs: z.number().nonnegative(),
});
export type ZoneLeftPayload = z.infer<typeof zoneLeftPayloadSchema>;

/** Looking from the line's `a` towards its `b` (image y down): leftToRight = moved from its left side to its right. */
export const LINE_DIRECTIONS = ['leftToRight', 'rightToLeft'] as const;
export const lineCrossedPayloadSchema = z.object({
  ...trackedObjectShape,
  ...frameRefSchema.shape,
  lineId: z.string(),
  direction: z.enum(LINE_DIRECTIONS),
  point: pointSchema,
});
export type LineCrossedPayload = z.infer<typeof lineCrossedPayloadSchema>;

/** A session's zones and counting lines, in source pixels (`PUT /sessions/:id/zones` on the tracker). */
export const MAX_ZONE_COORDINATE = 16_384;
const zonePointSchema = z.object({
  x: z.number().min(0).max(MAX_ZONE_COORDINATE),
  y: z.number().min(0).max(MAX_ZONE_COORDINATE),
});
const zoneIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must match [A-Za-z0-9_-]{1,32}');
export const zoneSchema = z.object({
  id: zoneIdSchema,
  polygon: z.array(zonePointSchema).min(3).max(64),
});
export const countingLineSchema = z.object({ id: zoneIdSchema, a: zonePointSchema, b: zonePointSchema });
export const sessionZonesSchema = z
  .object({ zones: z.array(zoneSchema).max(32).default([]), lines: z.array(countingLineSchema).max(32).default([]) })
  .superRefine((config, ctx) => {
    const ids = [...config.zones.map((z) => z.id), ...config.lines.map((l) => l.id)];
    const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
    if (duplicate) ctx.addIssue({ code: 'custom', path: ['zones'], message: `duplicate zone or line id "${duplicate}"` });
    config.zones.forEach((zone, i) => {
      const problem = polygonProblem(zone.polygon);
      if (problem) ctx.addIssue({ code: 'custom', path: ['zones', i, 'polygon'], message: problem });
    });
    config.lines.forEach((line, i) => {
      if (line.a.x === line.b.x && line.a.y === line.b.y)
        ctx.addIssue({ code: 'custom', path: ['lines', i], message: 'line ends must differ' });
    });
  });
export type SessionZones = z.infer<typeof sessionZonesSchema>;
export type Zone = z.infer<typeof zoneSchema>;
export type CountingLine = z.infer<typeof countingLineSchema>;

type Point = z.infer<typeof pointSchema>;
const cross = (o: Point, a: Point, b: Point): number => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
function segmentsIntersect(p1: Point, p2: Point, p3: Point, p4: Point): boolean {
  const d1 = cross(p3, p4, p1);
  const d2 = cross(p3, p4, p2);
  const d3 = cross(p1, p2, p3);
  const d4 = cross(p1, p2, p4);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}
/** Why a polygon is not simple (non-zero area, no edge crossing another), or undefined when it is. */
export function polygonProblem(polygon: readonly Point[]): string | undefined {
  const n = polygon.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue; // adjacent through the closing edge
      if (segmentsIntersect(polygon[i]!, polygon[(i + 1) % n]!, polygon[j]!, polygon[(j + 1) % n]!)) {
        return `polygon is not simple: edge ${i} crosses edge ${j}`;
      }
    }
  }
  let twiceArea = 0;
  for (let i = 0; i < n; i++) twiceArea += cross({ x: 0, y: 0 }, polygon[i]!, polygon[(i + 1) % n]!);
  if (Math.abs(twiceArea) < 1e-9) return 'polygon has no area';
  return undefined;
}

export interface EventPayloads {
  frameAnalyzed: FrameAnalyzedPayload;
  sessionStarted: z.infer<typeof sessionStartedPayloadSchema>;
  sessionStopped: z.infer<typeof sessionStoppedPayloadSchema>;
  sourceError: z.infer<typeof sourceErrorPayloadSchema>;
  sourceReconnecting: z.infer<typeof sourceReconnectingPayloadSchema>;
  sourceRecovered: z.infer<typeof sourceRecoveredPayloadSchema>;
  frameTracked: FrameTrackedPayload;
  objectAppeared: ObjectAppearedPayload;
  objectLeft: ObjectLeftPayload;
  zoneEntered: ZoneEnteredPayload;
  zoneLeft: ZoneLeftPayload;
  lineCrossed: LineCrossedPayload;
}

export const EVENT_PAYLOAD_SCHEMAS: { [K in keyof EventPayloads]: z.ZodType<EventPayloads[K]> } = {
  [EVENTS.frameAnalyzed]: frameAnalyzedPayloadSchema,
  [EVENTS.sessionStarted]: sessionStartedPayloadSchema,
  [EVENTS.sessionStopped]: sessionStoppedPayloadSchema,
  [EVENTS.sourceError]: sourceErrorPayloadSchema,
  [EVENTS.sourceReconnecting]: sourceReconnectingPayloadSchema,
  [EVENTS.sourceRecovered]: sourceRecoveredPayloadSchema,
  [EVENTS.frameTracked]: frameTrackedPayloadSchema,
  [EVENTS.objectAppeared]: objectAppearedPayloadSchema,
  [EVENTS.objectLeft]: objectLeftPayloadSchema,
  [EVENTS.zoneEntered]: zoneEnteredPayloadSchema,
  [EVENTS.zoneLeft]: zoneLeftPayloadSchema,
  [EVENTS.lineCrossed]: lineCrossedPayloadSchema,
};

/** Results larger than this are refused (they would not fit a reasonable JSONB row or WebSocket frame budget). */
export const MAX_RESULT_BYTES = 256 * 1024;

/** The envelope of requirements §6.4, as stored in the RESULTS stream and in `analysis_results`. */
export const resultEnvelopeSchema = z
  .object({
    sessionId: sessionIdSchema,
    timestamp: isoTimestamp,
    event: z.enum(EVENT_NAMES),
    payload: z.record(z.string(), z.unknown()),
  })
  .superRefine((envelope, ctx) => {
    const check = EVENT_PAYLOAD_SCHEMAS[envelope.event].safeParse(envelope.payload);
    if (!check.success) {
      for (const issue of check.error.issues) ctx.addIssue({ ...issue, path: ['payload', ...issue.path] } as never);
    }
  });

export interface ResultEnvelope<E extends keyof EventPayloads = keyof EventPayloads> {
  sessionId: string;
  timestamp: string;
  event: E;
  payload: EventPayloads[E];
}

export function makeEnvelope<E extends keyof EventPayloads>(
  sessionId: string,
  event: E,
  payload: EventPayloads[E],
  at: Date = new Date(),
): ResultEnvelope<E> {
  return { sessionId, timestamp: at.toISOString(), event, payload };
}

/** The idempotency key of a result: frameAnalyzed by frame sequence; lifecycle events by their own sequence. */
export function resultSequenceOf(envelope: ResultEnvelope): number | undefined {
  const p = envelope.payload as { frameSeq?: unknown };
  return typeof p.frameSeq === 'number' ? p.frameSeq : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Dead letters.
// ---------------------------------------------------------------------------------------------------------------
export const deadLetterSchema = z.object({
  stream: z.string(),
  consumer: z.string(),
  subject: z.string(),
  streamSequence: nonNegInt,
  deliveries: nonNegInt,
  code: z.string(),
  reason: z.string(),
  headers: z.record(z.string(), z.string()),
  /** Original body, base64, only when small (frames are not copied, their size is recorded instead). */
  dataBase64: z.string().optional(),
  dataBytes: nonNegInt,
  at: isoTimestamp,
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------------------------
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates `value` or throws InvalidMessageError naming every failing field. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidMessageError(`${what} invalid: ${describeIssues(result.error)}`);
  return result.data;
}

const decoder = new TextDecoder();
/** Parses and validates a JSON body; malformed JSON and schema failures both become InvalidMessageError. */
export function parseJson<T>(schema: z.ZodType<T>, data: Uint8Array | string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
  } catch (err) {
    throw new InvalidMessageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  return validate(schema, value, what);
}
