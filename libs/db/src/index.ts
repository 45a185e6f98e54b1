export { connectAndMigrate, createDataSource, isDatabaseUp, type DatabaseOptions } from './data-source.js';
