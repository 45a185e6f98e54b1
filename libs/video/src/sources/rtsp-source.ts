/**
 * RTSP over TCP through our own client (@sightline/rtsp): depacketised H.264 access units or MPEG-TS packets are
 * piped into the session's FFmpeg. Each frame gets the RTP presentation time and capture time (RTCP sender report
 * wall clock when the server sent one, else arrival) of the sample it was decoded from, and its decode latency.
 */
import { SightlineError, redactUrl, type RtspAuthType, type SourceSpec } from '@sightline/contracts';
import { openRtspStream, RtspErrorCode, type AddressPolicy, type RtspAuthOptions, type RtspStream } from '@sightline/rtsp';
import type { PipeFormat } from '../ffmpeg/command.js';
import { FfmpegDecoder } from '../ffmpeg/decoder.js';
import type { VideoLogger } from '../logger.js';
import { SampleLedger } from '../timing/sample-ledger.js';
import type { FrameSource, RunHooks, SourceFrame, SourceRun, SourceSettings } from './source.js';

export interface RtspSourceOptions {
  url: string;
  auth?: SourceSpec['auth'];
  /** Scheme used when the request names none (RTSP_AUTH). */
  defaultAuth: RtspAuthType;
  connectTimeoutMs: number;
  /** Networks the RTSP server may be in (SSRF guard); default: any. */
  addressPolicy?: AddressPolicy;
}

interface SampleTiming {
  /** RTP ticks since the first sample of the run. */
  pts: number;
  captureTime: number;
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
    if (!/^rtsp:\/\//i.test(options.url)) throw new SightlineError('INVALID_SOURCE', 'RTSP source must be an rtsp:// URL', { url: redactUrl(options.url) });
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
      input: { kind: 'pipe', format },
      output: this.settings.frame,
      logger: this.logger,
      context: { ...this.context, codec: stream.media.codec },
      onDecodeError: hooks.onDecodeError,
    });
    // RTP timestamps of MP2T packets belong to the mux's output, not to the frames inside: take the TS's own PTS.
    const ptsFrom = stream.media.codec === 'h264' ? { rtpClockRate: stream.media.format.clockRate || 90_000 } : 'decoder';
    return new RtspRun(stream, decoder, ptsFrom);
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

  constructor(
    private readonly stream: RtspStream,
    private readonly decoder: FfmpegDecoder,
    /** Where presentation times come from: the RTP timestamp of the frame's sample, or the decoded stream. */
    private readonly ptsFrom: { rtpClockRate: number } | 'decoder',
  ) {
    void this.pump();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SourceFrame> {
    let firstDecoderPts: number | undefined;
    for await (const frame of this.decoder) {
      const pos = frame.info?.pos;
      const sample = pos === undefined ? undefined : this.ledger.lookup(pos);
      const decoderPts = frame.info?.ptsTime ?? 0;
      firstDecoderPts ??= decoderPts;
      yield {
        pixels: frame.pixels,
        source: frame.source,
        pts:
          this.ptsFrom !== 'decoder' && sample ? sample.value.pts / this.ptsFrom.rtpClockRate : decoderPts - firstDecoderPts,
        // Without a known sample (FFmpeg gave no position) the frame is timed when it came out.
        captureTime: sample?.value.captureTime ?? frame.emergedAt,
        decodeMs: sample ? Math.max(0, frame.emergedAt - sample.writtenAt) : undefined,
      };
    }
  }

  async close(reason?: SightlineError): Promise<void> {
    await Promise.all([this.stream.close(), this.decoder.abort(reason)]);
  }

  /** RTSP samples into FFmpeg, honouring its back-pressure; the stream's end or failure ends the run. */
  private async pump(): Promise<void> {
    try {
      for await (const sample of this.stream) {
        this.ledger.record(sample.data.length, { pts: sample.pts, captureTime: sample.wallClockMs ?? sample.arrivalMs });
        if (!this.decoder.write(sample.data)) await this.decoder.drained();
      }
      // Iteration ends normally only after our own close(); the decoder is being stopped too.
    } catch (err) {
      const reason =
        err instanceof SightlineError ? err : new SightlineError(RtspErrorCode.streamEnded, `RTSP stream failed: ${String(err)}`);
      await this.decoder.abort(reason);
    }
  }
}
