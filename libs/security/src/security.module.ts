import { Inject, Module, Optional, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, type Logger } from '@sightline/observability';
import { JwtAuthGuard } from './guard.js';
import { RevocationList } from './revocations.js';
import { TokenVerifier, type TokenVerifierOptions } from './tokens.js';

export interface SecurityModuleOptions extends Omit<TokenVerifierOptions, 'revocations'> {
  /**
   * With `jwksUrl`, tokens are also checked against the auth service's revocation feed beside it, polled this often
   * (default 2 s). `false` turns the feed off (the auth service checks its own table instead).
   */
  revocationPollMs?: number | false;
}

/** Runs the revocation poller with the application; a failing poll is logged once until the feed answers again. */
class RevocationPolling implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RevocationList) private readonly list: RevocationList | null,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.list?.start();
  }

  onApplicationShutdown(): void {
    this.list?.stop();
  }

  report(error: Error | undefined): void {
    if (error) this.logger?.warn('token revocation feed unavailable; the last good list stays in force', { error: error.message });
    else this.logger?.info('token revocation feed reachable again');
  }
}

/**
 * Provides TokenVerifier, JwtAuthGuard and the RevocationList (null without a feed); use `@UseGuards(JwtAuthGuard)`
 * with `@Roles(...)` on controllers.
 */
@Module({})
export class SecurityModule {
  static forRoot(options: SecurityModuleOptions): DynamicModule {
    const { revocationPollMs, ...verifierOptions } = options;
    let polling: RevocationPolling | undefined;
    const revocations =
      options.jwksUrl && revocationPollMs !== false
        ? RevocationList.besideJwks(options.jwksUrl, { intervalMs: revocationPollMs, onHealthChange: (error) => polling?.report(error) })
        : null;
    return {
      module: SecurityModule,
      global: true,
      providers: [
        { provide: TokenVerifier, useValue: new TokenVerifier({ ...verifierOptions, revocations: revocations ?? undefined }) },
        { provide: RevocationList, useValue: revocations },
        JwtAuthGuard,
        {
          provide: RevocationPolling,
          useFactory: (logger?: Logger) => (polling = new RevocationPolling(revocations, logger)),
          inject: [{ token: LOGGER, optional: true }],
        },
      ],
      exports: [TokenVerifier, JwtAuthGuard, RevocationList],
    };
  }
}
