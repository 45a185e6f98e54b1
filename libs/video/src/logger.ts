/** The slice of a logger this library uses (a winston logger from @sightline/observability fits). */
export interface VideoLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export const silentLogger: VideoLogger = { debug() {}, info() {}, warn() {}, error() {} };
