import { Controller, Get, Header, Inject, Module, Res, type DynamicModule } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { HealthRegistry } from './health.js';
import { createLogger, type Logger } from './logger.js';
import { createMetricsRegistry } from './metrics.js';

/** Injection tokens: inject with `@Inject(LOGGER)` / `@Inject(METRICS)`; HealthRegistry is injected by class. */
export const LOGGER = Symbol('sightline.logger');
export const METRICS = Symbol('sightline.metrics');

/** The slice of the HTTP response we use (Express under Nest's default platform). */
interface HttpResponse {
  status(code: number): HttpResponse;
  type(contentType: string): HttpResponse;
  json(body: unknown): void;
  send(body: string): void;
}

@Controller()
class ObservabilityController {
  constructor(
    @Inject(METRICS) private readonly registry: Registry,
    private readonly health: HealthRegistry,
  ) {}

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metrics(@Res() res: HttpResponse) {
    res.type(this.registry.contentType).send(await this.registry.metrics());
  }

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  /** Readiness: 200 when every dependency is up, 503 otherwise (orchestrators stop routing to it). */
  @Get(['health', 'health/ready'])
  async ready(@Res() res: HttpResponse) {
    const report = await this.health.report();
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  }
}

export interface ObservabilityOptions {
  service: string;
  /** The service's logger (bootstrapService builds it once); absent: one at `level`. */
  logger?: Logger;
  /** The validated LOG_LEVEL; absent: the LOG_LEVEL variable, else info. */
  level?: string;
  registry?: Registry;
}

@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    const logger = options.logger ?? createLogger(options.service, options.level);
    const registry = options.registry ?? createMetricsRegistry(options.service);
    return {
      module: ObservabilityModule,
      global: true,
      controllers: [ObservabilityController],
      providers: [
        { provide: LOGGER, useValue: logger },
        { provide: METRICS, useValue: registry },
        { provide: HealthRegistry, useValue: new HealthRegistry(options.service) },
      ],
      exports: [LOGGER, METRICS, HealthRegistry],
    };
  }
}
