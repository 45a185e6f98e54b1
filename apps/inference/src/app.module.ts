import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule } from '@sightline/observability';
import { type INFERENCEConfig } from './config.js';

@Module({})
export class AppModule {
  static register(config: INFERENCEConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'inference' })],
      providers: [{ provide: 'CONFIG', useValue: config }],
    };
  }
}
