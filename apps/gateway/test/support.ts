/**
 * Test fixtures for the gateway: a real nats-server, real EdDSA keys served as JWKS over HTTP, the gateway app
 * in-process on a free port (restartable on the same port), a publisher for RESULTS, and a raw WebSocket probe.
 */
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ALL_SESSIONS,
  makeEnvelope,
  MESSAGE_IDS,
  SUBJECTS,
  WS_PATH,
  WS_SUBPROTOCOL,
  TRACKING_EVENTS,
  type EventPayloads,
  type ResultEnvelope,
  type RevocationFeed,
  silentLogger,
  type SessionScope,
} from '@sightline/contracts';
import { freePort, LocalNatsServer, makeTempDir, waitUntil } from '@sightline/local-infra';
import { JetStreamPublisher, NatsClient, ensureStreams } from '@sightline/messaging';
import { TokenSigner } from '@sightline/security';
import { startAuthStub, type AuthStub } from '@sightline/security/testing';
import { frameAnalyzedResult } from '@sightline/contracts/testing';
import { rmSync } from 'node:fs';
import WebSocket from 'ws';
import { AppModule } from '../src/app.module.js';
import { loadGatewayConfig } from '../src/config.js';

export class GatewayFixture {
  private gateway?: INestApplication;
  readonly port: number;

  private constructor(
    readonly nats: LocalNatsServer,
    private readonly dataDir: string,
    readonly natsClient: NatsClient,
    readonly publisher: JetStreamPublisher,
    readonly signer: TokenSigner,
    private readonly authStub: AuthStub,
    port: number,
    private readonly env: Record<string, string>,
  ) {
    this.port = port;
  }

  get jwksUrl(): string {
    return this.authStub.jwksUrl;
  }

  /** What the fixture's revocation feed serves; push `{userId, revokedBefore}` to revoke. */
  get revocations(): RevocationFeed['revocations'] {
    return this.authStub.revocations;
  }

  static async start(env: Record<string, string> = {}): Promise<GatewayFixture> {
    const dataDir = await makeTempDir('gateway');
    const nats = await LocalNatsServer.start({ dataDir });
    const natsClient = await NatsClient.connect({ url: nats.url, name: 'gateway-test', logger: silentLogger });
    await ensureStreams(natsClient.manager);
    const signer = await TokenSigner.generate();
    // The auth service's two public documents: its keys, and the revocation feed (tests push entries into it).
    const authStub = await startAuthStub(signer);
    const fixture = new GatewayFixture(
      nats,
      dataDir,
      natsClient,
      new JetStreamPublisher(natsClient),
      signer,
      authStub,
      await freePort(),
      env,
    );
    await fixture.startGateway();
    return fixture;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}${WS_PATH}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the gateway app exactly as main.ts does (config from env vars), on this fixture's port. */
  async startGateway(): Promise<void> {
    const config = loadGatewayConfig({
      NATS_URL: this.nats.url,
      AUTH_JWKS_URL: this.jwksUrl,
      HTTP_PORT: String(this.port),
      LOG_LEVEL: 'error',
      ...this.env,
    });
    const app = await NestFactory.create(AppModule.register(config), { logger: false });
    await app.listen(config.HTTP_PORT, '127.0.0.1');
    this.gateway = app;
  }

  async stopGateway(): Promise<void> {
    await this.gateway?.close();
    this.gateway = undefined;
  }

  async close(): Promise<void> {
    await this.stopGateway();
    await this.natsClient.drain();
    await this.authStub.close();
    await this.nats.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private nextUserId = 100;

  /**
   * A token of a new user (unless `userId` is given). `sessions`: the granted sessions; by default every session, so
   * that delivery tests are about delivery (the access tests narrow it).
   */
  async token(
    roles: string[] = ['agent'],
    ttlSeconds = 600,
    username = 'agent-smith',
    options: { sessions?: SessionScope; userId?: number } = {},
  ): Promise<string> {
    const userId = options.userId ?? this.nextUserId++;
    return (await this.signer.sign({ userId, username, roles, sessions: options.sessions ?? ALL_SESSIONS }, ttlSeconds)).token;
  }

  /** Publishes like the inference/ingest services do; resolves with the RESULTS stream sequence. */
  async publish(envelope: ResultEnvelope, id: string | number): Promise<number> {
    const ack = await this.publisher.publishJson(SUBJECTS.result(envelope.sessionId, envelope.event), envelope, {
      msgId: MESSAGE_IDS.result(envelope.sessionId, envelope.event, id),
    });
    return ack.seq;
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.httpUrl}/metrics`)).text();
  }

  /** The value of the first sample of `name` whose labels include every one of `labels` (e.g. `reason="missing"`); 0 if none. */
  async metric(name: string, ...labels: string[]): Promise<number> {
    const line = (await this.metrics())
      .split('\n')
      .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && labels.every((label) => l.includes(label)));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  }
}

// -----------------------------------------------------------------------------------------------------------------
// Results.
// -----------------------------------------------------------------------------------------------------------------

export function frameAnalyzed(
  sessionId: string,
  frameSeq: number,
  detectionCount = 1,
  captureTime = new Date(),
): ResultEnvelope<'frameAnalyzed'> {
  return frameAnalyzedResult(sessionId, frameSeq, { detections: detectionCount, captureTime, timestamp: new Date() });
}

type LifecycleEvent = Exclude<keyof EventPayloads, 'frameAnalyzed' | (typeof TRACKING_EVENTS)[number]>;

export function lifecycle<E extends LifecycleEvent>(sessionId: string, event: E): ResultEnvelope<E> {
  const payloads: { [K in LifecycleEvent]: EventPayloads[K] } = {
    sessionStarted: { source: { type: 'file', url: 'file:///clips/demo.mp4' }, live: false },
    sessionStopped: { reason: 'end of file', framesPublished: 10, framesDropped: 0 },
    sourceError: { code: 'SOURCE_UNREACHABLE', message: 'connection refused', fatal: false },
    sourceReconnecting: { attempt: 1, delayMs: 1000, reason: 'connection lost' },
    sourceRecovered: { attempts: 1, downtimeMs: 1200 },
  };
  return makeEnvelope(sessionId, event, payloads[event] as EventPayloads[E]);
}

// -----------------------------------------------------------------------------------------------------------------
// A raw WebSocket probe (what any agent, not only our SDK, would do).
// -----------------------------------------------------------------------------------------------------------------

export type Refused = { refused: true; status: number; body: { code?: string; message?: string }; opened: false };

export interface ProbeOptions {
  token?: string;
  protocols?: string[];
  headers?: Record<string, string>;
  path?: string;
  autoPong?: boolean;
}

/** Resolves with an open socket (messages collected from the first frame on) or the HTTP refusal. */
export function connectProbe(url: string, options: ProbeOptions = {}): Promise<Probe | Refused> {
  const headers = { ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}), ...options.headers };
  const ws = new WebSocket(options.path ? url.replace(WS_PATH, options.path) : url, options.protocols ?? [WS_SUBPROTOCOL], {
    headers,
    autoPong: options.autoPong ?? true,
  });
  const probe = new Probe(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(probe));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        ws.terminate();
        resolve({ refused: true, status: res.statusCode ?? 0, body: body ? JSON.parse(body) : {}, opened: false });
      });
    });
    ws.once('error', (err) => {
      if (ws.readyState !== WebSocket.CLOSED && ws.readyState !== WebSocket.CLOSING) reject(err);
    });
  });
}

export interface WireMessage {
  sessionId: string;
  timestamp: string;
  event: string;
  payload: Record<string, unknown>;
  seq?: number;
}

export class Probe {
  readonly messages: WireMessage[] = [];
  pings = 0;
  closeCode?: number;
  closeReason?: string;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.messages.push(JSON.parse(String(data)) as WireMessage));
    ws.on('ping', () => this.pings++);
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = String(reason);
        resolve(code);
      }),
    );
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  results(): WireMessage[] {
    return this.messages.filter((m) => typeof m.seq === 'number');
  }

  controls(event?: string): WireMessage[] {
    return this.messages.filter((m) => m.seq === undefined && (event === undefined || m.event === event));
  }

  async subscribe(command: Record<string, unknown>): Promise<WireMessage> {
    const before = this.controls().length;
    this.send({ type: 'subscribe', ...command });
    await until(() => this.controls().length > before, 'a reply to subscribe');
    return this.controls()[before]!;
  }

  close(): Promise<number> {
    this.ws.close();
    return this.closed;
  }
}

export function isProbe(result: Probe | Refused): result is Probe {
  return result instanceof Probe;
}

/** A connection the test expects to be accepted: a refusal fails the test with the gateway's answer. */
export async function openProbe(url: string, options: ProbeOptions = {}): Promise<Probe> {
  const probe = await connectProbe(url, options);
  if (!isProbe(probe)) throw new Error(`refused: ${JSON.stringify(probe)}`);
  return probe;
}

/** This suite's polling defaults over the shared helper. */
export const until = (predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> =>
  waitUntil(predicate, what, timeoutMs, 20);
