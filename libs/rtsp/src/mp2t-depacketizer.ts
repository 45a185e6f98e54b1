/**
 * MPEG-2 TS over RTP (RFC 2250, payload type 33): each RTP payload is a whole number of 188-byte TS packets.
 * They are passed on as they are (the demuxer downstream, e.g. FFmpeg `-f mpegts`, resynchronises on TS continuity
 * counters after a loss); payloads that are not sync-byte-aligned TS packets are dropped and counted.
 */
import type { RtpPacket } from './rtp.js';
import { sequenceGap } from './rtp.js';

export const TS_PACKET_SIZE = 188;
const TS_SYNC_BYTE = 0x47;

export interface Mp2tPackets {
  /** One or more complete 188-byte TS packets (a view into the received data). */
  data: Buffer;
  rtpTimestamp: number;
  /** Packets were lost right before this one. */
  discontinuity: boolean;
}

export interface Mp2tDepacketizerStats {
  lostPackets: number;
  malformedPackets: number;
}

export class Mp2tDepacketizer {
  readonly stats: Mp2tDepacketizerStats = { lostPackets: 0, malformedPackets: 0 };
  private lastSequence?: number;

  /** A new sender (new SSRC): its sequence numbers are unrelated to the old ones. */
  restart(): void {
    this.lastSequence = undefined;
  }

  push(packet: RtpPacket): Mp2tPackets | undefined {
    const gap = sequenceGap(this.lastSequence, packet.sequenceNumber);
    if (gap < 0) return undefined;
    this.lastSequence = packet.sequenceNumber;
    this.stats.lostPackets += gap;
    if (!isTsPacketRun(packet.payload)) {
      this.stats.malformedPackets++;
      return undefined;
    }
    return { data: packet.payload, rtpTimestamp: packet.timestamp, discontinuity: gap > 0 };
  }
}

function isTsPacketRun(payload: Buffer): boolean {
  if (payload.length === 0 || payload.length % TS_PACKET_SIZE !== 0) return false;
  for (let offset = 0; offset < payload.length; offset += TS_PACKET_SIZE) {
    if (payload[offset] !== TS_SYNC_BYTE) return false;
  }
  return true;
}
