/** Dead letters: a message that can never be processed is recorded with its reason, then terminated. */
import { HEADERS, SUBJECTS, type DeadLetter } from '@sightline/contracts';
import { type JsMsg } from 'nats';
import { type JetStreamPublisher } from './publisher.js';

/** Bodies up to this size are copied into the dead letter; larger ones (frames) are described by size only. */
const MAX_COPIED_BYTES = 64 * 1024;

export function buildDeadLetter(msg: JsMsg, consumer: string, code: string, reason: string): DeadLetter {
  const headers: Record<string, string> = {};
  if (msg.headers) for (const [k, v] of msg.headers) headers[k] = v.join(',');
  return {
    stream: msg.info.stream,
    consumer,
    subject: msg.subject,
    streamSequence: msg.info.streamSequence,
    deliveries: msg.info.redeliveryCount,
    code,
    reason,
    headers,
    dataBase64: msg.data.length <= MAX_COPIED_BYTES ? Buffer.from(msg.data).toString('base64') : undefined,
    dataBytes: msg.data.length,
    at: new Date().toISOString(),
  };
}

export async function publishDeadLetter(publisher: JetStreamPublisher, letter: DeadLetter): Promise<void> {
  await publisher.publishJson(SUBJECTS.deadLetter(letter.stream), letter, {
    // Re-dead-lettering the same delivery (e.g. after a crash between publish and term) is stored once.
    msgId: `${letter.stream}:${letter.consumer}:${letter.streamSequence}`,
    headers: { [HEADERS.deadLetterReason]: `${letter.code}: ${letter.reason}`.slice(0, 512) },
  });
}
