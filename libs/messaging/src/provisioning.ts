/**
 * Keeping the streams in place as the provisioning identity: a restarted nats-server has lost its memory stream
 * (FRAMES) and its consumers, and service identities may not create streams, so whoever provisions stays connected
 * and provisions again after every reconnect.
 */
import type { MessagingLogger, NatsClient } from './connection.js';
import { ensureStreams, type ProvisionOutcome, type StreamLimits } from './streams.js';
import { MessagingErrorCode } from './errors.js';

/** Provisions the streams now, and again after every reconnect of `client`. Returns the first outcomes. */
export async function keepStreamsProvisioned(
  client: NatsClient,
  logger: MessagingLogger,
  limits?: StreamLimits,
): Promise<Record<string, ProvisionOutcome>> {
  const outcomes = await ensureStreams(client.manager, limits);
  client.onReconnect(() => void provisionAfterReconnect(client, logger, limits));
  return outcomes;
}

/** ensureStreams after a reconnect, retried while JetStream is still starting up on the restarted server. */
async function provisionAfterReconnect(client: NatsClient, logger: MessagingLogger, limits: StreamLimits | undefined): Promise<void> {
  for (let attempt = 1; attempt <= 30; attempt++) {
    try {
      const outcomes = await ensureStreams(client.manager, limits);
      logger.info('jetstream streams provisioned after a reconnect', { outcomes, attempt });
      return;
    } catch (err) {
      if (attempt === 30 || !client.isConnected()) {
        logger.warn('jetstream streams not provisioned after a reconnect', {
          code: MessagingErrorCode.natsUnavailable,
          attempt,
          error: (err as Error).message,
        });
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
