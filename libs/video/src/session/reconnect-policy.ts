/**
 * When a source fails: which failures are worth retrying, and how long to wait before attempt n (exponential,
 * capped, with ±20 % jitter so a fleet of cameras behind one restarted server does not reconnect in lock-step).
 */
import { SightlineError } from '@sightline/contracts';
import { RtspErrorCode } from '@sightline/rtsp';
import { VideoErrorCode } from '../errors.js';
import { DecodeErrorCode } from '../ffmpeg/stderr.js';

export interface ReconnectPolicyOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Returns [0, 1); injectable for tests. */
  random?: () => number;
}

export class ReconnectPolicy {
  private readonly random: () => number;

  constructor(private readonly options: ReconnectPolicyOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Delay before reconnect attempt `attempt` (1-based). */
  delayMs(attempt: number): number {
    const { initialDelayMs, maxDelayMs } = this.options;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt - 1, 30));
    const jittered = base * (0.8 + 0.4 * this.random());
    return Math.round(Math.min(maxDelayMs, jittered));
  }
}

/** Failures that retrying cannot fix: the session ends with a fatal `sourceError`. */
const ALWAYS_FATAL = new Set<string>([
  RtspErrorCode.unauthorized,
  RtspErrorCode.unsupportedMedia,
  RtspErrorCode.unsupportedCodec,
  RtspErrorCode.addressNotAllowed,
  DecodeErrorCode.sourceCorrupt,
  VideoErrorCode.invalidSource,
  VideoErrorCode.frameTooLarge,
]);

/**
 * Maps a run failure to the code reported in events: a 404 from the RTSP server means the stream does not exist.
 */
export function sourceErrorCode(error: SightlineError): string {
  if (error.code === RtspErrorCode.protocol && error.context.status === 404) return DecodeErrorCode.sourceNotFound;
  return error.code;
}

/**
 * Whether a failure ends the session. A source that never delivered a frame and is not there at all (missing file
 * or device, unknown RTSP path) is a configuration mistake; once it has worked, the same failure is an outage.
 * A file source that never worked is never retried (nothing will change); a camera or server that is unreachable
 * may come up later, so connection failures are retried.
 */
export function isFatal(code: string, context: { sourceType: string; everLive: boolean }): boolean {
  if (ALWAYS_FATAL.has(code)) return true;
  if (context.everLive) return false;
  return code === DecodeErrorCode.sourceNotFound || context.sourceType === 'file';
}

export function asSightlineError(err: unknown, fallbackCode: string): SightlineError {
  if (err instanceof SightlineError) return err;
  return new SightlineError(fallbackCode, err instanceof Error ? err.message : String(err), {}, { cause: err });
}
