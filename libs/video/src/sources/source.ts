/**
 * A frame source is something a session can (re)open: each open() is one *run* (one FFmpeg process, and for RTSP one
 * RTSP session) that yields letterboxed frames until it ends or fails. Reconnecting is the session's policy.
 */
import type { SightlineError, Size, SourceType } from '@sightline/contracts';
import type { FrameFormat, HardwareDecoder, PreviewOptions } from '../ffmpeg/command.js';
import type { FfmpegDecoder, PreviewPicture } from '../ffmpeg/decoder.js';

export interface SourceFrame {
  /** Letterboxed pixels in the session's frame format. */
  pixels: Buffer;
  source: Size;
  /** Presentation time in seconds from the start of this run (the session makes it continuous across runs). */
  pts: number;
  /** Host clock, epoch ms: when the frame's data arrived (RTSP), else when it came out of the decoder. */
  captureTime: number;
  /** The sender's wall clock for the frame (RTCP sender report), epoch ms on its own clock; RTSP only. */
  sourceTime?: number;
  /** Elementary stream written to FFmpeg until this frame came out, when measurable (piped sources). */
  decodeMs?: number;
  /** The latest downscaled source picture of the run (with a preview configured). */
  preview?: PreviewPicture;
}

export interface SourceRun extends AsyncIterable<SourceFrame> {
  /** Stops the run and releases its processes and sockets; iteration then throws `reason`, or ends without one. */
  close(reason?: SightlineError): Promise<void>;
}

/** What a run reports to its session besides frames. */
export interface RunHooks {
  /** FFmpeg decoded around damaged input (truncated file, lost packets); the line says what it saw. */
  onDecodeError?: (line: string) => void;
  /** Units dropped before decoding to catch up with live (they never become frames). */
  onDroppedBeforeDecode?: (count: number) => void;
  /** A decoded frame was skipped: it has no presentation time of its own (see RtpFramePts). */
  onFrameNotTimed?: () => void;
}

export interface FrameSource {
  readonly type: SourceType;
  /** Live sources drop their oldest frames under back-pressure; batch sources wait instead. */
  readonly live: boolean;
  /** For logs and events: never contains credentials. */
  readonly description: string;
  /** A file source that is not looped ends by itself; that is the end of the session, not a failure. */
  readonly endsNaturally: boolean;
  open(hooks?: RunHooks): Promise<SourceRun>;
}

export interface SourceSettings {
  ffmpegPath: string;
  frame: FrameFormat;
  hwaccel?: HardwareDecoder;
  decodeThreads?: number;
  preview?: PreviewOptions;
}

/**
 * A run whose timing comes from FFmpeg itself (files, devices): pts from the decoded stream, relative to the run's
 * first frame; capture time = when the frame was decoded (for a paced file that is when it "happens").
 */
export class DecoderTimedRun implements SourceRun {
  constructor(private readonly decoder: FfmpegDecoder) {}

  async *[Symbol.asyncIterator](): AsyncIterator<SourceFrame> {
    let firstPts: number | undefined;
    for await (const frame of this.decoder) {
      const ptsTime = frame.info?.ptsTime ?? 0;
      firstPts ??= ptsTime;
      yield { pixels: frame.pixels, source: frame.source, pts: ptsTime - firstPts, captureTime: frame.emergedAt, preview: frame.preview };
    }
  }

  close(reason?: SightlineError): Promise<void> {
    return this.decoder.abort(reason);
  }
}
