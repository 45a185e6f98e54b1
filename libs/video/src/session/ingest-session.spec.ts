/**
 * IngestSession's timing and warnings with scripted collaborators (a source that yields given frames, a publisher
 * that records): which clock frames are timed on, the sender-clock offset, "frames in, no results out", and the
 * reconnect supervision (which failures are retried, what each attempt announces).
 */
import { SESSION_WARNING_CODES, SightlineError, type FrameMeta } from '@sightline/contracts';
import { RtspErrorCode } from '@sightline/rtsp';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { IngestMetrics } from '../metrics.js';
import type { FramePublisher } from '../publish/frame-publisher.js';
import type { SessionEvents } from '../publish/session-events.js';
import type { FrameSource, RunHooks, SourceFrame, SourceRun } from '../sources/source.js';
import { IngestSession, type SessionOptions } from './ingest-session.js';
import { ReconnectPolicy } from './reconnect-policy.js';

const FRAME = { width: 4, height: 4, pixelFormat: 'gray' as const };
const HOURS_5 = 5 * 3600 * 1000;

/** A live source with one run that yields the given frames, then stays open until closed. */
class ScriptedSource implements FrameSource {
  readonly type = 'rtsp' as const;
  readonly live = true;
  readonly endsNaturally = false;
  readonly description = 'rtsp://camera/stream';
  constructor(private readonly frames: () => SourceFrame[]) {}

  async open(): Promise<SourceRun> {
    const frames = this.frames();
    let close!: () => void;
    const closed = new Promise<void>((resolve) => (close = resolve));
    return {
      async *[Symbol.asyncIterator]() {
        for (const frame of frames) yield frame;
        await closed;
      },
      close: async (_reason?: SightlineError) => close(),
    };
  }
}

function frame(i: number, captureTime: number, sourceTime?: number): SourceFrame {
  return {
    pixels: Buffer.alloc(16),
    source: { width: 4, height: 4 },
    pts: i / 60,
    captureTime,
    ...(sourceTime !== undefined && { sourceTime }),
  };
}

let session: IngestSession | undefined;
afterEach(async () => {
  await session?.stop();
  session = undefined;
});

/** What the publisher answers for each frame: published, by default, with nothing evicted. */
type PublishOutcome = (meta: FrameMeta) => { published: boolean; evicted: number };

function startSession(
  source: FrameSource,
  options: Partial<SessionOptions> = {},
  outcome: PublishOutcome = () => ({ published: true, evicted: 0 }),
) {
  const published: FrameMeta[] = [];
  const events: Array<{ event: string; payload: Record<string, unknown> }> = [];
  const registry = new Registry();
  const publisher = {
    publish: async (_pixels: Uint8Array, meta: FrameMeta) => {
      const result = outcome(meta);
      if (result.published) published.push(meta);
      return result;
    },
  } as unknown as FramePublisher;
  const sessionEvents = {
    emit: async (event: string, payload: Record<string, unknown>) => void events.push({ event, payload }),
  } as unknown as SessionEvents;
  session = new IngestSession(
    'cam1',
    {
      source,
      framePublisher: publisher,
      events: sessionEvents,
      metrics: new IngestMetrics(registry).forSession('cam1'),
      reconnect: new ReconnectPolicy({ initialDelayMs: 10, maxDelayMs: 10 }),
      logger: silentLogger,
      encodeJpeg: async () => Buffer.alloc(0),
    },
    { frame: FRAME, stallTimeoutMs: 60_000, tickMs: 20, ...options },
  );
  session.start();
  return { session, published, events, registry };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('IngestSession clocks', () => {
  it.each([
    ['+5 h', HOURS_5],
    ['+3 s', 3000],
    ['-3 s', -3000],
  ])('times frames on arrival whatever the sender clock says (%s), keeps it as sourceTime and warns once', async (_name, offsetMs) => {
    const arrival = 1_750_000_000_000;
    const frames = Array.from({ length: 60 }, (_, i) => frame(i, arrival + i * 16.667, arrival + offsetMs + i * 16.667));
    const { session, published, events, registry } = startSession(new ScriptedSource(() => frames));
    await until(() => published.length === 60, 'all frames published');

    expect(published.map((m) => m.captureTime)).toEqual(frames.map((f) => Math.round(f.captureTime * 1000) / 1000));
    expect(published.map((m) => m.sourceTime! - m.captureTime).every((d) => Math.abs(d - offsetMs) < 0.01)).toBe(true);
    const info = session.info();
    expect(info.stats.sourceClockOffsetMs).toBe(offsetMs);
    expect(info.warnings?.map((w) => w.code)).toContain(SESSION_WARNING_CODES.sourceClockOffset);
    const warnings = events.filter((e) => e.payload.code === SESSION_WARNING_CODES.sourceClockOffset);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ event: 'sourceError', payload: { fatal: false } });
    expect(warnings[0]!.payload.message).toMatch(offsetMs > 0 ? /ahead of this host's by \d+ ms/ : /behind this host's by \d+ ms/);
    const metrics = await registry.metrics();
    expect(metrics).toContain(`sightline_ingest_source_clock_offset_seconds{session="cam1"} ${offsetMs / 1000}`);
    expect(metrics).toContain('sightline_ingest_session_warning{session="cam1",code="SOURCE_CLOCK_OFFSET"} 1');
  });

  it('does not warn about a sender whose clock agrees with ours, and leaves sourceTime out when there is none', async () => {
    const arrival = 1_750_000_000_000;
    const frames = [
      ...Array.from({ length: 40 }, (_, i) => frame(i, arrival + i * 16.667, arrival + i * 16.667 - 30)),
      frame(40, arrival + 700),
    ];
    const { session, published, events } = startSession(new ScriptedSource(() => frames));
    await until(() => published.length === 41, 'all frames published');
    expect(session.info().stats.sourceClockOffsetMs).toBe(-30);
    expect(session.info().warnings).toBeUndefined();
    expect(events.filter((e) => e.event === 'sourceError')).toEqual([]);
    expect(published.at(-1)).not.toHaveProperty('sourceTime');
  });
});

describe('IngestSession: frames in, no results out', () => {
  it('raises NO_RESULTS once when published frames get no result, lists it, and clears it when results come', async () => {
    const now = Date.now();
    const { session, published, events, registry } = startSession(new ScriptedSource(() => [frame(0, now), frame(1, now + 16)]), {
      noResultsWarnMs: 150,
    });
    await until(() => published.length === 2, 'frames published');
    await until(() => session.activeWarnings.length > 0, 'the NO_RESULTS warning');
    await new Promise((r) => setTimeout(r, 100)); // more ticks: still one warning
    expect(session.info().warnings).toEqual([expect.objectContaining({ code: SESSION_WARNING_CODES.noResults })]);
    expect(events.filter((e) => e.payload.code === SESSION_WARNING_CODES.noResults)).toHaveLength(1);
    expect(await registry.metrics()).toContain('sightline_ingest_results_seen_total{session="cam1"} 0');

    session.resultSeen();
    expect(session.info().warnings).toBeUndefined();
    expect(session.info().stats.resultsSeen).toBe(1);
    const metrics = await registry.metrics();
    expect(metrics).toContain('sightline_ingest_results_seen_total{session="cam1"} 1');
    expect(metrics).toContain('sightline_ingest_session_warning{session="cam1",code="NO_RESULTS"} 0');
  });

  it('does not warn while results follow the frames, nor before any frame was published', async () => {
    const idle = startSession(new ScriptedSource(() => []), { noResultsWarnMs: 50 });
    await new Promise((r) => setTimeout(r, 200));
    expect(idle.session.activeWarnings).toEqual([]);
    await idle.session.stop();

    const now = Date.now();
    const { session, published } = startSession(new ScriptedSource(() => [frame(0, now)]), { noResultsWarnMs: 150 });
    await until(() => published.length === 1, 'the frame');
    session.resultSeen();
    await new Promise((r) => setTimeout(r, 300));
    expect(session.activeWarnings).toEqual([]);
  });
});

type ScriptedRun = { frames: SourceFrame[]; then: 'hold' } | { frames: SourceFrame[]; then: 'fail'; error: SightlineError };

/** A live source whose n-th open() plays the n-th script: its frames, then a failure or staying open until closed. */
class ScriptedRunsSource extends ScriptedSource {
  opened = 0;
  constructor(private readonly runs: ScriptedRun[]) {
    super(() => []);
  }

  override async open(): Promise<SourceRun> {
    const script = this.runs[Math.min(this.opened++, this.runs.length - 1)]!;
    let close!: () => void;
    const closed = new Promise<void>((resolve) => (close = resolve));
    return {
      async *[Symbol.asyncIterator]() {
        for (const frame of script.frames) yield frame;
        if (script.then === 'fail') throw script.error;
        await closed;
      },
      close: async () => close(),
    };
  }
}

describe('IngestSession: reconnect supervision', () => {
  it('reconnects after failures, counts each attempt, announces the recovery and keeps seq and pts going', async () => {
    const now = Date.now();
    const lost = new SightlineError(RtspErrorCode.connectFailed, 'connection refused');
    const source = new ScriptedRunsSource([
      { frames: [frame(0, now), frame(1, now + 16), frame(2, now + 33)], then: 'fail', error: lost },
      { frames: [], then: 'fail', error: lost },
      { frames: [frame(0, now + 500), frame(1, now + 516)], then: 'hold' },
    ]);
    const { session, published, events } = startSession(source);
    await until(() => published.length === 5, 'the frames of both runs');

    expect(published.map((m) => m.seq)).toEqual([0, 1, 2, 3, 4]);
    const pts = published.map((m) => m.pts);
    expect(pts.slice(0, 3)).toEqual([0, 0.016667, 0.033333]);
    expect(pts[3]).toBeGreaterThan(pts[2]!);
    expect(pts[4]! - pts[3]!).toBeCloseTo(1 / 60, 6);
    expect(events.map((e) => e.event)).toEqual(['sessionStarted', 'sourceReconnecting', 'sourceReconnecting', 'sourceRecovered']);
    expect(events[1]!.payload).toMatchObject({ attempt: 1, reason: `${RtspErrorCode.connectFailed}: connection refused` });
    expect(events[2]!.payload).toMatchObject({ attempt: 2 });
    expect(events[3]!.payload).toMatchObject({ attempts: 2 });
    const info = session.info();
    expect(info).toMatchObject({ state: 'live', lastError: { code: RtspErrorCode.connectFailed }, stats: { reconnects: 2, framesIn: 5 } });
    expect(source.opened).toBe(3);
  });

  it('ends in error without retrying on a failure reconnecting cannot fix', async () => {
    const source = new ScriptedRunsSource([
      { frames: [], then: 'fail', error: new SightlineError(RtspErrorCode.unauthorized, 'the server refused the credentials') },
    ]);
    const { session, events } = startSession(source);
    await session.done;

    expect(source.opened).toBe(1);
    expect(events.map((e) => e.event)).toEqual(['sessionStarted', 'sourceError', 'sessionStopped']);
    expect(events[1]!.payload).toMatchObject({ code: RtspErrorCode.unauthorized, fatal: true });
    expect(events[2]!.payload).toEqual({ reason: 'error', framesPublished: 0, framesDropped: 0 });
    expect(session.info()).toMatchObject({ state: 'error', lastError: { code: RtspErrorCode.unauthorized }, stats: { reconnects: 0 } });
  });
});

describe('IngestSession: frames the source decoded but could not time', () => {
  it('counts them in framesIn and framesNotTimed, so that the counts add up', async () => {
    const now = Date.now();
    const source: FrameSource = {
      type: 'rtsp',
      live: true,
      endsNaturally: false,
      description: 'rtsp://camera/stream',
      async open(hooks: RunHooks = {}): Promise<SourceRun> {
        let close!: () => void;
        const closed = new Promise<void>((resolve) => (close = resolve));
        return {
          async *[Symbol.asyncIterator]() {
            yield frame(0, now);
            hooks.onFrameNotTimed?.(); // e.g. FFmpeg gave no input position for the next picture
            yield frame(2, now + 33);
            hooks.onFrameNotTimed?.();
            hooks.onFrameNotTimed?.();
            yield frame(5, now + 83);
            await closed;
          },
          close: async () => close(),
        };
      },
    };
    const { session, published, registry } = startSession(source);
    await until(() => published.length === 3, 'the timed frames');

    const { stats } = session.info();
    expect(stats).toMatchObject({ framesIn: 6, framesNotTimed: 3, framesPublished: 3, framesDropped: 0, framesSkipped: 0 });
    expect(stats.framesPublished + stats.framesNotTimed! + stats.framesSkipped + stats.framesDropped).toBe(stats.framesIn);
    expect(published.map((m) => m.seq)).toEqual([0, 1, 2]);
    expect(await registry.metrics()).toContain('sightline_ingest_frames_total{session="cam1",outcome="not_timed"} 3');
  });

  it('counts frames purged from the backlog after publishing apart from frames dropped before it', async () => {
    const now = Date.now();
    const frames = Array.from({ length: 6 }, (_, i) => frame(i, now + i * 16.667));
    // Frames 3 and 4 each make room by deleting two older published frames (the publisher reports them as purged once
    // settled); frame 5 cannot be published at all.
    const outcome: PublishOutcome = (meta) => {
      if (meta.seq === 3 || meta.seq === 4) session!.purged(2);
      return { published: meta.seq !== 5, evicted: meta.seq === 3 || meta.seq === 4 ? 2 : 0 };
    };
    const { registry } = startSession(new ScriptedSource(() => frames), {}, outcome);
    await until(() => session!.info().stats.framesIn === 6 && session!.info().stats.framesDropped === 5, 'every frame settled');

    const { stats } = session!.info();
    expect(stats).toMatchObject({ framesIn: 6, framesPublished: 5, framesDropped: 5, framesPurged: 4, framesDroppedBeforeDecode: 0 });
    // Inference can take exactly the published frames that were not purged.
    expect(stats.framesPublished - stats.framesPurged!).toBe(1);
    const metrics = await registry.metrics();
    expect(metrics).toContain('sightline_ingest_frames_total{session="cam1",outcome="purged"} 4');
    expect(metrics).toContain('sightline_ingest_frames_total{session="cam1",outcome="dropped"} 1');
  });
});
