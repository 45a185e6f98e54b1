/** The rate limits of the auth service, built from configuration; one check throws RATE_LIMITED with Retry-After. */
import { SightlineError } from '@sightline/contracts';
import { type IdentityConfig } from './config.js';
import { type AuthMetrics } from './metrics.js';
import { RateLimiter } from './rate-limiter.js';
import { IdentityErrorCode } from './errors.js';

export class RateLimits {
  readonly loginPerIp: RateLimiter;
  /** Failed logins per (account, client IP): one client cannot lock an account out for everyone else. */
  readonly loginFailuresPerAccount: RateLimiter;
  readonly resetPerIp: RateLimiter;
  /** Mails to one address (reset links, signup mails): a silent cap, the answer stays 202 whatever the address. */
  readonly mailsPerAddress: RateLimiter;
  readonly resetConfirmPerIp: RateLimiter;
  readonly signupPerIp: RateLimiter;

  constructor(
    config: IdentityConfig,
    private readonly metrics: AuthMetrics,
  ) {
    this.loginPerIp = new RateLimiter({ name: 'login_ip', perMinute: config.RATE_LIMIT_LOGIN_PER_IP });
    this.loginFailuresPerAccount = new RateLimiter({ name: 'login_account', perMinute: config.RATE_LIMIT_LOGIN_PER_ACCOUNT });
    this.resetPerIp = new RateLimiter({ name: 'reset_ip', perMinute: config.RATE_LIMIT_RESET_PER_IP });
    this.mailsPerAddress = new RateLimiter({
      name: 'mail_address',
      perMinute: config.RATE_LIMIT_MAILS_PER_ADDRESS_PER_HOUR / 60,
      burst: config.RATE_LIMIT_MAILS_PER_ADDRESS_PER_HOUR,
    });
    this.resetConfirmPerIp = new RateLimiter({ name: 'reset_confirm_ip', perMinute: config.RATE_LIMIT_RESET_PER_IP });
    this.signupPerIp = new RateLimiter({ name: 'signup_ip', perMinute: config.RATE_LIMIT_SIGNUP_PER_IP });
  }

  /** Takes a mail allowance of `address` (case-insensitive); false when the cap is reached (counted, not thrown). */
  allowMail(address: string): boolean {
    if (this.mailsPerAddress.take(address.trim().toLowerCase()) === 0) return true;
    this.metrics.rateLimited.inc({ limit: this.mailsPerAddress.rule.name });
    return false;
  }

  /** Refuses the request while `limiter` has no token for `key`, without taking one (failures are counted apart). */
  refuseWhileExhausted(limiter: RateLimiter, key: string): void {
    this.refuse(limiter, limiter.peek(key));
  }

  /** Takes a token from each limiter in order; the first one that is empty refuses the request. */
  enforce(...checks: [RateLimiter, string][]): void {
    for (const [limiter, key] of checks) this.refuse(limiter, limiter.take(key));
  }

  private refuse(limiter: RateLimiter, retryAfterSeconds: number): void {
    if (retryAfterSeconds <= 0) return;
    this.metrics.rateLimited.inc({ limit: limiter.rule.name });
    throw new SightlineError(IdentityErrorCode.rateLimited, 'too many requests, slow down', {
      limit: limiter.rule.name,
      retryAfterSeconds,
    });
  }
}
