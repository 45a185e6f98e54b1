import { Counter, Histogram, type Registry } from 'prom-client';

export interface TrackerMetrics {
  frames: Counter<'outcome'>;
  events: Counter<'event'>;
  gapFrames: Counter;
  trackSeconds: Histogram;
  reorderWaitSeconds: Histogram;
}

export function trackerMetrics(registry: Registry): TrackerMetrics {
  const registers = [registry];
  return {
    frames: new Counter({
      name: 'sightline_tracker_frames_total',
      help: 'frameAnalyzed results by outcome: tracked, late (arrived after the reorder window gave up on it), duplicate, other_partition',
      labelNames: ['outcome'],
      registers,
    }),
    events: new Counter({
      name: 'sightline_tracker_events_total',
      help: 'Events published by the tracker, by event',
      labelNames: ['event'],
      registers,
    }),
    gapFrames: new Counter({
      name: 'sightline_tracker_gap_frames_total',
      help: 'Frames never received, given up on by the reorder window',
      registers,
    }),
    trackSeconds: new Histogram({
      name: 'sightline_tracker_frame_seconds',
      help: 'CPU-bound tracking time of one frame (association, Kalman, zones, event building), publishing excluded',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025],
      registers,
    }),
    reorderWaitSeconds: new Histogram({
      name: 'sightline_tracker_reorder_wait_seconds',
      help: 'Time a frame waited in the reorder window (the latency the tracker adds before publishing)',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
  };
}
