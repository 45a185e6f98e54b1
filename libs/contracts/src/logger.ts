/**
 * The logger port every lib takes: the slice of a logger it calls. A winston logger (@sightline/observability's
 * `createLogger`) fits; libs stay free of winston, and tests pass `silentLogger`.
 */
export interface LoggerPort {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Logs nothing: for tests and for callers that pass no logger. */
export const silentLogger: LoggerPort = { debug() {}, info() {}, warn() {}, error() {} };
