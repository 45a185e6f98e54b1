/**
 * Turns a RESULTS stream message into the frame every subscriber receives. The wire form depends only on the message
 * (the envelope of requirements §6.4 plus its stream sequence), so it is built once and shared by every connection that reads the
 * same message: N agents cost one parse, one schema check and one JSON.stringify, not N.
 */
import { EVENTS, parseJson, resultEnvelopeSchema, type AnalysisMessage, type EventName, type ResultEnvelope } from '@sightline/contracts';
import { type JsMsg } from 'nats';

export interface DecodedResult {
  /** The text frame: `{sessionId, timestamp, event, payload, seq}`. */
  data: string;
  bytes: number;
  sessionId: string;
  event: EventName;
  /** frameAnalyzed only: payload.captureTime in epoch ms (end-to-end latency). */
  captureTimeMs?: number;
}

interface CacheEntry {
  /** Guards against a recreated stream reusing sequence numbers. */
  timestampNanos: number;
  decoded: DecodedResult | null;
}

export class ResultDecoder {
  private readonly cache = new Map<number, CacheEntry>();

  /**
   * @param capacity recent messages kept (subscribers at the stream head read the same few; a replaying one misses)
   * @param onInvalid called once per message that fails the envelope schema
   */
  constructor(
    private readonly onInvalid: (msg: JsMsg, error: Error) => void,
    private readonly capacity = 2048,
  ) {}

  /** The frame to send, or null for a message that fails the envelope schema (skipped). */
  decode(msg: JsMsg): DecodedResult | null {
    const timestampNanos = msg.info.timestampNanos;
    const hit = this.cache.get(msg.seq);
    if (hit && hit.timestampNanos === timestampNanos) return hit.decoded;
    let decoded: DecodedResult | null;
    try {
      decoded = frameOf(parseJson(resultEnvelopeSchema, msg.data, 'result') as ResultEnvelope, msg.seq);
    } catch (err) {
      this.onInvalid(msg, err as Error);
      decoded = null;
    }
    this.cache.set(msg.seq, { timestampNanos, decoded });
    // Maps iterate in insertion order: the first key is the oldest.
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return decoded;
  }
}

function frameOf(envelope: ResultEnvelope, seq: number): DecodedResult {
  // Exactly the envelope of requirements §6.4 (the schema strips unknown keys), plus the stream sequence as the resume point.
  const message: AnalysisMessage = {
    sessionId: envelope.sessionId,
    timestamp: envelope.timestamp,
    event: envelope.event,
    payload: envelope.payload,
    seq,
  };
  const data = JSON.stringify(message);
  return {
    data,
    bytes: Buffer.byteLength(data),
    sessionId: envelope.sessionId,
    event: envelope.event,
    captureTimeMs:
      envelope.event === EVENTS.frameAnalyzed ? Date.parse((envelope as ResultEnvelope<'frameAnalyzed'>).payload.captureTime) : undefined,
  };
}
