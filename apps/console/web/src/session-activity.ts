/**
 * What the console knows about one session from the results the live feed received: the latest frames (to pair with
 * their frameTracked, and with the frame a source picture shows), the last minute of latency, and a timeline.
 */
import { EVENTS, type AnalysisMessage, type Detection, type EventPayloads, type Size } from '@sightline/contracts';
import { RollingSamples } from './stats.js';

export interface TimelineEntry {
  seq: number;
  timestamp: string;
  event: string;
  text: string;
  level: 'info' | 'warning' | 'error';
}

export interface LiveFrame {
  seq: number;
  frameSeq: number;
  timestamp: string;
  source: Size;
  detections: Detection[];
  latencyMs: number;
  model: string;
  provider: string;
}

/** The frame drawn with track ids, and the detection index → track id of its frameTracked. */
export interface DisplayedFrame {
  frame: LiveFrame;
  trackIds: ReadonlyMap<number, number>;
}

const LATENCY_WINDOW_MS = 60_000;
/** Recent frames kept to pair with their frameTracked, which the tracker publishes a little after frameAnalyzed. */
const RECENT_FRAMES = 32;
const TIMELINE_LIMIT = 200;

/** What the console knows about one session from the results it received. */
export class SessionActivity {
  latest?: LiveFrame;
  private readonly recent: LiveFrame[] = [];
  /** frameTracked of recent frames: frameSeq → (detection index → track id), oldest first. */
  private readonly tracked = new Map<number, Map<number, number>>();
  readonly latency = new RollingSamples(LATENCY_WINDOW_MS);
  /** Newest first. */
  readonly timeline: TimelineEntry[] = [];
  private detectionCount?: number;

  record(message: AnalysisMessage): void {
    if (message.event === EVENTS.frameAnalyzed) {
      const payload = message.payload as EventPayloads['frameAnalyzed'];
      this.latest = {
        seq: message.seq,
        frameSeq: payload.frameSeq,
        timestamp: message.timestamp,
        source: payload.source,
        detections: payload.detections,
        latencyMs: payload.latency.totalMs,
        model: payload.model,
        provider: payload.provider,
      };
      this.recent.push(this.latest);
      if (this.recent.length > RECENT_FRAMES) this.recent.shift();
      this.latency.add(Date.parse(message.timestamp), payload.latency.totalMs);
      const count = payload.detections.length;
      if (count !== this.detectionCount) {
        this.detectionCount = count;
        this.log(message, 'info', count === 0 ? 'no detections' : `${count} detection${count === 1 ? '' : 's'}`);
      }
      return;
    }
    if (message.event === EVENTS.frameTracked) {
      const payload = message.payload as EventPayloads['frameTracked'];
      this.tracked.set(payload.frameSeq, new Map(payload.tracks.map((t) => [t.detection, t.trackId])));
      for (const seq of this.tracked.keys()) {
        if (this.tracked.size <= RECENT_FRAMES) break;
        this.tracked.delete(seq);
      }
      return;
    }
    const described = describeLifecycle(message);
    this.log(message, described.level, described.text);
  }

  /**
   * The newest frame whose track ids are known, while it is among the recent ones (a tracker adds a few frames of
   * delay); else the newest frame, without ids (no tracker running, or it fell behind).
   */
  displayed(): DisplayedFrame | undefined {
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const trackIds = this.tracked.get(this.recent[i]!.frameSeq);
      if (trackIds) return { frame: this.recent[i]!, trackIds };
    }
    return this.latest && { frame: this.latest, trackIds: new Map() };
  }

  /**
   * The recent frame nearest to `frameSeq` (ingest's picture names its frame within a frame or two), with its track
   * ids when its frameTracked arrived; undefined when no recent frame is that close.
   */
  frameNear(frameSeq: number, within = 2): DisplayedFrame | undefined {
    let best: LiveFrame | undefined;
    for (const frame of this.recent) {
      const distance = Math.abs(frame.frameSeq - frameSeq);
      if (distance <= within && (!best || distance < Math.abs(best.frameSeq - frameSeq))) best = frame;
    }
    return best && { frame: best, trackIds: this.tracked.get(best.frameSeq) ?? new Map() };
  }

  private log(message: AnalysisMessage, level: TimelineEntry['level'], text: string): void {
    this.timeline.unshift({ seq: message.seq, timestamp: message.timestamp, event: message.event, text, level });
    this.timeline.length = Math.min(this.timeline.length, TIMELINE_LIMIT);
  }
}

function describeLifecycle(message: AnalysisMessage): Pick<TimelineEntry, 'level' | 'text'> {
  switch (message.event) {
    case EVENTS.sessionStarted: {
      const p = message.payload as EventPayloads['sessionStarted'];
      return { level: 'info', text: `started: ${p.source.type} ${p.source.url}` };
    }
    case EVENTS.sessionStopped: {
      const p = message.payload as EventPayloads['sessionStopped'];
      return { level: 'info', text: `stopped (${p.reason}): ${p.framesPublished} frames published, ${p.framesDropped} dropped` };
    }
    case EVENTS.sourceError: {
      const p = message.payload as EventPayloads['sourceError'];
      return { level: p.fatal ? 'error' : 'warning', text: `${p.fatal ? 'fatal ' : ''}source error ${p.code}: ${p.message}` };
    }
    case EVENTS.sourceReconnecting: {
      const p = message.payload as EventPayloads['sourceReconnecting'];
      return { level: 'warning', text: `reconnecting (attempt ${p.attempt}, in ${(p.delayMs / 1000).toFixed(1)} s): ${p.reason}` };
    }
    case EVENTS.sourceRecovered: {
      const p = message.payload as EventPayloads['sourceRecovered'];
      return { level: 'info', text: `recovered after ${p.attempts} attempt(s), ${(p.downtimeMs / 1000).toFixed(1)} s down` };
    }
    case EVENTS.objectAppeared: {
      const p = message.payload as EventPayloads['objectAppeared'];
      return { level: 'info', text: `#${p.trackId} ${p.label} appeared` };
    }
    case EVENTS.objectLeft: {
      const p = message.payload as EventPayloads['objectLeft'];
      return { level: 'info', text: `#${p.trackId} ${p.label} left after ${(p.dwellMs / 1000).toFixed(1)} s` };
    }
    case EVENTS.zoneEntered:
    case EVENTS.zoneLeft: {
      const p = message.payload as EventPayloads['zoneEntered'];
      return {
        level: 'info',
        text: `#${p.trackId} ${p.label} ${message.event === EVENTS.zoneEntered ? 'entered' : 'left'} zone ${p.zoneId}`,
      };
    }
    case EVENTS.lineCrossed: {
      const p = message.payload as EventPayloads['lineCrossed'];
      return { level: 'info', text: `#${p.trackId} ${p.label} crossed line ${p.lineId} (${p.direction})` };
    }
    default:
      return { level: 'info', text: message.event };
  }
}
