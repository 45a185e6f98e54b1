/**
 * Turns a session's decoded frames into published frame metadata: presentation time continuous across the source's
 * runs (reconnects), the session's frame-rate limit, sequence numbers without gaps, and the letterbox of the frame's
 * source size (computed once per size).
 */
import { computeLetterbox, type FrameMeta, type Letterbox, type Size } from '@sightline/contracts';
import type { FrameFormat } from '../ffmpeg/command.js';
import type { SourceFrame } from '../sources/source.js';
import { FrameRateLimiter } from './frame-rate-limiter.js';

export interface FrameStamperOptions {
  sessionId: string;
  frame: FrameFormat;
  /** Live sources continue pts across a reconnect by the wall time that passed; batch sources by a tick. */
  live: boolean;
  /** Sequence number of the first frame (a restarted session id continues its predecessor's sequence). */
  firstSeq?: number;
  /** Keep at most this many frames per second of video, evenly spaced; all when absent. */
  maxFps?: number;
  /** This start of the session (`FrameMeta.run`). */
  run?: string;
  /** Epoch ms; the wall time between runs of a live source. */
  now?: () => number;
}

/** Pts step between the last frame of a batch run and the first of the next (1 ms). */
const BATCH_RUN_GAP_S = 0.001;

export class FrameStamper {
  private readonly rateLimiter?: FrameRateLimiter;
  private readonly now: () => number;
  private nextSeq: number;
  private ptsOffset = 0;
  private lastPts?: number;
  private lastFrameAt?: number;
  private letterboxFor?: { source: Size; letterbox: Letterbox };

  constructor(private readonly options: FrameStamperOptions) {
    this.nextSeq = options.firstSeq ?? 0;
    this.now = options.now ?? Date.now;
    if (options.maxFps !== undefined) this.rateLimiter = new FrameRateLimiter(options.maxFps);
  }

  /** Sequence number the next published frame gets. */
  get sequence(): number {
    return this.nextSeq;
  }

  /** Whether a frame-rate limit applies (frames may be skipped). */
  get limitsRate(): boolean {
    return this.rateLimiter !== undefined;
  }

  /** The frame's metadata as published, or undefined when the frame-rate limit skips it (it gets no seq). */
  stamp(frame: SourceFrame, firstOfRun: boolean): FrameMeta | undefined {
    const now = this.now();
    if (firstOfRun && this.lastPts !== undefined) {
      // Presentation time continues across reconnects: live sources by the wall time that passed, batch by a tick.
      const gap = this.options.live && this.lastFrameAt !== undefined ? (now - this.lastFrameAt) / 1000 : BATCH_RUN_GAP_S;
      this.ptsOffset = this.lastPts + gap - frame.pts;
    }
    const pts = frame.pts + this.ptsOffset;
    this.lastPts = pts;
    this.lastFrameAt = now;
    if (this.rateLimiter && !this.rateLimiter.admit(pts)) return undefined;
    const { width, height, pixelFormat } = this.options.frame;
    return {
      sessionId: this.options.sessionId,
      seq: this.nextSeq++,
      ...(this.options.run && { run: this.options.run }),
      pts: Math.round(pts * 1e6) / 1e6,
      captureTime: Math.round(frame.captureTime * 1000) / 1000,
      ...(frame.sourceTime !== undefined && { sourceTime: Math.round(frame.sourceTime * 1000) / 1000 }),
      publishedAt: 0,
      live: this.options.live,
      source: frame.source,
      frame: { width, height, pixelFormat },
      letterbox: this.letterbox(frame.source),
      ...(frame.decodeMs !== undefined && { decodeMs: Math.round(frame.decodeMs * 1000) / 1000 }),
    };
  }

  private letterbox(source: Size): Letterbox {
    const cached = this.letterboxFor;
    if (cached && cached.source.width === source.width && cached.source.height === source.height) return cached.letterbox;
    const { scale, padX, padY } = computeLetterbox(source, this.options.frame);
    this.letterboxFor = { source, letterbox: { scale, padX, padY } };
    return this.letterboxFor.letterbox;
  }
}
