/**
 * Which sessions get results: a plain NATS subscription (no consumer, nothing stored or acked) to the frameAnalyzed
 * results every inference replica publishes onto RESULTS. Only the subject is read, never the body, so watching
 * costs one small message per analysed frame and no parsing.
 */
import { EVENTS } from '@sightline/contracts';
import type { NatsClient } from '@sightline/messaging';

export const FRAME_ANALYZED_SUBJECTS = `results.*.${EVENTS.frameAnalyzed}`;

export interface ResultWatcher {
  close(): void;
}

export function watchResults(connection: NatsClient['connection'], onResult: (sessionId: string) => void): ResultWatcher {
  const subscription = connection.subscribe(FRAME_ANALYZED_SUBJECTS, {
    callback: (err, message) => {
      if (err) return;
      const sessionId = message.subject.split('.')[1];
      if (sessionId) onResult(sessionId);
    },
  });
  return { close: () => subscription.unsubscribe() };
}
