import { describe, expect, it } from 'vitest';
import {
  interleavedChannels,
  parseSessionHeader,
  RtspHeaderInjection,
  RtspProtocolViolation,
  RtspResponse,
  RtspStreamReader,
  serializeRequest,
  supportsGetParameter,
  type RtspIncoming,
} from './message.js';

const interleaved = (channel: number, data: Buffer) =>
  Buffer.concat([Buffer.from([0x24, channel, data.length >> 8, data.length & 0xff]), data]);

describe('RtspStreamReader', () => {
  it('separates responses and interleaved frames arriving on one socket, split at arbitrary points', () => {
    const sdp = 'v=0\r\ns=x\r\n';
    const wire = Buffer.concat([
      interleaved(0, Buffer.from('rtp-1')),
      Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: 5\r\nContent-Length: ${sdp.length}\r\nWWW-Authenticate: Basic realm="a"\r\n`),
      Buffer.from(`WWW-Authenticate: Digest realm="a", nonce="n"\r\n\r\n${sdp}`),
      interleaved(1, Buffer.alloc(300, 7)),
      Buffer.from('GET_PARAMETER rtsp://client/ RTSP/1.0\r\nCSeq: 9\r\n\r\n'),
    ]);
    for (const step of [1, 3, 17, wire.length]) {
      const reader = new RtspStreamReader();
      const items: RtspIncoming[] = [];
      for (let i = 0; i < wire.length; i += step) items.push(...reader.push(wire.subarray(i, i + step)));
      expect(items.map((item) => item.type)).toEqual(['interleaved', 'response', 'interleaved', 'request']);
      const [first, response, rtcp, request] = items;
      expect(first).toEqual({ type: 'interleaved', channel: 0, data: Buffer.from('rtp-1') });
      if (response?.type !== 'response') throw new Error('expected a response');
      expect(response.response).toMatchObject({ statusCode: 200, reason: 'OK', cseq: 5 });
      expect(response.response.body.toString()).toBe(sdp);
      expect(response.response.headerValues('www-authenticate')).toHaveLength(2);
      expect(rtcp).toMatchObject({ channel: 1, data: Buffer.alloc(300, 7) });
      expect(request).toEqual({ type: 'request', method: 'GET_PARAMETER', cseq: 9 });
    }
  });

  it('rejects bytes that are neither RTSP nor interleaved data', () => {
    expect(() => new RtspStreamReader().push(Buffer.from([0x00, 0x01, 0x02]))).toThrow(RtspProtocolViolation);
    expect(() => new RtspStreamReader().push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(RtspProtocolViolation);
  });

  it('rejects an endless header', () => {
    expect(() => new RtspStreamReader().push(Buffer.from(`RTSP/1.0 200 OK\r\nX: ${'a'.repeat(70_000)}`))).toThrow(/too long/);
  });
});

describe('serializeRequest', () => {
  it('writes the request line and headers', () => {
    expect(serializeRequest({ method: 'OPTIONS', url: 'rtsp://h/x', headers: { CSeq: '1' } }).toString()).toBe(
      'OPTIONS rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\n\r\n',
    );
  });
});

describe('serializeRequest', () => {
  it.each([
    ['a header value', { Authorization: 'Digest username="op\r\nX-Injected: 1"' }],
    ['a header name', { 'X-A\nB': '1' }],
    ['a NUL', { Session: 'abc\0' }],
  ])('refuses a line break in %s instead of writing it', (_what, headers) => {
    expect(() => serializeRequest({ method: 'OPTIONS', url: 'rtsp://cam/x', headers })).toThrow(RtspHeaderInjection);
  });

  it('never puts a header value into its error (it may hold credentials)', () => {
    const error = (() => {
      try {
        serializeRequest({ method: 'OPTIONS', url: 'rtsp://cam/x', headers: { Authorization: 'Basic hunter2\r\n' } });
      } catch (err) {
        return err as Error;
      }
    })();
    expect(error?.message).toBe('line break in the "Authorization" header');
  });
});

describe('header values a session reads', () => {
  const response = (headers: Array<[string, string]>) => new RtspResponse(200, 'OK', headers, Buffer.alloc(0));

  it('Session: the id, and its timeout clamped (60 s when absent)', () => {
    expect(parseSessionHeader(response([['Session', '12345678;timeout=30']]), {})).toEqual({ id: '12345678', timeoutS: 30 });
    expect(parseSessionHeader(response([['Session', 'abc ; Timeout=0']]), {})).toEqual({ id: 'abc', timeoutS: 2 });
    expect(parseSessionHeader(response([['Session', 'abc']]), {})).toEqual({ id: 'abc', timeoutS: 60 });
    expect(() => parseSessionHeader(response([]), { host: 'cam' })).toThrow(
      expect.objectContaining({ code: 'RTSP_PROTOCOL', context: { host: 'cam', method: 'SETUP' } }),
    );
  });

  it('Transport: the interleaved channels the server chose, 0-1 when it names none', () => {
    expect(interleavedChannels('RTP/AVP/TCP;unicast;interleaved=4-5')).toEqual({ rtp: 4, rtcp: 5 });
    expect(interleavedChannels('RTP/AVP/TCP;interleaved=2')).toEqual({ rtp: 2, rtcp: 3 });
    expect(interleavedChannels(undefined)).toEqual({ rtp: 0, rtcp: 1 });
  });

  it('Public: whether GET_PARAMETER is offered', () => {
    expect(supportsGetParameter(response([['Public', 'OPTIONS, DESCRIBE, get_parameter , PLAY']]))).toBe(true);
    expect(supportsGetParameter(response([['Public', 'OPTIONS, DESCRIBE, SETUP']]))).toBe(false);
    expect(supportsGetParameter(response([]))).toBe(false);
  });
});
