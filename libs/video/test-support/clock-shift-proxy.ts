/**
 * A TCP proxy in front of a real RTSP server that moves the wall clock of its RTCP sender reports by a fixed offset:
 * a camera whose clock is off (or whose reports describe capture long before sending). Everything else — RTSP
 * messages, RTP, the rest of each RTCP packet — passes unchanged. It also notes what the server sent in its RTP
 * packets (senders, H.264 NAL unit types, timestamps going back), so a test can show what a row really exercised.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface ClockShiftProxy {
  port: number;
  /** Sender reports rewritten so far. */
  readonly shiftedReports: number;
  /** What the RTP packets carried so far. */
  readonly rtp: RtpObservations;
  close(): Promise<void>;
}

export interface RtpObservations {
  /** Distinct SSRCs, in order of appearance. */
  ssrcs: number[];
  /** H.264 NAL unit types seen (single units, inside STAP-A aggregates, and FU-A starts). */
  h264NalTypes: Set<number>;
  /** Distinct sequence parameter sets (each a new picture size or configuration). */
  spsVariants: Set<string>;
  /** Times an RTP timestamp was lower than the one before from the same sender (B-frames sent in decode order). */
  timestampReversals: number;
}

const RTCP_SENDER_REPORT = 200;
const NAL_SPS = 7;
const NAL_STAP_A = 24;
const NAL_FU_A = 28;

function observeRtp(packet: Buffer, seen: RtpObservations, last: { ssrc?: number; timestamp?: number }): void {
  const ssrc = packet.readUInt32BE(8);
  const timestamp = packet.readUInt32BE(4);
  if (!seen.ssrcs.includes(ssrc)) seen.ssrcs.push(ssrc);
  if (last.ssrc === ssrc && last.timestamp !== undefined && ((timestamp - last.timestamp) | 0) < 0) seen.timestampReversals++;
  last.ssrc = ssrc;
  last.timestamp = timestamp;
  if ((packet[1]! & 0x7f) !== 96) return;
  const payload = packet.subarray(12 + (packet[0]! & 0x0f) * 4);
  if (payload.length < 2) return;
  const type = payload[0]! & 0x1f;
  const note = (unit: Buffer) => {
    seen.h264NalTypes.add(unit[0]! & 0x1f);
    if ((unit[0]! & 0x1f) === NAL_SPS) seen.spsVariants.add(unit.toString('hex'));
  };
  if (type === NAL_STAP_A) {
    for (let offset = 1; offset + 2 <= payload.length;) {
      const size = payload.readUInt16BE(offset);
      note(payload.subarray(offset + 2, offset + 2 + size));
      offset += 2 + size;
    }
  } else if (type === NAL_FU_A) {
    if (payload[1]! & 0x80) seen.h264NalTypes.add(payload[1]! & 0x1f);
  } else note(payload);
}
const NTP_FRACTION = 2 ** 32;

export async function startClockShiftProxy(targetPort: number, offsetMs: number): Promise<ClockShiftProxy> {
  const sockets = new Set<Socket>();
  let shiftedReports = 0;
  const rtp: RtpObservations = { ssrcs: [], h264NalTypes: new Set(), spsVariants: new Set(), timestampReversals: 0 };
  const shift = (rtcp: Buffer) => {
    // A compound RTCP packet: walk its packets, move the NTP timestamp of each sender report.
    for (let offset = 0; offset + 4 <= rtcp.length;) {
      const length = (rtcp.readUInt16BE(offset + 2) + 1) * 4;
      if (rtcp[offset + 1] === RTCP_SENDER_REPORT && offset + 16 <= rtcp.length) {
        const ntp = rtcp.readUInt32BE(offset + 8) + rtcp.readUInt32BE(offset + 12) / NTP_FRACTION + offsetMs / 1000;
        rtcp.writeUInt32BE(Math.floor(ntp) >>> 0, offset + 8);
        rtcp.writeUInt32BE(Math.floor((ntp - Math.floor(ntp)) * NTP_FRACTION) >>> 0, offset + 12);
        shiftedReports++;
      }
      offset += length;
    }
  };
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let pending: Buffer = Buffer.alloc(0);
    const last = {};
    upstream.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let offset = 0;
      // Server → client: RTSP responses (header + Content-Length body) and `$` channel length payload frames.
      for (;;) {
        if (offset >= pending.length) break;
        if (pending[offset] === 0x24) {
          if (pending.length - offset < 4) break;
          const end = offset + 4 + pending.readUInt16BE(offset + 2);
          if (end > pending.length) break;
          const payload = pending.subarray(offset + 4, end);
          if (payload.length >= 8 && payload[1]! >= 200 && payload[1]! <= 204) shift(payload);
          else if (payload.length >= 12 && pending[offset + 1]! % 2 === 0) observeRtp(payload, rtp, last);
          offset = end;
        } else {
          const headerEnd = pending.indexOf('\r\n\r\n', offset, 'latin1');
          if (headerEnd < 0) break;
          const length = Number(/content-length:\s*(\d+)/i.exec(pending.toString('latin1', offset, headerEnd))?.[1] ?? 0);
          const end = headerEnd + 4 + length;
          if (end > pending.length) break;
          offset = end;
        }
      }
      if (offset > 0) client.write(Buffer.from(pending.subarray(0, offset)));
      pending = pending.subarray(offset);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    get shiftedReports() {
      return shiftedReports;
    },
    rtp,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
