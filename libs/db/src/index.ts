export { connectAndMigrate, createDataSource, isDatabaseUp, type DatabaseOptions } from './data-source.js';
export * from './identity/index.js';
export * from './results/index.js';
export {
  DATABASE_GRANTS,
  DATABASE_SERVICES,
  provisionDatabase,
  serviceDatabaseUrl,
  serviceRoleStatements,
  type DatabaseService,
} from './database-roles.js';
