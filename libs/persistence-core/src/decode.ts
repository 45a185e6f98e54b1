/**
 * Turns a RESULTS message into a storable envelope, or throws a coded error that the pull worker dead-letters with
 * its reason (a malformed message can never be stored, so retrying it would only block the stream).
 */
import {
  InvalidMessageError,
  MAX_RESULT_BYTES,
  SightlineError,
  SUBJECTS,
  parseJson,
  resultEnvelopeSchema,
  type ResultEnvelope,
} from '@sightline/contracts';
import { PersistenceErrorCode } from './errors.js';

export interface ResultMessage {
  subject: string;
  data: Uint8Array;
}

export function decodeResult(msg: ResultMessage): ResultEnvelope {
  if (msg.data.length > MAX_RESULT_BYTES) {
    throw new SightlineError(
      PersistenceErrorCode.messageTooLarge,
      `result of ${msg.data.length} bytes exceeds the ${MAX_RESULT_BYTES}-byte limit`,
      {
        subject: msg.subject,
        bytes: msg.data.length,
        limit: MAX_RESULT_BYTES,
      },
    );
  }
  const envelope = parseJson(resultEnvelopeSchema, msg.data, 'result envelope') as ResultEnvelope;
  // Publishers derive the subject from the envelope; a mismatch means a broken publisher, not a result to keep.
  const expected = SUBJECTS.result(envelope.sessionId, envelope.event);
  if (msg.subject !== expected) {
    throw new InvalidMessageError(`subject ${msg.subject} does not match the envelope (expected ${expected})`, { subject: msg.subject });
  }
  return envelope;
}
