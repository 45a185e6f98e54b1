/**
 * An RTSP client session for one video stream: OPTIONS, DESCRIBE, SETUP (RTP/AVP/TCP interleaved), PLAY, keep-alive
 * within the session timeout, TEARDOWN on close. Depacketised samples come out of an async iterator:
 *
 *   const stream = await openRtspStream({ url, auth: { type: 'digest', username, password } });
 *   for await (const sample of stream) decoder.write(sample.data);
 *
 * The iterator ends after close(); it throws a SightlineError (RTSP_STREAM_ENDED, RTSP_PROTOCOL, ...) when the
 * server goes away. Reconnecting is the caller's policy.
 */
import { BoundedAsyncQueue } from '@sightline/async';
import { redactUrl, type RtspAuthType, type SightlineError } from '@sightline/contracts';
import { createAuthStrategy } from './auth/create-auth-strategy.js';
import type { AuthStrategy, Credentials } from './auth/auth-strategy.js';
import type { AddressPolicy } from './address-policy.js';
import { RtspConnection } from './connection.js';
import { RtspErrorCode, rtspError } from './errors.js';
import { H264Depacketizer } from './h264-depacketizer.js';
import { Mp2tDepacketizer } from './mp2t-depacketizer.js';
import { interleavedChannels, parseSessionHeader, supportsGetParameter } from './message.js';
import { parseRtcpSenderReports, parseRtpPacket, RtpTimeline, wallClockOf, type SenderReport } from './rtp.js';
import { parseSdp, parseSpropParameterSets, resolveControlUrl, type MediaFormat, type SessionDescription } from './sdp.js';
import { parseRtspUrl, type RtspTarget } from './url.js';

export interface RtspAuthOptions {
  type: RtspAuthType;
  /** Default: the URL's userinfo. */
  username?: string;
  password?: string;
}

export interface OpenRtspStreamOptions {
  /** rtsp://[user:password@]host[:port]/path; the port defaults to 554. */
  url: string;
  /** A configured scheme, or any AuthStrategy. Default: `auto` with the URL's credentials. */
  auth?: RtspAuthOptions | AuthStrategy;
  connectTimeoutMs?: number;
  responseTimeoutMs?: number;
  userAgent?: string;
  /** Samples buffered for a slow consumer before the socket stops being read (TCP back-pressure). */
  maxBufferedSamples?: number;
  /** Addresses the client may connect to (SSRF guard); default: any. */
  addressPolicy?: AddressPolicy;
}

export type RtspCodec = 'h264' | 'mp2t';

interface SampleTiming {
  rtpTimestamp: number;
  /** Presentation time in RTP clock ticks (90 kHz) since the first sample. */
  pts: number;
  /** Capture time on the sender's wall clock (ms since epoch), once an RTCP sender report has arrived. */
  wallClockMs?: number;
  /** When the last packet of the sample arrived here (ms since epoch). */
  arrivalMs: number;
}

export type RtspSample =
  | ({
      codec: 'h264';
      /** Annex-B access unit. */
      data: Buffer;
      keyframe: boolean;
      /** Other pictures may reference this one (nal_ref_idc ≠ 0). */
      reference: boolean;
    } & SampleTiming)
  | ({ codec: 'mp2t'; /** Whole 188-byte TS packets. */ data: Buffer; discontinuity: boolean } & SampleTiming);

export interface RtspMediaInfo {
  codec: RtspCodec;
  format: MediaFormat;
  /** The SETUP URL of the track (no credentials). */
  controlUrl: string;
}

export interface RtspStreamStats {
  rtpPackets: number;
  rtcpSenderReports: number;
  /** RTP bytes (headers included) of the selected media. */
  bytesReceived: number;
  lostPackets: number;
  /** H.264 access units dropped because packets were lost or malformed. */
  droppedAccessUnits: number;
  /** Not RTP, wrong payload type, not TS-aligned, or an unsupported H.264 packetization. */
  malformedPackets: number;
  /** H.264 access units over the size or NAL-count cap (also in droppedAccessUnits). */
  oversizedAccessUnits: number;
  /** Keep-alive requests sent (GET_PARAMETER or OPTIONS). */
  keepAlives: number;
  /** Sender timeline breaks (new SSRC, RTP timestamp jump) bridged so that pts keep increasing. */
  discontinuities: number;
}

export async function openRtspStream(options: OpenRtspStreamOptions): Promise<RtspStream> {
  const target = parseRtspUrl(options.url);
  const stream = new RtspStream(target, toAuthStrategy(options.auth, target.credentials), options);
  await stream.start();
  return stream;
}

export class RtspStream implements AsyncIterable<RtspSample> {
  private connection?: RtspConnection;
  private describedSdp?: SessionDescription;
  private selected?: RtspMediaInfo;
  private depacketizer?: H264Depacketizer | Mp2tDepacketizer;
  private timeline?: RtpTimeline;
  private readonly counters = { rtpPackets: 0, rtcpSenderReports: 0, bytesReceived: 0, malformedPackets: 0, keepAlives: 0 };
  private senderReport?: SenderReport;
  private ssrc?: number;
  private channels = { rtp: 0, rtcp: 1 };
  private keepAliveTimer?: NodeJS.Timeout;
  private sessionHeader?: string;
  private aggregateUrl = '';

  /** Depacketised samples for the consumer; at its high water mark the socket stops being read (TCP back-pressure). */
  private readonly samples: BoundedAsyncQueue<RtspSample>;
  /** close() was called: incoming media is ignored from then on. */
  private closing = false;

  /** Use openRtspStream(). */
  constructor(
    private readonly target: RtspTarget,
    private readonly auth: AuthStrategy,
    private readonly options: OpenRtspStreamOptions,
  ) {
    this.samples = new BoundedAsyncQueue({
      highWater: options.maxBufferedSamples ?? 240,
      onHigh: () => this.connection?.pause(),
      onLow: () => this.connection?.resume(),
    });
  }

  get sdp(): SessionDescription {
    return this.describedSdp!;
  }

  get media(): RtspMediaInfo {
    return this.selected!;
  }

  /** Sender timeline breaks bridged so far (see stats.discontinuities); cheap to poll per sample. */
  get discontinuities(): number {
    return this.timeline?.discontinuities ?? 0;
  }

  get lastSenderReport(): SenderReport | undefined {
    return this.senderReport;
  }

  get stats(): RtspStreamStats {
    const h264 = this.depacketizer instanceof H264Depacketizer ? this.depacketizer.stats : undefined;
    const mp2t = this.depacketizer instanceof Mp2tDepacketizer ? this.depacketizer.stats : undefined;
    return {
      ...this.counters,
      lostPackets: (h264 ?? mp2t)?.lostPackets ?? 0,
      droppedAccessUnits: h264?.droppedAccessUnits ?? 0,
      oversizedAccessUnits: h264?.oversizedAccessUnits ?? 0,
      discontinuities: this.timeline?.discontinuities ?? 0,
      malformedPackets: this.counters.malformedPackets + (h264?.unsupportedPackets ?? 0) + (mp2t?.malformedPackets ?? 0),
    };
  }

  /** @internal Runs the RTSP handshake up to PLAY; closes the connection if any step fails. */
  async start(): Promise<void> {
    const { host, port, url } = this.target;
    const connection = await RtspConnection.open({
      host,
      port,
      auth: this.auth,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 5000,
      responseTimeoutMs: this.options.responseTimeoutMs ?? 5000,
      addressPolicy: this.options.addressPolicy,
      userAgent: this.options.userAgent ?? 'Sightline RTSP client',
      onInterleaved: (channel, data) => this.onInterleaved(channel, data),
      onClose: (error) => this.onClosed(error),
    });
    this.connection = connection;
    try {
      const options = await connection.request('OPTIONS', url);
      const describe = await connection.request('DESCRIBE', url, { Accept: 'application/sdp' });
      this.describedSdp = parseSdp(describe.body.toString('utf8'));
      const baseUrl = describe.header('Content-Base') ?? describe.header('Content-Location') ?? url;
      this.selected = this.selectMedia(this.describedSdp, baseUrl);
      const setup = await connection.request('SETUP', this.selected.controlUrl, {
        Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
      });
      this.channels = interleavedChannels(setup.header('Transport'));
      const session = parseSessionHeader(setup, this.errorContext());
      this.sessionHeader = session.id;
      this.depacketizer =
        this.selected.codec === 'h264'
          ? new H264Depacketizer(parseSpropParameterSets(this.selected.format.parameters['sprop-parameter-sets']))
          : new Mp2tDepacketizer();
      this.aggregateUrl = resolveControlUrl(this.describedSdp.control, baseUrl);
      await connection.request('PLAY', this.aggregateUrl, { Session: session.id, Range: 'npt=0.000-' });
      this.startKeepAlive(session.timeoutS, supportsGetParameter(options));
    } catch (err) {
      connection.close();
      throw err;
    }
  }

  /** TEARDOWN (best effort, briefly awaited) and disconnect. Samples not yet taken are discarded; iteration ends. */
  async close(): Promise<void> {
    const connection = this.connection;
    if (!connection || this.closing || this.samples.ended) return;
    this.closing = true;
    this.samples.close();
    clearInterval(this.keepAliveTimer);
    connection.resume(); // back-pressure may have paused reading, and the TEARDOWN answer must get through
    if (this.sessionHeader) {
      await connection.request('TEARDOWN', this.aggregateUrl, { Session: this.sessionHeader }, 1000).catch(() => undefined);
    }
    connection.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<RtspSample> {
    return {
      next: () => this.samples.next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  private onClosed(error: SightlineError | undefined): void {
    clearInterval(this.keepAliveTimer);
    // While closing, the server hanging up after TEARDOWN is the expected end, not a failure.
    this.samples.end(this.closing ? undefined : error);
  }

  private onInterleaved(channel: number, data: Buffer): void {
    if (channel === this.channels.rtcp) return this.onRtcp(data);
    if (channel !== this.channels.rtp || !this.depacketizer || this.closing) return;
    const packet = parseRtpPacket(data);
    if (!packet || packet.payloadType !== this.selected!.format.payloadType) {
      this.counters.malformedPackets++;
      return;
    }
    this.counters.rtpPackets++;
    this.counters.bytesReceived += data.length;
    // A new SSRC is a new sender (a restarted encoder): the old sender reports say nothing about its clock.
    if (this.ssrc !== undefined && packet.ssrc !== this.ssrc) {
      this.senderReport = undefined;
      this.depacketizer.restart();
    }
    this.ssrc = packet.ssrc;
    if (this.depacketizer instanceof H264Depacketizer) {
      for (const unit of this.depacketizer.push(packet)) {
        void this.samples.push({
          codec: 'h264',
          data: unit.data,
          keyframe: unit.keyframe,
          reference: unit.reference,
          ...this.timing(unit.rtpTimestamp),
        });
      }
    } else {
      const packets = this.depacketizer.push(packet);
      if (packets) {
        void this.samples.push({
          codec: 'mp2t',
          data: packets.data,
          discontinuity: packets.discontinuity,
          ...this.timing(packets.rtpTimestamp),
        });
      }
    }
  }

  private onRtcp(data: Buffer): void {
    for (const report of parseRtcpSenderReports(data)) {
      if (this.ssrc !== undefined && report.ssrc !== this.ssrc) continue;
      this.senderReport = report;
      this.counters.rtcpSenderReports++;
    }
  }

  private timing(rtpTimestamp: number): SampleTiming {
    const clockRate = this.selected!.format.clockRate || 90_000;
    this.timeline ??= new RtpTimeline(clockRate);
    const arrivalMs = Date.now();
    return {
      rtpTimestamp,
      pts: this.timeline.place(this.ssrc!, rtpTimestamp, arrivalMs).pts,
      wallClockMs: this.senderReport && wallClockOf(rtpTimestamp, this.senderReport, clockRate),
      arrivalMs,
    };
  }

  private selectMedia(sdp: SessionDescription, baseUrl: string): RtspMediaInfo {
    for (const media of sdp.media.filter((m) => m.type === 'video')) {
      for (const format of media.formats) {
        const codec = codecOf(format);
        if (codec) return { codec, format, controlUrl: resolveControlUrl(media.control, baseUrl) };
      }
    }
    const offered = sdp.media.flatMap((m) => m.formats.map((f) => `${m.type}/${f.encodingName || f.payloadType}`));
    const videoCodecs = sdp.media.filter((m) => m.type === 'video').flatMap((m) => m.formats.map((f) => describeCodec(f)));
    if (videoCodecs.length) {
      throw rtspError(
        RtspErrorCode.unsupportedCodec,
        `the camera sends ${videoCodecs.join(', ')} video; only H.264 (packetization mode 0/1) and MPEG-TS are supported`,
        { ...this.errorContext(), codecs: videoCodecs, offered },
      );
    }
    throw rtspError(RtspErrorCode.unsupportedMedia, `no video in the SDP (offered: ${offered.join(', ')})`, {
      ...this.errorContext(),
      offered,
    });
  }

  private startKeepAlive(timeoutS: number, useGetParameter: boolean): void {
    const method = useGetParameter ? 'GET_PARAMETER' : 'OPTIONS';
    let inFlight = false;
    this.keepAliveTimer = setInterval(
      () => {
        if (inFlight) return; // one keep-alive at a time, however slow the server answers
        inFlight = true;
        this.counters.keepAlives++;
        this.connection!.request(method, this.aggregateUrl, { Session: this.sessionHeader! })
          .catch((err: SightlineError) => {
            // A slow answer is not fatal (we may be paused by back-pressure); an error status means the session is gone.
            if (err.code === RtspErrorCode.protocol || err.code === RtspErrorCode.unauthorized) this.connection!.close(err);
          })
          .finally(() => (inFlight = false));
      },
      (timeoutS * 1000) / 2,
    );
    this.keepAliveTimer.unref();
  }

  private errorContext(): Record<string, unknown> {
    return { host: this.target.host, port: this.target.port, url: redactUrl(this.target.url) };
  }
}

/** `H265`, `JPEG`, `H264 (packetization-mode 2)`, or the static payload type's number when there is no rtpmap. */
function describeCodec(format: MediaFormat): string {
  const name = format.encodingName || (format.payloadType === 26 ? 'JPEG' : `payload type ${format.payloadType}`);
  const mode = format.parameters['packetization-mode'];
  return name === 'H264' && mode !== undefined ? `H264 (packetization-mode ${mode})` : name;
}

function codecOf(format: MediaFormat): RtspCodec | undefined {
  if (format.encodingName === 'MP2T') return 'mp2t';
  // packetization-mode 2 (interleaved) needs decoding-order reassembly we do not implement.
  if (format.encodingName === 'H264' && Number(format.parameters['packetization-mode'] ?? 0) <= 1) return 'h264';
  return undefined;
}

function toAuthStrategy(auth: OpenRtspStreamOptions['auth'], urlCredentials: Credentials | undefined): AuthStrategy {
  if (auth && 'applyAuthHeaders' in auth) return auth;
  const credentials = auth?.username !== undefined ? { username: auth.username, password: auth.password ?? '' } : urlCredentials;
  return createAuthStrategy(auth?.type ?? 'auto', credentials);
}
