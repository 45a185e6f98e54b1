/**
 * The inference consumer: replicas share the durable `inference` consumer on FRAMES, so JetStream hands each frame
 * to exactly one of them and re-hands a frame whose replica did not acknowledge it within the ack wait (crash).
 * Frames are micro-batched across sessions when the model takes a dynamic batch, one at a time otherwise, and
 * acknowledged only after their results are stored.
 */
import { CONSUMERS, STREAMS, type LoggerPort } from '@sightline/contracts';
import { CONSUMER_DEFINITIONS, JetStreamPublisher, PullWorker, ensureConsumer, type NatsClient } from '@sightline/messaging';
import type { Detector } from '@sightline/vision';
import type { Registry } from 'prom-client';
import type { FairShareOptions } from './fair-share.js';
import { FrameAnalyzer } from './frame-analyzer.js';
import { decodeFrameMessage, type QueuedFrame } from './frame-message.js';
import { inferenceMetrics } from './inference-metrics.js';

export interface InferenceWorkerOptions {
  client: NatsClient;
  detector: Pick<Detector, 'detect' | 'warmUp' | 'provider' | 'modelId' | 'inputSize' | 'maxBatch'>;
  logger: LoggerPort;
  registry: Registry;
  /** Most frames per inference run; capped by what the model takes (1 for a fixed batch of 1). */
  maxBatch: number;
  /** Unacknowledged frames across all replicas (the consumer's max_ack_pending). */
  maxInFlight: number;
  /** Frames this replica buffers ahead of the detector. Keep it small: buffered frames age, and a frame buffered
   * longer than the consumer's ack wait is handed to another replica as well. */
  prefetch: number;
  /** How long a partial batch waits for more frames. */
  lingerMs: number;
  /** Live frames older than this are skipped; 0 never skips. */
  frameDeadlineMs: number;
  /** Who loses while the worker is behind (see FairShareArbiter); absent or `pressureQueueMs` 0: FIFO. */
  fairShare?: FairShareOptions;
}

export class InferenceWorker {
  private constructor(
    private readonly worker: PullWorker<QueuedFrame>,
    /** Frames per inference run actually used. */
    readonly batchSize: number,
  ) {}

  /** Provisions the shared consumer and starts pulling. */
  static async start(options: InferenceWorkerOptions): Promise<InferenceWorker> {
    const { client, detector, logger, registry } = options;
    const consumer = CONSUMER_DEFINITIONS.inference(options.maxInFlight);
    await ensureConsumer(client.manager, consumer);

    const metrics = inferenceMetrics(registry);
    metrics.providerInfo.set({ provider: detector.provider, model: detector.modelId }, 1);
    const analyzer = new FrameAnalyzer({
      detector,
      publisher: new JetStreamPublisher(client),
      metrics,
      frameDeadlineMs: options.frameDeadlineMs,
      fairShare: options.fairShare,
    });
    const batchSize = Math.max(1, Math.min(options.maxBatch, detector.maxBatch));
    // Before the first frame: ORT allocates its buffers (and CUDA loads and tunes kernels) on a shape's first run,
    // which would otherwise delay the first live frames past their deadline.
    const warmUpMs = await detector.warmUp(batchSize);
    const worker = new PullWorker<QueuedFrame>({
      client,
      stream: STREAMS.frames,
      consumer: CONSUMERS.inference,
      logger,
      registry,
      decode: (msg) => decodeFrameMessage(msg, detector.inputSize),
      // FRAMES lives in memory: a restarted nats-server has neither it nor this consumer until they are provisioned.
      provision: () => ensureConsumer(client.manager, consumer),
      handle: (batch) => {
        metrics.redeliveredFrames.inc(batch.filter(({ msg }) => msg.redelivered).length);
        return analyzer.analyze(batch.map(({ item }) => item));
      },
      batchSize,
      lingerMs: options.lingerMs,
      // Two batches in flight: one waits for its results' publish acks while the next one runs on the model.
      concurrency: 2,
      // The server stops delivering after max_deliver; dead-letter on that last attempt instead of losing the frame.
      maxDeliver: consumer.config.max_deliver,
      prefetch: Math.min(options.prefetch, options.maxInFlight),
    });
    worker.start();
    logger.info('inference worker started', {
      model: detector.modelId,
      provider: detector.provider,
      batchSize,
      maxInFlight: options.maxInFlight,
      frameDeadlineMs: options.frameDeadlineMs,
      fairShare: options.fairShare ?? 'off',
      warmUpMs: Math.round(warmUpMs),
    });
    return new InferenceWorker(worker, batchSize);
  }

  /** Stops pulling and finishes the batch in hand (its results published and frames acknowledged). */
  stop(): Promise<void> {
    return this.worker.stop();
  }
}
