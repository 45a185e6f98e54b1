import { Controller, Get } from '@nestjs/common';
import { AutoscalerService } from './autoscaler.service.js';

@Controller('autoscaler')
export class AutoscalerController {
  constructor(private readonly service: AutoscalerService) {}

  /** What the autoscaler is doing and why: its settings, the latest decision and the latest failure. */
  @Get('status')
  status() {
    const { config, autoscaler } = this.service;
    return {
      backend: 'compose',
      service: config.AUTOSCALER_COMPOSE_SERVICE,
      dryRun: config.AUTOSCALER_DRY_RUN,
      source: config.AUTOSCALER_SOURCE,
      intervalMs: config.AUTOSCALER_INTERVAL_MS,
      policy: autoscaler.policy.options,
      lastDecision: autoscaler.lastDecision ?? null,
      lastError: autoscaler.lastError ?? null,
    };
  }
}
