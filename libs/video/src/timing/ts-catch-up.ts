/**
 * The catch-up gate for live MPEG-TS (RTP MP2T): the same decisions as for H.264 (CatchUpGate), taken per run of TS
 * packets (one RTP payload) instead of per access unit. TS packets say where a frame starts (a PES start on the video
 * PID) and whether it is a keyframe (random_access_indicator), not whether others reference it, so only the
 * second tier applies: twice as far behind as allowed, the video PID's packets are dropped from the next frame start
 * up to the next keyframe's start. Whole PES packets go or stay (FFmpeg never sees half a frame), PAT/PMT and every
 * other PID pass, and the video PID's continuity counters are renumbered across the cut so that FFmpeg's demuxer
 * does not flag the keyframe as a corrupt packet.
 */
import { CatchUpGate } from './catch-up-gate.js';

const TS_PACKET = 188;
const PAT_PID = 0;
const STREAM_TYPE_H264 = 0x1b;

interface TsHeader {
  pid: number;
  payloadStart: boolean;
  hasPayload: boolean;
  randomAccess: boolean;
  /** Offset of the payload in the packet. */
  payloadOffset: number;
}

function header(packet: Buffer): TsHeader {
  const control = (packet[3]! >> 4) & 3;
  const adaptationLength = control & 2 ? packet[4]! : -1;
  return {
    pid: ((packet[1]! & 0x1f) << 8) | packet[2]!,
    payloadStart: (packet[1]! & 0x40) !== 0,
    hasPayload: (control & 1) !== 0,
    randomAccess: adaptationLength > 0 && (packet[5]! & 0x40) !== 0,
    payloadOffset: 4 + (adaptationLength >= 0 ? 1 + adaptationLength : 0),
  };
}

/** The PSI section a payload-start packet carries (after its pointer field), or undefined. */
function section(packet: Buffer, h: TsHeader): Buffer | undefined {
  if (!h.payloadStart || !h.hasPayload || h.payloadOffset >= TS_PACKET) return undefined;
  const start = h.payloadOffset + 1 + packet[h.payloadOffset]!;
  if (start + 3 > TS_PACKET) return undefined;
  const length = ((packet[start + 1]! & 0x0f) << 8) | packet[start + 2]!;
  return packet.subarray(start, Math.min(TS_PACKET, start + 3 + length));
}

export interface TsFilterResult {
  /** What to write to the decoder (the run itself when nothing was dropped; may be empty). */
  data: Buffer;
  /** Frames (video PES starts) dropped. */
  droppedFrames: number;
}

export class TsCatchUp {
  private pmtPid?: number;
  private videoPid?: number;
  /** Dropping the video PID's packets until a keyframe starts. */
  private skipping = false;
  /** The continuity counter of the last video packet written. */
  private lastCounter?: number;

  constructor(private readonly gate: CatchUpGate) {}

  /** `inFlightSince`: as CatchUpGate.decide's. */
  filter(run: Buffer, arrivalMs: number, now: number, inFlightSince?: number): TsFilterResult {
    const packets: Buffer[] = [];
    const headers: TsHeader[] = [];
    let keyframeAt = -1;
    let firstFrameStart = -1;
    for (let offset = 0; offset + TS_PACKET <= run.length; offset += TS_PACKET) {
      const packet = run.subarray(offset, offset + TS_PACKET);
      const h = header(packet);
      this.learnPids(packet, h);
      if (h.pid === this.videoPid && h.payloadStart) {
        if (firstFrameStart < 0) firstFrameStart = packets.length;
        if (keyframeAt < 0 && h.randomAccess) keyframeAt = packets.length;
      }
      packets.push(packet);
      headers.push(h);
    }
    if (this.videoPid === undefined) return { data: run, droppedFrames: 0 };

    const wasSkipping = this.skipping;
    const decision = this.gate.decide({ keyframe: keyframeAt >= 0, reference: true, arrivalMs }, now, inFlightSince);
    // Video packets from `dropFrom` (inclusive) to `keepFrom` (exclusive) are dropped.
    let dropFrom = packets.length;
    let keepFrom = packets.length;
    if (decision === 'write') {
      if (wasSkipping) [dropFrom, keepFrom] = [0, keyframeAt >= 0 ? keyframeAt : packets.length];
      this.skipping = false;
    } else if (wasSkipping) {
      dropFrom = 0;
      this.skipping = true;
    } else {
      // The frame in progress is finished; the cut starts at the next frame start (maybe in a later run).
      dropFrom = firstFrameStart >= 0 ? firstFrameStart : packets.length;
      // Without a frame start here the gate keeps skipping, and the cut waits for the next run that has one.
      this.skipping = firstFrameStart >= 0;
    }

    let droppedFrames = 0;
    let changed = false;
    const kept: Buffer[] = [];
    packets.forEach((packet, i) => {
      const h = headers[i]!;
      if (h.pid !== this.videoPid) return kept.push(packet);
      if (i >= dropFrom && i < keepFrom) {
        if (h.payloadStart) droppedFrames++;
        changed = true;
        return;
      }
      kept.push(this.renumbered(packet, h, () => (changed = true)));
    });
    return { data: changed ? Buffer.concat(kept) : run, droppedFrames };
  }

  /** Keeps the video PID's continuity counter continuous across what was dropped. */
  private renumbered(packet: Buffer, h: TsHeader, onCopy: () => void): Buffer {
    if (!h.hasPayload) return packet;
    const counter = packet[3]! & 0x0f;
    const expected = this.lastCounter === undefined ? counter : (this.lastCounter + 1) & 0x0f;
    this.lastCounter = expected;
    if (expected === counter) return packet;
    onCopy();
    const copy = Buffer.from(packet);
    copy[3] = (copy[3]! & 0xf0) | expected;
    return copy;
  }

  private learnPids(packet: Buffer, h: TsHeader): void {
    if (h.pid === PAT_PID) {
      const pat = section(packet, h);
      // Program entries (4 bytes each) between the 8-byte header and the CRC; program 0 is the network PID.
      for (let i = 8; pat && i + 4 <= pat.length - 4; i += 4) {
        if (((pat[i]! << 8) | pat[i + 1]!) !== 0) this.pmtPid = ((pat[i + 2]! & 0x1f) << 8) | pat[i + 3]!;
      }
    } else if (h.pid === this.pmtPid && this.videoPid === undefined) {
      const pmt = section(packet, h);
      if (!pmt || pmt.length < 12) return;
      for (let i = 12 + (((pmt[10]! & 0x0f) << 8) | pmt[11]!); i + 5 <= pmt.length - 4;) {
        if (pmt[i] === STREAM_TYPE_H264) {
          this.videoPid = ((pmt[i + 1]! & 0x1f) << 8) | pmt[i + 2]!;
          return;
        }
        i += 5 + (((pmt[i + 3]! & 0x0f) << 8) | pmt[i + 4]!);
      }
    }
  }
}
