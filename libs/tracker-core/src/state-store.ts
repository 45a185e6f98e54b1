/**
 * Per-session tracker state in a JetStream key-value bucket (one key per session, latest value only), written after
 * a frame's events are published and before the frame is acked: a restarted or replacement tracker resumes from
 * the last acked frame, and frames redelivered after it are recognised by their sequence.
 */
import { KV_BUCKETS } from '@sightline/contracts';
import { type NatsClient } from '@sightline/messaging';
import { type SessionTrackerState } from '@sightline/tracking';
import { type KV } from 'nats';

export interface SessionSnapshot {
  tracker: SessionTrackerState;
  /** The reorder window's next expected frame sequence. */
  nextSeq?: number;
  /** Recent runs that ended: late frames of them are refused instead of restarting them. */
  endedRuns: string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class TrackerStateStore {
  private constructor(private readonly kv: KV) {}

  /** Opens (creating if needed) the bucket; state of sessions idle for `ttlMs` expires. */
  static async open(client: NatsClient, ttlMs: number): Promise<TrackerStateStore> {
    return new TrackerStateStore(await client.jetstream.views.kv(KV_BUCKETS.trackerState, { history: 1, ttl: ttlMs }));
  }

  async load(sessionId: string): Promise<SessionSnapshot | undefined> {
    const entry = await this.kv.get(sessionId);
    if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) return undefined;
    return JSON.parse(decoder.decode(entry.value)) as SessionSnapshot;
  }

  async save(sessionId: string, snapshot: SessionSnapshot): Promise<void> {
    await this.kv.put(sessionId, encoder.encode(JSON.stringify(snapshot)));
  }
}
