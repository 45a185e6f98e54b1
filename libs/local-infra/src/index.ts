export { freePort, makeTempDir, waitForPort } from './ports.js';
export { ManagedProcess, type ManagedProcessOptions } from './process.js';
export { LocalNatsServer, type NatsServerOptions } from './nats-server.js';
export { LocalPostgres, postgresBinDir, type PostgresOptions } from './postgres.js';
