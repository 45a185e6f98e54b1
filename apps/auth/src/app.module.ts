import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger, LOGGER, ObservabilityModule, type Logger } from '@sightline/observability';
import { SecurityModule, TokenSigner } from '@sightline/security';
import { DataSource } from 'typeorm';
import { AdminRolesController, AdminUsersController } from './admin.controller.js';
import { AuthController } from './auth.controller.js';
import { type AuthConfig } from './config.js';
import { DatabaseLifecycle, openIdentityDatabase } from './database.js';
import { authErrorFilter } from './http-errors.js';
import { IdentityBootstrap } from './identity-bootstrap.js';
import { LoginService } from './login.service.js';
import { Mailer } from './mailer.js';
import { AuthMetrics } from './metrics.js';
import { PasswordHasher } from './passwords.js';
import { PasswordResetService } from './password-reset.service.js';
import { RateLimits } from './rate-limits.js';
import { RolesService } from './roles.service.js';
import { AdminSessionAccessController, RevocationFeedController, SessionAccess } from './session-access.js';
import { loadSigningKey } from './signing-key.js';
import { ActiveSessionGuard, TokenRevocations } from './token-revocations.js';
import { AUTH_CONFIG } from './tokens.js';
import { UsersService } from './users.service.js';

@Module({})
export class AppModule {
  static register(config: AuthConfig, logger: Logger = createLogger('auth')): DynamicModule {
    // The verifier guarding our own routes trusts exactly our signer's public key, like every other service does
    // through the JWKS endpoint.
    const signer = loadSigningKey(config, logger);
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'auth', logger }),
        signer.then((s) => SecurityModule.forRoot({ jwks: s.jwks(), issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE })),
      ],
      controllers: [AuthController, AdminUsersController, AdminRolesController, AdminSessionAccessController, RevocationFeedController],
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        { provide: TokenSigner, useFactory: () => signer },
        { provide: DataSource, useFactory: () => openIdentityDatabase(config, logger) },
        { provide: PasswordHasher, useFactory: (metrics: AuthMetrics) => PasswordHasher.create(config.BCRYPT_COST, metrics, { workers: config.BCRYPT_WORKERS, maxQueued: config.BCRYPT_MAX_QUEUED }), inject: [AuthMetrics] },
        { provide: Mailer, useFactory: (log: Logger) => Mailer.create(config, log), inject: [LOGGER] },
        { provide: RateLimits, useFactory: (metrics: AuthMetrics) => new RateLimits(config, metrics), inject: [AuthMetrics] },
        authErrorFilter,
        AuthMetrics,
        DatabaseLifecycle,
        TokenRevocations,
        ActiveSessionGuard,
        UsersService,
        SessionAccess,
        RolesService,
        LoginService,
        PasswordResetService,
        IdentityBootstrap,
      ],
    };
  }
}
