/** Builders for RTP/RTCP packets and H.264 NAL units, shared by the unit tests. */
import { parseRtpPacket, type RtpPacket } from '../src/rtp.js';

export interface RtpPacketFields {
  sequenceNumber: number;
  timestamp: number;
  payload: Buffer;
  marker?: boolean;
  payloadType?: number;
  ssrc?: number;
}

export function rtpBytes({
  sequenceNumber,
  timestamp,
  payload,
  marker = false,
  payloadType = 96,
  ssrc = 0x11223344,
}: RtpPacketFields): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (marker ? 0x80 : 0) | payloadType;
  header.writeUInt16BE(sequenceNumber & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payload]);
}

export function rtp(fields: RtpPacketFields): RtpPacket {
  return parseRtpPacket(rtpBytes(fields))!;
}

/** A NAL unit of the given type: header byte (NRI 3) + `size - 1` filler bytes derived from `seed`. */
export function nal(type: number, size = 16, seed = type): Buffer {
  const unit = Buffer.alloc(size);
  unit[0] = 0x60 | type;
  for (let i = 1; i < size; i++) unit[i] = (seed * 31 + i) & 0xff || 1;
  return unit;
}

/** Splits a NAL unit into FU-A payloads of at most `chunk` bytes of NAL data each. */
export function fuA(unit: Buffer, chunk: number): Buffer[] {
  const indicator = (unit[0]! & 0xe0) | 28;
  const type = unit[0]! & 0x1f;
  const body = unit.subarray(1);
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += chunk) {
    const start = offset === 0 ? 0x80 : 0;
    const end = offset + chunk >= body.length ? 0x40 : 0;
    pieces.push(Buffer.concat([Buffer.from([indicator, start | end | type]), body.subarray(offset, offset + chunk)]));
  }
  return pieces;
}

export function stapA(units: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x78])]; // NRI 3, type 24
  for (const unit of units) {
    const size = Buffer.alloc(2);
    size.writeUInt16BE(unit.length);
    parts.push(size, unit);
  }
  return Buffer.concat(parts);
}

export function annexB(units: Buffer[]): Buffer {
  return Buffer.concat(units.flatMap((unit) => [Buffer.from([0, 0, 0, 1]), unit]));
}

/** An RTCP sender report for `ssrc` mapping `ntpTimeMs` (Unix ms) to `rtpTimestamp`. */
export function rtcpSenderReport(ssrc: number, ntpTimeMs: number, rtpTimestamp: number): Buffer {
  const packet = Buffer.alloc(28);
  packet[0] = 0x80;
  packet[1] = 200;
  packet.writeUInt16BE(6, 2);
  packet.writeUInt32BE(ssrc, 4);
  const ntpSeconds = Math.floor(ntpTimeMs / 1000) + 2_208_988_800;
  packet.writeUInt32BE(ntpSeconds, 8);
  packet.writeUInt32BE(Math.round(((ntpTimeMs % 1000) / 1000) * 2 ** 32), 12);
  packet.writeUInt32BE(rtpTimestamp >>> 0, 16);
  packet.writeUInt32BE(100, 20);
  packet.writeUInt32BE(100_000, 24);
  return packet;
}

/** TS packets with sync bytes and a recognisable fill. */
export function tsPackets(count: number, fill = 0xff): Buffer {
  const data = Buffer.alloc(188 * count, fill);
  for (let i = 0; i < count; i++) data[i * 188] = 0x47;
  return data;
}
