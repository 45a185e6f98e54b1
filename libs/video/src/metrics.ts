/** Per-session ingest metrics (prom-client), registered once per registry. */
import { SESSION_STATES, SESSION_WARNING_CODES, type SessionState } from '@sightline/contracts';
import { LATENCY_BUCKETS } from '@sightline/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class IngestMetrics {
  private readonly frames: Counter<'session' | 'outcome'>;
  private readonly fps: Gauge<'session' | 'direction'>;
  private readonly decodeSeconds: Histogram<'session'>;
  private readonly reconnects: Counter<'session'>;
  private readonly state: Gauge<'session' | 'state'>;
  private readonly resultsSeen: Counter<'session'>;
  private readonly clockOffset: Gauge<'session'>;
  private readonly warnings: Gauge<'session' | 'code'>;
  private readonly pictureEncodes: Counter<'session'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.frames = new Counter({
      name: 'sightline_ingest_frames_total',
      help:
        'Decoded frames by outcome: published to the frames stream, dropped before publishing (live back-pressure, ' +
        'stream unreachable, units dropped before decoding), purged (published, then removed from a full frames backlog ' +
        'before inference took it), or not_timed (no presentation time of its own: skipped after decoding)',
      labelNames: ['session', 'outcome'],
      registers,
    });
    this.fps = new Gauge({
      name: 'sightline_ingest_fps',
      help: 'Frames per second over the last second: in = decoded by FFmpeg, out = published',
      labelNames: ['session', 'direction'],
      registers,
    });
    this.decodeSeconds = new Histogram({
      name: 'sightline_ingest_decode_seconds',
      help: 'Elementary stream written to FFmpeg until the letterboxed frame came out (piped sources only)',
      labelNames: ['session'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.reconnects = new Counter({
      name: 'sightline_ingest_reconnects_total',
      help: 'Reconnect attempts after a source failed, stalled or ended unexpectedly',
      labelNames: ['session'],
      registers,
    });
    this.state = new Gauge({
      name: 'sightline_ingest_session_state',
      help: 'Session state: 1 for the current state, 0 for the others',
      labelNames: ['session', 'state'],
      registers,
    });
    this.resultsSeen = new Counter({
      name: 'sightline_ingest_results_seen_total',
      help: 'frameAnalyzed results seen on RESULTS for the session (frames in, results out: the no-results alert compares the two)',
      labelNames: ['session'],
      registers,
    });
    this.clockOffset = new Gauge({
      name: 'sightline_ingest_source_clock_offset_seconds',
      help: "Sender's wall clock for a frame (RTCP sender report) minus its arrival here, smoothed; negative = sender latency or a clock behind",
      labelNames: ['session'],
      registers,
    });
    this.warnings = new Gauge({
      name: 'sightline_ingest_session_warning',
      help: 'Session warnings in force (1), by code: SOURCE_CLOCK_OFFSET, NO_RESULTS',
      labelNames: ['session', 'code'],
      registers,
    });
    this.pictureEncodes = new Counter({
      name: 'sightline_ingest_source_picture_encodes_total',
      help: 'Source pictures encoded as JPEG for a viewer (GET /sessions/:id/picture.jpg); 0 while nobody watches',
      labelNames: ['session'],
      registers,
    });
  }

  forSession(session: string): SessionMetrics {
    return {
      published: () => this.frames.inc({ session, outcome: 'published' }),
      dropped: (count) => this.frames.inc({ session, outcome: 'dropped' }, count),
      purged: (count) => this.frames.inc({ session, outcome: 'purged' }, count),
      notTimed: () => this.frames.inc({ session, outcome: 'not_timed' }),
      fps: (fpsIn, fpsOut) => {
        this.fps.set({ session, direction: 'in' }, fpsIn);
        this.fps.set({ session, direction: 'out' }, fpsOut);
      },
      decoded: (ms) => this.decodeSeconds.observe({ session }, ms / 1000),
      reconnect: () => this.reconnects.inc({ session }),
      resultSeen: () => this.resultsSeen.inc({ session }),
      pictureEncoded: () => this.pictureEncodes.inc({ session }),
      clockOffset: (ms) => this.clockOffset.set({ session }, ms / 1000),
      warning: (code, active) => this.warnings.set({ session, code }, active ? 1 : 0),
      state: (current: SessionState) => {
        this.resultsSeen.inc({ session }, 0); // the series exists from the start: "no results" is a 0, not an absence
        this.pictureEncodes.inc({ session }, 0);
        for (const state of SESSION_STATES) this.state.set({ session, state }, state === current ? 1 : 0);
      },
      remove: () => {
        for (const outcome of ['published', 'dropped', 'purged', 'not_timed']) this.frames.remove({ session, outcome });
        for (const direction of ['in', 'out']) this.fps.remove({ session, direction });
        for (const state of SESSION_STATES) this.state.remove({ session, state });
        this.decodeSeconds.remove({ session });
        this.resultsSeen.remove({ session });
        this.pictureEncodes.remove({ session });
        this.clockOffset.remove({ session });
        for (const code of Object.values(SESSION_WARNING_CODES)) this.warnings.remove({ session, code });
        this.reconnects.remove({ session });
      },
    };
  }
}

export interface SessionMetrics {
  published(): void;
  dropped(count: number): void;
  /** Published frames removed from a full frames backlog. */
  purged(count: number): void;
  /** A decoded frame skipped for having no presentation time of its own. */
  notTimed(): void;
  fps(fpsIn: number, fpsOut: number): void;
  decoded(ms: number): void;
  reconnect(): void;
  /** A frameAnalyzed result for the session was seen. */
  resultSeen(): void;
  /** A source picture was encoded for a viewer. */
  pictureEncoded(): void;
  /** Smoothed sender clock − arrival, ms. */
  clockOffset(ms: number): void;
  warning(code: string, active: boolean): void;
  state(current: SessionState): void;
  /** Forgets the session's series (when it leaves the registry). */
  remove(): void;
}
