import { describe, expect, it } from 'vitest';
import { rtp, tsPackets } from '../test-support/rtp-packets.js';
import { Mp2tDepacketizer } from './mp2t-depacketizer.js';

describe('Mp2tDepacketizer', () => {
  it('passes whole TS packets on as they are', () => {
    const depacketizer = new Mp2tDepacketizer();
    const payload = tsPackets(7);
    expect(depacketizer.push(rtp({ sequenceNumber: 1, timestamp: 900, payload, payloadType: 33 }))).toEqual({
      data: payload,
      rtpTimestamp: 900,
      discontinuity: false,
    });
  });

  it('drops payloads that are not 188-byte aligned or lack the 0x47 sync byte', () => {
    const depacketizer = new Mp2tDepacketizer();
    expect(depacketizer.push(rtp({ sequenceNumber: 1, timestamp: 0, payload: tsPackets(2).subarray(0, 300) }))).toBeUndefined();
    const badSync = tsPackets(3);
    badSync[188] = 0x48;
    expect(depacketizer.push(rtp({ sequenceNumber: 2, timestamp: 0, payload: badSync }))).toBeUndefined();
    expect(depacketizer.push(rtp({ sequenceNumber: 3, timestamp: 0, payload: Buffer.alloc(0) }))).toBeUndefined();
    expect(depacketizer.stats.malformedPackets).toBe(3);
  });

  it('flags the packet after a sequence gap and ignores duplicates', () => {
    const depacketizer = new Mp2tDepacketizer();
    depacketizer.push(rtp({ sequenceNumber: 65534, timestamp: 0, payload: tsPackets(1) }));
    expect(depacketizer.push(rtp({ sequenceNumber: 2, timestamp: 0, payload: tsPackets(1) }))?.discontinuity).toBe(true);
    expect(depacketizer.push(rtp({ sequenceNumber: 2, timestamp: 0, payload: tsPackets(1) }))).toBeUndefined();
    expect(depacketizer.stats.lostPackets).toBe(3);
  });
});
