/**
 * One session's tracking: frames in order → the ByteTrack tracker → object-level events (appeared, left, zone
 * entered/left, line crossed) and a per-frame `frameTracked`. Every event is derived only from the frames, so
 * processing the same frames again (after a restart) yields the same envelopes and message ids: JetStream and
 * PostgreSQL de-duplicate them. Zones are tested with the box centre of each matched detection.
 */
import {
  EVENTS,
  MESSAGE_IDS,
  makeEnvelope,
  type EventPayloads,
  type FrameAnalyzedPayload,
  type FrameRef,
  type ResultEnvelope,
  type SessionZones,
} from '@sightline/contracts';
import { ByteTracker, DEFAULT_TRACKER_OPTIONS, pathSummary, type Track, type TrackerOptions, type TrackerState } from './byte-tracker.js';
import { centreOf, crossing, pointInPolygon, type Point } from './geometry.js';

export interface TrackingEvent {
  subjectEvent: keyof EventPayloads;
  envelope: ResultEnvelope;
  /** JetStream de-duplication id: stable for the same frames. */
  msgId: string;
}

interface TrackZoneState {
  /** Zone id → when the track entered it. */
  inside: Record<string, FrameRef & { atMs: number }>;
  /** Centre of the track's last matched detection (line crossings are tested between consecutive ones). */
  lastCentre: Point;
}

export interface SessionTrackerState {
  run?: string;
  lastFrame?: FrameRef & { atMs: number };
  tracker: TrackerState;
  zones: Record<string, TrackZoneState>;
}

export class SessionTracker {
  private tracker: ByteTracker;
  private state: Omit<SessionTrackerState, 'tracker'>;

  constructor(
    readonly sessionId: string,
    private zonesConfig: SessionZones = { zones: [], lines: [] },
    options: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
    state?: SessionTrackerState,
  ) {
    this.tracker = new ByteTracker(options, state?.tracker);
    this.state = state ? structuredClone({ run: state.run, lastFrame: state.lastFrame, zones: state.zones }) : { zones: {} };
  }

  get run(): string | undefined {
    return this.state.run;
  }

  /** The last frame processed (frames at or before it are duplicates). */
  get lastSeq(): number | undefined {
    return this.tracker.lastSeq;
  }

  snapshot(): SessionTrackerState {
    return { ...structuredClone(this.state), tracker: this.tracker.snapshot() };
  }

  /** Applies new zones from the next frame on; memberships of zones that no longer exist are forgotten. */
  setZones(config: SessionZones): void {
    this.zonesConfig = config;
    const ids = new Set(config.zones.map((z) => z.id));
    for (const zoneState of Object.values(this.state.zones)) {
      for (const id of Object.keys(zoneState.inside)) if (!ids.has(id)) delete zoneState.inside[id];
    }
  }

  /** Tracks one frame (the next of its run, in order). A frame of a new run first ends every track of the old one. */
  process(frame: FrameAnalyzedPayload): TrackingEvent[] {
    const events: TrackingEvent[] = [];
    if (this.state.lastFrame && frame.run !== this.state.run) events.push(...this.end());
    this.state.run = frame.run;
    const atMs = Date.parse(frame.captureTime);
    const ref = { frameSeq: frame.frameSeq, at: frame.captureTime };
    this.state.lastFrame = { ...ref, atMs };

    const update = this.tracker.update({ seq: frame.frameSeq, atMs }, frame.detections);
    for (const track of update.removed) events.push(...this.leave(track, 'lost', frame.captureTime));

    const confirmed = new Set(update.confirmed);
    const assigned = [...update.assigned].sort((a, b) => a.detection - b.detection);
    for (const { track } of assigned) {
      const centre = centreOf(track.last.box);
      if (confirmed.has(track)) {
        events.push(
          this.event(EVENTS.objectAppeared, frame.captureTime, `${track.id}`, {
            trackId: track.id,
            label: track.label,
            ...this.runField,
            frameSeq: track.first.seq,
            at: new Date(track.first.atMs).toISOString(),
            box: track.first.box,
            score: track.first.score,
          }),
        );
        this.state.zones[track.id] = { inside: {}, lastCentre: centreOf(track.first.box) };
      }
      const zoneState = this.state.zones[track.id]!;
      events.push(...this.zoneTransitions(track, zoneState, centre, ref, atMs));
      events.push(...this.lineCrossings(track, zoneState.lastCentre, centre, ref));
      zoneState.lastCentre = centre;
    }
    events.push(
      this.event(EVENTS.frameTracked, frame.captureTime, `${frame.frameSeq}`, {
        frameSeq: frame.frameSeq,
        ...this.runField,
        pts: frame.pts,
        captureTime: frame.captureTime,
        tracks: assigned.map(({ track, detection }) => ({
          trackId: track.id,
          detection,
          label: track.label,
          score: frame.detections[detection]!.score,
          box: frame.detections[detection]!.box,
        })),
      }),
    );
    return events;
  }

  /** Every confirmed track leaves (the session's frames stopped, or a new run began). */
  end(): TrackingEvent[] {
    const at = this.state.lastFrame?.at;
    if (!at) return [];
    return this.tracker.clear().flatMap((track) => this.leave(track, 'sessionIdle', at));
  }

  private get runField(): { run?: string } {
    return this.state.run === undefined ? {} : { run: this.state.run };
  }

  private leave(track: Track, reason: 'lost' | 'sessionIdle', timestamp: string): TrackingEvent[] {
    const events: TrackingEvent[] = [];
    const zoneState = this.state.zones[track.id];
    const lastRef = { frameSeq: track.last.seq, at: new Date(track.last.atMs).toISOString() };
    for (const [zoneId, entered] of Object.entries(zoneState?.inside ?? {})) {
      events.push(this.zoneLeft(track, zoneId, entered, lastRef, track.last.atMs, centreOf(track.last.box), timestamp));
    }
    delete this.state.zones[track.id];
    events.push(
      this.event(EVENTS.objectLeft, timestamp, `${track.id}`, {
        trackId: track.id,
        label: track.label,
        ...this.runField,
        firstSeen: { frameSeq: track.first.seq, at: new Date(track.first.atMs).toISOString() },
        lastSeen: lastRef,
        dwellMs: Math.max(0, track.last.atMs - track.first.atMs),
        frames: track.hits,
        path: pathSummary(track),
        reason,
      }),
    );
    return events;
  }

  private zoneTransitions(track: Track, zoneState: TrackZoneState, centre: Point, ref: FrameRef, atMs: number): TrackingEvent[] {
    const events: TrackingEvent[] = [];
    for (const zone of this.zonesConfig.zones) {
      const inside = pointInPolygon(centre, zone.polygon);
      const entered = zoneState.inside[zone.id];
      if (inside && !entered) {
        zoneState.inside[zone.id] = { ...ref, atMs };
        events.push(
          this.event(EVENTS.zoneEntered, ref.at, `${track.id}:${zone.id}:${ref.frameSeq}`, {
            trackId: track.id,
            label: track.label,
            ...this.runField,
            ...ref,
            zoneId: zone.id,
            point: roundPoint(centre),
          }),
        );
      } else if (!inside && entered) {
        delete zoneState.inside[zone.id];
        events.push(this.zoneLeft(track, zone.id, entered, ref, atMs, centre, ref.at));
      }
    }
    return events;
  }

  private zoneLeft(
    track: Track,
    zoneId: string,
    entered: { atMs: number },
    ref: FrameRef,
    atMs: number,
    point: Point,
    timestamp: string,
  ): TrackingEvent {
    return this.event(EVENTS.zoneLeft, timestamp, `${track.id}:${zoneId}:${ref.frameSeq}`, {
      trackId: track.id,
      label: track.label,
      ...this.runField,
      ...ref,
      zoneId,
      point: roundPoint(point),
      dwellMs: Math.max(0, atMs - entered.atMs),
    });
  }

  private lineCrossings(track: Track, from: Point, to: Point, ref: FrameRef): TrackingEvent[] {
    const events: TrackingEvent[] = [];
    for (const line of this.zonesConfig.lines) {
      const direction = crossing(from, to, line.a, line.b);
      if (!direction) continue;
      events.push(
        this.event(EVENTS.lineCrossed, ref.at, `${track.id}:${line.id}:${ref.frameSeq}`, {
          trackId: track.id,
          label: track.label,
          ...this.runField,
          ...ref,
          lineId: line.id,
          direction,
          point: roundPoint(to),
        }),
      );
    }
    return events;
  }

  private event<E extends keyof EventPayloads>(event: E, timestamp: string, key: string, payload: EventPayloads[E]): TrackingEvent {
    return {
      subjectEvent: event,
      envelope: makeEnvelope(this.sessionId, event, payload, new Date(timestamp)) as ResultEnvelope,
      msgId: MESSAGE_IDS.result(this.sessionId, event, key, this.state.run),
    };
  }
}

const roundPoint = (p: Point): Point => ({ x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 });
