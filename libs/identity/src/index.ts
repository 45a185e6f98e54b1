/**
 * Identity: users, roles, session grants, token revocations, signup with e-mail verification, password reset, login
 * and the signing key — everything the auth service does, without HTTP. apps/auth wires it into NestJS controllers.
 */
export { type IdentityConfig } from './config.js';
export { IdentityErrorCode } from './errors.js';
export { DatabaseLifecycle, openIdentityDatabase } from './database.js';
export { IdentityBootstrap } from './identity-bootstrap.js';
export { LoginService } from './login.service.js';
export { Mailer, type OutboxMail, type OutgoingMail } from './mailer.js';
export { AuthMetrics } from './metrics.js';
export { PasswordHasher } from './passwords.js';
export { PasswordResetService } from './password-reset.service.js';
export { RateLimiter, type RateLimitRule } from './rate-limiter.js';
export { RateLimits } from './rate-limits.js';
export * from './requests.js';
export { RolesService } from './roles.service.js';
export { grantTargetSchema, SessionAccess } from './session-access.js';
export { loadSigningKey, nextKeyFile, previousKeyFile, rotateSigningKey, type RotationStep } from './signing-key.js';
export { SignupService } from './signup.service.js';
export { TokenRevocations, type TokenState } from './token-revocations.js';
export { AUTH_CONFIG } from './tokens.js';
export { UsersService, type LoginCandidate } from './users.service.js';
