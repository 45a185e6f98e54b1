/** Per-session ingest metrics (prom-client), registered once per registry. */
import { SESSION_STATES, type SessionState } from '@sightline/contracts';
import { LATENCY_BUCKETS } from '@sightline/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class IngestMetrics {
  private readonly frames: Counter<'session' | 'outcome'>;
  private readonly fps: Gauge<'session' | 'direction'>;
  private readonly decodeSeconds: Histogram<'session'>;
  private readonly reconnects: Counter<'session'>;
  private readonly state: Gauge<'session' | 'state'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.frames = new Counter({
      name: 'sightline_ingest_frames_total',
      help: 'Decoded frames by outcome: published to the frames stream, or dropped (live back-pressure, stream unreachable)',
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
  }

  forSession(session: string): SessionMetrics {
    return {
      published: () => this.frames.inc({ session, outcome: 'published' }),
      dropped: (count) => this.frames.inc({ session, outcome: 'dropped' }, count),
      fps: (fpsIn, fpsOut) => {
        this.fps.set({ session, direction: 'in' }, fpsIn);
        this.fps.set({ session, direction: 'out' }, fpsOut);
      },
      decoded: (ms) => this.decodeSeconds.observe({ session }, ms / 1000),
      reconnect: () => this.reconnects.inc({ session }),
      state: (current: SessionState) => {
        for (const state of SESSION_STATES) this.state.set({ session, state }, state === current ? 1 : 0);
      },
      remove: () => {
        for (const outcome of ['published', 'dropped']) this.frames.remove({ session, outcome });
        for (const direction of ['in', 'out']) this.fps.remove({ session, direction });
        for (const state of SESSION_STATES) this.state.remove({ session, state });
        this.decodeSeconds.remove({ session });
        this.reconnects.remove({ session });
      },
    };
  }
}

export interface SessionMetrics {
  published(): void;
  dropped(count: number): void;
  fps(fpsIn: number, fpsOut: number): void;
  decoded(ms: number): void;
  reconnect(): void;
  state(current: SessionState): void;
  /** Forgets the session's series (when it leaves the registry). */
  remove(): void;
}
