import { Module, type DynamicModule } from '@nestjs/common';
import { createLogger, LOGGER, ObservabilityModule, type Logger } from '@sightline/observability';
import { SecurityModule, TokenSigner } from '@sightline/security';
import { DataSource } from 'typeorm';
import { AdminRolesController, AdminUsersController } from './admin.controller.js';
import { AuthController } from './auth.controller.js';
import {
  DatabaseLifecycle,
  openIdentityDatabase,
  IdentityBootstrap,
  LoginService,
  Mailer,
  AuthMetrics,
  PasswordHasher,
  PasswordResetService,
  RateLimits,
  RolesService,
  SessionAccess,
  loadSigningKey,
  SignupService,
  TokenRevocations,
  AUTH_CONFIG,
  UsersService,
} from '@sightline/identity';
import { type AuthConfig } from './config.js';
import { authErrorFilter } from './http-errors.js';
import { AdminSessionAccessController, RevocationFeedController } from './session-access.controller.js';
import { ActiveSessionGuard } from './authenticated.js';

@Module({})
export class AppModule {
  static register(config: AuthConfig, logger: Logger = createLogger('auth', config.LOG_LEVEL)): DynamicModule {
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
        {
          provide: PasswordHasher,
          useFactory: (metrics: AuthMetrics) =>
            PasswordHasher.create(config.BCRYPT_COST, metrics, { workers: config.BCRYPT_WORKERS, maxQueued: config.BCRYPT_MAX_QUEUED }),
          inject: [AuthMetrics],
        },
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
        SignupService,
        IdentityBootstrap,
      ],
    };
  }
}
