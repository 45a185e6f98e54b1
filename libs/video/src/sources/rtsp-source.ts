/**
 * RTSP over TCP through our own client (@sightline/rtsp): depacketised H.264 access units or MPEG-TS packets are
 * piped into the session's FFmpeg. Each frame gets, from the sample it was decoded from: the RTP presentation time,
 * the capture time on this host's clock (when the sample arrived), the sender's wall clock for it (RTCP sender
 * report) when the server sends reports, and its decode latency.
 */
import { SightlineError, redactUrl, type RtspAuthType, type SourceSpec } from '@sightline/contracts';
import { openRtspStream, RtspErrorCode, type AddressPolicy, type RtspAuthOptions, type RtspStream } from '@sightline/rtsp';
import type { PipeFormat } from '../ffmpeg/command.js';
import { FfmpegDecoder } from '../ffmpeg/decoder.js';
import type { VideoLogger } from '../logger.js';
import { CatchUpGate } from '../timing/catch-up-gate.js';
import { TsCatchUp } from '../timing/ts-catch-up.js';
import { RtpFramePts, type FramePtsSkip } from '../timing/rtp-frame-pts.js';
import { SampleLedger, type LedgerEntry } from '../timing/sample-ledger.js';

/** Decoded frames of a run whose latency the catch-up gate ignores (FFmpeg probing the stream at start). */
const DECODE_WARM_UP_FRAMES = 60;
import type { FrameSource, RunHooks, SourceFrame, SourceRun, SourceSettings } from './source.js';
import { VideoErrorCode, VideoWarningCode } from '../errors.js';

export interface RtspSourceOptions {
  url: string;
  auth?: SourceSpec['auth'];
  /** Scheme used when the request names none (RTSP_AUTH). */
  defaultAuth: RtspAuthType;
  connectTimeoutMs: number;
  /** Live decoding further behind than this drops before decoding (see CatchUpGate; MP2T: TsCatchUp); 0: never. */
  maxDecodeLagMs?: number;
  /** Networks the RTSP server may be in (SSRF guard); default: any. */
  addressPolicy?: AddressPolicy;
}

interface SampleTiming {
  /** RTP ticks since the first sample of the run. */
  pts: number;
  /** When the sample arrived, host clock (epoch ms). */
  arrivalMs: number;
  /** The sender's wall clock for the sample (RTCP sender report), epoch ms on the camera's clock. */
  sourceTime?: number;
}

export class RtspSource implements FrameSource {
  readonly type = 'rtsp' as const;
  readonly live = true;
  readonly endsNaturally = false;
  readonly description: string;

  constructor(
    private readonly options: RtspSourceOptions,
    private readonly settings: SourceSettings,
    private readonly logger: VideoLogger,
    private readonly context: Record<string, unknown>,
  ) {
    if (!/^rtsp:\/\//i.test(options.url))
      throw new SightlineError(VideoErrorCode.invalidSource, 'RTSP source must be an rtsp:// URL', { url: redactUrl(options.url) });
    this.description = redactUrl(options.url);
  }

  async open(hooks: RunHooks = {}): Promise<SourceRun> {
    const stream = await openRtspStream({
      url: this.options.url,
      auth: this.authOptions(),
      connectTimeoutMs: this.options.connectTimeoutMs,
      responseTimeoutMs: this.options.connectTimeoutMs,
      addressPolicy: this.options.addressPolicy,
    });
    const format: PipeFormat = stream.media.codec === 'h264' ? 'h264' : 'mpegts';
    this.logger.info('rtsp stream opened', { ...this.context, codec: stream.media.codec, control: stream.media.controlUrl });
    const decoder = new FfmpegDecoder({
      ffmpegPath: this.settings.ffmpegPath,
      hwaccel: this.settings.hwaccel,
      decodeThreads: this.settings.decodeThreads,
      preview: this.settings.preview,
      input: { kind: 'pipe', format },
      output: this.settings.frame,
      logger: this.logger,
      context: { ...this.context, codec: stream.media.codec },
      onDecodeError: hooks.onDecodeError,
    });
    // RTP timestamps of MP2T packets belong to the mux's output, not to the frames inside: take the TS's own PTS.
    const ptsFrom = stream.media.codec === 'h264' ? { rtpClockRate: stream.media.format.clockRate || 90_000 } : 'decoder';
    const maxLagMs = this.options.maxDecodeLagMs ?? 500;
    const gate = maxLagMs > 0 ? new CatchUpGate({ maxLagMs }) : undefined;
    return new RtspRun(stream, decoder, ptsFrom, this.logger, this.context, gate, hooks);
  }

  private authOptions(): RtspAuthOptions {
    const auth = this.options.auth;
    if (!auth) return { type: this.options.defaultAuth };
    // Empty credentials in the request mean "use the URL's userinfo".
    return auth.username ? { type: auth.type, username: auth.username, password: auth.password } : { type: auth.type };
  }
}

class RtspRun implements SourceRun {
  private readonly ledger = new SampleLedger<SampleTiming>();
  private readonly tsCatchUp?: TsCatchUp;
  /** Input byte offset of the newest sample a decoded frame came from: FFmpeg has consumed the pipe up to there. */
  private decodedUpTo = -1;

  constructor(
    private readonly stream: RtspStream,
    private readonly decoder: FfmpegDecoder,
    /** Where presentation times come from: the RTP timestamp of the frame's sample, or the decoded stream. */
    private readonly ptsFrom: { rtpClockRate: number } | 'decoder',
    private readonly logger: VideoLogger,
    private readonly context: Record<string, unknown>,
    /** Drops before decoding when decoding falls behind: per access unit (H.264), per frame in TS packets (MP2T). */
    private readonly gate?: CatchUpGate,
    private readonly hooks: RunHooks = {},
  ) {
    this.tsCatchUp = gate && stream.media.codec === 'mp2t' ? new TsCatchUp(gate) : undefined;
    void this.pump();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SourceFrame> {
    let firstDecoderPts: number | undefined;
    const rtpPts = this.ptsFrom !== 'decoder' ? new RtpFramePts<LedgerEntry<SampleTiming>>() : undefined;
    const warned = new Set<FramePtsSkip>();
    let decodedFrames = 0;
    for await (const frame of this.decoder) {
      const pos = frame.info?.pos;
      const sample = pos === undefined ? undefined : this.ledger.lookup(pos);
      const timed = rtpPts?.next(sample);
      if (timed && 'skip' in timed) {
        this.hooks.onFrameNotTimed?.();
        if (!warned.has(timed.skip)) this.warnSkipped(timed.skip, pos);
        warned.add(timed.skip);
        continue;
      }
      // FFmpeg's first frames include its start-up probe: their latency says nothing about keeping up.
      if (sample) this.decodedUpTo = Math.max(this.decodedUpTo, sample.start);
      if (sample && ++decodedFrames > DECODE_WARM_UP_FRAMES) this.gate?.decoded(frame.emergedAt - sample.writtenAt, sample.writtenAt);
      const decoderPts = frame.info?.ptsTime ?? 0;
      firstDecoderPts ??= decoderPts;
      yield {
        pixels: frame.pixels,
        source: frame.source,
        pts: timed && this.ptsFrom !== 'decoder' ? timed.ticks / this.ptsFrom.rtpClockRate : decoderPts - firstDecoderPts,
        // Without a known sample (FFmpeg gave no position) the frame is timed when it came out.
        captureTime: sample?.value.arrivalMs ?? frame.emergedAt,
        ...(sample?.value.sourceTime !== undefined && { sourceTime: sample.value.sourceTime }),
        decodeMs: sample ? Math.max(0, frame.emergedAt - sample.writtenAt) : undefined,
        preview: frame.preview,
      };
    }
  }

  /** Logged once per run and kind (each one is counted): the frames of an RTP-timed run that are not published (see RtpFramePts). */
  private warnSkipped(skip: FramePtsSkip, pos: number | undefined): void {
    if (skip === 'sameSample') {
      // One H.264 access unit is one picture. A second one from the same unit comes from a sender that puts
      // parameter sets between the slices of a picture (seen with GStreamer's h264parse and multi-slice x264).
      this.logger.warn('access unit decoded as two pictures (parameter sets between slices); the second is skipped', {
        ...this.context,
        code: VideoWarningCode.splitAccessUnit,
      });
    } else {
      const why = skip === 'untraced' ? 'FFmpeg gave no input position for it' : 'its RTP time is not after the last frame';
      this.logger.warn(`decoded frame without a presentation time of its own (${why}); skipped`, {
        ...this.context,
        code: VideoWarningCode.frameNotTimed,
        reason: skip,
        pos,
      });
    }
  }

  async close(reason?: SightlineError): Promise<void> {
    const { discontinuities, droppedAccessUnits, oversizedAccessUnits, lostPackets } = this.stream.stats;
    if (discontinuities || droppedAccessUnits || lostPackets) {
      this.logger.info('rtsp run ended', { ...this.context, discontinuities, droppedAccessUnits, oversizedAccessUnits, lostPackets });
    }
    await Promise.all([this.stream.close(), this.decoder.abort(reason)]);
  }

  /** RTSP samples into FFmpeg, honouring its back-pressure; the stream's end or failure ends the run. */
  private async pump(): Promise<void> {
    try {
      let discontinuities = 0;
      for await (const sample of this.stream) {
        if (this.stream.discontinuities !== discontinuities) {
          // Logged once per run; the count is in the stream's stats and in the run's closing log line.
          if (discontinuities === 0) {
            this.logger.warn('the camera restarted or its RTP timeline jumped; presentation times continue', {
              ...this.context,
              code: VideoWarningCode.rtspDiscontinuity,
            });
          }
          discontinuities = this.stream.discontinuities;
        }
        let data = sample.data;
        const inFlightSince = this.gate && this.ledger.writtenAfter(this.decodedUpTo);
        if (sample.codec === 'h264' && this.gate && this.gate.decide(sample, Date.now(), inFlightSince) !== 'write') {
          this.hooks.onDroppedBeforeDecode?.(1);
          continue;
        }
        if (sample.codec === 'mp2t' && this.tsCatchUp) {
          const kept = this.tsCatchUp.filter(sample.data, sample.arrivalMs, Date.now(), inFlightSince);
          if (kept.droppedFrames) this.hooks.onDroppedBeforeDecode?.(kept.droppedFrames);
          if (kept.data.length === 0) continue;
          data = kept.data;
        }
        this.ledger.record(data.length, { pts: sample.pts, arrivalMs: sample.arrivalMs, sourceTime: sample.wallClockMs });
        if (!this.decoder.write(data)) await this.decoder.drained();
      }
      // Iteration ends normally only after our own close(); the decoder is being stopped too.
    } catch (err) {
      const reason =
        err instanceof SightlineError ? err : new SightlineError(RtspErrorCode.streamEnded, `RTSP stream failed: ${String(err)}`);
      await this.decoder.abort(reason);
    }
  }
}
