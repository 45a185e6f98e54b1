import { describe, expect, it } from 'vitest';
import { CatchUpGate } from './catch-up-gate.js';
import { TsCatchUp } from './ts-catch-up.js';

const NOW = 1_000_000;
const PMT_PID = 0x20;
const VIDEO_PID = 0x41;

/** One 188-byte TS packet: header, optional adaptation field (random access flag), payload filler. */
function tsPacket(pid: number, { start = false, randomAccess = false, counter = 0, payload = Buffer.alloc(0) } = {}): Buffer {
  const packet = Buffer.alloc(188, 0xff);
  packet[0] = 0x47;
  packet[1] = (start ? 0x40 : 0) | (pid >> 8);
  packet[2] = pid & 0xff;
  let offset = 4;
  if (randomAccess) {
    packet[3] = 0x30 | counter; // adaptation field + payload
    packet[4] = 1;
    packet[5] = 0x40;
    offset = 6;
  } else packet[3] = 0x10 | counter;
  payload.copy(packet, offset);
  return packet;
}

/** PAT naming program 1 at PMT_PID; PMT naming one H.264 stream at VIDEO_PID (CRCs are not checked). */
const PAT = tsPacket(0, {
  start: true,
  payload: Buffer.from([0, 0x00, 0xb0, 13, 0, 1, 0xc1, 0, 0, 0, 1, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff, 0, 0, 0, 0]),
});
const PMT = tsPacket(PMT_PID, {
  start: true,
  payload: Buffer.from([
    0,
    0x02,
    0xb0,
    18,
    0,
    1,
    0xc1,
    0,
    0,
    0xe0 | (VIDEO_PID >> 8),
    VIDEO_PID & 0xff,
    0xf0,
    0,
    0x1b,
    0xe0 | (VIDEO_PID >> 8),
    VIDEO_PID & 0xff,
    0xf0,
    0,
    0,
    0,
    0,
    0,
  ]),
});

/** A stream of frames, each `packetsPerFrame` video packets (the first a PES start), continuity counters running. */
function frames(kinds: ('key' | 'delta')[], packetsPerFrame = 3): Buffer[] {
  let counter = 0;
  return kinds.flatMap((kind) =>
    Array.from({ length: packetsPerFrame }, (_, i) =>
      tsPacket(VIDEO_PID, {
        start: i === 0,
        randomAccess: i === 0 && kind === 'key',
        counter: counter++ & 0x0f,
        payload: Buffer.from([kind === 'key' ? 0xaa : 0xbb]),
      }),
    ),
  );
}

function armed(): TsCatchUp {
  const gate = new CatchUpGate({ maxLagMs: 500 });
  gate.decoded(50, NOW - 50);
  return new TsCatchUp(gate);
}

const pids = (data: Buffer) => Array.from({ length: data.length / 188 }, (_, i) => ((data[i * 188 + 1]! & 0x1f) << 8) | data[i * 188 + 2]!);
const counters = (data: Buffer) => Array.from({ length: data.length / 188 }, (_, i) => data[i * 188 + 3]! & 0x0f);

describe('TsCatchUp', () => {
  it('passes every run unchanged while decoding keeps up', () => {
    const filter = armed();
    const runs = [Buffer.concat([PAT, PMT]), ...frames(['key', 'delta', 'delta'])];
    for (const run of runs) expect(filter.filter(run, NOW - 100, NOW)).toEqual({ data: run, droppedFrames: 0 });
  });

  it('far behind, drops whole frames of the video PID up to the next keyframe, keeps PSI, and renumbers continuity', () => {
    const filter = armed();
    filter.filter(Buffer.concat([PAT, PMT]), NOW, NOW);
    const video = frames(['key', 'delta', 'delta', 'delta', 'key', 'delta']);
    // Runs of 2 packets: frame boundaries fall inside runs too. The first run is fresh, then the runs up to the second
    // keyframe waited 2 s (decoding stalled), and the ones after it are fresh again.
    const written: Buffer[] = [];
    let dropped = 0;
    for (let i = 0; i < video.length; i += 2) {
      const run = Buffer.concat([...video.slice(i, i + 2), ...(i === 6 ? [PAT] : [])]);
      const result = filter.filter(run, i < 2 || i >= 14 ? NOW : NOW - 2000, NOW);
      written.push(result.data);
      dropped += result.droppedFrames;
    }
    const out = Buffer.concat(written);
    // The first key frame (3 packets, its end in a late run: finished, not cut), the PAT, the second key frame (late,
    // but where decoding restarts) and the fresh delta after it; the three late deltas in between are dropped.
    const payloads = Array.from({ length: out.length / 188 }, (_, i) => (out[i * 188 + 4]! === 1 ? out[i * 188 + 6]! : out[i * 188 + 4]!));
    expect(pids(out)).toEqual([VIDEO_PID, VIDEO_PID, VIDEO_PID, 0, VIDEO_PID, VIDEO_PID, VIDEO_PID, VIDEO_PID, VIDEO_PID, VIDEO_PID]);
    expect(payloads.filter((_, i) => pids(out)[i] === VIDEO_PID)).toEqual([0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb]);
    expect(dropped).toBe(3);
    expect(counters(out).filter((_, i) => pids(out)[i] === VIDEO_PID)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('writes everything before it has seen the PMT (it cannot tell the video from the rest)', () => {
    const filter = armed();
    const run = Buffer.concat(frames(['delta', 'delta']));
    expect(filter.filter(run, NOW - 5000, NOW)).toEqual({ data: run, droppedFrames: 0 });
  });
});
