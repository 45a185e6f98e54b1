/**
 * Real peers for the persistence service's end-to-end tests: PostgreSQL, nats-server, a JWKS endpoint, and the
 * built service itself as a child process (so it can be SIGKILLed), fed exactly as the inference service feeds it.
 */
import {
  MESSAGE_IDS,
  STREAMS,
  SUBJECTS,
  deadLetterSchema,
  makeEnvelope,
  parseJson,
  silentLogger,
  type DeadLetter,
  type EventPayloads,
  type ResultEnvelope,
} from '@sightline/contracts';
import { LocalNatsServer, LocalPostgres, ManagedProcess, freePort, makeTempDir, waitUntil } from '@sightline/local-infra';
import { JetStreamPublisher, NatsClient, ensureStreams } from '@sightline/messaging';
import { TokenSigner } from '@sightline/security';
import { startAuthStub, type AuthStub } from '@sightline/security/testing';
import { frameAnalyzedResult } from '@sightline/contracts/testing';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../../..');

/** A frameAnalyzed result as the inference service builds it. */
export function frameResult(sessionId: string, seq: number, detections = 1): ResultEnvelope<'frameAnalyzed'> {
  const captureTime = new Date(Date.parse('2025-06-26T15:04:05Z') + seq * 10);
  return frameAnalyzedResult(sessionId, seq, { detections, captureTime, timestamp: new Date(captureTime.getTime() + 12) });
}

export interface ServiceProcess {
  process: ManagedProcess;
  url: string;
  lines: string[];
}

export class PersistenceHarness {
  readonly publisher: JetStreamPublisher;

  private constructor(
    readonly dir: string,
    readonly pg: LocalPostgres,
    readonly nats: LocalNatsServer,
    readonly client: NatsClient,
    readonly signer: TokenSigner,
    private readonly authStub: AuthStub,
  ) {
    this.publisher = new JetStreamPublisher(client);
  }

  static async start(name: string): Promise<PersistenceHarness> {
    // The service runs from its build, like in production.
    execFileSync('npx', ['tsc', '-b', 'apps/persistence'], { cwd: repoRoot, stdio: 'pipe' });
    const dir = await makeTempDir(name);
    const [pg, nats] = await Promise.all([
      LocalPostgres.start({ dataDir: join(dir, 'pg'), ephemeral: true }),
      LocalNatsServer.start({ dataDir: join(dir, 'nats') }),
    ]);
    const client = await NatsClient.connect({ url: nats.url, name: `${name}-test`, logger: silentLogger });
    await ensureStreams(client.manager);
    const signer = await TokenSigner.generate();
    return new PersistenceHarness(dir, pg, nats, client, signer, await startAuthStub(signer));
  }

  /**
   * Starts the built service; resolves once it logs `readyLine` (by default: once it consumes).
   * `env` overrides the defaults (e.g. a short ack wait).
   */
  async startService(env: Record<string, string> = {}, readyLine = /"consuming results"/): Promise<ServiceProcess> {
    const port = await freePort();
    const lines: string[] = [];
    const process = new ManagedProcess(globalThis.process.execPath, [join(repoRoot, 'apps/persistence/dist/main.js')], {
      name: 'persistence',
      cwd: repoRoot,
      env: {
        PATH: globalThis.process.env.PATH,
        NATS_URL: this.nats.url,
        DATABASE_URL: this.pg.url,
        HTTP_PORT: String(port),
        AUTH_JWKS_URL: this.authStub.jwksUrl,
        PERSIST_RETRY_MAX_MS: '1000',
        ...env,
      },
      onLine: (line) => {
        lines.push(line);
        if (globalThis.process.env.DEBUG_TEST) console.log(line);
      },
    }).start();
    await process.waitForLine(readyLine, 60_000);
    return { process, url: `http://127.0.0.1:${port}`, lines };
  }

  async publish(envelope: ResultEnvelope, seq: number | string): Promise<void> {
    await this.publisher.publishJson(SUBJECTS.result(envelope.sessionId, envelope.event), envelope, {
      msgId: MESSAGE_IDS.result(envelope.sessionId, envelope.event, seq),
    });
  }

  /** Publishes frame results `from`..`to-1` with a bounded number of publishes in flight. */
  async publishFrames(sessionId: string, from: number, to: number, detections = 1): Promise<void> {
    const inFlight = 64;
    for (let start = from; start < to; start += inFlight) {
      const end = Math.min(to, start + inFlight);
      await Promise.all(
        Array.from({ length: end - start }, (_, i) => this.publish(frameResult(sessionId, start + i, detections), start + i)),
      );
    }
  }

  async publishLifecycle<E extends Exclude<keyof EventPayloads, 'frameAnalyzed'>>(
    sessionId: string,
    event: E,
    payload: EventPayloads[E],
    seq: number,
  ): Promise<ResultEnvelope<E>> {
    const envelope = makeEnvelope(sessionId, event, payload);
    await this.publish(envelope, seq);
    return envelope;
  }

  /** One number from SQL. */
  count(sql: string): number {
    return Number(this.pg.psql(sql).trim());
  }

  async consumerState(): Promise<{ pending: number; ackPending: number }> {
    const info = await this.client.manager.consumers.info(STREAMS.results, 'persistence');
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  }

  async deadLetters(): Promise<DeadLetter[]> {
    const { state } = await this.client.manager.streams.info(STREAMS.deadLetters);
    const letters: DeadLetter[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const msg = await this.client.manager.streams.getMessage(STREAMS.deadLetters, { seq });
      letters.push(parseJson(deadLetterSchema, msg.data, 'dead letter'));
    }
    return letters;
  }

  async stop(...services: Array<ServiceProcess | undefined>): Promise<void> {
    for (const service of services) await service?.process.stop('SIGTERM', 10_000);
    await this.client.drain();
    await this.authStub.close();
    await Promise.all([this.pg.stop(), this.nats.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Reads one sample of a metric from the service's Prometheus text (0 when absent). */
export async function metric(service: ServiceProcess, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const line = text.split('\n').find((l) => new RegExp(`^${escaped}\\{[^}]*${labels}[^}]*\\} `).test(l) || l.startsWith(`${name} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** This suite's polling defaults over the shared helper. */
export const until = (predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> =>
  waitUntil(predicate, what, timeoutMs, 100);
