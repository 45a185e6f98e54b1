import { describe, expect, it } from 'vitest';
import { loadTrackerConfig } from './config.js';

describe('tracker configuration', () => {
  it('has the documented defaults', () => {
    expect(loadTrackerConfig({})).toMatchObject({
      HTTP_PORT: 3009,
      TRACKER_PARTITIONS: 1,
      TRACKER_PARTITION: 0,
      TRACKER_REORDER_MAX_FRAMES: 32,
      TRACKER_REORDER_MAX_WAIT_MS: 250,
      TRACKER_IDLE_MS: 10_000,
      TRACKER_ZONES_REFRESH_MS: 2000,
      TRACKER_MAX_IN_FLIGHT: 512,
      TRACKER_MAX_LOST_FRAMES: 30,
      TRACKER_HIGH_SCORE: 0.5,
      TRACKER_LOW_SCORE: 0.1,
      TRACKER_NEW_TRACK_SCORE: 0.6,
    });
  });

  it('names invalid variables and refuses a partition outside the partitions', () => {
    expect(() => loadTrackerConfig({ TRACKER_PARTITIONS: '0', TRACKER_IDLE_MS: 'soon' })).toThrow(
      /TRACKER_PARTITIONS[\s\S]*TRACKER_IDLE_MS/,
    );
    expect(() => loadTrackerConfig({ TRACKER_PARTITIONS: '2', TRACKER_PARTITION: '2' })).toThrow(
      /TRACKER_PARTITION \(2\) must be below TRACKER_PARTITIONS \(2\)/,
    );
  });
});
