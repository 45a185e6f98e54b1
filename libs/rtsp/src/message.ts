/**
 * RTSP/1.0 messages (RFC 2326) and the reader that splits one TCP byte stream into RTSP messages and `$`-framed
 * interleaved binary data (RFC 2326 §10.12), which arrive mixed on the same socket; and the values a session reads
 * from response headers (Public, Session, Transport).
 */
import { RtspErrorCode, rtspError } from './errors.js';

export interface RtspRequest {
  method: string;
  /** Request-URI, never with userinfo. */
  url: string;
  /** Header names as they go on the wire; CSeq is added by the connection. */
  headers: Record<string, string>;
}

export class RtspResponse {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    /** In arrival order; names as received. A name may repeat (e.g. several WWW-Authenticate challenges). */
    readonly headers: ReadonlyArray<readonly [string, string]>,
    readonly body: Buffer,
  ) {}

  /** First value of a header, case-insensitive. */
  header(name: string): string | undefined {
    return this.headerValues(name)[0];
  }

  headerValues(name: string): string[] {
    const wanted = name.toLowerCase();
    return this.headers.filter(([n]) => n.toLowerCase() === wanted).map(([, v]) => v);
  }

  get cseq(): number | undefined {
    const value = this.header('CSeq');
    return value === undefined ? undefined : Number(value);
  }
}

/** What the server sent: a response to us, a request of its own, or interleaved RTP/RTCP data. */
export type RtspIncoming =
  | { type: 'response'; response: RtspResponse }
  | { type: 'request'; method: string; cseq?: number }
  | { type: 'interleaved'; channel: number; data: Buffer };

/** A request line or header that would end early: CR, LF or NUL in it would let a value inject headers or requests. */
export class RtspHeaderInjection extends Error {}

const LINE_BREAKING = /[\r\n\0]/;

export function serializeRequest(request: RtspRequest): Buffer {
  if (LINE_BREAKING.test(request.method) || LINE_BREAKING.test(request.url))
    throw new RtspHeaderInjection('line break in the request line');
  const lines = [`${request.method} ${request.url} RTSP/1.0`];
  for (const [name, value] of Object.entries(request.headers)) {
    // The name is enough to act on; the value may hold credentials.
    if (LINE_BREAKING.test(name) || LINE_BREAKING.test(value))
      throw new RtspHeaderInjection(`line break in the ${JSON.stringify(name)} header`);
    lines.push(`${name}: ${value}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
}

const MAX_HEADER_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 1024 * 1024;

export class RtspProtocolViolation extends Error {}

/**
 * Incremental parser: feed socket chunks with `push`, get complete messages back. Interleaved payloads are
 * zero-copy views into the received chunks.
 */
export class RtspStreamReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RtspIncoming[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const out: RtspIncoming[] = [];
    let offset = 0;
    for (;;) {
      const parsed = this.parseAt(offset);
      if (!parsed) break;
      out.push(parsed.item);
      offset = parsed.next;
    }
    this.buffer = this.buffer.subarray(offset);
    return out;
  }

  private parseAt(offset: number): { item: RtspIncoming; next: number } | undefined {
    const buf = this.buffer;
    if (offset >= buf.length) return undefined;
    if (buf[offset] === 0x24 /* $ */) {
      if (buf.length - offset < 4) return undefined;
      const length = buf.readUInt16BE(offset + 2);
      const end = offset + 4 + length;
      if (buf.length < end) return undefined;
      return { item: { type: 'interleaved', channel: buf[offset + 1]!, data: buf.subarray(offset + 4, end) }, next: end };
    }
    return this.parseTextMessage(offset);
  }

  private parseTextMessage(offset: number): { item: RtspIncoming; next: number } | undefined {
    const buf = this.buffer;
    const headerEnd = buf.indexOf('\r\n\r\n', offset, 'latin1');
    if (headerEnd < 0) {
      if (!startsLikeText(buf, offset)) throw new RtspProtocolViolation(`unexpected byte 0x${buf[offset]!.toString(16)}`);
      if (buf.length - offset > MAX_HEADER_BYTES) throw new RtspProtocolViolation('RTSP header too long');
      return undefined;
    }
    const [startLine = '', ...headerLines] = buf.toString('utf8', offset, headerEnd).split('\r\n');
    const headers = parseHeaderLines(headerLines);
    const contentLength = Number(headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1] ?? 0);
    if (!Number.isInteger(contentLength) || contentLength < 0 || contentLength > MAX_BODY_BYTES) {
      throw new RtspProtocolViolation(`bad Content-Length ${contentLength}`);
    }
    const bodyStart = headerEnd + 4;
    if (buf.length < bodyStart + contentLength) return undefined;
    const body = Buffer.from(buf.subarray(bodyStart, bodyStart + contentLength));
    const next = bodyStart + contentLength;

    const status = /^RTSP\/1\.\d (\d{3}) ?(.*)$/.exec(startLine);
    if (status) {
      return { item: { type: 'response', response: new RtspResponse(Number(status[1]), status[2]!, headers, body) }, next };
    }
    const request = /^([A-Z_]+) \S+ RTSP\/1\.\d$/.exec(startLine);
    if (!request) throw new RtspProtocolViolation(`not an RTSP message: ${JSON.stringify(startLine.slice(0, 80))}`);
    const cseq = headers.find(([n]) => n.toLowerCase() === 'cseq')?.[1];
    return { item: { type: 'request', method: request[1]!, cseq: cseq === undefined ? undefined : Number(cseq) }, next };
  }
}

/** A text message starts with "RTSP/" (response) or an upper-case method name (request from the server). */
function startsLikeText(buf: Buffer, offset: number): boolean {
  const first = buf[offset]!;
  return first >= 0x41 && first <= 0x5a;
}

function parseHeaderLines(lines: string[]): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    // Obsolete line folding: a continuation line starts with whitespace.
    if (/^[ \t]/.test(line) && headers.length) {
      headers[headers.length - 1]![1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return headers;
}

// -------------------------------------------------------------------------------------------------------------------
// Header values of the responses a session depends on.
// -------------------------------------------------------------------------------------------------------------------

const DEFAULT_SESSION_TIMEOUT_S = 60;
/** A server's `Session: …;timeout=` is clamped to this range: 0 or 9999999999 must not become a 1 ms keep-alive. */
export const SESSION_TIMEOUT_RANGE_S = { min: 2, max: 3600 } as const;

export function supportsGetParameter(options: RtspResponse): boolean {
  return (options.header('Public') ?? '').split(',').some((method) => method.trim().toUpperCase() === 'GET_PARAMETER');
}

/** `Session: <id>[;timeout=<seconds>]`. */
export function parseSessionHeader(setup: RtspResponse, context: Record<string, unknown>): { id: string; timeoutS: number } {
  const [id = '', ...params] = (setup.header('Session') ?? '').split(';').map((s) => s.trim());
  if (!id) throw rtspError(RtspErrorCode.protocol, 'SETUP response without a Session header', { ...context, method: 'SETUP' });
  const timeout = params.map((p) => /^timeout=(\d+)$/i.exec(p)?.[1]).find(Boolean);
  return { id, timeoutS: timeout ? clampSessionTimeout(Number(timeout)) : DEFAULT_SESSION_TIMEOUT_S };
}

export function clampSessionTimeout(seconds: number): number {
  if (!Number.isFinite(seconds)) return SESSION_TIMEOUT_RANGE_S.max;
  return Math.min(SESSION_TIMEOUT_RANGE_S.max, Math.max(SESSION_TIMEOUT_RANGE_S.min, seconds));
}

/** The server may pick other channels than we asked for. */
export function interleavedChannels(transport: string | undefined): { rtp: number; rtcp: number } {
  const match = /interleaved=(\d+)(?:-(\d+))?/i.exec(transport ?? '');
  if (!match) return { rtp: 0, rtcp: 1 };
  const rtp = Number(match[1]);
  return { rtp, rtcp: match[2] === undefined ? rtp + 1 : Number(match[2]) };
}
