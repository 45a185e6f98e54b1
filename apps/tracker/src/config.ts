import { ConfigError, baseConfigShape, env, loadConfig } from '@sightline/config';

/** Environment variables of the tracker service (documented in docs/tracking.md). */
export const trackerConfigShape = {
  ...baseConfigShape,
  HTTP_PORT: env.port(3009),
  /** Read-only use: the sessions' zones (session_zones, migrated by the persistence service). */
  DATABASE_URL: env.string('postgres://sightline@127.0.0.1:5432/sightline'),
  DB_POOL_SIZE: env.int(2, 1, 20),
  /** Sessions are split into this many partitions by a hash of their id; one replica per partition. */
  TRACKER_PARTITIONS: env.int(1, 1, 64),
  /** Which partition this replica tracks (0 … TRACKER_PARTITIONS − 1). */
  TRACKER_PARTITION: env.int(0, 0, 63),
  /** Frames a session may buffer while an earlier one is missing; beyond it the missing one is a gap. */
  TRACKER_REORDER_MAX_FRAMES: env.int(32, 1, 1024),
  /** How long a missing frame is waited for (the most latency the reorder window adds). */
  TRACKER_REORDER_MAX_WAIT_MS: env.int(250, 0, 10_000),
  /** A session without frames for this long has ended: its objects leave (objectLeft, reason sessionIdle). */
  TRACKER_IDLE_MS: env.int(10_000, 500),
  /** How often a tracked session's zones are re-read. */
  TRACKER_ZONES_REFRESH_MS: env.int(2000, 100),
  /** Saved state of a session idle this long expires (JetStream KV TTL). */
  TRACKER_STATE_TTL_MS: env.int(24 * 3600_000, 60_000),
  /** Frames delivered and not yet acked (reorder windows + publishing). */
  TRACKER_MAX_IN_FLIGHT: env.int(512, 1, 10_000),
  /** Frames a confirmed object may go undetected before it has left. */
  TRACKER_MAX_LOST_FRAMES: env.int(30, 1, 10_000),
  /** Detections at or above this score are associated first and may start tracks (ByteTrack's high threshold). */
  TRACKER_HIGH_SCORE: env.number(0.5),
  /** Detections between this and TRACKER_HIGH_SCORE only keep existing tracks alive. */
  TRACKER_LOW_SCORE: env.number(0.1),
  /** A new track needs a detection at least this confident. */
  TRACKER_NEW_TRACK_SCORE: env.number(0.6),
};

export type TrackerConfig = ReturnType<typeof loadTrackerConfig>;
export const loadTrackerConfig = (source: NodeJS.ProcessEnv = process.env) => {
  const config = loadConfig(trackerConfigShape, source);
  if (config.TRACKER_PARTITION >= config.TRACKER_PARTITIONS) {
    throw new ConfigError([
      `TRACKER_PARTITION (${config.TRACKER_PARTITION}) must be below TRACKER_PARTITIONS (${config.TRACKER_PARTITIONS})`,
    ]);
  }
  return config;
};
