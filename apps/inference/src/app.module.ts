import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@sightline/messaging';
import { LOGGER, ObservabilityModule, type Logger } from '@sightline/observability';
import { Detector, resolveManifest } from '@sightline/vision';
import { APP_CONFIG, httpErrorFilter } from '@sightline/service-kit';
import { type InferenceConfig } from './config.js';
import { InferenceLifecycle } from './inference.lifecycle.js';

@Module({})
export class AppModule {
  static register(config: InferenceConfig, logger?: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'inference', logger, level: config.LOG_LEVEL }),
        MessagingModule.forService('inference', config),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        httpErrorFilter({ statusByCode: {} }),
        {
          // Loaded before the app listens: a bad model reference or file fails start-up with its code.
          provide: Detector,
          inject: [LOGGER],
          useFactory: async (logger: Logger) => {
            const detector = await Detector.create({
              manifest: await resolveManifest(config.INFERENCE_MODEL),
              provider: config.INFERENCE_PROVIDER,
              maxBatch: config.INFERENCE_MAX_BATCH,
              logger,
              ...(config.INFERENCE_INTRA_OP_THREADS > 0 && { intraOpThreads: config.INFERENCE_INTRA_OP_THREADS }),
              allowSpinning: config.INFERENCE_ALLOW_SPINNING,
            });
            logger.info('model loaded', {
              model: detector.modelId,
              provider: detector.provider,
              requestedProvider: config.INFERENCE_PROVIDER,
              inputSize: detector.inputSize,
              maxBatch: detector.maxBatch,
            });
            return detector;
          },
        },
        InferenceLifecycle,
      ],
    };
  }
}
