/**
 * Starts a Nest service the same way everywhere: configuration validated first (a bad variable is a clear fatal
 * log line naming it), JSON logs for Nest itself, shutdown hooks (SIGTERM/SIGINT drain in-flight work), and an
 * exit code when start-up fails.
 */
import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, NestJsonLogger } from './logger.js';

export interface BootstrapOptions<C> {
  service: string;
  /** Reads and validates the environment; throwing here aborts start-up with the error logged. */
  loadConfig: () => C;
  module: (config: C) => DynamicModule | Type<unknown>;
  port: (config: C) => number;
  /** Listen address; the HTTP_HOST variable wins (the local fleet sets 127.0.0.1; images listen on every interface). */
  host?: string;
  /** Extra set-up before listen (WebSocket adapter, body limits, OpenAPI, …). */
  configure?: (app: INestApplication, config: C) => void | Promise<void>;
}

export async function bootstrapService<C>(options: BootstrapOptions<C>): Promise<INestApplication> {
  const logger = createLogger(options.service);
  try {
    const config = options.loadConfig();
    const app = await NestFactory.create(options.module(config), { logger: new NestJsonLogger(logger), bufferLogs: true });
    app.enableShutdownHooks();
    await options.configure?.(app, config);
    await app.listen(options.port(config), process.env.HTTP_HOST || options.host || '0.0.0.0');
    logger.info('service started', { url: await app.getUrl() });
    return app;
  } catch (err) {
    const e = err as Error & { code?: string; context?: unknown };
    logger.error('service failed to start', { code: e.code ?? 'STARTUP_FAILED', error: e.message, context: e.context });
    // Let the log line flush before exiting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.exit(1);
  }
}
