export { connectAndMigrate, createDataSource, isDatabaseUp, type DatabaseOptions } from './data-source.js';
export * from './identity/index.js';
export * from './results/index.js';
