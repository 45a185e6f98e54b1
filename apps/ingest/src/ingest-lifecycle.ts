/** Boot sessions from INGEST_SESSIONS_FILE; stop every session (sessionStopped events) before NATS is drained. */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { LOGGER, type Logger } from '@sightline/observability';
import { SessionManager, loadSessionsFile } from '@sightline/video';
import { APP_CONFIG, stopWithin } from '@sightline/service-kit';
import type { IngestConfig } from './config.js';
import { IngestCode } from './codes.js';

@Injectable()
export class IngestLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(SessionManager) private readonly sessions: SessionManager,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const file = this.config.INGEST_SESSIONS_FILE;
    if (!file) return;
    // An unreadable file is a configuration error: fail the start-up. One bad entry only skips that session.
    for (const request of await loadSessionsFile(file)) {
      try {
        const session = this.sessions.start(request);
        this.logger.info('session started from file', { sessionId: session.sessionId, source: session.source.url, file });
      } catch (err) {
        this.logger.error('session in file not started', { file, code: (err as { code?: string }).code, error: (err as Error).message });
      }
    }
  }

  /** Within SHUTDOWN_TIMEOUT_MS: with NATS unreachable, sessionStopped events cannot be stored and are given up. */
  async beforeApplicationShutdown(): Promise<void> {
    const timeoutMs = this.config.SHUTDOWN_TIMEOUT_MS;
    const stopped = await stopWithin(timeoutMs, () => this.sessions.stopAll('shutdown'));
    if (!stopped) this.logger.warn('sessions not stopped within the shutdown timeout', { code: IngestCode.shutdownTimeout, timeoutMs });
  }
}
