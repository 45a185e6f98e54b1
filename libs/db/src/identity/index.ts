import { PasswordResetTokenEntity, RoleEntity, TokenRevocationEntity, UserEntity } from './entities.js';
import { CreateIdentityTables1751400000000 } from './migrations/1751400000000-create-identity-tables.js';
import { SessionGrants1751610000000 } from './migrations/1751610000000-session-grants.js';
import { EmailVerification1751700000000 } from './migrations/1751700000000-email-verification.js';

export { PasswordResetTokenEntity, RoleEntity, TokenRevocationEntity, UserEntity } from './entities.js';
export { awaitsVerification, clearPendingVerification, consumeVerification, savePendingVerification } from './email-verifications.js';

/** Pass to `createDataSource` in the auth service (and anything else that reads identities). */
export const IDENTITY_ENTITIES = [UserEntity, RoleEntity, PasswordResetTokenEntity, TokenRevocationEntity];
export const IDENTITY_MIGRATIONS = [CreateIdentityTables1751400000000, SessionGrants1751610000000, EmailVerification1751700000000];
