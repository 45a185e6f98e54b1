/**
 * The sessions of one ingest process: start (validated request → source → session), list, inspect, stop, snapshots.
 * Ended sessions stay inspectable (state, last error, counters) until evicted by newer ones.
 */
import type { AddressPolicy } from '@sightline/rtsp';
import { randomUUID } from 'node:crypto';
import {
  SightlineError,
  redactUrl,
  startSessionSchema,
  validate,
  type RtspAuthType,
  type SessionInfo,
  type Size,
  type SourceSpec,
} from '@sightline/contracts';
import type { JetStreamPublisher, NatsClient } from '@sightline/messaging';
import type { Registry } from 'prom-client';
import type { FrameFormat, HardwareDecoder, PreviewOptions } from '../ffmpeg/command.js';
import { silentLogger, type VideoLogger } from '../logger.js';
import { IngestMetrics } from '../metrics.js';
import { FramePublisher, type FramePublisherOptions } from '../publish/frame-publisher.js';
import { SessionEvents } from '../publish/session-events.js';
import { encodeJpeg } from '../snapshot.js';
import { DeviceSource } from '../sources/device-source.js';
import { FileSource } from '../sources/file-source.js';
import { RtspSource } from '../sources/rtsp-source.js';
import type { FrameSource, SourceSettings } from '../sources/source.js';
import { IngestSession, type StopReason } from './ingest-session.js';
import { watchResults, type ResultWatcher } from './result-watcher.js';
import { ReconnectPolicy } from './reconnect-policy.js';
import { VideoErrorCode } from '../errors.js';

export interface IngestSettings {
  ffmpegPath: string;
  /** Hardware decoding of files and RTSP streams; check availability with `probeHardwareDecoder` first. */
  hwaccel?: HardwareDecoder;
  /** Threads of each session's software decoder; absent or 0: FFmpeg's default. */
  decodeThreads?: number;
  /** What every frame is letterboxed and converted to (the model input). */
  frame: FrameFormat;
  /** Downscaled source pictures for viewers (the console's live view); none when absent. */
  preview?: PreviewOptions;
  /** Sessions running at once; more are refused with SESSION_LIMIT_REACHED. */
  maxSessions: number;
  stallTimeoutMs: number;
  reconnectInitialDelayMs: number;
  reconnectMaxDelayMs: number;
  /** File sources must lie under this directory. */
  fileRoot: string;
  /** RTSP auth scheme when a request names none. */
  rtspAuth: RtspAuthType;
  rtspConnectTimeoutMs: number;
  /** Networks RTSP servers may be in (SSRF guard); any when absent. */
  rtspAddressPolicy?: AddressPolicy;
  /** Ended sessions kept for inspection. */
  keepEndedSessions?: number;
  /** Analysis-rate limit for sessions that set no `maxFps` of their own; every frame when absent. */
  maxFps?: number;
  /** Frames published without a result for this long → NO_RESULTS warning (default 10 s; 0: never). */
  noResultsWarnMs?: number;
  /** |sender clock − arrival| above this → SOURCE_CLOCK_OFFSET warning (default 1000 ms). */
  clockOffsetWarnMs?: number;
  /** Live H.264 decoding further behind than this drops units before decoding (default 500 ms; 0: never). */
  maxDecodeLagMs?: number;
  framePublisher?: FramePublisherOptions;
}

export interface SessionManagerDependencies {
  client: Pick<NatsClient, 'manager' | 'connection'>;
  publisher: JetStreamPublisher;
  registry: Registry;
  logger?: VideoLogger;
}

export class SessionManager {
  private readonly sessions = new Map<string, IngestSession>();
  private readonly metrics: IngestMetrics;
  private readonly framePublisher: FramePublisher;
  private readonly reconnect: ReconnectPolicy;
  private readonly logger: VideoLogger;
  private readonly results: ResultWatcher;

  constructor(
    private readonly deps: SessionManagerDependencies,
    readonly settings: IngestSettings,
  ) {
    this.logger = deps.logger ?? silentLogger;
    this.metrics = new IngestMetrics(deps.registry);
    this.framePublisher = new FramePublisher(deps.client, deps.publisher, this.logger, settings.framePublisher, (sessionId, count) =>
      this.sessions.get(sessionId)?.purged(count),
    );
    this.reconnect = new ReconnectPolicy({ initialDelayMs: settings.reconnectInitialDelayMs, maxDelayMs: settings.reconnectMaxDelayMs });
    this.results = watchResults(deps.client.connection, (sessionId) => {
      const session = this.sessions.get(sessionId);
      if (session && !session.ended) session.resultSeen();
    });
  }

  /**
   * Validates a start request (the REST body, a sessions-file entry, or the CLI's options) and starts the session.
   * Throws INVALID_MESSAGE / INVALID_SOURCE (bad request), SESSION_EXISTS, SESSION_LIMIT_REACHED.
   */
  start(request: unknown): SessionInfo {
    const { sessionId = randomUUID(), source: spec, zones } = validate(startSessionSchema, request, 'start session request');
    const existing = this.sessions.get(sessionId);
    if (existing && !existing.ended) {
      throw new SightlineError(VideoErrorCode.sessionExists, `session ${sessionId} is already running`, { sessionId });
    }
    const running = [...this.sessions.values()].filter((s) => !s.ended).length;
    if (running >= this.settings.maxSessions) {
      throw new SightlineError(VideoErrorCode.sessionLimitReached, `at most ${this.settings.maxSessions} sessions run at once`, {
        maxSessions: this.settings.maxSessions,
      });
    }
    const context = { sessionId, source: redactUrl(spec.url) };
    // This start of the session: its frames and lifecycle events are told apart from those of earlier starts.
    const run = Date.now().toString(36);
    const source = this.createSource(spec, context);
    const session = new IngestSession(
      sessionId,
      {
        source,
        framePublisher: this.framePublisher,
        events: new SessionEvents(this.deps.publisher, sessionId, run, this.logger),
        metrics: this.metrics.forSession(sessionId),
        reconnect: this.reconnect,
        logger: this.logger,
        encodeJpeg: (pixels) => encodeJpeg(this.settings.ffmpegPath, pixels, this.settings.frame),
        encodePicture: (picture) => encodeJpeg(this.settings.ffmpegPath, picture.pixels, picture.format),
      },
      // A reused id continues its predecessor's frame sequence, so frame and result message ids never repeat.
      {
        frame: this.settings.frame,
        stallTimeoutMs: this.settings.stallTimeoutMs,
        firstSeq: existing?.sequence,
        run,
        maxFps: spec.maxFps ?? this.settings.maxFps,
        noResultsWarnMs: this.settings.noResultsWarnMs,
        clockOffsetWarnMs: this.settings.clockOffsetWarnMs,
        zones,
      },
    );
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, session);
    this.evictEnded();
    session.start();
    return session.info();
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => s.info());
  }

  get(sessionId: string): SessionInfo {
    return this.session(sessionId).info();
  }

  /** Stops a session and resolves with its final state once its sessionStopped event is stored. */
  async stop(sessionId: string, reason: StopReason = 'stopped'): Promise<SessionInfo> {
    const session = this.session(sessionId);
    await session.stop(reason);
    await this.framePublisher.settlePurges();
    return session.info();
  }

  async stopAll(reason: StopReason = 'shutdown'): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.stop(reason)));
    this.results.close();
    await this.framePublisher.settlePurges();
    this.framePublisher.close();
  }

  /** Running sessions with warnings in force, for the health report; undefined when there are none. */
  warnings(): Record<string, Array<{ code: string; message: string; since: string }>> | undefined {
    const entries = [...this.sessions.values()]
      .filter((s) => !s.ended && s.activeWarnings.length)
      .map((s) => [s.id, s.activeWarnings] as const);
    return entries.length ? Object.fromEntries(entries) : undefined;
  }

  /** Resolves when the session has ended by itself or was stopped. */
  async whenEnded(sessionId: string): Promise<SessionInfo> {
    const session = this.session(sessionId);
    await session.done;
    return session.info();
  }

  /** JPEG of the session's latest published frame; SNAPSHOT_UNAVAILABLE before the first one. */
  async snapshot(sessionId: string): Promise<Buffer> {
    const jpeg = await this.session(sessionId).snapshot();
    if (!jpeg) throw new SightlineError(VideoErrorCode.snapshotUnavailable, 'no frame published yet', { sessionId });
    return jpeg;
  }

  /** JPEG of the session's latest source picture, encoded for this viewer; SOURCE_PICTURE_UNAVAILABLE before one (or without previews). */
  async sourcePicture(sessionId: string): Promise<{ jpeg: Buffer; source: Size; frameSeq: number }> {
    const picture = await this.session(sessionId).sourcePicture();
    if (!picture) {
      const reason = this.settings.preview ? 'no source picture decoded yet' : 'source pictures are turned off (INGEST_PREVIEW_WIDTH=0)';
      throw new SightlineError(VideoErrorCode.sourcePictureUnavailable, reason, { sessionId });
    }
    return picture;
  }

  private session(sessionId: string): IngestSession {
    const session = this.sessions.get(sessionId);
    if (!session) throw new SightlineError(VideoErrorCode.sessionNotFound, `no session ${sessionId}`, { sessionId });
    return session;
  }

  private createSource(spec: SourceSpec, context: Record<string, unknown>): FrameSource {
    const { ffmpegPath, frame, hwaccel, decodeThreads, preview } = this.settings;
    const settings: SourceSettings = { ffmpegPath, frame, hwaccel, decodeThreads, preview };
    switch (spec.type) {
      case 'file':
        return new FileSource(
          { url: spec.url, loop: spec.loop, pacing: spec.pacing, fileRoot: this.settings.fileRoot },
          settings,
          this.logger,
          context,
        );
      case 'rtsp':
        return new RtspSource(
          {
            url: spec.url,
            auth: spec.auth,
            defaultAuth: this.settings.rtspAuth,
            connectTimeoutMs: this.settings.rtspConnectTimeoutMs,
            maxDecodeLagMs: this.settings.maxDecodeLagMs,
            addressPolicy: this.settings.rtspAddressPolicy,
          },
          settings,
          this.logger,
          context,
        );
      case 'device':
        return new DeviceSource(spec.url, settings, this.logger, context);
    }
  }

  private evictEnded(): void {
    const keep = this.settings.keepEndedSessions ?? 32;
    const ended = [...this.sessions.values()].filter((s) => s.ended);
    for (const session of ended.slice(0, Math.max(0, ended.length - keep))) {
      this.sessions.delete(session.id);
      this.metrics.forSession(session.id).remove();
      this.framePublisher.forget(session.id);
    }
  }
}
