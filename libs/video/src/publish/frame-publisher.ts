/**
 * Frames onto the FRAMES stream (`frames.<sessionId>`, pixels in the body, FrameMeta JSON in the `Sightline-Frame`
 * header, `Nats-Msg-Id` = sessionId:seq so a retried publish is stored once).
 *
 * The stream bounds each session's backlog (max_msgs_per_subject, discard-new per subject), so a publish fails with
 * STREAM_SUBJECT_FULL when inference is behind. Then:
 *  - live: purge the session's oldest waiting frame and publish again (latency stays bounded; the drop is counted);
 *  - batch: wait and retry until there is room (nothing is dropped).
 */
import { HEADERS, MESSAGE_IDS, SightlineError, STREAMS, SUBJECTS, frameByteLength, type FrameMeta } from '@sightline/contracts';
import { MessagingErrorCode, type JetStreamPublisher, type NatsClient } from '@sightline/messaging';
import { silentLogger, type VideoLogger } from '../logger.js';
import { sleep } from '../util/sleep.js';
import { VideoErrorCode } from '../errors.js';

export type DeliveryMode = 'live' | 'batch';

export interface FramePublishResult {
  published: boolean;
  /** Older frames of the session deleted from the stream to make room (live only). */
  evicted: number;
  /** Why a live frame was given up (the stream was unreachable), if it was. */
  error?: SightlineError;
}

export interface FramePublisherOptions {
  /** Evict-and-retry rounds before a live frame is given up (another publisher may refill the subject). */
  maxEvictionsPerFrame?: number;
  liveTimeoutMs?: number;
  batchTimeoutMs?: number;
  batchRetryMaxDelayMs?: number;
}

export class FramePublisher {
  private readonly options: Required<FramePublisherOptions>;
  /** FRAMES' max_msgs_per_subject, read once (and again after an eviction found nothing to remove). */
  private perSubjectLimit?: number;

  constructor(
    private readonly client: Pick<NatsClient, 'manager'>,
    private readonly publisher: JetStreamPublisher,
    private readonly logger: VideoLogger = silentLogger,
    options: FramePublisherOptions = {},
  ) {
    this.options = {
      maxEvictionsPerFrame: 4,
      liveTimeoutMs: 2000,
      batchTimeoutMs: 5000,
      batchRetryMaxDelayMs: 500,
      ...options,
    };
  }

  /**
   * Publishes one frame; `meta.publishedAt` is set at each attempt. Throws FRAME_TOO_LARGE (a configuration error,
   * fatal for the session); everything else is handled by the delivery mode. Batch publishing ends early, unpublished,
   * when `signal` aborts.
   */
  async publish(pixels: Uint8Array, meta: FrameMeta, mode: DeliveryMode, signal?: AbortSignal): Promise<FramePublishResult> {
    return mode === 'live' ? this.publishLive(pixels, meta) : this.publishBatch(pixels, meta, signal);
  }

  private async publishLive(pixels: Uint8Array, meta: FrameMeta): Promise<FramePublishResult> {
    let evicted = 0;
    for (let round = 0; ; round++) {
      try {
        await this.send(pixels, meta, this.options.liveTimeoutMs);
        return { published: true, evicted };
      } catch (err) {
        const error = this.classify(err, meta);
        if (error.code !== MessagingErrorCode.streamSubjectFull || round >= this.options.maxEvictionsPerFrame) {
          return { published: false, evicted, error };
        }
        evicted += await this.evictOldest(SUBJECTS.frame(meta.sessionId));
      }
    }
  }

  private async publishBatch(pixels: Uint8Array, meta: FrameMeta, signal?: AbortSignal): Promise<FramePublishResult> {
    let delayMs = 5;
    while (!signal?.aborted) {
      try {
        await this.send(pixels, meta, this.options.batchTimeoutMs);
        return { published: true, evicted: 0 };
      } catch (err) {
        const error = this.classify(err, meta);
        if (error.code !== MessagingErrorCode.streamSubjectFull) {
          this.logger.warn('frame publish failed, retrying', {
            sessionId: meta.sessionId,
            seq: meta.seq,
            code: error.code,
            error: error.message,
          });
        }
        await sleep(delayMs, signal);
        delayMs = Math.min(this.options.batchRetryMaxDelayMs, delayMs * 2);
      }
    }
    return { published: false, evicted: 0 };
  }

  private async send(pixels: Uint8Array, meta: FrameMeta, timeoutMs: number): Promise<void> {
    meta.publishedAt = Date.now();
    await this.publisher.publish(SUBJECTS.frame(meta.sessionId), pixels, {
      msgId: MESSAGE_IDS.frame(meta.sessionId, meta.seq, meta.run),
      headers: { [HEADERS.frameMeta]: JSON.stringify(meta) },
      timeoutMs,
    });
  }

  private classify(err: unknown, meta: FrameMeta): SightlineError {
    const error = err instanceof SightlineError ? err : new SightlineError(VideoErrorCode.publishFailed, String(err));
    if (error.code === MessagingErrorCode.messageTooLarge) {
      throw new SightlineError(
        VideoErrorCode.frameTooLarge,
        `a ${meta.frame.width}x${meta.frame.height} ${meta.frame.pixelFormat} frame (${frameByteLength(meta)} bytes) exceeds the stream's message size limit`,
        { sessionId: meta.sessionId, frame: meta.frame },
        { cause: err },
      );
    }
    return error;
  }

  /**
   * Removes the session's oldest frame(s) still in the stream, so one more fits: a purge of the subject keeping the
   * newest limit-1 (one request, no message body fetched). Returns how many were removed.
   */
  private async evictOldest(subject: string): Promise<number> {
    try {
      const limit = (this.perSubjectLimit ??= await this.readPerSubjectLimit());
      const { purged } = await this.client.manager.streams.purge(STREAMS.frames, { filter: subject, keep: Math.max(0, limit - 1) });
      // Nothing purged although the subject was full: the limit changed (stream updated); read it again next time.
      if (purged === 0) this.perSubjectLimit = undefined;
      return purged;
    } catch (err) {
      this.perSubjectLimit = undefined;
      this.logger.warn('could not evict old frames', { subject, error: (err as Error).message });
      return 0;
    }
  }

  private async readPerSubjectLimit(): Promise<number> {
    const { config } = await this.client.manager.streams.info(STREAMS.frames);
    return config.max_msgs_per_subject > 0 ? config.max_msgs_per_subject : 1;
  }
}
