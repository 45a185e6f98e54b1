/**
 * Starts a Nest service the same way everywhere: JSON logs for Nest itself, shutdown hooks (SIGTERM/SIGINT drain
 * in-flight work), a bounded shutdown, and a clear fatal log + exit code when start-up fails (e.g. bad config).
 */
import { type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, NestJsonLogger } from './logger.js';

export interface BootstrapOptions {
  service: string;
  port: number;
  host?: string;
  /** Extra set-up before listen (WebSocket adapter, body limits, OpenAPI, …). */
  configure?: (app: INestApplication) => void | Promise<void>;
}

export async function bootstrapService(module: Type<unknown> | Promise<unknown>, options: BootstrapOptions): Promise<INestApplication> {
  const logger = createLogger(options.service);
  try {
    const app = await NestFactory.create(module as Type<unknown>, { logger: new NestJsonLogger(logger), bufferLogs: true });
    app.enableShutdownHooks();
    await options.configure?.(app);
    await app.listen(options.port, options.host ?? '0.0.0.0');
    logger.info('service started', { port: options.port, url: await app.getUrl() });
    return app;
  } catch (err) {
    const e = err as Error & { code?: string; context?: unknown };
    logger.error('service failed to start', { code: e.code ?? 'STARTUP_FAILED', error: e.message, context: e.context });
    // Let the log line flush before exiting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.exit(1);
  }
}
