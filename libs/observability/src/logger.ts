/**
 * Structured logging: one JSON object per line on stdout, ready for Fluentd → Elasticsearch.
 * Fields every line has: `timestamp`, `level`, `service`, `message`; context adds `sessionId`, `code`, `context`, …
 */
import { type LoggerService } from '@nestjs/common';
import winston from 'winston';

export type Logger = winston.Logger;

const SECRET_KEYS = /pass(word)?|secret|token|authorization|cookie|api[-_]?key/i;

/** Replaces values of secret-looking keys anywhere in the log record: a log line must never carry credentials. */
const redactSecrets = winston.format((info) => {
  const seen = new WeakSet<object>();
  const scrub = (value: unknown, depth: number): unknown => {
    if (value === null || typeof value !== 'object' || depth > 6) return value;
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
    if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : scrub(v, depth + 1)]));
  };
  for (const key of Object.keys(info)) {
    info[key] = SECRET_KEYS.test(key) ? '[redacted]' : scrub(info[key], 0);
  }
  return info;
});

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      redactSecrets(),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
}

/** Routes Nest's own framework logs through the same JSON logger. */
export class NestJsonLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info(String(message), { context });
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error(String(message), { context, stack: trace });
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn(String(message), { context });
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug(String(message), { context });
  }
  verbose(message: unknown, context?: string): void {
    this.logger.debug(String(message), { context });
  }
}
