/** The ingest service's session API contract (REST body, CLI and console all build this). */
import { z } from 'zod';
import { SOURCE_TYPES, sessionIdSchema, sessionZonesSchema } from './schemas.js';

export const RTSP_AUTH_TYPES = ['none', 'basic', 'digest', 'auto'] as const;
export type RtspAuthType = (typeof RTSP_AUTH_TYPES)[number];

/** C0 controls and DEL: a CR/LF in a credential would split the RTSP request it is written into. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;
const credential = z
  .string()
  .max(256)
  .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters');

/** The object form of `auth`: scheme and credentials together (empty credentials: the URL's userinfo). */
const rtspAuthObjectSchema = z.object({
  type: z.enum(RTSP_AUTH_TYPES).default('auto'),
  username: credential.default(''),
  password: credential.default(''),
});

type RtspAuth = z.output<typeof rtspAuthObjectSchema>;

export const sourceSpecSchema = z
  .object({
    type: z.enum(SOURCE_TYPES),
    /** File path, rtsp:// URL, or device path such as /dev/video0. */
    url: z
      .string()
      .min(1)
      .max(2048)
      .refine((url) => !CONTROL_CHARACTERS.test(urlCredentials(url)), 'credentials in the URL must not contain control characters'),
    /**
     * RTSP auth: the scalar form `auth: basic|digest` of requirements §5.3, credentials from the URL's userinfo
     * or the `username`/`password` keys beside it, or the object form `{type, username, password}`.
     */
    auth: z.union([z.enum(RTSP_AUTH_TYPES), rtspAuthObjectSchema]).optional(),
    /** RTSP user for the scalar `auth` form (the object form carries its own). */
    username: credential.optional(),
    /** RTSP password for the scalar `auth` form. */
    password: credential.optional(),
    /** Files only: start again at the end. */
    loop: z.boolean().default(false),
    /** Files only: `realtime` paces frames like a live camera, `fast` decodes as fast as possible (batch analysis). */
    pacing: z.enum(['realtime', 'fast']).default('realtime'),
    /**
     * Analyse at most this many frames per second of video, evenly spaced (e.g. 30 of a 60 fps camera); every frame
     * when absent (or the ingest service's INGEST_MAX_FPS default).
     */
    maxFps: z.number().positive().max(1000).optional(),
  })
  .transform(({ auth, username, password, ...source }, ctx) => {
    const separateKeys = username !== undefined || password !== undefined;
    if (separateKeys && typeof auth !== 'string') {
      ctx.addIssue({
        code: 'custom',
        path: [username !== undefined ? 'username' : 'password'],
        message: auth ? 'with the object form of auth, put the credentials inside auth' : 'username/password need auth: basic|digest|auto',
      });
      return z.NEVER;
    }
    const normalized: RtspAuth | undefined =
      typeof auth === 'string' ? { type: auth, username: username ?? '', password: password ?? '' } : auth;
    const spec: typeof source & { auth?: RtspAuth } = { ...source };
    if (normalized) spec.auth = normalized;
    return spec;
  });
/** A validated source: `auth` always in the object form. */
export type SourceSpec = z.output<typeof sourceSpecSchema>;

export const startSessionSchema = z.object({
  sessionId: sessionIdSchema.optional(),
  source: sourceSpecSchema,
  /**
   * Zones and counting lines created with the session (source pixels; validated like `PUT /sessions/:id/zones`): they
   * travel in its sessionStarted event and replace the session's stored zones. Without them, stored zones stay.
   */
  zones: sessionZonesSchema.optional(),
});
export type StartSessionRequest = z.input<typeof startSessionSchema>;

export const SESSION_STATES = ['starting', 'live', 'reconnecting', 'error', 'stopped'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

export const sessionStatsSchema = z.object({
  /** Decoded: each one published, skipped, not timed, dropped before publishing, or discarded by a stop. */
  framesIn: z.number().int(),
  /** Decoded but not analysed by choice: above the session's maxFps. */
  framesSkipped: z.number().int(),
  framesPublished: z.number().int(),
  /** Lost to overload (live sources): dropped at the source. */
  framesDropped: z.number().int(),
  reconnects: z.number().int(),
  fpsIn: z.number(),
  fpsOut: z.number(),
  /** Of framesDropped: H.264 units dropped before decoding to catch up with live (the decoder fell behind). */
  framesDroppedBeforeDecode: z.number().int().optional(),
  /**
   * Of framesDropped: frames published, then purged from the session's full FRAMES backlog to make room for newer
   * ones (live back-pressure) before inference took them. Inference takes exactly framesPublished − framesPurged.
   */
  framesPurged: z.number().int().optional(),
  /**
   * Decoded but not published because they have no presentation time of their own (RTSP H.264: FFmpeg gave no input
   * position for the frame, its RTP time is not after the last frame's, or it is a second picture of one access unit).
   */
  framesNotTimed: z.number().int().optional(),
  /** frameAnalyzed results seen for this session's frames (any inference replica). */
  resultsSeen: z.number().int().optional(),
  /**
   * RTSP sources whose server sends RTCP sender reports: the sender's wall clock for a frame minus its arrival on
   * this host, smoothed (ms). Negative: the sender's latency (encoder, muxer) or a clock behind ours; hours: a
   * camera clock that is simply wrong. Reported only; nothing is measured from the sender's clock.
   */
  sourceClockOffsetMs: z.number().optional(),
});
export type SessionStats = z.infer<typeof sessionStatsSchema>;

/**
 * Conditions that do not stop a session but that someone must look at, each reported once when it starts
 * (log, non-fatal `sourceError` event) and listed while it lasts.
 */
export const SESSION_WARNING_CODES = {
  /** The sender's clock differs from this host's by more than the threshold (see `stats.sourceClockOffsetMs`). */
  sourceClockOffset: 'SOURCE_CLOCK_OFFSET',
  /** Frames are being published but no frameAnalyzed result has come back for a while: frames in, no results out. */
  noResults: 'NO_RESULTS',
} as const;

export const sessionWarningSchema = z.object({
  code: z.string(),
  message: z.string(),
  since: z.string().meta({ format: 'date-time' }),
});
export type SessionWarning = z.infer<typeof sessionWarningSchema>;

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
  /** Conditions in force now (see SESSION_WARNING_CODES); absent when none. */
  warnings: z.array(sessionWarningSchema).optional(),
  stats: sessionStatsSchema,
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

/**
 * Query parameters that carry credentials on cameras (`?user=admin&password=…`, `?token=…`, `?authkey=…`): matched
 * anywhere in the name, so `pass`, `passwd`, `loginPassword`, `api_key` and `access_token` are all caught.
 */
const CREDENTIAL_PARAMETER = /user|login|pass|pwd|token|auth|key|secret|sig|cred/i;
/** `scheme://` then everything up to the *last* `@` before the query: a password may contain `/` or `@`. */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^?#]*)@/i;

/** What a viewer without an operating role sees of a session: no source URL (camera hosts), no error text. */
export function withoutOperationalDetails(info: SessionInfo): SessionInfo {
  const { url: _url, ...source } = info.source;
  return { ...info, source, ...(info.lastError && { lastError: { code: info.lastError.code } }) };
}

/**
 * Strips credentials from a URL before it is logged, stored or sent anywhere: the userinfo (however it is spelt,
 * even when a password with `/` makes the URL unparsable) and the values of credential-like query parameters.
 */
export function redactUrl(url: string): string {
  const userinfo = USERINFO.exec(url);
  const withoutUserinfo = userinfo ? `${userinfo[1]}${redactedUserinfo(userinfo[2]!)}@${url.slice(userinfo[0].length)}` : url;
  const queryStart = withoutUserinfo.search(/[?#]/);
  if (queryStart < 0) return withoutUserinfo;
  const head = withoutUserinfo.slice(0, queryStart);
  const tail = withoutUserinfo
    .slice(queryStart)
    .replace(/([?&;])([^=&;#]*)=([^&;#]*)/g, (match, separator: string, name: string) =>
      CREDENTIAL_PARAMETER.test(decodeQueryName(name)) ? `${separator}${name}=***` : match,
    );
  return head + tail;
}

/** The percent-decoded userinfo of `url` ('' without one): what the RTSP client will send as credentials. */
export function urlCredentials(url: string): string {
  const userinfo = USERINFO.exec(url)?.[2];
  if (!userinfo) return '';
  try {
    return decodeURIComponent(userinfo);
  } catch {
    return userinfo;
  }
}

function redactedUserinfo(userinfo: string): string {
  return userinfo.includes(':') ? '***:***' : '***';
}

function decodeQueryName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
