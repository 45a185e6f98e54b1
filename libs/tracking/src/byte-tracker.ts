/**
 * A ByteTrack-style multi-object tracker: Kalman-predicted boxes associated to detections by IoU with the Hungarian
 * algorithm, in two stages — confident detections first, then the remaining tracks against low-score detections
 * (occluded or blurred objects keep their identity instead of being dropped). A track gets its public id when a
 * second detection confirms it; a confirmed track not seen for `maxLostFrames` frames is removed.
 * The whole state is plain data (`snapshot()` / `restore()`), so a tracker can resume elsewhere.
 */
import { type Box, type Detection } from '@sightline/contracts';
import { assign } from './assignment.js';
import { centreOf, iou, type Point } from './geometry.js';
import { correct, initiate, predict, stateToBox, type KalmanState } from './kalman.js';

export interface TrackerOptions {
  /** Detections at or above this score take part in the first association and may start tracks. */
  highScore: number;
  /** Detections below this are ignored; those between it and `highScore` only keep existing tracks alive. */
  lowScore: number;
  /** A new track needs a detection at least this confident. */
  newTrackScore: number;
  /** Minimum IoU of a first-stage match (confident detections against every track). */
  matchIou: number;
  /** Minimum IoU of a second-stage match (low-score detections against tracks seen in the previous frame). */
  lowMatchIou: number;
  /** Minimum IoU for a tentative track's confirming detection. */
  confirmIou: number;
  /** Frames a confirmed track survives without a detection before it has left. */
  maxLostFrames: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  highScore: 0.5,
  lowScore: 0.1,
  newTrackScore: 0.6,
  matchIou: 0.2,
  lowMatchIou: 0.5,
  confirmIou: 0.3,
  maxLostFrames: 30,
};

export interface FrameObservation {
  seq: number;
  /** Capture time, epoch milliseconds. */
  atMs: number;
}

export type TrackStatus = 'tentative' | 'tracked' | 'lost';

export interface Track {
  /** Public id (positive), from confirmation on; 0 while tentative. */
  id: number;
  label: string;
  status: TrackStatus;
  kalman: KalmanState;
  /** Frames with a matched detection. */
  hits: number;
  first: FrameObservation & { box: Box; score: number };
  last: FrameObservation & { box: Box; score: number };
  /** Sampled box centres: one every `pathStride` hits, thinned (and the stride doubled) when full. */
  path: Point[];
  pathStride: number;
}

export interface TrackerState {
  nextId: number;
  lastSeq?: number;
  tracks: Track[];
}

export interface FrameUpdate {
  /** Confirmed in this frame (their first detection was in an earlier one). */
  confirmed: Track[];
  /** Confirmed tracks removed in this frame: they have left. */
  removed: Track[];
  /** Detections (by index) matched to confirmed tracks in this frame. */
  assigned: Array<{ track: Track; detection: number }>;
}

const PATH_SAMPLES = 16;

export class ByteTracker {
  private state: TrackerState;

  constructor(
    readonly options: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
    state?: TrackerState,
  ) {
    this.state = state ? structuredClone(state) : { nextId: 1, tracks: [] };
  }

  snapshot(): TrackerState {
    return structuredClone(this.state);
  }

  get tracks(): readonly Track[] {
    return this.state.tracks;
  }

  get lastSeq(): number | undefined {
    return this.state.lastSeq;
  }

  /** Advances to frame `frame.seq` (later than the last one; a gap is that many frames without detections). */
  update(frame: FrameObservation, detections: readonly Detection[]): FrameUpdate {
    const { options, state } = this;
    const steps = state.lastSeq === undefined ? 1 : Math.max(1, Math.min(frame.seq - state.lastSeq, options.maxLostFrames + 1));
    state.lastSeq = frame.seq;
    for (const track of state.tracks) track.kalman = predict(track.kalman, steps);

    const indices = detections.map((_, i) => i);
    let high = indices.filter((i) => detections[i]!.score >= options.highScore);
    const low = indices.filter((i) => detections[i]!.score >= options.lowScore && detections[i]!.score < options.highScore);
    const assigned: FrameUpdate['assigned'] = [];
    const confirmed: Track[] = [];
    const hit = (track: Track, detection: number) => {
      this.observe(track, frame, detections[detection]!);
      if (track.id) assigned.push({ track, detection });
    };

    // Stage 1: confident detections against every confirmed track (tracked or lost).
    const pool = state.tracks.filter((t) => t.status !== 'tentative');
    const first = this.match(pool, high, detections, options.matchIou);
    for (const [t, d] of first.matches) {
      pool[t]!.status = 'tracked';
      hit(pool[t]!, high[d]!);
    }
    const leftHigh = first.unmatchedCols.map((d) => high[d]!);

    // Stage 2: low-score detections keep tracks that were being followed (not those already lost).
    const following = first.unmatchedRows.map((t) => pool[t]!).filter((t) => t.status === 'tracked');
    const second = this.match(following, low, detections, options.lowMatchIou);
    for (const [t, d] of second.matches) hit(following[t]!, low[d]!);
    for (const t of second.unmatchedRows) following[t]!.status = 'lost';

    // Stage 3: tentative tracks need a confident detection to be confirmed; otherwise they were noise.
    const tentative = state.tracks.filter((t) => t.status === 'tentative');
    const third = this.match(tentative, leftHigh, detections, options.confirmIou);
    const dropped = new Set(third.unmatchedRows.map((t) => tentative[t]!));
    for (const [t, d] of third.matches) {
      const track = tentative[t]!;
      track.id = state.nextId++;
      track.status = 'tracked';
      confirmed.push(track);
      hit(track, leftHigh[d]!);
    }
    high = third.unmatchedCols.map((d) => leftHigh[d]!);

    const removed: Track[] = [];
    state.tracks = state.tracks.filter((t) => {
      if (dropped.has(t)) return false;
      if (t.status === 'lost' && frame.seq - t.last.seq > options.maxLostFrames) {
        removed.push(t);
        return false;
      }
      return true;
    });
    for (const d of high) {
      const detection = detections[d]!;
      if (detection.score < options.newTrackScore) continue;
      const observation = { ...frame, box: detection.box, score: detection.score };
      state.tracks.push({
        id: 0,
        label: detection.label,
        status: 'tentative',
        kalman: initiate(detection.box),
        hits: 1,
        first: observation,
        last: observation,
        path: [centreOf(detection.box)],
        pathStride: 1,
      });
    }
    return { confirmed, removed, assigned };
  }

  /** Removes every confirmed track (the session or its run ended); tentative ones are discarded. Ids keep counting. */
  clear(): Track[] {
    const removed = this.state.tracks.filter((t) => t.status !== 'tentative');
    this.state.tracks = [];
    this.state.lastSeq = undefined;
    return removed;
  }

  /** The track's current (predicted or corrected) box. */
  static boxOf(track: Track): Box {
    return stateToBox(track.kalman.mean);
  }

  private match(tracks: readonly Track[], candidates: readonly number[], detections: readonly Detection[], minIou: number) {
    const cost = tracks.map((track) => {
      const predicted = ByteTracker.boxOf(track);
      return candidates.map((d) => (detections[d]!.label === track.label ? 1 - iou(predicted, detections[d]!.box) : Infinity));
    });
    return assign(cost, tracks.length, candidates.length, 1 - minIou);
  }

  private observe(track: Track, frame: FrameObservation, detection: Detection): void {
    track.kalman = correct(track.kalman, detection.box);
    track.hits++;
    track.last = { ...frame, box: detection.box, score: detection.score };
    if ((track.hits - 1) % track.pathStride === 0) {
      track.path.push(centreOf(detection.box));
      if (track.path.length >= PATH_SAMPLES) {
        track.path = track.path.filter((_, i) => i % 2 === 0);
        track.pathStride *= 2;
      }
    }
  }
}

/** At most `count` points evenly spaced over the track's sampled path, ending with its last detection's centre. */
export function pathSummary(track: Track, count = 8): Point[] {
  const points = [...track.path, centreOf(track.last.box)];
  if (points.length <= count) return points.map(roundPoint);
  return Array.from({ length: count }, (_, i) => roundPoint(points[Math.round((i * (points.length - 1)) / (count - 1))]!));
}

const roundPoint = (p: Point): Point => ({ x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 });
