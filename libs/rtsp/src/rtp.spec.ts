import { describe, expect, it } from 'vitest';
import { rtcpSenderReport, rtpBytes } from '../test-support/rtp-packets.js';
import { parseRtcpSenderReports, parseRtpPacket, RtpTimeline, sequenceGap, wallClockOf } from './rtp.js';

describe('parseRtpPacket', () => {
  it('reads the fixed header and returns the payload', () => {
    const packet = parseRtpPacket(
      rtpBytes({
        sequenceNumber: 65535,
        timestamp: 0xfffffff0,
        marker: true,
        payloadType: 33,
        ssrc: 0xdeadbeef,
        payload: Buffer.from('abc'),
      }),
    );
    expect(packet).toEqual({
      marker: true,
      payloadType: 33,
      sequenceNumber: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      payload: Buffer.from('abc'),
    });
  });

  it('skips CSRCs and the header extension, and strips padding', () => {
    const base = rtpBytes({ sequenceNumber: 1, timestamp: 2, payload: Buffer.alloc(0) });
    base[0] = 0x80 | 0x20 | 0x10 | 2; // padding, extension, 2 CSRCs
    const csrcs = Buffer.alloc(8, 0xcc);
    const extension = Buffer.from([0xbe, 0xde, 0x00, 0x01, 1, 2, 3, 4]); // profile, length 1 word, data
    const padding = Buffer.from([0, 0, 3]);
    const packet = parseRtpPacket(Buffer.concat([base, csrcs, extension, Buffer.from('payload'), padding]));
    expect(packet?.payload.toString()).toBe('payload');
  });

  it('rejects short packets, other versions and inconsistent lengths', () => {
    expect(parseRtpPacket(Buffer.alloc(11))).toBeUndefined();
    const v1 = rtpBytes({ sequenceNumber: 1, timestamp: 1, payload: Buffer.from('x') });
    v1[0] = 0x40;
    expect(parseRtpPacket(v1)).toBeUndefined();
    const tooMuchPadding = rtpBytes({ sequenceNumber: 1, timestamp: 1, payload: Buffer.from([9]) });
    tooMuchPadding[0] = 0xa0;
    expect(parseRtpPacket(tooMuchPadding)).toBeUndefined();
  });
});

describe('sequenceGap', () => {
  it('counts lost packets across the 16-bit wrap and flags late or duplicate packets', () => {
    expect(sequenceGap(undefined, 7)).toBe(0);
    expect(sequenceGap(10, 11)).toBe(0);
    expect(sequenceGap(65535, 0)).toBe(0);
    expect(sequenceGap(65534, 2)).toBe(3);
    expect(sequenceGap(10, 10)).toBe(-1);
    expect(sequenceGap(10, 5)).toBe(-1);
  });
});

describe('RTCP sender reports', () => {
  it('parses a sender report inside a compound packet and maps RTP time to wall clock', () => {
    const receiverReport = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 1]);
    const ntpTimeMs = Date.UTC(2025, 5, 26, 15, 4, 5, 250);
    const [report] = parseRtcpSenderReports(Buffer.concat([receiverReport, rtcpSenderReport(42, ntpTimeMs, 4_294_960_000)]));
    expect(report).toMatchObject({ ssrc: 42, rtpTimestamp: 4_294_960_000, packetCount: 100, octetCount: 100_000 });
    expect(report!.ntpTimeMs).toBeCloseTo(ntpTimeMs, 3);
    // 90 kHz: 9000 ticks later = 100 ms later, also across the 32-bit wrap.
    expect(wallClockOf((4_294_960_000 + 9000) % 2 ** 32, report!, 90000)).toBeCloseTo(ntpTimeMs + 100, 3);
    expect(wallClockOf(4_294_960_000 - 90000, report!, 90000)).toBeCloseTo(ntpTimeMs - 1000, 3);
  });

  it('ignores truncated packets', () => {
    expect(parseRtcpSenderReports(rtcpSenderReport(1, 0, 0).subarray(0, 20))).toEqual([]);
  });
});

describe('RtpTimeline', () => {
  const SSRC = 7;

  it('counts ticks from the first timestamp, across the 32-bit wrap and backwards steps (B-frames)', () => {
    const timeline = new RtpTimeline(90_000);
    expect(timeline.place(SSRC, 0xffffff00, 0).pts).toBe(0);
    expect(timeline.place(SSRC, 0x00000100, 0).pts).toBe(0x200);
    expect(timeline.place(SSRC, 0x00000080, 0).pts).toBe(0x180);
    expect(timeline.discontinuities).toBe(0);
  });

  it('bridges a new SSRC with a random timestamp base: increasing, continued by the time that passed, counted', () => {
    const timeline = new RtpTimeline(90_000);
    const pts = [
      timeline.place(SSRC, 1_000_000, 1000),
      timeline.place(SSRC, 1_001_500, 1016),
      timeline.place(SSRC, 1_003_000, 1033),
      timeline.place(99, 3_000_000_000, 2033), // the camera restarted: 1 s later, new SSRC, new base
      timeline.place(99, 3_000_001_500, 2050),
    ];
    expect(pts.map((p) => p.pts)).toEqual([0, 1500, 3000, 3000 + 90_000, 3000 + 90_000 + 1500]);
    expect(pts.map((p) => p.discontinuity)).toEqual([false, false, false, true, false]);
    expect(timeline.discontinuities).toBe(1);
  });

  it('bridges timestamp jumps of the same sender (back by seconds, forward by minutes) by at least one frame', () => {
    const timeline = new RtpTimeline(90_000);
    timeline.place(SSRC, 500_000, 0);
    timeline.place(SSRC, 501_500, 0);
    expect(timeline.place(SSRC, 100, 0)).toEqual({ pts: 3000, discontinuity: true }); // back 5.5 s, no time passed
    expect(timeline.place(SSRC, 100 + 90_000 * 3600, 40)).toEqual({ pts: 3000 + 3600, discontinuity: true }); // +1 h, 40 ms later
    expect(timeline.place(SSRC, 100 + 90_000 * 3600 + 1500, 56)).toEqual({ pts: 3000 + 3600 + 1500, discontinuity: false });
    expect(timeline.discontinuities).toBe(2);
  });
});
