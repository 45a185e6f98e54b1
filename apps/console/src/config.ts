import { baseConfigShape, env, loadConfig } from '@sightline/config';

const upstream = (port: number) => env.url(`http://127.0.0.1:${port}`, ['http', 'https']);

/** Environment variables of the console server (documented in docs/console.md). */
export const consoleConfigShape = {
  LOG_LEVEL: baseConfigShape.LOG_LEVEL,
  HTTP_PORT: env.port(3008),
  /** Where the paths of the public API (the Caddyfile's layout) are forwarded to. */
  AUTH_URL: upstream(3001),
  PERSISTENCE_URL: upstream(3003),
  GATEWAY_URL: upstream(3004),
  INGEST_URL: upstream(3005),
};

export type ConsoleConfig = ReturnType<typeof loadConsoleConfig>;
export const loadConsoleConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(consoleConfigShape, source);
