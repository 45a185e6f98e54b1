/** Publish-with-ack to JetStream. A publish resolves only once the stream has stored the message. */
import { SightlineError } from '@sightline/contracts';
import { headers as natsHeaders, type PubAck } from 'nats';
import { type NatsClient } from './connection.js';
import { MessagingErrorCode } from './errors.js';

export interface PublishOptions {
  /** JetStream de-duplication id: a retried publish with the same id is stored once. */
  msgId?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const encoder = new TextEncoder();

export class JetStreamPublisher {
  constructor(private readonly client: NatsClient) {}

  async publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<PubAck> {
    const hdrs = natsHeaders();
    for (const [k, v] of Object.entries(options.headers ?? {})) hdrs.set(k, v);
    try {
      return await this.client.jetstream.publish(subject, data, {
        msgID: options.msgId,
        headers: hdrs,
        timeout: options.timeoutMs ?? 5000,
      });
    } catch (err) {
      throw classifyPublishError(err, subject);
    }
  }

  publishJson(subject: string, value: unknown, options: PublishOptions = {}): Promise<PubAck> {
    return this.publish(subject, encoder.encode(JSON.stringify(value)), options);
  }
}

/** JetStream API error code for a publish refused by `discard_new_per_subject`. */
const JS_ERR_MAX_MSGS_PER_SUBJECT = 10077;

/** Maps server rejections to stable codes callers can branch on. */
function classifyPublishError(err: unknown, subject: string): SightlineError {
  const apiError = (err as { api_error?: { err_code?: number; description?: string } })?.api_error;
  const message = apiError?.description ?? (err as Error)?.message ?? String(err);
  if (apiError?.err_code === JS_ERR_MAX_MSGS_PER_SUBJECT) {
    return new SightlineError(MessagingErrorCode.streamSubjectFull, 'per-subject backlog limit reached', { subject }, { cause: err });
  }
  if (/maximum payload exceeded|message size exceeds/i.test(message)) {
    return new SightlineError(MessagingErrorCode.messageTooLarge, message, { subject }, { cause: err });
  }
  // nats.js reports "no responders" (no stream listens on the subject, or JetStream is down) as a bare "503".
  if (/^503$|no responders|timeout|TIMEOUT/i.test(message)) {
    return new SightlineError(
      MessagingErrorCode.publishUnacknowledged,
      `no acknowledgement from JetStream: ${message}`,
      { subject },
      { cause: err },
    );
  }
  return new SightlineError(MessagingErrorCode.publishFailed, message, { subject }, { cause: err });
}
