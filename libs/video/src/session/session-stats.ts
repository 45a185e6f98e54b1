/**
 * A session's counts (`SessionInfo.stats`) and its Prometheus series, kept together so that the two always agree,
 * plus the ticker that turns the counts into rates (fpsIn, fpsOut) once per tick.
 */
import type { SessionStats as SessionStatsValues } from '@sightline/contracts';
import type { SessionMetrics } from '../metrics.js';

export class SessionStats {
  private readonly counts = {
    framesIn: 0,
    framesSkipped: 0,
    framesPublished: 0,
    framesDropped: 0,
    reconnects: 0,
    fpsIn: 0,
    fpsOut: 0,
    resultsSeen: 0,
    framesDroppedBeforeDecode: 0,
    framesPurged: 0,
    framesNotTimed: 0,
    sourceClockOffsetMs: undefined as number | undefined,
  };
  private rateBase: { at: number; framesIn: number; framesPublished: number };
  private ticker?: NodeJS.Timeout;

  constructor(
    private readonly metrics: SessionMetrics,
    /** Epoch ms, for the rates. */
    private readonly now: () => number = Date.now,
  ) {
    this.rateBase = { at: now(), framesIn: 0, framesPublished: 0 };
  }

  /** A decoded frame reached the session; `decodeMs` when its decode latency is known. */
  frameIn(decodeMs?: number): void {
    this.counts.framesIn++;
    if (decodeMs !== undefined) this.metrics.decoded(decodeMs);
  }

  /** A decoded frame was skipped by the session's frame-rate limit. */
  skipped(): void {
    this.counts.framesSkipped++;
  }

  /** A decoded frame was skipped before the session saw it: it has no presentation time of its own. */
  notTimed(): void {
    this.counts.framesIn++;
    this.counts.framesNotTimed++;
    this.metrics.notTimed();
  }

  published(): void {
    this.counts.framesPublished++;
    this.metrics.published();
  }

  /** Frames lost to overload before publishing: live back-pressure, a publish that failed. */
  dropped(count: number): void {
    this.counts.framesDropped += count;
    this.metrics.dropped(count);
  }

  /**
   * Published frames purged from the session's full FRAMES backlog to make room (live): drops, counted apart as well,
   * since inference never takes them (analysed + skipped + shed = published − purged), and under their own outcome.
   */
  purged(count: number): void {
    this.counts.framesDropped += count;
    this.counts.framesPurged += count;
    this.metrics.purged(count);
  }

  /** Units dropped before decoding to catch up with live: drops, counted apart as well. */
  droppedBeforeDecode(count: number): void {
    this.counts.framesDroppedBeforeDecode += count;
    this.dropped(count);
  }

  reconnect(): void {
    this.counts.reconnects++;
    this.metrics.reconnect();
  }

  resultSeen(): void {
    this.counts.resultsSeen++;
    this.metrics.resultSeen();
  }

  get resultsSeen(): number {
    return this.counts.resultsSeen;
  }

  /** The smoothed sender clock − arrival, ms. */
  clockOffset(offsetMs: number): void {
    this.counts.sourceClockOffsetMs = offsetMs;
    this.metrics.clockOffset(offsetMs);
  }

  /** Frames per second in and out since the previous update. */
  updateRates(): void {
    const now = this.now();
    const seconds = (now - this.rateBase.at) / 1000;
    if (seconds <= 0) return;
    const { framesIn, framesPublished } = this.counts;
    this.counts.fpsIn = round1((framesIn - this.rateBase.framesIn) / seconds);
    this.counts.fpsOut = round1((framesPublished - this.rateBase.framesPublished) / seconds);
    this.rateBase = { at: now, framesIn, framesPublished };
    this.metrics.fps(this.counts.fpsIn, this.counts.fpsOut);
  }

  /** Updates the rates every `everyMs`, then calls `onTick` (the session's other periodic checks). */
  startTicker(everyMs: number, onTick: () => void = () => {}): void {
    clearInterval(this.ticker);
    this.ticker = setInterval(() => {
      this.updateRates();
      onTick();
    }, everyMs);
    this.ticker.unref();
  }

  /** The session ended: no more ticks, and its rates are 0. */
  stopTicker(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.counts.fpsIn = this.counts.fpsOut = 0;
    this.metrics.fps(0, 0);
  }

  snapshot(): SessionStatsValues {
    return { ...this.counts };
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
