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

export interface SessionStats {
  /** Decoded. */
  framesIn: number;
  /** Decoded but not analysed by choice: above the session's maxFps. */
  framesSkipped: number;
  framesPublished: number;
  framesDropped: number;
  reconnects: number;
  fpsIn: number;
  fpsOut: number;
}

export interface SessionInfo {
  sessionId: string;
  state: SessionState;
  source: { type: SourceSpec['type']; url: string; live: boolean };
  startedAt: string;
  stoppedAt?: string;
  lastError?: { code: string; message: string };
  stats: SessionStats;
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
