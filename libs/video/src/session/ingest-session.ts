/**
 * One analysis session: a source opened again and again (reconnect with capped exponential back-off, stall
 * watchdog) feeding frames to the FRAMES stream, with every state change published as a lifecycle event.
 *
 *   starting ──first frame──▶ live ──failure/stall──▶ reconnecting ──first frame──▶ live (sourceRecovered)
 *       │                      │                           │
 *       └────── fatal failure (bad credentials, corrupt file, ...) ──▶ error      stop() / end of file ──▶ stopped
 *
 * Two loops run per session: the source loop (decode → queue) and the publisher loop (queue → JetStream); the
 * queue between them decides what back-pressure does (drop-oldest for live sources, wait for batch files).
 */
import {
  computeLetterbox,
  SESSION_WARNING_CODES,
  SightlineError,
  type FrameMeta,
  type SessionWarning,
  type Letterbox,
  type SessionInfo,
  type SessionState,
  type SessionZones,
  type Size,
} from '@sightline/contracts';
import type { FrameFormat } from '../ffmpeg/command.js';
import type { PreviewPicture } from '../ffmpeg/decoder.js';
import { DecodeErrorCode } from '../ffmpeg/stderr.js';
import type { VideoLogger } from '../logger.js';
import type { SessionMetrics } from '../metrics.js';
import type { FramePublisher } from '../publish/frame-publisher.js';
import type { SessionEvents } from '../publish/session-events.js';
import { SnapshotCache } from '../snapshot.js';
import type { FrameSource, SourceFrame, SourceRun } from '../sources/source.js';
import { ClockOffsetEstimate } from '../timing/clock-offset.js';
import { sleep } from '../util/sleep.js';
import { FrameQueue } from './frame-queue.js';
import { FrameRateLimiter } from './frame-rate-limiter.js';
import { asSightlineError, isFatal, sourceErrorCode, type ReconnectPolicy } from './reconnect-policy.js';
import { VideoErrorCode } from '../errors.js';

export interface SessionDependencies {
  source: FrameSource;
  framePublisher: FramePublisher;
  events: SessionEvents;
  metrics: SessionMetrics;
  reconnect: ReconnectPolicy;
  logger: VideoLogger;
  /** Encodes a frame of `frame` format as JPEG (snapshots). */
  encodeJpeg: (pixels: Uint8Array) => Promise<Buffer>;
  /** Encodes a source picture as JPEG; only called for a viewer. */
  encodePicture?: (picture: PreviewPicture) => Promise<Buffer>;
}

export interface SessionOptions {
  frame: FrameFormat;
  /** No frame for this long while nothing on our side holds the source back → reconnect. */
  stallTimeoutMs: number;
  /** Sequence number of the first frame (a restarted session id continues its predecessor's sequence). */
  firstSeq?: number;
  /** Frames waiting between decoder and publisher. */
  queueCapacity?: number;
  /** Publish at most this many frames per second of video, evenly spaced; all when absent. */
  maxFps?: number;
  /** This start of the session (`FrameMeta.run`). */
  run?: string;
  /** |sender clock − arrival| above this → one SOURCE_CLOCK_OFFSET warning (default 1000 ms). */
  clockOffsetWarnMs?: number;
  /** Frames published but no result for this long → NO_RESULTS warning (default 10 s; 0: never). */
  noResultsWarnMs?: number;
  /** How often the no-results condition and the rates are checked (default 1 s). */
  tickMs?: number;
  /** Zones of the start request: announced in sessionStarted, which persistence stores as the session's zones. */
  zones?: SessionZones;
}

/** Frames whose sequence numbers are remembered to place late source pictures (the decoder remembers as many). */
const RECENT_SEQS = 256;

/** Why a session ended (the `reason` of sessionStopped). */
export type StopReason = 'stopped' | 'shutdown' | 'endOfStream' | 'error';

interface OutgoingFrame {
  pixels: Buffer;
  meta: FrameMeta;
}

export class IngestSession {
  private state: SessionState = 'starting';
  private readonly startedAt = new Date();
  private stoppedAt?: Date;
  private lastError?: { code: string; message: string };
  private readonly stats = {
    framesIn: 0,
    framesSkipped: 0,
    framesPublished: 0,
    framesDropped: 0,
    reconnects: 0,
    fpsIn: 0,
    fpsOut: 0,
    resultsSeen: 0,
    framesDroppedBeforeDecode: 0,
    sourceClockOffsetMs: undefined as number | undefined,
  };
  private readonly warnings = new Map<string, SessionWarning>();
  private readonly clockOffset = new ClockOffsetEstimate();
  private clockOffsetReported = false;
  /** First publish not yet followed by a result (undefined: every published frame so far has had one after it). */
  private resultsAwaitedSince?: number;
  private readonly rateLimiter?: FrameRateLimiter;
  private nextSeq: number;
  private ptsOffset = 0;
  private lastPts?: number;
  private lastFrameAt?: number;
  private letterboxFor?: { source: Size; letterbox: Letterbox };
  private latest?: { seq: number; pixels: Buffer };
  private readonly snapshots: SnapshotCache;
  /** The latest source picture and the sequence number of its frame (or of the next one published). */
  private latestPicture?: PreviewPicture & { frameSeq: number };
  /** For the last frames, newest last: the sequence number each got, or the next published one got (skipped). */
  private readonly recentSeqs: number[] = [];
  private readonly pictures?: SnapshotCache<PreviewPicture & { frameSeq: number }>;

  private stopReason?: StopReason;
  private readonly stopSignal = new AbortController();
  private currentRun?: SourceRun;
  private publishFailure?: SightlineError;
  private queue?: FrameQueue<OutgoingFrame>;
  private lastProgressAt = Date.now();
  private rateBase = { at: Date.now(), framesIn: 0, framesPublished: 0 };
  private finished?: Promise<void>;

  constructor(
    readonly id: string,
    private readonly deps: SessionDependencies,
    private readonly options: SessionOptions,
  ) {
    this.nextSeq = options.firstSeq ?? 0;
    if (options.maxFps !== undefined) this.rateLimiter = new FrameRateLimiter(options.maxFps);
    this.snapshots = new SnapshotCache((frame) => deps.encodeJpeg(frame.pixels));
    const { encodePicture } = deps;
    if (encodePicture) {
      this.pictures = new SnapshotCache<PreviewPicture & { frameSeq: number }>((picture) => {
        deps.metrics.pictureEncoded();
        return encodePicture(picture);
      });
    }
  }

  get live(): boolean {
    return this.deps.source.live;
  }

  /** True once the session ended (stopped, end of file, or fatal error). */
  get ended(): boolean {
    return this.state === 'stopped' || this.state === 'error';
  }

  /** Sequence number the next frame would get (a successor session continues from here). */
  get sequence(): number {
    return this.nextSeq;
  }

  /** Resolves when the session has ended and its sessionStopped event is stored. */
  get done(): Promise<void> {
    return this.finished ?? Promise.resolve();
  }

  start(): void {
    this.finished ??= this.run();
  }

  /** Ends the session: closes the source, discards frames not yet published (not counted as drops), emits sessionStopped. */
  async stop(reason: StopReason = 'stopped'): Promise<void> {
    if (!this.stopReason) {
      this.stopReason = reason;
      this.stopSignal.abort();
      this.queue?.close(true);
      await this.currentRun?.close();
    }
    await this.done;
  }

  info(): SessionInfo {
    return {
      sessionId: this.id,
      state: this.state,
      source: { type: this.deps.source.type, url: this.deps.source.description, live: this.live },
      startedAt: this.startedAt.toISOString(),
      ...(this.stoppedAt && { stoppedAt: this.stoppedAt.toISOString() }),
      ...(this.lastError && { lastError: this.lastError }),
      ...(this.warnings.size && { warnings: [...this.warnings.values()] }),
      stats: { ...this.stats },
    };
  }

  /** Warnings in force now (for health reports). */
  get activeWarnings(): SessionWarning[] {
    return [...this.warnings.values()];
  }

  /** A frameAnalyzed result for one of this session's frames was stored (seen on the results subject). */
  resultSeen(): void {
    this.stats.resultsSeen++;
    this.deps.metrics.resultSeen();
    this.resultsAwaitedSince = undefined;
    if (this.warnings.delete(SESSION_WARNING_CODES.noResults)) {
      this.deps.metrics.warning(SESSION_WARNING_CODES.noResults, false);
      this.deps.logger.info('results resumed', { sessionId: this.id, code: SESSION_WARNING_CODES.noResults });
    }
  }

  /** The latest published frame as JPEG, or undefined before the first one. */
  async snapshot(): Promise<Buffer | undefined> {
    return this.latest && this.snapshots.get(this.latest);
  }

  /** The latest source picture as JPEG (encoded now, for a viewer), or undefined before the first one or without previews. */
  async sourcePicture(): Promise<{ jpeg: Buffer; source: Size; frameSeq: number } | undefined> {
    if (!this.latestPicture || !this.pictures) return undefined;
    const { frame, jpeg } = this.pictures.encoded(this.latestPicture);
    return { jpeg: await jpeg, source: frame.source, frameSeq: frame.frameSeq };
  }

  private async run(): Promise<void> {
    const { source, events, logger } = this.deps;
    const context = { sessionId: this.id, source: source.description };
    this.setState('starting');
    const zones = this.options.zones;
    void events.emit('sessionStarted', {
      source: { type: source.type, url: source.description },
      live: source.live,
      ...(zones && { zones }),
    });
    logger.info('session started', { ...context, live: source.live });

    // Live: room for 8 frames of publish jitter (80 ms at 100 fps, 133 ms at 60) before the oldest go; the stream's
    // backlog is the real bound.
    const capacity = this.options.queueCapacity ?? (source.live ? 8 : 4);
    const queue = new FrameQueue<OutgoingFrame>(capacity, source.live ? 'dropOldest' : 'wait', () => this.countDropped(1));
    this.queue = queue;
    if (this.stopReason) queue.close(true);
    const publishing = this.publishLoop(queue);
    const ticker = this.startRateTicker();

    let endReason: StopReason = 'stopped';
    let attempt = 0;
    let downSince: number | undefined;
    let everLive = false;
    while (!this.stopReason) {
      let run: SourceRun | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      try {
        run = await source.open({
          onDecodeError: this.decodeErrorReporter(context),
          onDroppedBeforeDecode: (count) => {
            this.stats.framesDroppedBeforeDecode += count;
            this.countDropped(count);
          },
        });
        this.currentRun = run;
        if (this.stopReason) break;
        watchdog = this.startWatchdog(run, queue);
        let firstOfRun = true;
        for await (const frame of run) {
          this.lastProgressAt = Date.now();
          if (this.state !== 'live') {
            this.becameLive(attempt, downSince);
            attempt = 0;
            downSince = undefined;
            everLive = true;
          }
          const outgoing = this.outgoing(frame, firstOfRun);
          firstOfRun = false;
          if (outgoing) await queue.put(outgoing);
          if (this.publishFailure) throw this.publishFailure;
        }
        if (this.stopReason) break;
        if (source.endsNaturally) {
          endReason = 'endOfStream';
          break;
        }
        throw new SightlineError(VideoErrorCode.sourceEnded, 'the source ended unexpectedly', context);
      } catch (err) {
        if (this.stopReason) break;
        const error = this.publishFailure ?? asSightlineError(err, DecodeErrorCode.decodeFailed);
        const code = sourceErrorCode(error);
        this.lastError = { code, message: error.message };
        if (isFatal(code, { sourceType: source.type, everLive })) {
          endReason = 'error';
          this.setState('error');
          logger.error('source failed', { ...context, code, error: error.message, context: error.context });
          void events.emit('sourceError', { code, message: error.message, fatal: true, context: eventContext(error.context) });
          break;
        }
        attempt++;
        downSince ??= Date.now();
        const delayMs = this.deps.reconnect.delayMs(attempt);
        this.stats.reconnects++;
        this.deps.metrics.reconnect();
        this.setState('reconnecting');
        logger.warn('source failed, reconnecting', { ...context, code, error: error.message, attempt, delayMs });
        void events.emit('sourceReconnecting', { attempt, delayMs, reason: `${code}: ${error.message}` });
        await sleep(delayMs, this.stopSignal.signal);
      } finally {
        clearInterval(watchdog);
        this.currentRun = undefined;
        await run?.close();
      }
    }

    // Batch files publish everything they decoded; anything else discards what was not published yet.
    queue.close(endReason !== 'endOfStream');
    await publishing;
    clearInterval(ticker);
    // An ended session expects no more results; what it warned about is in its events and logs.
    for (const code of this.warnings.keys()) this.deps.metrics.warning(code, false);
    this.warnings.clear();
    this.resultsAwaitedSince = undefined;
    this.stats.fpsIn = this.stats.fpsOut = 0;
    this.deps.metrics.fps(0, 0);
    this.stoppedAt = new Date();
    const reason = this.stopReason ?? endReason;
    if (reason !== 'error') this.setState('stopped');
    logger.info('session stopped', { ...context, reason, ...this.stats });
    await events.emit('sessionStopped', {
      reason,
      framesPublished: this.stats.framesPublished,
      framesDropped: this.stats.framesDropped,
      ...(this.rateLimiter && { framesSkipped: this.stats.framesSkipped }),
    });
  }

  /**
   * Damaged input FFmpeg decodes around (a truncated file, lost RTSP packets) is reported once per run as a non-fatal
   * sourceError: the frames keep coming, but agents learn that some are missing or concealed.
   */
  private decodeErrorReporter(context: Record<string, unknown>): (line: string) => void {
    let reported = false;
    return (line) => {
      if (reported) return;
      reported = true;
      const code = this.deps.source.type === 'file' ? DecodeErrorCode.sourceCorrupt : DecodeErrorCode.decodeFailed;
      const message = `FFmpeg decoded around damaged input: ${line}`;
      this.lastError = { code, message };
      this.deps.logger.warn('damaged input', { ...context, code, error: line });
      void this.deps.events.emit('sourceError', { code, message, fatal: false });
    };
  }

  private async publishLoop(queue: FrameQueue<OutgoingFrame>): Promise<void> {
    const mode = this.live ? 'live' : 'batch';
    for (let item = await queue.take(); item; item = await queue.take()) {
      try {
        const result = await this.deps.framePublisher.publish(item.pixels, item.meta, mode, this.stopSignal.signal);
        if (result.evicted) this.countDropped(result.evicted);
        if (result.published) {
          this.stats.framesPublished++;
          this.resultsAwaitedSince ??= Date.now();
          this.deps.metrics.published();
          this.latest = { seq: item.meta.seq, pixels: item.pixels };
        } else {
          this.countDropped(1);
          if (result.error)
            this.deps.logger.debug('live frame dropped', { sessionId: this.id, seq: item.meta.seq, code: result.error.code });
        }
      } catch (err) {
        // Only configuration errors get here (FRAME_TOO_LARGE): no frame will ever fit, end the session.
        this.publishFailure = asSightlineError(err, VideoErrorCode.publishFailed);
        queue.close(true);
        await this.currentRun?.close(this.publishFailure);
        return;
      }
    }
  }

  /** The frame as published, or undefined when the session's frame-rate limit skips it. */
  private outgoing(frame: SourceFrame, firstOfRun: boolean): OutgoingFrame | undefined {
    this.stats.framesIn++;
    // The picture shows the frame `framesBehind` before this one: that frame's sequence number if it was published,
    // else the next published one's. Viewers draw that frame's results over it.
    this.recentSeqs.push(this.nextSeq);
    if (this.recentSeqs.length > RECENT_SEQS) this.recentSeqs.shift();
    if (frame.preview && frame.preview.seq !== this.latestPicture?.seq) {
      const index = Math.max(0, this.recentSeqs.length - 1 - frame.preview.framesBehind);
      this.latestPicture = { ...frame.preview, frameSeq: this.recentSeqs[index]! };
    }
    if (frame.decodeMs !== undefined) this.deps.metrics.decoded(frame.decodeMs);
    this.observeSourceClock(frame, firstOfRun);
    const now = Date.now();
    if (firstOfRun && this.lastPts !== undefined) {
      // Presentation time continues across reconnects: live sources by the wall time that passed, batch by a tick.
      const gap = this.live && this.lastFrameAt !== undefined ? (now - this.lastFrameAt) / 1000 : 0.001;
      this.ptsOffset = this.lastPts + gap - frame.pts;
    }
    const pts = frame.pts + this.ptsOffset;
    this.lastPts = pts;
    this.lastFrameAt = now;
    if (this.rateLimiter && !this.rateLimiter.admit(pts)) {
      this.stats.framesSkipped++;
      return undefined;
    }
    const { width, height, pixelFormat } = this.options.frame;
    const meta: FrameMeta = {
      sessionId: this.id,
      seq: this.nextSeq++,
      ...(this.options.run && { run: this.options.run }),
      pts: Math.round(pts * 1e6) / 1e6,
      captureTime: Math.round(frame.captureTime * 1000) / 1000,
      ...(frame.sourceTime !== undefined && { sourceTime: Math.round(frame.sourceTime * 1000) / 1000 }),
      publishedAt: 0,
      live: this.live,
      source: frame.source,
      frame: { width, height, pixelFormat },
      letterbox: this.letterbox(frame.source),
      ...(frame.decodeMs !== undefined && { decodeMs: Math.round(frame.decodeMs * 1000) / 1000 }),
    };
    return { pixels: frame.pixels, meta };
  }

  private letterbox(source: Size): Letterbox {
    const cached = this.letterboxFor;
    if (cached && cached.source.width === source.width && cached.source.height === source.height) return cached.letterbox;
    const { scale, padX, padY } = computeLetterbox(source, this.options.frame);
    this.letterboxFor = { source, letterbox: { scale, padX, padY } };
    return this.letterboxFor.letterbox;
  }

  private becameLive(attempts: number, downSince: number | undefined): void {
    if (attempts > 0 && downSince !== undefined) {
      const downtimeMs = Date.now() - downSince;
      this.deps.logger.info('source recovered', { sessionId: this.id, attempts, downtimeMs });
      void this.deps.events.emit('sourceRecovered', { attempts, downtimeMs });
    }
    this.setState('live');
  }

  /** A source that produces nothing for stallTimeoutMs is restarted, unless our own back-pressure holds it. */
  private startWatchdog(run: SourceRun, queue: FrameQueue<OutgoingFrame>): NodeJS.Timeout {
    this.lastProgressAt = Date.now();
    const { stallTimeoutMs } = this.options;
    const timer = setInterval(
      () => {
        if (queue.producerBlocked) {
          this.lastProgressAt = Date.now();
          return;
        }
        const silentMs = Date.now() - this.lastProgressAt;
        if (silentMs < stallTimeoutMs) return;
        clearInterval(timer);
        void run.close(
          new SightlineError(VideoErrorCode.sourceStalled, `no frame for ${silentMs} ms`, { sessionId: this.id, stallTimeoutMs }),
        );
      },
      Math.max(50, Math.min(1000, stallTimeoutMs / 4)),
    );
    timer.unref();
    return timer;
  }

  private startRateTicker(): NodeJS.Timeout {
    const timer = setInterval(() => {
      this.updateRates();
      this.checkResults();
    }, this.options.tickMs ?? 1000);
    timer.unref();
    return timer;
  }

  /**
   * Frames in, no results out: published frames that no result has followed for noResultsWarnMs (inference skips
   * them as stale, dead-letters them, or nothing consumes them). Raised once per episode, listed until a result comes.
   */
  private checkResults(): void {
    const limitMs = this.options.noResultsWarnMs ?? 10_000;
    const since = this.resultsAwaitedSince;
    if (limitMs <= 0 || since === undefined || this.warnings.has(SESSION_WARNING_CODES.noResults)) return;
    const waitedMs = Date.now() - since;
    if (waitedMs < limitMs) return;
    this.raiseWarning(
      SESSION_WARNING_CODES.noResults,
      `frames published for ${Math.round(waitedMs / 1000)} s without any result (${this.stats.resultsSeen} results in all): ` +
        'inference skips them (stale), dead-letters them, or is not running',
      since,
    );
  }

  /** Logged, listed on the session's status and published once as a non-fatal sourceError. */
  private raiseWarning(code: string, message: string, since = Date.now()): void {
    this.warnings.set(code, { code, message, since: new Date(since).toISOString() });
    this.deps.metrics.warning(code, true);
    this.deps.logger.warn('session warning', { sessionId: this.id, source: this.deps.source.description, code, error: message });
    void this.deps.events.emit('sourceError', { code, message, fatal: false });
  }

  /** The sender's clock, when frames carry it: measured per frame, reported, warned about once per session. */
  private observeSourceClock(frame: SourceFrame, firstOfRun: boolean): void {
    if (firstOfRun) this.clockOffset.reset(); // a new RTSP session may be another sender, or a restarted one
    if (frame.sourceTime === undefined) return;
    const offsetMs = Math.round(this.clockOffset.observe(frame.sourceTime - frame.captureTime));
    this.stats.sourceClockOffsetMs = offsetMs;
    this.deps.metrics.clockOffset(offsetMs);
    const limitMs = this.options.clockOffsetWarnMs ?? 1000;
    if (!this.clockOffset.settled) return;
    if (Math.abs(offsetMs) <= limitMs) {
      if (this.warnings.delete(SESSION_WARNING_CODES.sourceClockOffset))
        this.deps.metrics.warning(SESSION_WARNING_CODES.sourceClockOffset, false);
      return;
    }
    if (this.warnings.has(SESSION_WARNING_CODES.sourceClockOffset)) return;
    const message =
      `the sender's clock is ${offsetMs > 0 ? 'ahead of' : 'behind'} this host's by ${Math.abs(offsetMs)} ms (its sender reports ` +
      "against arrival here): frames are timed on arrival; sourceTime is the sender's clock";
    if (this.clockOffsetReported) {
      this.warnings.set(SESSION_WARNING_CODES.sourceClockOffset, {
        code: SESSION_WARNING_CODES.sourceClockOffset,
        message,
        since: new Date().toISOString(),
      });
      this.deps.metrics.warning(SESSION_WARNING_CODES.sourceClockOffset, true);
      return;
    }
    this.clockOffsetReported = true;
    this.raiseWarning(SESSION_WARNING_CODES.sourceClockOffset, message);
  }

  private updateRates(): void {
    const now = Date.now();
    const seconds = (now - this.rateBase.at) / 1000;
    if (seconds <= 0) return;
    this.stats.fpsIn = round1((this.stats.framesIn - this.rateBase.framesIn) / seconds);
    this.stats.fpsOut = round1((this.stats.framesPublished - this.rateBase.framesPublished) / seconds);
    this.rateBase = { at: now, framesIn: this.stats.framesIn, framesPublished: this.stats.framesPublished };
    this.deps.metrics.fps(this.stats.fpsIn, this.stats.fpsOut);
  }

  private countDropped(count: number): void {
    this.stats.framesDropped += count;
    this.deps.metrics.dropped(count);
  }

  private setState(state: SessionState): void {
    this.state = state;
    this.deps.metrics.state(state);
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Error context safe and small enough for an event: primitives and short string lists only. */
function eventContext(context: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(context).filter(
      ([, v]) => ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'string')),
    ),
  );
}
