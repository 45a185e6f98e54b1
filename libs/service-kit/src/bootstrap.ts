/**
 * Starts a Nest service the same way everywhere: configuration validated first (a bad variable is a clear fatal
 * log line naming it), one JSON logger built from the validated LOG_LEVEL and handed to the module (and Nest's own
 * logs), shutdown hooks (SIGTERM/SIGINT drain in-flight work), and an exit code when start-up fails.
 */
import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, NestJsonLogger, type Logger } from '@sightline/observability';

/** Logged code of a start-up failure whose error has no code of its own. */
const STARTUP_FAILED = 'STARTUP_FAILED';

export interface BootstrapOptions<C extends { LOG_LEVEL?: string }> {
  service: string;
  /** Reads and validates the environment; throwing here aborts start-up with the error logged. */
  loadConfig: () => C;
  /** The root module; `logger` is the service's one logger (give it to ObservabilityModule). */
  module: (config: C, logger: Logger) => DynamicModule | Type<unknown>;
  port: (config: C) => number;
  /** Listen address; the HTTP_HOST variable wins (the local fleet sets 127.0.0.1; images listen on every interface). */
  host?: string;
  /** Extra set-up before listen (WebSocket adapter, body limits, OpenAPI, …). */
  configure?: (app: INestApplication, config: C) => void | Promise<void>;
}

export async function bootstrapService<C extends { LOG_LEVEL?: string }>(options: BootstrapOptions<C>): Promise<INestApplication> {
  // Until the configuration is valid, start-up failures are logged at the environment's level.
  let logger = createLogger(options.service);
  try {
    const config = options.loadConfig();
    logger = createLogger(options.service, config.LOG_LEVEL);
    const app = await NestFactory.create(options.module(config, logger), { logger: new NestJsonLogger(logger), bufferLogs: true });
    app.enableShutdownHooks();
    await options.configure?.(app, config);
    await app.listen(options.port(config), process.env.HTTP_HOST || options.host || '0.0.0.0');
    logger.info('service started', { url: await app.getUrl() });
    return app;
  } catch (err) {
    const e = err as Error & { code?: string; context?: unknown };
    logger.error('service failed to start', { code: e.code ?? STARTUP_FAILED, error: e.message, context: e.context });
    // Let the log line flush before exiting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.exit(1);
  }
}
