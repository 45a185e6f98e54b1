import type { RtspAuthType } from '@sightline/contracts';
import type { RtspRequest } from '../message.js';
import type { AuthChallenge } from './challenge.js';
import { BasicAuthStrategy, NoAuthStrategy, type AuthStrategy, type Credentials } from './auth-strategy.js';
import { DigestAuthStrategy, selectDigestChallenge, type DigestOptions } from './digest.js';

/**
 * Sends nothing until the first 401, then answers with the strongest scheme the server offers:
 * Digest SHA-256 > Digest MD5 > Basic.
 */
export class AutoAuthStrategy implements AuthStrategy {
  private chosen?: AuthStrategy;

  constructor(
    private readonly credentials: Credentials | undefined,
    private readonly digestOptions: DigestOptions = {},
  ) {}

  /** The scheme picked from the server's challenges, once there was one. */
  get scheme(): 'digest' | 'basic' | undefined {
    if (this.chosen instanceof DigestAuthStrategy) return 'digest';
    return this.chosen instanceof BasicAuthStrategy ? 'basic' : undefined;
  }

  applyAuthHeaders(req: RtspRequest): void {
    this.chosen?.applyAuthHeaders(req);
  }

  handleChallenge(challenges: AuthChallenge[]): boolean {
    if (this.chosen) return this.chosen.handleChallenge(challenges);
    if (!this.credentials) return false;
    if (selectDigestChallenge(challenges)) {
      this.chosen = new DigestAuthStrategy(this.credentials, this.digestOptions);
      return this.chosen.handleChallenge(challenges);
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      this.chosen = new BasicAuthStrategy(this.credentials);
      return true;
    }
    return false;
  }
}

/** The strategy for a configured `auth` type (config file or CLI `--auth`). */
export function createAuthStrategy(type: RtspAuthType, credentials?: Credentials): AuthStrategy {
  const given = credentials ?? { username: '', password: '' };
  switch (type) {
    case 'none':
      return new NoAuthStrategy();
    case 'basic':
      return new BasicAuthStrategy(given);
    case 'digest':
      return new DigestAuthStrategy(given);
    case 'auto':
      return new AutoAuthStrategy(credentials);
  }
}
