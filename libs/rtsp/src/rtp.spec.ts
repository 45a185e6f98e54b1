import { describe, expect, it } from 'vitest';
import { rtcpSenderReport, rtpBytes } from '../test-support/rtp-packets.js';
import { parseRtcpSenderReports, parseRtpPacket, RtpTimestampUnwrapper, sequenceGap, wallClockOf } from './rtp.js';

describe('parseRtpPacket', () => {
  it('reads the fixed header and returns the payload', () => {
    const packet = parseRtpPacket(
      rtpBytes({ sequenceNumber: 65535, timestamp: 0xfffffff0, marker: true, payloadType: 33, ssrc: 0xdeadbeef, payload: Buffer.from('abc') }),
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

describe('RtpTimestampUnwrapper', () => {
  it('counts ticks from the first timestamp, across the 32-bit wrap and backwards steps', () => {
    const unwrapper = new RtpTimestampUnwrapper();
    expect(unwrapper.unwrap(0xffffff00)).toBe(0);
    expect(unwrapper.unwrap(0x00000100)).toBe(0x200);
    expect(unwrapper.unwrap(0x00000080)).toBe(0x180);
  });
});
