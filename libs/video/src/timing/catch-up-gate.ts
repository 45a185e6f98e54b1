/**
 * Keeps a live H.264 session's decoding at live when the decoder falls behind (CPU starved, several sessions on a
 * small host): decides, before each access unit is written to FFmpeg, whether to drop it. Frames that could only be
 * decoded late — and then discarded by inference as stale — are never decoded at all.
 *
 * Behind = the unit waited in our queue longer than `maxLagMs` (FFmpeg is not taking input fast enough), the
 * latest frame took longer than `maxLagMs` from write to output, or the oldest unit written but not decoded yet was
 * written longer than `maxLagMs` ago. The last one sees a backlog in FFmpeg's input pipe at once: the pipe holds
 * 64 KB, 1.3 s of a 400 kbit/s camera, which would otherwise show only when its frames came out, already stale.
 * Then:
 *   1. units nothing references (nal_ref_idc 0) are dropped: the rest of the GOP still decodes;
 *   2. twice as far behind — or at once in a stream that has shown no non-reference unit to drop (baseline
 *      cameras, MPEG-TS) — a reference unit is dropped too, and with it everything up to the next keyframe (the
 *      frames after it could not be decoded correctly), which is written again and restarts from live.
 * Each session has its own gate and its own FFmpeg, so each sheds its own backlog: a slow session loses frames,
 * the others keep theirs, and no session keeps decoding frames that inference can only discard while the others
 * wait for the CPU. The gate is armed by the first decoded frame it is told about (after FFmpeg's start-up).
 */
export interface CatchUpGateOptions {
  /** How far behind live decoding may fall before units are dropped (default 500 ms: inference's deadline). */
  maxLagMs: number;
}

export interface GateUnit {
  keyframe: boolean;
  reference: boolean;
  /** When the unit arrived (host clock, ms). */
  arrivalMs: number;
}

export type GateDecision = 'write' | 'dropNonReference' | 'dropToKeyframe';

export class CatchUpGate {
  private skippingToKeyframe = false;
  private latestDecodeLagMs = 0;
  /** When the gate last restarted decoding at a keyframe: frames written before were already late. */
  private resyncedAt = Number.NEGATIVE_INFINITY;
  /**
   * Not before the decoder has produced frames: while FFmpeg starts and probes the stream it reads slowly, and
   * starving it of all but keyframes then would keep it probing forever.
   */
  private armed = false;
  /** Whether the stream has units nothing references (the first tier has something to drop). */
  private hasNonReference = false;
  dropped = 0;

  constructor(private readonly options: CatchUpGateOptions = { maxLagMs: 500 }) {}

  /**
   * The latest decoded frame took `lagMs` from write to output. Frames written before the last resync are ignored:
   * they sat in the pipe while we dropped, and counting them would drop the fresh units behind them as well.
   */
  decoded(lagMs: number, writtenAt: number): void {
    this.armed = true;
    if (writtenAt >= this.resyncedAt) this.latestDecodeLagMs = lagMs;
  }

  /**
   * `inFlightSince`: when the oldest unit written but not yet decoded was written (undefined: none), i.e. how long
   * FFmpeg's input pipe has held a backlog. Units written before the last resync do not count (as in `decoded`).
   */
  decide(unit: GateUnit, now: number, inFlightSince?: number): GateDecision {
    if (!unit.reference) this.hasNonReference = true;
    if (!this.armed) return 'write';
    if (this.skippingToKeyframe) {
      if (!unit.keyframe) return this.drop('dropToKeyframe');
      this.skippingToKeyframe = false;
      this.latestDecodeLagMs = 0; // a fresh start: nothing decoded since is late yet
      this.resyncedAt = now;
      return 'write';
    }
    const pipeLagMs = inFlightSince !== undefined && inFlightSince >= this.resyncedAt ? now - inFlightSince : 0;
    const lagMs = Math.max(now - unit.arrivalMs, this.latestDecodeLagMs, pipeLagMs);
    if (lagMs <= this.options.maxLagMs || unit.keyframe) return 'write';
    if (!unit.reference) return this.drop('dropNonReference');
    if (this.hasNonReference && lagMs <= 2 * this.options.maxLagMs) return 'write';
    this.skippingToKeyframe = true;
    return this.drop('dropToKeyframe');
  }

  private drop(decision: GateDecision): GateDecision {
    this.dropped++;
    return decision;
  }
}
