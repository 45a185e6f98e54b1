/**
 * Identity: users, roles, session grants, token revocations, signup with e-mail verification, password reset, login
 * and the signing key — everything the auth service does, without HTTP. apps/auth wires it into NestJS controllers.
 */
export { IdentityErrorCode } from './errors.js';
export { DatabaseLifecycle, openIdentityDatabase } from './database.js';
export { IdentityBootstrap } from './identity-bootstrap.js';
export { LoginService } from './login.service.js';
export { Mailer, type OutboxMail } from './mailer.js';
export { AuthMetrics } from './metrics.js';
export { PasswordHasher } from './passwords.js';
export { PasswordResetService } from './password-reset.service.js';
export { RateLimits } from './rate-limits.js';
export {
  createRoleSchema,
  createUserSchema,
  listUsersQuerySchema,
  loginSchema,
  passwordProblems,
  passwordResetConfirmSchema,
  passwordResetRequestSchema,
  roleNameSchema,
  signupSchema,
  updateUserSchema,
  userIdSchema,
  verifyEmailSchema,
  type CreateUserRequest,
  type ListUsersQuery,
  type SignupRequest,
  type UpdateUserRequest,
} from './requests.js';
export { RolesService } from './roles.service.js';
export { grantTargetSchema, SessionAccess } from './session-access.js';
export { loadSigningKey, nextKeyFile, previousKeyFile, rotateSigningKey, type RotationStep } from './signing-key.js';
export { SignupService } from './signup.service.js';
export { TokenRevocations } from './token-revocations.js';
export { AUTH_CONFIG } from './tokens.js';
export { UsersService } from './users.service.js';
