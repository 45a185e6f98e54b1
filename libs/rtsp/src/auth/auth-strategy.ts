/**
 * RTSP authentication, Strategy pattern (requirements §5.1): the connection asks the strategy to decorate every request and
 * hands it the challenges of every 401; the strategy decides whether a retry can succeed.
 */
import type { RtspRequest } from '../message.js';
import type { AuthChallenge } from './challenge.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface AuthStrategy {
  /** Adds the Authorization header when the strategy has what it needs (Digest only after a challenge). */
  applyAuthHeaders(req: RtspRequest): void;
  /**
   * Consumes the challenges of a 401 response. Returns true when retrying the request can succeed (first
   * challenge, or a stale Digest nonce), false when the credentials were rejected or the scheme is unsupported.
   */
  handleChallenge(challenges: AuthChallenge[]): boolean;
}

export class NoAuthStrategy implements AuthStrategy {
  applyAuthHeaders(): void {}

  handleChallenge(): boolean {
    return false;
  }
}

/** RFC 7617. Sent pre-emptively (the configuration says the server wants Basic), so a 401 means rejection. */
export class BasicAuthStrategy implements AuthStrategy {
  private readonly header: string;

  constructor(credentials: Credentials) {
    this.header = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
  }

  applyAuthHeaders(req: RtspRequest): void {
    req.headers['Authorization'] = this.header;
  }

  handleChallenge(): boolean {
    return false;
  }
}
