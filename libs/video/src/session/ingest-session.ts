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
import { BoundedAsyncQueue } from '@sightline/async';
import {
  SESSION_WARNING_CODES,
  SightlineError,
  type FrameMeta,
  type SessionWarning,
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
import { FrameStamper } from './frame-stamper.js';
import { SessionStats } from './session-stats.js';
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

/** Reconnect attempts since the source last delivered a frame. */
interface Outage {
  attempt: number;
  /** When the current outage began; undefined while the source delivers. */
  downSince?: number;
  /** Whether any run delivered a frame (a failure after that is never a configuration error). */
  everLive: boolean;
}

interface SourceFailure {
  error: SightlineError;
  code: string;
  /** Reconnecting cannot help (bad credentials, corrupt file, ...): the session ends in error. */
  fatal: boolean;
}

export class IngestSession {
  private state: SessionState = 'starting';
  private readonly startedAt = new Date();
  private stoppedAt?: Date;
  private lastError?: { code: string; message: string };
  private readonly stats: SessionStats;
  private readonly warnings = new Map<string, SessionWarning>();
  private readonly clockOffset = new ClockOffsetEstimate();
  private clockOffsetReported = false;
  /** First publish not yet followed by a result (undefined: every published frame so far has had one after it). */
  private resultsAwaitedSince?: number;
  private readonly stamper: FrameStamper;
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
  private queue?: BoundedAsyncQueue<OutgoingFrame>;
  private lastProgressAt = Date.now();
  private finished?: Promise<void>;
  /** For logs and errors. */
  private readonly context: Record<string, unknown>;

  constructor(
    readonly id: string,
    private readonly deps: SessionDependencies,
    private readonly options: SessionOptions,
  ) {
    this.context = { sessionId: id, source: deps.source.description };
    this.stats = new SessionStats(deps.metrics);
    this.stamper = new FrameStamper({
      sessionId: id,
      frame: options.frame,
      live: deps.source.live,
      firstSeq: options.firstSeq,
      maxFps: options.maxFps,
      run: options.run,
    });
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
    return this.stamper.sequence;
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
      this.queue?.close();
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
      stats: this.stats.snapshot(),
    };
  }

  /** Warnings in force now (for health reports). */
  get activeWarnings(): SessionWarning[] {
    return [...this.warnings.values()];
  }

  /** Published frames of this session deleted from a full FRAMES backlog before inference had them. */
  purged(count: number): void {
    this.stats.purged(count);
  }

  /** A frameAnalyzed result for one of this session's frames was stored (seen on the results subject). */
  resultSeen(): void {
    this.stats.resultSeen();
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
    const queue = this.begin();
    const publishing = this.publishLoop(queue);
    const endReason = await this.superviseSource(queue);
    // Batch files publish everything they decoded; anything else discards what was not published yet.
    if (endReason === 'endOfStream') queue.end();
    else queue.close();
    await publishing;
    await this.finish(endReason);
  }

  /** Announces the session and sets up what runs beside the source: the queue to the publisher and the ticker. */
  private begin(): BoundedAsyncQueue<OutgoingFrame> {
    const { source, events, logger } = this.deps;
    this.setState('starting');
    const zones = this.options.zones;
    void events.emit('sessionStarted', {
      source: { type: source.type, url: source.description },
      live: source.live,
      ...(zones && { zones }),
    });
    logger.info('session started', { ...this.context, live: source.live });

    // Live sessions never block the decoder: when the publisher falls behind, the oldest waiting frame is dropped (and
    // counted). Live: room for 8 frames of publish jitter (80 ms at 100 fps, 133 ms at 60) before the oldest go; the
    // stream's backlog is the real bound. Batch sessions block the decoder instead, which stops reading FFmpeg's
    // stdout, which pauses FFmpeg: nothing is lost.
    const capacity = this.options.queueCapacity ?? (source.live ? 8 : 4);
    const queue = new BoundedAsyncQueue<OutgoingFrame>({
      capacity,
      overflow: source.live ? 'dropOldest' : 'wait',
      onDrop: () => this.stats.dropped(1),
    });
    this.queue = queue;
    if (this.stopReason) queue.close();
    this.stats.startTicker(this.options.tickMs ?? 1000, () => this.checkResults());
    return queue;
  }

  /**
   * Opens the source again and again (reconnect supervision) until it ends by itself, fails fatally or the session
   * is stopped; says which of those ended it.
   */
  private async superviseSource(queue: BoundedAsyncQueue<OutgoingFrame>): Promise<StopReason> {
    const { source } = this.deps;
    const outage: Outage = { attempt: 0, everLive: false };
    while (!this.stopReason) {
      let run: SourceRun | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      try {
        run = await source.open({
          onDecodeError: this.decodeErrorReporter(),
          onDroppedBeforeDecode: (count) => this.stats.droppedBeforeDecode(count),
          onFrameNotTimed: () => this.stats.notTimed(),
        });
        this.currentRun = run;
        if (this.stopReason) break;
        watchdog = this.startWatchdog(run, queue);
        await this.forward(run, queue, outage);
        if (this.stopReason) break;
        if (source.endsNaturally) return 'endOfStream';
        throw new SightlineError(VideoErrorCode.sourceEnded, 'the source ended unexpectedly', this.context);
      } catch (err) {
        if (this.stopReason) break;
        const failure = this.classifyFailure(err, outage.everLive);
        this.lastError = { code: failure.code, message: failure.error.message };
        if (failure.fatal) {
          this.failedFatally(failure);
          return 'error';
        }
        await sleep(this.reconnecting(failure, outage), this.stopSignal.signal);
      } finally {
        clearInterval(watchdog);
        this.currentRun = undefined;
        await run?.close();
      }
    }
    return 'stopped';
  }

  /** One run's frames into the queue; the first frame after starting or an outage makes the session live. */
  private async forward(run: SourceRun, queue: BoundedAsyncQueue<OutgoingFrame>, outage: Outage): Promise<void> {
    let firstOfRun = true;
    for await (const frame of run) {
      this.lastProgressAt = Date.now();
      if (this.state !== 'live') {
        this.becameLive(outage.attempt, outage.downSince);
        outage.attempt = 0;
        outage.downSince = undefined;
        outage.everLive = true;
      }
      const outgoing = this.outgoing(frame, firstOfRun);
      firstOfRun = false;
      if (outgoing) await queue.push(outgoing);
      if (this.publishFailure) throw this.publishFailure;
    }
  }

  /** Why the run ended, as a coded error, and whether reconnecting could help. */
  private classifyFailure(err: unknown, everLive: boolean): SourceFailure {
    const error = this.publishFailure ?? asSightlineError(err, DecodeErrorCode.decodeFailed);
    const code = sourceErrorCode(error);
    return { error, code, fatal: isFatal(code, { sourceType: this.deps.source.type, everLive }) };
  }

  private failedFatally({ error, code }: SourceFailure): void {
    this.setState('error');
    this.deps.logger.error('source failed', { ...this.context, code, error: error.message, context: error.context });
    void this.deps.events.emit('sourceError', { code, message: error.message, fatal: true, context: eventContext(error.context) });
  }

  /** Counts the outage's next attempt and announces it; returns how long to wait before it. */
  private reconnecting({ error, code }: SourceFailure, outage: Outage): number {
    const attempt = ++outage.attempt;
    outage.downSince ??= Date.now();
    const delayMs = this.deps.reconnect.delayMs(attempt);
    this.stats.reconnect();
    this.setState('reconnecting');
    this.deps.logger.warn('source failed, reconnecting', { ...this.context, code, error: error.message, attempt, delayMs });
    void this.deps.events.emit('sourceReconnecting', { attempt, delayMs, reason: `${code}: ${error.message}` });
    return delayMs;
  }

  /** After the source and the publisher stopped: the final state, and the sessionStopped event stored. */
  private async finish(endReason: StopReason): Promise<void> {
    this.stats.stopTicker();
    // An ended session expects no more results; what it warned about is in its events and logs.
    for (const code of this.warnings.keys()) this.deps.metrics.warning(code, false);
    this.warnings.clear();
    this.resultsAwaitedSince = undefined;
    this.stoppedAt = new Date();
    const reason = this.stopReason ?? endReason;
    if (reason !== 'error') this.setState('stopped');
    const stats = this.stats.snapshot();
    this.deps.logger.info('session stopped', { ...this.context, reason, ...stats });
    await this.deps.events.emit('sessionStopped', {
      reason,
      framesPublished: stats.framesPublished,
      framesDropped: stats.framesDropped,
      ...(this.stamper.limitsRate && { framesSkipped: stats.framesSkipped }),
    });
  }

  /**
   * Damaged input FFmpeg decodes around (a truncated file, lost RTSP packets) is reported once per run as a non-fatal
   * sourceError: the frames keep coming, but agents learn that some are missing or concealed.
   */
  private decodeErrorReporter(): (line: string) => void {
    let reported = false;
    return (line) => {
      if (reported) return;
      reported = true;
      const code = this.deps.source.type === 'file' ? DecodeErrorCode.sourceCorrupt : DecodeErrorCode.decodeFailed;
      const message = `FFmpeg decoded around damaged input: ${line}`;
      this.lastError = { code, message };
      this.deps.logger.warn('damaged input', { ...this.context, code, error: line });
      void this.deps.events.emit('sourceError', { code, message, fatal: false });
    };
  }

  private async publishLoop(queue: BoundedAsyncQueue<OutgoingFrame>): Promise<void> {
    const mode = this.live ? 'live' : 'batch';
    for await (const item of queue) {
      try {
        const result = await this.deps.framePublisher.publish(item.pixels, item.meta, mode, this.stopSignal.signal);
        if (result.published) {
          this.stats.published();
          this.resultsAwaitedSince ??= Date.now();
          this.latest = { seq: item.meta.seq, pixels: item.pixels };
        } else {
          this.stats.dropped(1);
          if (result.error)
            this.deps.logger.debug('live frame dropped', { sessionId: this.id, seq: item.meta.seq, code: result.error.code });
        }
      } catch (err) {
        // Only configuration errors get here (FRAME_TOO_LARGE): no frame will ever fit, end the session.
        this.publishFailure = asSightlineError(err, VideoErrorCode.publishFailed);
        queue.close();
        await this.currentRun?.close(this.publishFailure);
        return;
      }
    }
  }

  /** The frame as published, or undefined when the session's frame-rate limit skips it. */
  private outgoing(frame: SourceFrame, firstOfRun: boolean): OutgoingFrame | undefined {
    this.stats.frameIn(frame.decodeMs);
    // The picture shows the frame `framesBehind` before this one: that frame's sequence number if it was published,
    // else the next published one's. Viewers draw that frame's results over it.
    this.recentSeqs.push(this.stamper.sequence);
    if (this.recentSeqs.length > RECENT_SEQS) this.recentSeqs.shift();
    if (frame.preview && frame.preview.seq !== this.latestPicture?.seq) {
      const index = Math.max(0, this.recentSeqs.length - 1 - frame.preview.framesBehind);
      this.latestPicture = { ...frame.preview, frameSeq: this.recentSeqs[index]! };
    }
    this.observeSourceClock(frame, firstOfRun);
    const meta = this.stamper.stamp(frame, firstOfRun);
    if (!meta) {
      this.stats.skipped();
      return undefined;
    }
    return { pixels: frame.pixels, meta };
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
  private startWatchdog(run: SourceRun, queue: BoundedAsyncQueue<OutgoingFrame>): NodeJS.Timeout {
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
    this.stats.clockOffset(offsetMs);
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

  private setState(state: SessionState): void {
    this.state = state;
    this.deps.metrics.state(state);
  }
}

/** Error context safe and small enough for an event: primitives and short string lists only. */
function eventContext(context: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(context).filter(
      ([, v]) => ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'string')),
    ),
  );
}
