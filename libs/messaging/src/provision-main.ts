/**
 * One-shot NATS provisioning (compose service `nats-provision`): creates or updates the streams as the provisioning
 * identity, the only one allowed to, then exits. Reads NATS_URL, NATS_USER, NATS_PASSWORD.
 */
import { NatsClient } from './connection.js';
import { ensureStreams } from './streams.js';

const log = (level: string, message: string, meta: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ level, message, service: 'nats-provision', ...meta }) + '\n');
const logger = { info: (m: string, meta?: Record<string, unknown>) => log('info', m, meta), warn: (m: string, meta?: Record<string, unknown>) => log('warn', m, meta), error: (m: string, meta?: Record<string, unknown>) => log('error', m, meta) };

const client = await NatsClient.connect({
  url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  name: 'nats-provision',
  user: process.env.NATS_USER,
  password: process.env.NATS_PASSWORD,
  logger,
});
try {
  logger.info('jetstream streams provisioned', { outcomes: await ensureStreams(client.manager) });
} finally {
  await client.drain();
}
