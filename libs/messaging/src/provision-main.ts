/**
 * NATS provisioning (compose service `nats-provision`): creates or updates the streams as the provisioning identity,
 * the only one allowed to, and again after every reconnect (a restarted nats-server has lost its memory stream
 * FRAMES, and the services may not create it). With NATS_PROVISION_ONCE=true it exits after the first time; with
 * `--check` (the container's health check) it only checks that every stream exists, exit code 0 or 1.
 * Reads NATS_URL, NATS_USER, NATS_PASSWORD and NATS_TLS_CA_FILE (TLS only, verified against that CA).
 */
import { NatsClient } from './connection.js';
import { keepStreamsProvisioned } from './provisioning.js';
import { awaitStreams } from './streams.js';

const log = (level: string, message: string, meta: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ level, message, service: 'nats-provision', ...meta }) + '\n');
const logger = {
  info: (m: string, meta?: Record<string, unknown>) => log('info', m, meta),
  warn: (m: string, meta?: Record<string, unknown>) => log('warn', m, meta),
  error: (m: string, meta?: Record<string, unknown>) => log('error', m, meta),
};

const client = await NatsClient.connect({
  url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  name: 'nats-provision',
  user: process.env.NATS_USER,
  password: process.env.NATS_PASSWORD,
  ...(process.env.NATS_TLS_CA_FILE && { tls: { caFile: process.env.NATS_TLS_CA_FILE } }),
  logger,
});
if (process.argv.includes('--check')) {
  const present = await awaitStreams(client.manager, 2000).then(
    () => true,
    () => false,
  );
  await client.drain();
  process.exit(present ? 0 : 1);
}
try {
  logger.info('jetstream streams provisioned', { outcomes: await keepStreamsProvisioned(client, logger) });
} catch (err) {
  await client.drain();
  throw err;
}
if (process.env.NATS_PROVISION_ONCE === 'true') await client.drain();
else for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void client.drain());
