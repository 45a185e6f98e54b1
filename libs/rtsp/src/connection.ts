/**
 * One RTSP control connection over TCP: sends requests (CSeq, User-Agent, authentication with retry on 401),
 * matches responses, and hands interleaved binary data to the owner. Every failure is a SightlineError whose
 * context names host, port, method and status, never credentials.
 */
import { connect, isIP, type Socket } from 'node:net';
import { redactUrl, SightlineError } from '@sightline/contracts';
import type { AddressPolicy } from './address-policy.js';
import type { AuthStrategy } from './auth/auth-strategy.js';
import { parseWwwAuthenticate } from './auth/challenge.js';
import { RtspErrorCode, rtspError } from './errors.js';
import {
  RtspHeaderInjection,
  RtspProtocolViolation,
  RtspStreamReader,
  serializeRequest,
  type RtspRequest,
  type RtspResponse,
} from './message.js';

export interface RtspConnectionOptions {
  host: string;
  port: number;
  auth: AuthStrategy;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  userAgent: string;
  /** Addresses the connection may go to (checked before connecting); default: any. */
  addressPolicy?: AddressPolicy;
  onInterleaved: (channel: number, data: Buffer) => void;
  /** Called once when the connection is gone: with the reason, or undefined after our own close(). */
  onClose: (error: SightlineError | undefined) => void;
}

/** Initial attempt, answer to the first challenge, one renewal of a stale Digest nonce. */
const MAX_ATTEMPTS_PER_REQUEST = 3;
/** Requests awaiting an answer: the handshake needs one, a keep-alive one more; a server that never answers gets no pile. */
export const MAX_IN_FLIGHT_REQUESTS = 4;
/** Bytes we let wait in the socket's send buffer: a server that stops reading our requests gets no more of them. */
export const MAX_UNSENT_BYTES = 64 * 1024;

interface PendingRequest {
  method: string;
  resolve: (response: RtspResponse) => void;
  reject: (error: SightlineError) => void;
  timer: NodeJS.Timeout;
}

export class RtspConnection {
  private readonly reader = new RtspStreamReader();
  private readonly pending = new Map<number, PendingRequest>();
  private cseq = 0;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly options: RtspConnectionOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.close(rtspError(RtspErrorCode.streamEnded, `RTSP connection failed: ${err.code ?? err.message}`, this.context(), err)),
    );
    socket.on('close', () => this.close(rtspError(RtspErrorCode.streamEnded, 'RTSP server closed the connection', this.context())));
  }

  static open(options: RtspConnectionOptions): Promise<RtspConnection> {
    const context = { host: options.host, port: options.port };
    const policy = options.addressPolicy;
    if (policy && isIP(options.host) && !policy.allows(options.host)) {
      return Promise.reject(
        rtspError(RtspErrorCode.addressNotAllowed, 'the RTSP server address is not allowed (INGEST_RTSP_ALLOWED_NETS)', context),
      );
    }
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port, ...(policy && { lookup: policy.lookup() }) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          rtspError(RtspErrorCode.timeout, `no TCP connection within ${options.connectTimeoutMs} ms`, { ...context, phase: 'connect' }),
        );
      }, options.connectTimeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err.code === 'EADDRNOTALLOWED') {
          return reject(
            rtspError(RtspErrorCode.addressNotAllowed, 'the RTSP server address is not allowed (INGEST_RTSP_ALLOWED_NETS)', context),
          );
        }
        reject(rtspError(RtspErrorCode.connectFailed, `cannot connect: ${err.code ?? err.message}`, context, err));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new RtspConnection(socket, options));
      });
    });
  }

  /**
   * Sends a request and resolves with its 2xx response. A 401 goes to the auth strategy, which may allow a retry;
   * otherwise RTSP_UNAUTHORIZED. Other statuses reject with RTSP_PROTOCOL (status in the context).
   */
  async request(
    method: string,
    url: string,
    headers: Record<string, string> = {},
    timeoutMs = this.options.responseTimeoutMs,
  ): Promise<RtspResponse> {
    for (let attempt = 1; ; attempt++) {
      const request: RtspRequest = { method, url, headers: { ...headers, 'User-Agent': this.options.userAgent } };
      this.options.auth.applyAuthHeaders(request);
      const response = await this.send(request, timeoutMs);
      if (response.statusCode >= 200 && response.statusCode < 300) return response;
      const context = { ...this.context(), method, url: redactUrl(url), status: response.statusCode };
      if (response.statusCode !== 401) {
        throw rtspError(RtspErrorCode.protocol, `${method} failed: ${response.statusCode} ${response.reason}`, context);
      }
      const challenges = parseWwwAuthenticate(response.headerValues('WWW-Authenticate'));
      if (attempt < MAX_ATTEMPTS_PER_REQUEST && this.options.auth.handleChallenge(challenges)) continue;
      throw rtspError(RtspErrorCode.unauthorized, `${method} rejected: 401 Unauthorized (wrong or missing credentials)`, {
        ...context,
        offeredSchemes: challenges.map((c) => c.scheme),
      });
    }
  }

  /** Stop reading from the socket (TCP back-pressure), e.g. while the consumer is behind. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Disconnects. `reason` is reported through onClose (and rejects requests in flight); none = on purpose. */
  close(reason?: SightlineError): void {
    this.shutDown(reason ?? rtspError(RtspErrorCode.streamEnded, 'RTSP connection closed', this.context()), reason);
  }

  private send(request: RtspRequest, timeoutMs: number): Promise<RtspResponse> {
    if (this.closed) {
      return Promise.reject(
        rtspError(RtspErrorCode.streamEnded, 'RTSP connection is closed', { ...this.context(), method: request.method }),
      );
    }
    if (this.pending.size >= MAX_IN_FLIGHT_REQUESTS || this.socket.writableLength > MAX_UNSENT_BYTES) {
      return Promise.reject(
        rtspError(
          RtspErrorCode.timeout,
          `server is not taking requests (${this.pending.size} unanswered, ${this.socket.writableLength} bytes unsent)`,
          {
            ...this.context(),
            method: request.method,
          },
        ),
      );
    }
    const cseq = ++this.cseq;
    let bytes: Buffer;
    try {
      bytes = serializeRequest({ ...request, headers: { CSeq: String(cseq), ...request.headers } });
    } catch (err) {
      if (!(err instanceof RtspHeaderInjection)) throw err;
      // Credentials are validated before they get here; this is the last line, and retrying cannot fix it.
      return Promise.reject(
        rtspError(RtspErrorCode.invalidSource, `refusing to send ${request.method}: ${err.message}`, {
          ...this.context(),
          method: request.method,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cseq);
        reject(
          rtspError(RtspErrorCode.timeout, `no response to ${request.method} within ${timeoutMs} ms`, {
            ...this.context(),
            method: request.method,
          }),
        );
      }, timeoutMs);
      this.pending.set(cseq, { method: request.method, resolve, reject, timer });
      this.socket.write(bytes);
    });
  }

  private onData(chunk: Buffer): void {
    let incoming;
    try {
      incoming = this.reader.push(chunk);
    } catch (err) {
      if (!(err instanceof RtspProtocolViolation)) throw err;
      return this.close(rtspError(RtspErrorCode.protocol, `not RTSP: ${err.message}`, this.context()));
    }
    for (const item of incoming) {
      if (this.closed) return;
      if (item.type === 'interleaved') this.options.onInterleaved(item.channel, item.data);
      else if (item.type === 'request') {
        // A server flooding us with requests while not reading its socket gets no answers rather than our memory.
        if (this.socket.writableLength <= MAX_UNSENT_BYTES)
          this.socket.write(`RTSP/1.0 501 Not Implemented\r\nCSeq: ${item.cseq ?? 0}\r\n\r\n`);
      } else this.settle(item.response);
    }
  }

  private settle(response: RtspResponse): void {
    const cseq = response.cseq ?? (this.pending.size === 1 ? [...this.pending.keys()][0] : undefined);
    const request = cseq === undefined ? undefined : this.pending.get(cseq);
    if (!request) return; // late answer to a request that already timed out
    this.pending.delete(cseq!);
    clearTimeout(request.timer);
    request.resolve(response);
  }

  /** Rejects what is in flight with `pendingError` and reports `reason` (undefined: we closed on purpose). */
  private shutDown(pendingError: SightlineError, reason: SightlineError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    for (const request of this.pending.values()) {
      clearTimeout(request.timer);
      request.reject(
        rtspError(pendingError.code as RtspErrorCode, pendingError.message, { ...pendingError.context, method: request.method }),
      );
    }
    this.pending.clear();
    this.socket.destroy();
    this.options.onClose(reason);
  }

  private context(): Record<string, unknown> {
    return { host: this.options.host, port: this.options.port };
  }
}
