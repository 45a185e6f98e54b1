/**
 * Frames onto the FRAMES stream (`frames.<sessionId>`, pixels in the body, FrameMeta JSON in the `Sightline-Frame`
 * header, `Nats-Msg-Id` = sessionId:seq so a retried publish is stored once).
 *
 * The stream bounds each session's backlog (max_msgs_per_subject, discard-new per subject), so a publish fails with
 * STREAM_SUBJECT_FULL when inference is behind. Then:
 *  - live: delete the session's oldest frame that inference has not been delivered yet and publish again (latency
 *    stays bounded). A frame inference already holds is never deleted on purpose: it would be analysed anyway. Each
 *    deletion counts as purged once settled (PurgeLedger: one delivered in the instant before the delete was taken),
 *    so that inference takes exactly published − purged frames;
 *  - batch: wait and retry until there is room (nothing is dropped).
 */
import { CONSUMERS, HEADERS, MESSAGE_IDS, SightlineError, STREAMS, SUBJECTS, frameByteLength, type FrameMeta } from '@sightline/contracts';
import { MessagingErrorCode, type JetStreamPublisher, type NatsClient } from '@sightline/messaging';
import { silentLogger, type VideoLogger } from '../logger.js';
import { PurgeLedger } from './purge-ledger.js';
import { sleep } from '../util/sleep.js';
import { VideoErrorCode } from '../errors.js';

export type DeliveryMode = 'live' | 'batch';

export interface FramePublishResult {
  published: boolean;
  /** Older frames of the session deleted from the stream to make room (live only); counted through `onPurged`. */
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
  /** Stream sequences of each live session's recent frames, oldest first: the candidates for eviction. */
  private readonly recentSeqs = new Map<string, number[]>();
  private readonly purges: PurgeLedger;

  constructor(
    private readonly client: Pick<NatsClient, 'manager' | 'connection'>,
    private readonly publisher: JetStreamPublisher,
    private readonly logger: VideoLogger = silentLogger,
    options: FramePublisherOptions = {},
    /** Frames of a session deleted before inference had them (settled a moment after the deletion). */
    onPurged: (sessionId: string, count: number) => void = () => {},
  ) {
    this.purges = new PurgeLedger(client.connection, onPurged);
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
        const { seq } = await this.send(pixels, meta, this.options.liveTimeoutMs);
        this.remember(meta.sessionId, seq);
        return { published: true, evicted };
      } catch (err) {
        const error = this.classify(err, meta);
        if (error.code !== MessagingErrorCode.streamSubjectFull || round >= this.options.maxEvictionsPerFrame) {
          return { published: false, evicted, error };
        }
        evicted += await this.evictOldestWaiting(meta.sessionId);
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

  /** Counts every deletion still unsettled (a stopping session's final counts), at most a grace period from now. */
  settlePurges(): Promise<void> {
    return this.purges.settle(true);
  }

  close(): void {
    this.purges.close();
  }

  /** The session ended: its frames are no longer tracked. */
  forget(sessionId: string): void {
    this.recentSeqs.delete(sessionId);
  }

  private async send(pixels: Uint8Array, meta: FrameMeta, timeoutMs: number): Promise<{ seq: number }> {
    meta.publishedAt = Date.now();
    return this.publisher.publish(SUBJECTS.frame(meta.sessionId), pixels, {
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

  private remember(sessionId: string, seq: number): void {
    const seqs = this.recentSeqs.get(sessionId) ?? [];
    seqs.push(seq);
    // More than the stream can hold of the session are gone already (taken and acknowledged, or deleted).
    if (seqs.length > (this.perSubjectLimit ?? 1024)) seqs.shift();
    this.recentSeqs.set(sessionId, seqs);
  }

  /**
   * Deletes the session's oldest frame that the inference consumer has not been delivered yet (stream sequence above
   * the consumer's last delivered one; it delivers in stream order), so one more fits. Frames inference already holds
   * stay: they are analysed or shed and counted there. Returns how many were removed (0 or 1).
   */
  private async evictOldestWaiting(sessionId: string): Promise<number> {
    try {
      this.perSubjectLimit ??= await this.readPerSubjectLimit();
      const delivered = await this.lastDeliveredSeq();
      const seqs = this.recentSeqs.get(sessionId) ?? [];
      while (seqs.length > 0) {
        const seq = seqs.shift()!;
        // At or below `delivered` inference has it: not a candidate, now or later. Above, it may be gone already.
        if (seq > delivered && (await this.deleteFrame(seq))) {
          this.purges.deleted(sessionId, seq);
          return 1;
        }
      }
      return 0;
    } catch (err) {
      this.perSubjectLimit = undefined;
      this.logger.warn('could not evict old frames', { subject: SUBJECTS.frame(sessionId), error: (err as Error).message });
      return 0;
    }
  }

  /** The inference consumer's last delivered stream sequence; 0 before the consumer exists (nobody took a frame). */
  private async lastDeliveredSeq(): Promise<number> {
    try {
      return (await this.client.manager.consumers.info(STREAMS.frames, CONSUMERS.inference)).delivered.stream_seq;
    } catch (err) {
      if (/consumer not found/i.test((err as Error).message)) return 0;
      throw err;
    }
  }

  /** False when the frame is gone already (taken and acknowledged meanwhile). */
  private async deleteFrame(seq: number): Promise<boolean> {
    try {
      return await this.client.manager.streams.deleteMessage(STREAMS.frames, seq, false);
    } catch (err) {
      if (/no message found/i.test((err as Error).message)) return false;
      throw err;
    }
  }

  private async readPerSubjectLimit(): Promise<number> {
    const { config } = await this.client.manager.streams.info(STREAMS.frames);
    return config.max_msgs_per_subject > 0 ? config.max_msgs_per_subject : 1;
  }
}
