/**
 * bcrypt hashing (bcryptjs, cost >= 12). `verify` always runs one bcrypt comparison, against a dummy hash of the
 * same cost when the account does not exist, so a login for an unknown user takes as long as a wrong password. The
 * work runs on a small worker pool with a bounded queue (bcrypt-pool.ts).
 */
import { randomBytes } from 'node:crypto';
import { type OnApplicationShutdown } from '@nestjs/common';
import { BcryptPool } from './bcrypt-pool.js';
import { type AuthMetrics } from './metrics.js';

export interface BcryptLimits {
  /** Hashes computed at once, on worker threads. */
  workers: number;
  /** Hashes waiting for a worker; past this, AUTH_BUSY (503). */
  maxQueued: number;
}

export class PasswordHasher implements OnApplicationShutdown {
  private constructor(
    private readonly cost: number,
    private readonly dummyHash: string,
    private readonly metrics: AuthMetrics,
    private readonly pool: BcryptPool,
  ) {}

  static async create(cost: number, metrics: AuthMetrics, limits: BcryptLimits = { workers: 2, maxQueued: 32 }): Promise<PasswordHasher> {
    const pool = new BcryptPool(limits.workers, limits.maxQueued);
    const dummyHash = await pool.hash(randomBytes(24).toString('base64url'), cost);
    return new PasswordHasher(cost, dummyHash, metrics, pool);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  async hash(password: string): Promise<string> {
    const stop = this.metrics.bcryptSeconds.startTimer({ operation: 'hash' });
    try {
      return await this.pool.hash(password, this.cost);
    } finally {
      stop();
    }
  }

  /** True only when `hash` is given and matches; costs one bcrypt comparison either way. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const stop = this.metrics.bcryptSeconds.startTimer({ operation: 'verify' });
    try {
      const matches = await this.pool.compare(password, hash ?? this.dummyHash);
      return matches && hash !== undefined;
    } finally {
      stop();
    }
  }
}
