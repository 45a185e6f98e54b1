/** The rate limits of the auth service, built from configuration; one check throws RATE_LIMITED with Retry-After. */
import { SightlineError } from '@sightline/contracts';
import { type AuthConfig } from './config.js';
import { type AuthMetrics } from './metrics.js';
import { RateLimiter } from './rate-limiter.js';

export class RateLimits {
  readonly loginPerIp: RateLimiter;
  readonly loginPerAccount: RateLimiter;
  readonly resetPerIp: RateLimiter;
  readonly resetPerAccount: RateLimiter;
  readonly resetConfirmPerIp: RateLimiter;
  readonly signupPerIp: RateLimiter;

  constructor(
    config: AuthConfig,
    private readonly metrics: AuthMetrics,
  ) {
    this.loginPerIp = new RateLimiter({ name: 'login_ip', perMinute: config.RATE_LIMIT_LOGIN_PER_IP });
    this.loginPerAccount = new RateLimiter({ name: 'login_account', perMinute: config.RATE_LIMIT_LOGIN_PER_ACCOUNT });
    this.resetPerIp = new RateLimiter({ name: 'reset_ip', perMinute: config.RATE_LIMIT_RESET_PER_IP });
    this.resetPerAccount = new RateLimiter({ name: 'reset_account', perMinute: config.RATE_LIMIT_RESET_PER_ACCOUNT });
    this.resetConfirmPerIp = new RateLimiter({ name: 'reset_confirm_ip', perMinute: config.RATE_LIMIT_RESET_PER_IP });
    this.signupPerIp = new RateLimiter({ name: 'signup_ip', perMinute: config.RATE_LIMIT_SIGNUP_PER_IP });
  }

  /** Takes a token from each limiter in order; the first one that is empty refuses the request. */
  enforce(...checks: [RateLimiter, string][]): void {
    for (const [limiter, key] of checks) {
      const retryAfterSeconds = limiter.take(key);
      if (retryAfterSeconds > 0) {
        this.metrics.rateLimited.inc({ limit: limiter.rule.name });
        throw new SightlineError('RATE_LIMITED', 'too many requests, slow down', { limit: limiter.rule.name, retryAfterSeconds });
      }
    }
  }
}
