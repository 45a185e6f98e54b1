/**
 * bcrypt hashing (bcryptjs, cost >= 12). `verify` always runs one bcrypt comparison, against a dummy hash of the
 * same cost when the account does not exist, so a login for an unknown user takes as long as a wrong password.
 */
import bcrypt from 'bcryptjs';
import { randomBytes } from 'node:crypto';
import { type AuthMetrics } from './metrics.js';

export class PasswordHasher {
  private constructor(
    private readonly cost: number,
    private readonly dummyHash: string,
    private readonly metrics: AuthMetrics,
  ) {}

  static async create(cost: number, metrics: AuthMetrics): Promise<PasswordHasher> {
    const dummyHash = await bcrypt.hash(randomBytes(24).toString('base64url'), cost);
    return new PasswordHasher(cost, dummyHash, metrics);
  }

  async hash(password: string): Promise<string> {
    const stop = this.metrics.bcryptSeconds.startTimer({ operation: 'hash' });
    try {
      return await bcrypt.hash(password, this.cost);
    } finally {
      stop();
    }
  }

  /** True only when `hash` is given and matches; costs one bcrypt comparison either way. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const stop = this.metrics.bcryptSeconds.startTimer({ operation: 'verify' });
    try {
      const matches = await bcrypt.compare(password, hash ?? this.dummyHash);
      return matches && hash !== undefined;
    } finally {
      stop();
    }
  }
}
