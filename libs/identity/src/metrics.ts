import { Inject, Injectable } from '@nestjs/common';
import { METRICS } from '@sightline/observability';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The auth service's own metrics (next to the default process metrics and `/metrics` of every service). */
@Injectable()
export class AuthMetrics {
  readonly logins: Counter<'outcome'>;
  readonly signups: Counter<'outcome'>;
  readonly passwordResets: Counter<'stage'>;
  readonly rateLimited: Counter<'limit'>;
  readonly bcryptSeconds: Histogram<'operation'>;

  constructor(@Inject(METRICS) registry: Registry) {
    this.logins = new Counter({
      name: 'sightline_auth_logins_total',
      help: 'Login attempts by outcome (success, invalid_credentials, not_verified, rate_limited)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.signups = new Counter({
      name: 'sightline_auth_signups_total',
      help: 'Signups by outcome (accepted, verified, rate_limited, disabled); never by whether the name or address exists',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.passwordResets = new Counter({
      name: 'sightline_auth_password_resets_total',
      help: 'Password-reset steps (requested, processed, confirmed, invalid_token); never by whether the address is known',
      labelNames: ['stage'],
      registers: [registry],
    });
    this.rateLimited = new Counter({
      name: 'sightline_auth_rate_limited_total',
      help: 'Requests refused by a rate limit, by limit',
      labelNames: ['limit'],
      registers: [registry],
    });
    this.bcryptSeconds = new Histogram({
      name: 'sightline_auth_bcrypt_seconds',
      help: 'Time spent in bcrypt (hash, verify): the cost factor sets it',
      labelNames: ['operation'],
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 4],
      registers: [registry],
    });
  }
}
