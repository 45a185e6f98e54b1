/** The ingest service's session API contract (REST body, CLI and console all build this). */
import { z } from 'zod';
import { SOURCE_TYPES, sessionIdSchema } from './schemas.js';

export const RTSP_AUTH_TYPES = ['none', 'basic', 'digest', 'auto'] as const;
export type RtspAuthType = (typeof RTSP_AUTH_TYPES)[number];

export const sourceSpecSchema = z.object({
  type: z.enum(SOURCE_TYPES),
  /** File path, rtsp:// URL, or device path such as /dev/video0. */
  url: z.string().min(1).max(2048),
  auth: z
    .object({
      type: z.enum(RTSP_AUTH_TYPES).default('auto'),
      username: z.string().max(256).default(''),
      password: z.string().max(256).default(''),
    })
    .optional(),
  /** Files only: start again at the end. */
  loop: z.boolean().default(false),
  /** Files only: `realtime` paces frames like a live camera, `fast` decodes as fast as possible (batch analysis). */
  pacing: z.enum(['realtime', 'fast']).default('realtime'),
  /**
   * Analyse at most this many frames per second of video, evenly spaced (e.g. 30 of a 60 fps camera); every frame
   * when absent (or the ingest service's INGEST_MAX_FPS default).
   */
  maxFps: z.number().positive().max(1000).optional(),
});
export type SourceSpec = z.infer<typeof sourceSpecSchema>;

export const startSessionSchema = z.object({
  sessionId: sessionIdSchema.optional(),
  source: sourceSpecSchema,
});
export type StartSessionRequest = z.input<typeof startSessionSchema>;

export const SESSION_STATES = ['starting', 'live', 'reconnecting', 'error', 'stopped'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

export const sessionStatsSchema = z.object({
  /** Decoded. */
  framesIn: z.number().int(),
  /** Decoded but not analysed by choice: above the session's maxFps. */
  framesSkipped: z.number().int(),
  framesPublished: z.number().int(),
  /** Lost to overload (live sources): dropped at the source. */
  framesDropped: z.number().int(),
  reconnects: z.number().int(),
  fpsIn: z.number(),
  fpsOut: z.number(),
});
export type SessionStats = z.infer<typeof sessionStatsSchema>;

/**
 * A session as the ingest API reports it; `source.url` never contains credentials. The source URL and the error
 * message are operational details: only operators and admins get them (`withoutOperationalDetails`).
 */
export const sessionInfoSchema = z.object({
  sessionId: z.string(),
  state: z.enum(SESSION_STATES),
  source: z.object({
    type: z.enum(SOURCE_TYPES),
    url: z.string().optional().meta({ description: 'operators and admins only' }),
    live: z.boolean(),
  }),
  startedAt: z.string().meta({ format: 'date-time' }),
  stoppedAt: z.string().meta({ format: 'date-time' }).optional(),
  lastError: z.object({ code: z.string(), message: z.string().optional().meta({ description: 'operators and admins only' }) }).optional(),
  stats: sessionStatsSchema,
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

/** What a viewer without an operating role sees of a session: no source URL (camera hosts), no error text. */
export function withoutOperationalDetails(info: SessionInfo): SessionInfo {
  const { url: _url, ...source } = info.source;
  return { ...info, source, ...(info.lastError && { lastError: { code: info.lastError.code } }) };
}

/** Strips credentials from a URL before it is logged, stored or sent anywhere. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = parsed.password ? '***' : '';
    }
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
