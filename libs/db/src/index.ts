export { connectAndMigrate, createDataSource, isDatabaseUp } from './data-source.js';
export {
  awaitsVerification,
  clearPendingVerification,
  consumeVerification,
  IDENTITY_ENTITIES,
  IDENTITY_MIGRATIONS,
  PasswordResetTokenEntity,
  RoleEntity,
  savePendingVerification,
  UserEntity,
} from './identity/index.js';
export {
  DEFAULT_PAGE_LIMIT,
  deleteSessionZones,
  findSessionResults,
  findSessionSummary,
  findSessionZones,
  isRowRejection,
  listSessionSummaries,
  MAX_PAGE_LIMIT,
  MAX_ROWS_PER_BATCH,
  QueryErrorCode,
  RESULT_ENTITIES,
  RESULT_MIGRATIONS,
  ResultStore,
  saveSessionZones,
  sqlState,
  type NewResult,
} from './results/index.js';
export { DATABASE_GRANTS, DATABASE_SERVICES, provisionDatabase, serviceDatabaseUrl, type DatabaseService } from './database-roles.js';
