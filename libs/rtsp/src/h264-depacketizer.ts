/**
 * H.264 over RTP (RFC 6184, packetization modes 0 and 1) -> Annex-B access units.
 *
 * Supports single NAL unit packets, STAP-A and FU-A (fragments are reassembled across packets). An access unit is
 * all NAL units with one RTP timestamp; it ends at the marker bit or when the timestamp changes. A sequence-number
 * gap drops the access unit(s) it may have damaged instead of handing the decoder a corrupt picture. Output starts
 * at the first IDR access unit; the SDP's sprop-parameter-sets are injected in front of it when it lacks in-band
 * SPS/PPS. In-band parameter sets are passed through untouched.
 *
 * A unit is bounded (bytes and NAL units): a server that never closes one (no marker, same timestamp, an FU-A that
 * never ends) cannot make us hold more than one unit's cap; the oversized unit's data is released at once and the
 * unit is dropped as damaged when it ends.
 */
import type { RtpPacket } from './rtp.js';
import { sequenceGap } from './rtp.js';

export interface H264AccessUnit {
  /** Annex-B byte stream (4-byte start codes) of one access unit. */
  data: Buffer;
  rtpTimestamp: number;
  /** Contains an IDR slice. */
  keyframe: boolean;
  /** Another picture may predict from this one (a slice with nal_ref_idc ≠ 0): dropping it breaks the GOP until the next IDR. */
  reference: boolean;
}

export interface H264DepacketizerStats {
  lostPackets: number;
  /** Access units dropped because a packet of theirs was lost or malformed. */
  droppedAccessUnits: number;
  /** STAP-B, MTAP and FU-B (interleaved mode), which we do not support. */
  unsupportedPackets: number;
  /** Access units over the byte or NAL-unit cap (also counted in droppedAccessUnits). */
  oversizedAccessUnits: number;
}

export interface H264DepacketizerLimits {
  /** Largest access unit kept, in bytes (a 4K intra picture at a high bit rate is a few MB). */
  maxAccessUnitBytes: number;
  /** Most NAL units in one access unit (slices, SEI, parameter sets). */
  maxNalUnits: number;
}

export const DEFAULT_H264_LIMITS: H264DepacketizerLimits = { maxAccessUnitBytes: 8 * 1024 * 1024, maxNalUnits: 1024 };

export const NalType = {
  slice: 1,
  idr: 5,
  sei: 6,
  sps: 7,
  pps: 8,
  accessUnitDelimiter: 9,
  stapA: 24,
  fuA: 28,
} as const;

const START_CODE = Buffer.from([0, 0, 0, 1]);

interface PendingAccessUnit {
  rtpTimestamp: number;
  nals: Buffer[];
  /** Bytes held for this unit (complete NAL units and FU-A fragments). */
  bytes: number;
  damaged: boolean;
  /** Over a cap: nothing more is kept, the unit is dropped when it ends. */
  oversized: boolean;
}

export class H264Depacketizer {
  readonly stats: H264DepacketizerStats = { lostPackets: 0, droppedAccessUnits: 0, unsupportedPackets: 0, oversizedAccessUnits: 0 };
  private lastSequence?: number;
  private pending?: PendingAccessUnit;
  /** FU-A fragments of the NAL unit being reassembled (the first holds the rebuilt NAL header). */
  private fragments?: Buffer[];
  private started = false;
  private decoderHasParameterSets = false;

  /** @param parameterSets SPS/PPS NAL units from the SDP (sprop-parameter-sets), without start codes. */
  constructor(
    private readonly parameterSets: Buffer[] = [],
    private readonly limits: H264DepacketizerLimits = DEFAULT_H264_LIMITS,
  ) {}

  /**
   * A new sender (new SSRC: the camera's encoder restarted): its sequence numbers are unrelated to the old ones, and
   * decoding restarts at its first IDR. An unfinished unit of the old sender is dropped (counted).
   */
  restart(): void {
    if (this.pending) this.stats.droppedAccessUnits++;
    this.pending = undefined;
    this.fragments = undefined;
    this.lastSequence = undefined;
    this.started = false;
  }

  push(packet: RtpPacket): H264AccessUnit[] {
    const gap = sequenceGap(this.lastSequence, packet.sequenceNumber);
    if (gap < 0) return [];
    this.lastSequence = packet.sequenceNumber;
    if (gap > 0) {
      // The lost packets belong to the open access unit, to this packet's, or to both: drop whatever they touched.
      this.stats.lostPackets += gap;
      if (this.pending) this.pending.damaged = true;
      this.fragments = undefined;
    }
    const out: H264AccessUnit[] = [];
    if (this.pending && this.pending.rtpTimestamp !== packet.timestamp) this.finish(out);
    this.pending ??= { rtpTimestamp: packet.timestamp, nals: [], bytes: 0, damaged: gap > 0, oversized: false };
    if (!this.pending.oversized) {
      this.depacketize(packet.payload, this.pending);
      this.enforceLimits(this.pending);
    }
    if (packet.marker) this.finish(out);
    return out;
  }

  private depacketize(payload: Buffer, unit: PendingAccessUnit): void {
    if (payload.length < 1) return;
    const type = payload[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      this.addNal(unit, payload);
    } else if (type === NalType.stapA) {
      this.depacketizeStapA(payload, unit);
    } else if (type === NalType.fuA) {
      this.depacketizeFuA(payload, unit);
    } else {
      this.stats.unsupportedPackets++;
      unit.damaged = true;
    }
  }

  /** STAP-A: one-byte header, then (16-bit size, NAL unit) pairs. */
  private depacketizeStapA(payload: Buffer, unit: PendingAccessUnit): void {
    let offset = 1;
    while (offset < payload.length) {
      const size = offset + 2 <= payload.length ? payload.readUInt16BE(offset) : 0;
      const end = offset + 2 + size;
      if (size === 0 || end > payload.length) {
        unit.damaged = true;
        return;
      }
      this.addNal(unit, payload.subarray(offset + 2, end));
      offset = end;
    }
  }

  /** FU-A: FU indicator (F, NRI, type 28) + FU header (start, end, NAL type), then a piece of the NAL unit. */
  private depacketizeFuA(payload: Buffer, unit: PendingAccessUnit): void {
    if (payload.length < 3) {
      unit.damaged = true;
      return;
    }
    const indicator = payload[0]!;
    const header = payload[1]!;
    const isStart = (header & 0x80) !== 0;
    const isEnd = (header & 0x40) !== 0;
    if (isStart) {
      if (this.fragments) unit.damaged = true; // the previous NAL unit never ended
      this.fragments = [Buffer.from([(indicator & 0xe0) | (header & 0x1f)])];
    } else if (!this.fragments) {
      unit.damaged = true; // a middle or end piece whose start we do not have
      return;
    }
    this.fragments.push(payload.subarray(2));
    unit.bytes += payload.length - 2;
    if (isEnd) {
      // The fragments' bytes are already counted: count the NAL unit, not its bytes again.
      unit.nals.push(Buffer.concat(this.fragments));
      this.fragments = undefined;
    }
  }

  private addNal(unit: PendingAccessUnit, nal: Buffer): void {
    unit.nals.push(nal);
    unit.bytes += nal.length;
  }

  /** Over a cap: release what the unit holds now (the packets' buffers with it) and ignore the rest of it. */
  private enforceLimits(unit: PendingAccessUnit): void {
    if (unit.bytes <= this.limits.maxAccessUnitBytes && unit.nals.length <= this.limits.maxNalUnits) return;
    unit.oversized = true;
    unit.damaged = true;
    unit.nals = [];
    unit.bytes = 0;
    this.fragments = undefined;
  }

  private finish(out: H264AccessUnit[]): void {
    const unit = this.pending!;
    this.pending = undefined;
    if (this.fragments) {
      unit.damaged = true; // the access unit ended in the middle of a fragmented NAL unit
      this.fragments = undefined;
    }
    if (unit.damaged) {
      this.stats.droppedAccessUnits++;
      if (unit.oversized) this.stats.oversizedAccessUnits++;
      return;
    }
    if (!unit.nals.length) return;
    const types = unit.nals.map((nal) => nal[0]! & 0x1f);
    const keyframe = types.includes(NalType.idr);
    if (!this.started && !keyframe) return; // a decoder cannot start before an IDR picture
    this.started = true;
    const carriesParameterSets = types.includes(NalType.sps) && types.includes(NalType.pps);
    const nals = keyframe && !carriesParameterSets && !this.decoderHasParameterSets ? [...this.parameterSets, ...unit.nals] : unit.nals;
    if (carriesParameterSets || (keyframe && this.parameterSets.length)) this.decoderHasParameterSets = true;
    const reference = unit.nals.some((nal) => isSlice(nal[0]! & 0x1f) && (nal[0]! & 0x60) !== 0);
    out.push({ data: toAnnexB(nals), rtpTimestamp: unit.rtpTimestamp, keyframe, reference });
  }
}

function isSlice(type: number): boolean {
  return type === NalType.slice || type === NalType.idr;
}

function toAnnexB(nals: Buffer[]): Buffer {
  const data = Buffer.allocUnsafe(nals.reduce((sum, nal) => sum + START_CODE.length + nal.length, 0));
  let offset = 0;
  for (const nal of nals) {
    offset += START_CODE.copy(data, offset);
    offset += nal.copy(data, offset);
  }
  return data;
}
