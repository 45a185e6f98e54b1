import { baseConfigShape, env, loadConfig } from '@sightline/config';
import { PIXEL_FORMATS, RTSP_AUTH_TYPES, SharedErrorCode, SightlineError } from '@sightline/contracts';
import { AddressPolicy } from '@sightline/rtsp';
import {
  HARDWARE_DECODERS,
  defaultFfmpegPath,
  ffmpegOrigin,
  ffmpegVersion,
  usableHardwareDecoder,
  type IngestSettings,
  type VideoLogger,
} from '@sightline/video';
import { IngestCode } from './codes.js';

/** The default media directory of file sources (the images' only writable state lies under /var/lib/sightline). */
export const DEFAULT_MEDIA_ROOT = '/var/lib/sightline/media';

/** Environment variables of the ingest service (documented in docs/ingest.md). */
export const ingestConfigShape = {
  ...baseConfigShape,
  HTTP_PORT: env.port(3005),
  /** Where the auth service publishes the keys that verify operator/agent tokens. */
  AUTH_JWKS_URL: env.url('http://127.0.0.1:3001/.well-known/jwks.json', ['http', 'https']),
  /** Frames are letterboxed to the model input: 256x256 rgb24 for the default BlazeFace model. */
  INGEST_FRAME_WIDTH: env.int(256, 16, 4096),
  INGEST_FRAME_HEIGHT: env.int(256, 16, 4096),
  INGEST_PIXEL_FORMAT: env.oneOf(PIXEL_FORMATS, 'rgb24'),
  INGEST_MAX_SESSIONS: env.int(8, 1, 256),
  /** Analyse at most this many frames per second per session (evenly spaced) unless a session sets maxFps; 0 = all. */
  INGEST_MAX_FPS: env.int(0, 0, 1000),
  /** No frame for this long → reconnect the source. */
  INGEST_STALL_TIMEOUT_MS: env.int(5000, 500),
  INGEST_RECONNECT_INITIAL_DELAY_MS: env.int(1000, 50),
  INGEST_RECONNECT_MAX_DELAY_MS: env.int(30_000, 100),
  /** File sources must lie under this directory (symbolic links resolved): a directory for media only, never `/`. */
  INGEST_FILE_ROOT: env.string(DEFAULT_MEDIA_ROOT),
  /** Optional YAML/JSON list of sessions started at boot. */
  INGEST_SESSIONS_FILE: env.optionalString(),
  /** The system FFmpeg (/usr/bin/ffmpeg, security updates from the OS) when installed, else the npm static build. */
  FFMPEG_PATH: env.string(defaultFfmpegPath()),
  /**
   * `cuda`: decode files and RTSP streams with NVDEC (needs an FFmpeg built with nvdec, e.g. Debian's, in FFMPEG_PATH,
   * and an NVIDIA GPU); checked at start-up, software decoding with one warning when unusable. `none` by default.
   */
  INGEST_HWACCEL: env.oneOf(['none', ...HARDWARE_DECODERS], 'none'),
  /**
   * Threads of each session's software H.264 decoder; 0 = FFmpeg's default (cores + 1 frame threads). 1 by default:
   * one decoder process per session already spreads sessions over the cores, and single-threaded decoding costs less
   * CPU per frame (docs/benchmarks.md). Raise it for a single high-resolution stream on a many-core host.
   */
  INGEST_DECODE_THREADS: env.int(1, 0, 64),
  /**
   * The source picture for viewers (the console's live view): at most this wide, this many a second of video, decoded
   * beside the model frames and JPEG-encoded only when a viewer asks. 0 = no source pictures.
   */
  INGEST_PREVIEW_WIDTH: env.int(960, 0, 4096),
  INGEST_PREVIEW_FPS: env.int(4, 1, 30),
  /** RTSP auth scheme for sessions that name none (`auto` answers whatever the server's 401 asks for). */
  RTSP_AUTH: env.oneOf(RTSP_AUTH_TYPES, 'auto'),
  RTSP_CONNECT_TIMEOUT_MS: env.int(5000, 100),
  /** A session publishing frames with no result for this long gets a NO_RESULTS warning; 0 = never. */
  INGEST_NO_RESULTS_WARN_MS: env.int(10_000, 0),
  /** A sender clock (RTCP sender reports) this far from ours gets one SOURCE_CLOCK_OFFSET warning per session. */
  INGEST_CLOCK_OFFSET_WARN_MS: env.int(1000, 1),
  /** Live H.264 decoding further behind than this drops units before decoding (non-reference first); 0 = never. */
  INGEST_DECODE_MAX_LAG_MS: env.int(500, 0),
  /**
   * Networks (CIDRs, or `attached`: those of this machine's interfaces) RTSP servers may be in, and networks they may
   * never be in (wins). Empty: any. Compose denies its own network, loopback and link-local (cloud metadata) by
   * default; the local fleet and tests use cameras on 127.0.0.1.
   */
  INGEST_RTSP_ALLOWED_NETS: env.list([]),
  INGEST_RTSP_DENIED_NETS: env.list([]),
};

export type IngestConfig = ReturnType<typeof loadIngestConfig>;
export const loadIngestConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(ingestConfigShape, source);

/** The session manager's settings; probes the hardware decoder when one is configured. */
export async function ingestSettings(config: IngestConfig, logger: Pick<VideoLogger, 'info' | 'warn'>): Promise<IngestSettings> {
  const requested = config.INGEST_HWACCEL === 'none' ? undefined : config.INGEST_HWACCEL;
  await logFfmpeg(config.FFMPEG_PATH, logger);
  return {
    ffmpegPath: config.FFMPEG_PATH,
    hwaccel: await usableHardwareDecoder(config.FFMPEG_PATH, requested, logger),
    ...(config.INGEST_DECODE_THREADS > 0 && { decodeThreads: config.INGEST_DECODE_THREADS }),
    frame: { width: config.INGEST_FRAME_WIDTH, height: config.INGEST_FRAME_HEIGHT, pixelFormat: config.INGEST_PIXEL_FORMAT },
    maxSessions: config.INGEST_MAX_SESSIONS,
    ...(config.INGEST_PREVIEW_WIDTH > 0 && { preview: { width: config.INGEST_PREVIEW_WIDTH, fps: config.INGEST_PREVIEW_FPS } }),
    ...(config.INGEST_MAX_FPS > 0 && { maxFps: config.INGEST_MAX_FPS }),
    stallTimeoutMs: config.INGEST_STALL_TIMEOUT_MS,
    reconnectInitialDelayMs: config.INGEST_RECONNECT_INITIAL_DELAY_MS,
    reconnectMaxDelayMs: config.INGEST_RECONNECT_MAX_DELAY_MS,
    fileRoot: config.INGEST_FILE_ROOT,
    rtspAuth: config.RTSP_AUTH,
    rtspConnectTimeoutMs: config.RTSP_CONNECT_TIMEOUT_MS,
    noResultsWarnMs: config.INGEST_NO_RESULTS_WARN_MS,
    clockOffsetWarnMs: config.INGEST_CLOCK_OFFSET_WARN_MS,
    maxDecodeLagMs: config.INGEST_DECODE_MAX_LAG_MS,
    ...((config.INGEST_RTSP_ALLOWED_NETS.length || config.INGEST_RTSP_DENIED_NETS.length) && {
      rtspAddressPolicy: rtspAddressPolicy(config),
    }),
  };
}

/** Says which FFmpeg decodes untrusted video and its version; refuses to start when it cannot run. */
async function logFfmpeg(path: string, logger: Pick<VideoLogger, 'info' | 'warn'>): Promise<void> {
  let version: string;
  try {
    version = await ffmpegVersion(path);
  } catch (err) {
    throw new SightlineError(SharedErrorCode.configInvalid, `FFMPEG_PATH does not run FFmpeg: ${(err as Error).message}`, {
      ffmpegPath: path,
    });
  }
  const origin = ffmpegOrigin(path);
  logger.info('ffmpeg', { ffmpegPath: path, ffmpegVersion: version, ffmpegOrigin: origin });
  if (origin === 'bundled') {
    logger.warn('decoding with the npm static FFmpeg build (no security updates); install the system ffmpeg package', {
      code: IngestCode.ffmpegBundled,
      ffmpegPath: path,
      ffmpegVersion: version,
    });
  }
}

function rtspAddressPolicy(config: IngestConfig): AddressPolicy {
  try {
    return new AddressPolicy({ allow: config.INGEST_RTSP_ALLOWED_NETS, deny: config.INGEST_RTSP_DENIED_NETS });
  } catch (err) {
    throw new SightlineError(
      SharedErrorCode.configInvalid,
      `INGEST_RTSP_ALLOWED_NETS / INGEST_RTSP_DENIED_NETS: ${(err as Error).message}`,
    );
  }
}
