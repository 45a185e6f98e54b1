/**
 * Runs ingest sessions without the REST server: `node apps/ingest/dist/cli.js --source rtsp://… --auth digest`.
 * Same configuration, streams, events and frames as the service. Ends when every session has ended (files) or on
 * SIGINT/SIGTERM; exits 1 when a session failed.
 */
import { JetStreamPublisher, NatsClient, ensureStreams } from '@sightline/messaging';
import { createLogger, createMetricsRegistry } from '@sightline/observability';
import { SessionManager, loadSessionsFile } from '@sightline/video';
import { CLI_USAGE, parseCliArgs } from './cli-args.js';
import { ingestSettings, loadIngestConfig } from './config.js';
import { IngestCode } from './codes.js';

const logger = createLogger('ingest-cli');

async function main(): Promise<number> {
  const command = parseCliArgs(process.argv.slice(2));
  if (command.kind === 'help') {
    console.log(CLI_USAGE);
    return 0;
  }
  const config = loadIngestConfig();
  const requests = command.kind === 'config' ? await loadSessionsFile(command.file) : command.requests;
  const client = await NatsClient.connect({ url: config.NATS_URL, name: `ingest-cli:${process.pid}`, logger });
  await ensureStreams(client.manager);
  const manager = new SessionManager(
    { client, publisher: new JetStreamPublisher(client), registry: createMetricsRegistry('ingest-cli', false), logger },
    await ingestSettings(config, logger),
  );
  // First signal: stop every session (sessionStopped events) within SHUTDOWN_TIMEOUT_MS; a second one exits at once.
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    void manager.stopAll('shutdown');
    setTimeout(() => {
      logger.error('shutdown timed out', { code: IngestCode.shutdownTimeout, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const sessionIds = requests.map((request) => manager.start(request).sessionId);
  const progress = setInterval(() => {
    for (const info of manager.list()) logger.info('session progress', { sessionId: info.sessionId, state: info.state, ...info.stats });
  }, 5000);
  const outcomes = await Promise.all(sessionIds.map((id) => manager.whenEnded(id)));
  clearInterval(progress);
  // NATS may be gone by now: do not hang on the drain.
  await Promise.race([client.drain(), new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_TIMEOUT_MS).unref())]);
  return outcomes.some((info) => info.state === 'error') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error & { code?: string }) => {
    logger.error('ingest cli failed', { code: err.code ?? IngestCode.cliFailed, error: err.message });
    if (err.code === IngestCode.cliUsage) console.error(CLI_USAGE);
    setTimeout(() => process.exit(2), 100);
  },
);
