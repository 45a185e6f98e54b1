/** RTP (RFC 3550) packet parsing, RTCP sender reports, and the RTP-timestamp arithmetic built on them. */

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** View into the received data, without header, extension and padding. */
  payload: Buffer;
}

/** Returns undefined for anything that is not a well-formed RTP version 2 packet. */
export function parseRtpPacket(data: Buffer): RtpPacket | undefined {
  if (data.length < 12 || data[0]! >> 6 !== 2) return undefined;
  const hasPadding = (data[0]! & 0x20) !== 0;
  const hasExtension = (data[0]! & 0x10) !== 0;
  const csrcCount = data[0]! & 0x0f;
  let offset = 12 + 4 * csrcCount;
  if (hasExtension) {
    if (data.length < offset + 4) return undefined;
    offset += 4 + 4 * data.readUInt16BE(offset + 2);
  }
  const padding = hasPadding ? data[data.length - 1]! : 0;
  const end = data.length - padding;
  if (end < offset) return undefined;
  return {
    marker: (data[1]! & 0x80) !== 0,
    payloadType: data[1]! & 0x7f,
    sequenceNumber: data.readUInt16BE(2),
    timestamp: data.readUInt32BE(4),
    ssrc: data.readUInt32BE(8),
    payload: data.subarray(offset, end),
  };
}

/**
 * Packets lost between the previous sequence number and this one (0 when consecutive), or -1 when the packet is
 * a duplicate or arrives late (it is then behind the previous one and should be ignored).
 */
export function sequenceGap(previous: number | undefined, current: number): number {
  if (previous === undefined) return 0;
  const gap = (current - previous - 1) & 0xffff;
  return gap >= 0x8000 ? -1 : gap;
}

export interface SenderReport {
  ssrc: number;
  /** The sender's wall clock (NTP timestamp) as milliseconds since the Unix epoch. */
  ntpTimeMs: number;
  /** The RTP timestamp that corresponds to ntpTimeMs. */
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

const NTP_UNIX_EPOCH_OFFSET_S = 2_208_988_800;
const RTCP_SENDER_REPORT = 200;

/** Sender reports in a (compound) RTCP packet; other RTCP packet types are skipped. */
export function parseRtcpSenderReports(data: Buffer): SenderReport[] {
  const reports: SenderReport[] = [];
  let offset = 0;
  while (offset + 4 <= data.length && data[offset]! >> 6 === 2) {
    const length = 4 * (data.readUInt16BE(offset + 2) + 1);
    if (offset + length > data.length) break;
    if (data[offset + 1] === RTCP_SENDER_REPORT && length >= 28) {
      const seconds = data.readUInt32BE(offset + 8);
      const fraction = data.readUInt32BE(offset + 12);
      reports.push({
        ssrc: data.readUInt32BE(offset + 4),
        ntpTimeMs: (seconds - NTP_UNIX_EPOCH_OFFSET_S) * 1000 + (fraction / 2 ** 32) * 1000,
        rtpTimestamp: data.readUInt32BE(offset + 16),
        packetCount: data.readUInt32BE(offset + 20),
        octetCount: data.readUInt32BE(offset + 24),
      });
    }
    offset += length;
  }
  return reports;
}

/** Signed difference a - b of two 32-bit RTP timestamps, correct across wrap-around. */
export function rtpTimestampDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** Wall-clock capture time of an RTP timestamp, from the latest sender report of the same stream. */
export function wallClockOf(rtpTimestamp: number, report: SenderReport, clockRate: number): number {
  return report.ntpTimeMs + (rtpTimestampDelta(rtpTimestamp, report.rtpTimestamp) / clockRate) * 1000;
}

/**
 * Presentation times for one RTSP session that stay increasing and close-knit when the sender's timeline breaks: a
 * new SSRC (the camera's encoder restarted), or an RTP timestamp that jumps back by more than `maxBackwardS` (B-frames
 * step back a few frames, never seconds) or forward by more than `maxForwardS`. Such a sample continues the timeline
 * by the time that passed here since the previous one (at least one frame interval), and is counted.
 */
export class RtpTimeline {
  private ssrc?: number;
  private last?: { timestamp: number; arrivalMs: number };
  private ticks = 0;
  /** The latest forward step, used as one frame interval. */
  private step = 0;
  discontinuities = 0;

  constructor(
    private readonly clockRate: number,
    private readonly maxForwardS = 10,
    private readonly maxBackwardS = 1,
  ) {}

  /** Ticks since the first sample; `discontinuity` when this sample starts a new timeline. */
  place(ssrc: number, timestamp: number, arrivalMs: number): { pts: number; discontinuity: boolean } {
    const last = this.last;
    this.last = { timestamp, arrivalMs };
    const previousSsrc = this.ssrc;
    this.ssrc = ssrc;
    if (!last) return { pts: 0, discontinuity: false };
    const delta = rtpTimestampDelta(timestamp, last.timestamp);
    const broken = ssrc !== previousSsrc || delta > this.maxForwardS * this.clockRate || delta < -this.maxBackwardS * this.clockRate;
    if (!broken) {
      if (delta > 0) this.step = delta;
      this.ticks += delta;
      return { pts: this.ticks, discontinuity: false };
    }
    this.discontinuities++;
    const elapsedTicks = Math.round(((arrivalMs - last.arrivalMs) / 1000) * this.clockRate);
    this.ticks += Math.max(this.step || 1, elapsedTicks);
    return { pts: this.ticks, discontinuity: true };
  }
}
