/**
 * Which frames deleted by live back-pressure inference never had. The publisher deletes a frame only above the
 * inference consumer's last delivered sequence, but the consumer can still deliver it between that check and the
 * delete (an ack frees a slot). nats-server then ends that delivery and says so: a MSG_TERMINATED advisory of the
 * consumer ("unacknowledged message was deleted"); inference analyses the frame anyway, so it was taken, not purged.
 * A deletion therefore counts as purged once no such advisory came for it: `graceMs` after the delete and one round
 * trip to the server later (a flush: what the server sent before it has been read).
 */
import { CONSUMERS, STREAMS } from '@sightline/contracts';
import type { NatsClient } from '@sightline/messaging';

export const FRAMES_TERMINATED_ADVISORIES = `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${STREAMS.frames}.${CONSUMERS.inference}`;

export class PurgeLedger {
  /** Deleted frames not settled yet, by stream sequence. */
  private readonly pending = new Map<number, { sessionId: string; at: number }>();
  /**
   * Advisories by stream sequence, kept a while: the server may send one before the reply to the delete that caused
   * it, so it can arrive before the deletion is noted here.
   */
  private readonly terminated = new Map<number, number>();
  private readonly subscription: ReturnType<NatsClient['connection']['subscribe']>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly connection: NatsClient['connection'],
    /** Frames of the session deleted before inference had them. */
    private readonly onPurged: (sessionId: string, count: number) => void,
    private readonly graceMs = 1000,
  ) {
    this.subscription = connection.subscribe(FRAMES_TERMINATED_ADVISORIES, {
      callback: (err, message) => {
        if (err) return;
        const seq = (message.json() as { stream_seq?: unknown }).stream_seq;
        if (typeof seq !== 'number') return;
        // Delivered before the delete: inference takes it.
        if (this.pending.delete(seq)) return;
        this.terminated.set(seq, Date.now());
        // Also ended deliveries we did not delete (a terminated message): pruned here too, not only while settling.
        if (this.terminated.size > 1024) this.forgetOldAdvisories();
      },
    });
  }

  deleted(sessionId: string, seq: number): void {
    if (this.terminated.delete(seq)) return;
    this.pending.set(seq, { sessionId, at: Date.now() });
    this.timer ??= setTimeout(() => void this.settle(), this.graceMs).unref();
  }

  /** Counts the deletions at least `graceMs` old that no advisory claimed; with `all`, waits for the youngest first. */
  async settle(all = false): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    let youngest = 0;
    for (const { at } of this.pending.values()) youngest = Math.max(youngest, at);
    if (all && this.pending.size > 0) await new Promise((r) => setTimeout(r, Math.max(0, youngest + this.graceMs - Date.now())));
    const due = [...this.pending].filter(([, d]) => Date.now() - d.at >= this.graceMs);
    try {
      await this.connection.flush();
    } catch {
      // Disconnected: advisories may be lost; the deletions stay pending until the connection is back.
    }
    this.forgetOldAdvisories();
    const counts = new Map<string, number>();
    for (const [seq, { sessionId }] of due) {
      if (this.pending.delete(seq)) counts.set(sessionId, (counts.get(sessionId) ?? 0) + 1);
    }
    for (const [sessionId, count] of counts) this.onPurged(sessionId, count);
    if (this.pending.size > 0) this.timer ??= setTimeout(() => void this.settle(), this.graceMs).unref();
  }

  /** Advisories older than any delete reply could be. */
  private forgetOldAdvisories(): void {
    for (const [seq, at] of this.terminated) if (Date.now() - at > 10 * this.graceMs) this.terminated.delete(seq);
  }

  close(): void {
    clearTimeout(this.timer);
    this.subscription.unsubscribe();
  }
}
