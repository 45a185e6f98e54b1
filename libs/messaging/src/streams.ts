/**
 * Stream and consumer definitions (names/subjects from @sightline/contracts) and idempotent provisioning:
 * running it twice is a no-op; a changed limit is updated in place; an immutable change is reported clearly.
 */
import { CONSUMERS, SightlineError, STREAMS, SUBJECTS } from '@sightline/contracts';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from 'nats';
import { MessagingErrorCode } from './errors.js';

const SECOND_NS = 1_000_000_000;
export const seconds = (s: number): number => Math.round(s * SECOND_NS);

export interface StreamLimits {
  /** Frames waiting for inference, per session; beyond it ingest drops the oldest (live) or waits (batch). */
  framesPerSession: number;
  framesMaxAgeSeconds: number;
  framesMaxBytes: number;
  /** How long results stay replayable for reconnecting agents and catching-up persistence. */
  resultsMaxAgeSeconds: number;
  resultsMaxBytes: number;
  deadLettersMaxAgeSeconds: number;
  maxMessageBytes: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  // ≈ 0.5 s at 60 fps: about the inference deadline, so stale frames are dropped at the source, not after transfer.
  framesPerSession: 30,
  framesMaxAgeSeconds: 30,
  framesMaxBytes: 1024 * 1024 * 1024,
  resultsMaxAgeSeconds: 24 * 3600,
  resultsMaxBytes: 5 * 1024 * 1024 * 1024,
  deadLettersMaxAgeSeconds: 14 * 24 * 3600,
  maxMessageBytes: 8 * 1024 * 1024,
};

export function streamConfigs(limits: StreamLimits = DEFAULT_STREAM_LIMITS): Array<Partial<StreamConfig> & { name: string }> {
  return [
    {
      // Frames are transient: memory storage; work-queue retention so replicas share one copy and acked frames vanish.
      name: STREAMS.frames,
      subjects: [SUBJECTS.allFrames],
      storage: StorageType.Memory,
      retention: RetentionPolicy.Workqueue,
      // Per-session bound: a publish beyond it fails, so ingest decides what to drop (and counts it).
      max_msgs_per_subject: limits.framesPerSession,
      discard: DiscardPolicy.New,
      discard_new_per_subject: true,
      max_age: seconds(limits.framesMaxAgeSeconds),
      max_bytes: limits.framesMaxBytes,
      max_msg_size: limits.maxMessageBytes,
      duplicate_window: seconds(Math.min(10, limits.framesMaxAgeSeconds)),
      num_replicas: 1,
    },
    {
      name: STREAMS.results,
      subjects: [SUBJECTS.allResults],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: seconds(limits.resultsMaxAgeSeconds),
      max_bytes: limits.resultsMaxBytes,
      max_msg_size: 1024 * 1024,
      // Retried publishes (same Nats-Msg-Id) inside this window are stored once.
      duplicate_window: seconds(120),
      num_replicas: 1,
    },
    {
      name: STREAMS.deadLetters,
      subjects: [SUBJECTS.allDeadLetters],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: seconds(limits.deadLettersMaxAgeSeconds),
      max_msg_size: limits.maxMessageBytes,
      num_replicas: 1,
    },
  ];
}

export interface DurableConsumerDefinition {
  stream: string;
  config: Partial<ConsumerConfig> & { durable_name: string };
}

export const CONSUMER_DEFINITIONS = {
  /** Inference replicas share it: each frame goes to exactly one replica; un-acked frames go to another. */
  inference: (maxInFlight = 64): DurableConsumerDefinition => ({
    stream: STREAMS.frames,
    config: {
      durable_name: CONSUMERS.inference,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: seconds(5),
      max_deliver: 3,
      max_ack_pending: maxInFlight,
      filter_subject: SUBJECTS.allFrames,
    },
  }),
  /** Persistence never gives up on a result because the database is down: unlimited deliveries. */
  persistence: (maxInFlight = 2000): DurableConsumerDefinition => ({
    stream: STREAMS.results,
    config: {
      durable_name: CONSUMERS.persistence,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: seconds(30),
      max_deliver: -1,
      max_ack_pending: maxInFlight,
      filter_subject: SUBJECTS.allResults,
    },
  }),
};

type Comparable = Record<string, unknown>;
function differingKeys(desired: Comparable, actual: Comparable): string[] {
  return Object.keys(desired).filter((k) => JSON.stringify(desired[k]) !== JSON.stringify(actual[k]));
}

const IMMUTABLE_STREAM_KEYS = ['storage', 'retention'];

export type ProvisionOutcome = 'created' | 'updated' | 'unchanged';

export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<ProvisionOutcome> {
  let current: StreamConfig | undefined;
  try {
    current = (await jsm.streams.info(config.name)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!current) {
    await jsm.streams.add(config);
    return 'created';
  }
  const changed = differingKeys(config as Comparable, current as unknown as Comparable);
  if (!changed.length) return 'unchanged';
  const immutable = changed.filter((k) => IMMUTABLE_STREAM_KEYS.includes(k));
  if (immutable.length) {
    throw new SightlineError(
      MessagingErrorCode.streamConfigConflict,
      `stream ${config.name} exists with different ${immutable.join(', ')}; delete it or migrate by hand`,
      { stream: config.name, keys: immutable },
    );
  }
  await jsm.streams.update(config.name, { ...current, ...config });
  return 'updated';
}

export async function ensureConsumer(jsm: JetStreamManager, definition: DurableConsumerDefinition): Promise<ProvisionOutcome> {
  const { stream, config } = definition;
  try {
    const current = (await jsm.consumers.info(stream, config.durable_name)).config;
    const changed = differingKeys(config as Comparable, current as unknown as Comparable);
    if (!changed.length) return 'unchanged';
    await jsm.consumers.update(stream, config.durable_name, config);
    return 'updated';
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(stream, config);
    return 'created';
  }
}

/** Provisions every stream (in dependency order: DLQ first, so dead letters always have somewhere to go). */
export async function ensureStreams(jsm: JetStreamManager, limits?: StreamLimits): Promise<Record<string, ProvisionOutcome>> {
  const outcomes: Record<string, ProvisionOutcome> = {};
  for (const config of streamConfigs(limits).reverse()) outcomes[config.name] = await ensureStream(jsm, config);
  return outcomes;
}

/**
 * Waits until every stream exists (created by the provisioning identity), for services whose identity may not create
 * them; `STREAMS_NOT_PROVISIONED` after the timeout.
 */
export async function awaitStreams(jsm: JetStreamManager, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const { name } of streamConfigs().reverse()) {
    for (;;) {
      try {
        await jsm.streams.info(name);
        break;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        if (Date.now() > deadline) {
          throw new SightlineError(
            MessagingErrorCode.streamsNotProvisioned,
            `stream ${name} does not exist; run the NATS provisioning step`,
            {
              stream: name,
            },
          );
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

export function isNotFound(err: unknown): boolean {
  const e = err as { code?: string; api_error?: { err_code?: number } };
  return e?.api_error?.err_code === 10059 || e?.api_error?.err_code === 10014 || e?.code === '404';
}
