import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule, type Logger } from '@sightline/observability';
import { APP_CONFIG, httpErrorFilter } from '@sightline/service-kit';
import { AutoscalerController } from './autoscaler.controller.js';
import { AutoscalerService } from './autoscaler.service.js';
import { type AutoscalerConfig } from './config.js';

@Module({})
export class AppModule {
  static register(config: AutoscalerConfig, logger?: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'autoscaler', logger, level: config.LOG_LEVEL })],
      controllers: [AutoscalerController],
      providers: [{ provide: APP_CONFIG, useValue: config }, httpErrorFilter({ statusByCode: {} }), AutoscalerService],
    };
  }
}
