/**
 * Shares the detector fairly between live sessions when it cannot keep up with all of them.
 *
 * Frames reach a replica in arrival order. Under overload FIFO serves each session in proportion to the frames it
 * sends, and a burst from one session (a decoder catching up, a 60 fps camera beside a 10 fps one) pushes the frames
 * behind it past their deadline. The arbiter is least-served-first with max-min fair shares: over the last `windowMs`
 * it counts each session's frames offered (demand) and analysed, and computes the fair level L at which
 * Σ min(demand, L) = frames analysed (water-filling: a session that asks less than L gets all it asks, the others L
 * each). While the worker is behind (a live frame waited in the queue longer than `pressureQueueMs`), a frame whose
 * session already had more than L analysed is shed (counted, acknowledged, never analysed); the others are analysed.
 * Shedding costs nothing, so the backlog drains and the least-served sessions' frames are reached fresh. While the
 * queue is short everything is analysed (the arbiter only decides who loses, never whether to work).
 */
import type { FrameMeta } from '@sightline/contracts';

export interface FairShareOptions {
  /** Queue wait (`now − publishedAt`) above which the worker counts as behind; 0 turns the arbiter off (FIFO). */
  pressureQueueMs: number;
  /** How far back analysed frames count towards a session's share; a session with no frame this long is forgotten. */
  windowMs: number;
}

export type FairShareVerdict = 'analyze' | 'shed';

interface SessionShare {
  /** When each frame of the window was offered, oldest first. */
  offeredAt: number[];
  /** When each analysed frame of the window was admitted, oldest first. */
  analyzedAt: number[];
}

export class FairShareArbiter {
  private readonly sessions = new Map<string, SessionShare>();

  constructor(private readonly options: FairShareOptions) {}

  /**
   * Decides one frame at `now` (wall clock, epoch ms): counts it as asked for, and an admitted one as analysed. Batch
   * (file) frames and frames that did not wait long are always analysed, and count towards their session's share.
   */
  decide(meta: Pick<FrameMeta, 'sessionId' | 'live' | 'publishedAt'>, now: number): FairShareVerdict {
    const share = this.offer(meta.sessionId, now);
    const behind = this.options.pressureQueueMs > 0 && meta.live && now - meta.publishedAt > this.options.pressureQueueMs;
    if (behind && share.analyzedAt.length > this.fairLevel()) return 'shed';
    share.analyzedAt.push(now);
    return 'analyze';
  }

  /** Counts a frame skipped for its age as asked for and not served (a session losing frames to the deadline). */
  missed(sessionId: string, now: number): void {
    this.offer(sessionId, now);
  }

  /** Analysed frames per active session over the window (for logs and tests). */
  analyzedInWindow(now: number): Map<string, number> {
    this.prune(now);
    return new Map([...this.sessions].map(([id, s]) => [id, s.analyzedAt.length]));
  }

  private offer(sessionId: string, now: number): SessionShare {
    this.prune(now);
    let share = this.sessions.get(sessionId);
    if (!share) {
      share = { offeredAt: [], analyzedAt: [] };
      this.sessions.set(sessionId, share);
    }
    share.offeredAt.push(now);
    return share;
  }

  /** The max-min fair level: the L with Σ min(offered, L) = analysed, over the window's sessions. */
  private fairLevel(): number {
    const demands = [...this.sessions.values()].map((s) => s.offeredAt.length).sort((a, b) => a - b);
    let left = 0;
    for (const share of this.sessions.values()) left += share.analyzedAt.length;
    for (let i = 0; i < demands.length; i++) {
      const level = left / (demands.length - i);
      if (demands[i]! >= level) return level;
      left -= demands[i]!;
    }
    return Infinity; // every session got all it asked for
  }

  private prune(now: number): void {
    const since = now - this.options.windowMs;
    for (const [id, share] of this.sessions) {
      dropUntil(share.offeredAt, since);
      dropUntil(share.analyzedAt, since);
      if (!share.offeredAt.length) this.sessions.delete(id);
    }
  }
}

/** Removes the leading times at or before `since` from an ascending list. */
function dropUntil(times: number[], since: number): void {
  let expired = 0;
  while (expired < times.length && times[expired]! <= since) expired++;
  if (expired) times.splice(0, expired);
}
