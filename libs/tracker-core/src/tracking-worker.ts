/**
 * The tracker service's consumer: frameAnalyzed results from RESULTS (a durable consumer per partition of the
 * sessions) → per-session reorder window → SessionTracker → object-level events published on
 * `results.<sessionId>.<event>` → state snapshot in the KV bucket → ack. A frame is acked only after its events are
 * stored in RESULTS and the state that includes it is saved; if either fails, the session's frames in hand are
 * nak'ed and its in-memory state dropped, so the redelivered frames are tracked again from the saved state (same
 * events, same message ids: stored once).
 *
 * Sessions are partitioned by a hash of their id: replica i of n consumes with its own durable (`tracker-i-of-n`)
 * and tracks only its sessions (the others' frames are acked unread). A session's frames must all reach one
 * tracker, which a shared work-queue consumer could not guarantee.
 */
import {
  CONSUMERS,
  EVENTS,
  InvalidMessageError,
  STREAMS,
  SUBJECTS,
  parseJson,
  resultEnvelopeSchema,
  type FrameAnalyzedPayload,
  type ResultEnvelope,
  type SessionZones,
  type LoggerPort,
} from '@sightline/contracts';
import { JetStreamPublisher, PullWorker, ensureConsumer, seconds, type Delivery, type NatsClient } from '@sightline/messaging';
import {
  DEFAULT_REORDER_OPTIONS,
  DEFAULT_TRACKER_OPTIONS,
  ReorderWindow,
  SessionTracker,
  type ReorderOptions,
  type TrackerOptions,
  type TrackingEvent,
} from '@sightline/tracking';
import { AckPolicy, DeliverPolicy } from 'nats';
import { performance } from 'node:perf_hooks';
import { type Registry } from 'prom-client';
import { trackerMetrics, type TrackerMetrics } from './metrics.js';
import { TrackerStateStore, type SessionSnapshot } from './state-store.js';

export interface TrackingWorkerOptions {
  client: NatsClient;
  logger: LoggerPort;
  registry: Registry;
  /** A session's zones and lines (re-read every `zonesRefreshMs` while it is tracked); throws when unavailable. */
  zonesFor: (sessionId: string) => Promise<SessionZones>;
  tracker?: TrackerOptions;
  reorder?: ReorderOptions;
  /** A session without frames for this long has ended: its objects leave (reason sessionIdle). */
  idleMs: number;
  zonesRefreshMs: number;
  /** Saved state of a session idle this long expires. */
  stateTtlMs: number;
  /** Frames delivered and not yet acked (in reorder windows or being published). */
  maxInFlight: number;
  partition: number;
  partitions: number;
}

interface PendingFrame {
  payload: FrameAnalyzedPayload;
  arrivedAt: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface SessionSlot {
  sessionId: string;
  tracker: SessionTracker;
  window: ReorderWindow<PendingFrame>;
  /** The run whose frames the window holds (the tracker's own run trails it until they are tracked). */
  run?: string;
  endedRuns: string[];
  /** Frames are tracked strictly one batch after another. */
  chain: Promise<void>;
  releaseTimer?: NodeJS.Timeout;
  idleTimer?: NodeJS.Timeout;
  zonesLoadedAt: number;
  failed: boolean;
}

/** Runs kept per session to refuse their late frames. */
const ENDED_RUNS_KEPT = 8;

/** FNV-1a: a stable, well-spread hash of a session id for partitioning. */
export function partitionOf(sessionId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) hash = Math.imul(hash ^ sessionId.charCodeAt(i), 0x01000193) >>> 0;
  return hash % partitions;
}

export function trackerConsumerName(partition: number, partitions: number): string {
  return CONSUMERS.tracker(partition, partitions);
}

export class TrackingWorker {
  private readonly slots = new Map<string, Promise<SessionSlot>>();
  private readonly closing = new Map<string, Promise<void>>();
  private readonly publisher: JetStreamPublisher;
  private readonly metrics: TrackerMetrics;
  private readonly trackerOptions: TrackerOptions;
  private readonly reorderOptions: ReorderOptions;
  private worker?: PullWorker<ResultEnvelope<'frameAnalyzed'>>;
  private store?: TrackerStateStore;
  private stopping = false;

  private constructor(private readonly options: TrackingWorkerOptions) {
    this.publisher = new JetStreamPublisher(options.client);
    this.metrics = trackerMetrics(options.registry);
    this.trackerOptions = options.tracker ?? DEFAULT_TRACKER_OPTIONS;
    this.reorderOptions = options.reorder ?? DEFAULT_REORDER_OPTIONS;
  }

  static async start(options: TrackingWorkerOptions): Promise<TrackingWorker> {
    const worker = new TrackingWorker(options);
    await worker.begin();
    return worker;
  }

  private async begin(): Promise<void> {
    const { client, partition, partitions, maxInFlight, logger } = this.options;
    const consumer = trackerConsumerName(partition, partitions);
    this.store = await TrackerStateStore.open(client, this.options.stateTtlMs);
    await ensureConsumer(client.manager, {
      stream: STREAMS.results,
      config: {
        durable_name: consumer,
        ack_policy: AckPolicy.Explicit,
        // A new tracker starts with the frames analysed from now on, not the stream's whole retained day.
        deliver_policy: DeliverPolicy.New,
        ack_wait: seconds(30),
        max_deliver: -1,
        max_ack_pending: maxInFlight,
        filter_subject: SUBJECTS.allFramesAnalyzed,
      },
    });
    this.worker = new PullWorker({
      client,
      stream: STREAMS.results,
      consumer,
      logger,
      registry: this.options.registry,
      decode: (msg) => decodeFrameAnalyzed(msg.data),
      handle: (batch) => this.accept(batch),
      batchSize: 1,
      // Frames wait in reorder windows while their handlers are pending: one handler slot per frame in flight.
      concurrency: maxInFlight,
      prefetch: maxInFlight,
      maxDeliver: -1,
    });
    this.worker.start();
    logger.info('tracking frames', { consumer, partition, partitions });
  }

  /** Stops taking frames; frames in hand are tracked (or nak'ed) first. Sessions are not ended: they resume. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.worker?.stop();
    for (const slot of await Promise.all(this.slots.values())) {
      clearTimeout(slot.releaseTimer);
      clearTimeout(slot.idleTimer);
      await slot.chain;
    }
    await Promise.all(this.closing.values());
  }

  private accept(batch: Array<Delivery<ResultEnvelope<'frameAnalyzed'>>>): Promise<void> {
    return Promise.all(batch.map(({ item }) => this.acceptFrame(item))).then(() => undefined);
  }

  private async acceptFrame(envelope: ResultEnvelope<'frameAnalyzed'>): Promise<void> {
    const { sessionId, payload } = envelope;
    if (partitionOf(sessionId, this.options.partitions) !== this.options.partition) {
      this.metrics.frames.inc({ outcome: 'other_partition' });
      return;
    }
    const slot = await this.slotFor(sessionId);
    const now = performance.now();
    if (payload.run !== slot.run) {
      if (payload.run !== undefined && slot.endedRuns.includes(payload.run)) {
        this.metrics.frames.inc({ outcome: 'late' });
        return;
      }
      // A new run: the old one's frames in hand go first (its tracks end when the new run's first frame is tracked).
      if (slot.run !== undefined) slot.endedRuns = [...slot.endedRuns, slot.run].slice(-ENDED_RUNS_KEPT);
      this.enqueue(slot, slot.window.drain());
      slot.window = new ReorderWindow(this.reorderOptions);
      slot.run = payload.run;
    }
    const done = new Promise<void>((resolve, reject) => {
      const outcome = slot.window.offer(payload.frameSeq, { payload, arrivedAt: now, resolve, reject }, now);
      if (outcome !== 'accepted') {
        this.metrics.frames.inc({ outcome });
        resolve();
      }
    });
    this.touch(slot);
    this.pump(slot);
    return done;
  }

  private async slotFor(sessionId: string): Promise<SessionSlot> {
    let slot = this.slots.get(sessionId);
    if (!slot) {
      slot = this.openSlot(sessionId);
      this.slots.set(sessionId, slot);
      slot.catch(() => this.slots.delete(sessionId));
    }
    return slot;
  }

  private async openSlot(sessionId: string): Promise<SessionSlot> {
    await this.closing.get(sessionId);
    const snapshot = await this.store!.load(sessionId);
    let zones: SessionZones = { zones: [], lines: [] };
    let zonesLoadedAt = Date.now();
    try {
      zones = await this.options.zonesFor(sessionId);
    } catch (err) {
      // Track without zones for now; the next frame tries again.
      zonesLoadedAt = 0;
      this.options.logger.warn('session zones could not be read; tracking without them for now', {
        sessionId,
        error: (err as Error).message,
      });
    }
    return {
      sessionId,
      tracker: new SessionTracker(sessionId, zones, this.trackerOptions, snapshot?.tracker),
      window: new ReorderWindow(this.reorderOptions, snapshot?.nextSeq),
      run: snapshot?.tracker.run,
      endedRuns: snapshot?.endedRuns ?? [],
      chain: Promise.resolve(),
      zonesLoadedAt,
      failed: false,
    };
  }

  /** Releases what the window lets go now, and arms a timer for the next give-up deadline. */
  private pump(slot: SessionSlot): void {
    clearTimeout(slot.releaseTimer);
    this.enqueue(slot, slot.window.release(performance.now()));
    const deadline = slot.window.nextDeadline();
    if (deadline !== undefined) {
      slot.releaseTimer = setTimeout(() => this.pump(slot), Math.max(0, Math.ceil(deadline - performance.now())));
    }
  }

  private touch(slot: SessionSlot): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => this.endIdle(slot), this.options.idleMs);
  }

  private enqueue(slot: SessionSlot, released: Array<{ item: PendingFrame; gap: number }>): void {
    if (!released.length) return;
    slot.chain = slot.chain.then(() => this.track(slot, released));
  }

  /** Tracks frames in order, publishes their events, saves the state, then lets the frames be acked. */
  private async track(slot: SessionSlot, released: Array<{ item: PendingFrame; gap: number }>): Promise<void> {
    if (slot.failed) {
      for (const { item } of released) item.reject(new Error('session state was reset; frame will be redelivered'));
      return;
    }
    try {
      await this.refreshZones(slot);
      const events: TrackingEvent[] = [];
      const now = performance.now();
      for (const { item, gap } of released) {
        this.metrics.reorderWaitSeconds.observe((now - item.arrivedAt) / 1000);
        if (gap > 0) this.metrics.gapFrames.inc(gap);
        const end = this.metrics.trackSeconds.startTimer();
        events.push(...slot.tracker.process(item.payload));
        end();
      }
      await this.publish(events);
      await this.save(slot);
      this.metrics.frames.inc({ outcome: 'tracked' }, released.length);
      for (const { item } of released) item.resolve();
    } catch (err) {
      this.fail(slot, released, err as Error);
    }
  }

  private async publish(events: TrackingEvent[]): Promise<void> {
    // Publishes on one connection are stored in the order they are sent: concurrency keeps the order.
    await Promise.all(
      events.map((e) => this.publisher.publishJson(SUBJECTS.result(e.envelope.sessionId, e.subjectEvent), e.envelope, { msgId: e.msgId })),
    );
    for (const e of events) this.metrics.events.inc({ event: e.subjectEvent });
  }

  private save(slot: SessionSlot): Promise<void> {
    const snapshot: SessionSnapshot = { tracker: slot.tracker.snapshot(), nextSeq: slot.window.expected, endedRuns: slot.endedRuns };
    return this.store!.save(slot.sessionId, snapshot);
  }

  private async refreshZones(slot: SessionSlot): Promise<void> {
    if (Date.now() - slot.zonesLoadedAt < this.options.zonesRefreshMs) return;
    slot.zonesLoadedAt = Date.now();
    try {
      slot.tracker.setZones(await this.options.zonesFor(slot.sessionId));
    } catch (err) {
      // Zones unavailable (database down): keep tracking with the last known ones.
      this.options.logger.warn('session zones could not be read; keeping the last known ones', {
        sessionId: slot.sessionId,
        error: (err as Error).message,
      });
    }
  }

  /** Drops the session's in-memory state: its frames in hand are nak'ed and tracked again from the saved state. */
  private fail(slot: SessionSlot, released: Array<{ item: PendingFrame }>, err: Error): void {
    this.options.logger.warn('tracking a session failed; its frames will be redelivered', {
      sessionId: slot.sessionId,
      error: err.message,
    });
    slot.failed = true;
    clearTimeout(slot.releaseTimer);
    clearTimeout(slot.idleTimer);
    this.slots.delete(slot.sessionId);
    for (const { item } of [...released, ...slot.window.drain()]) item.reject(err);
  }

  /** The session's frames stopped: every object leaves; the state is kept (track ids keep counting if it resumes). */
  private endIdle(slot: SessionSlot): void {
    if (this.stopping || slot.failed) return;
    this.slots.delete(slot.sessionId);
    clearTimeout(slot.releaseTimer);
    this.enqueue(slot, slot.window.drain());
    const ended = slot.chain.then(async () => {
      if (slot.failed) return;
      try {
        await this.publish(slot.tracker.end());
        await this.save(slot);
      } catch (err) {
        // The saved state still has the tracks: they end when the session next goes idle.
        this.options.logger.warn('ending an idle session failed', { sessionId: slot.sessionId, error: (err as Error).message });
      }
    });
    this.closing.set(slot.sessionId, ended);
    void ended.finally(() => {
      if (this.closing.get(slot.sessionId) === ended) this.closing.delete(slot.sessionId);
    });
  }
}

function decodeFrameAnalyzed(data: Uint8Array): ResultEnvelope<'frameAnalyzed'> {
  const envelope = parseJson(resultEnvelopeSchema, data, 'result envelope') as ResultEnvelope;
  if (envelope.event !== EVENTS.frameAnalyzed) throw new InvalidMessageError(`expected frameAnalyzed, got ${envelope.event}`);
  return envelope as ResultEnvelope<'frameAnalyzed'>;
}
