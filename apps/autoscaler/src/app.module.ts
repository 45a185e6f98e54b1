import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule } from '@sightline/observability';
import { AutoscalerController } from './autoscaler.controller.js';
import { AutoscalerService } from './autoscaler.service.js';
import { AUTOSCALER_CONFIG, type AutoscalerConfig } from './config.js';

@Module({})
export class AppModule {
  static register(config: AutoscalerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'autoscaler' })],
      controllers: [AutoscalerController],
      providers: [{ provide: AUTOSCALER_CONFIG, useValue: config }, AutoscalerService],
    };
  }
}
