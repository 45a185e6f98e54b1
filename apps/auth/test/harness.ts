/**
 * Real peers for the auth service's integration tests: a PostgreSQL cluster per test file and the Nest application
 * in-process, wired exactly as main.ts wires it (AppModule + configureHttp), listening on a free port. Log lines are
 * captured (after the production redaction format) so tests can assert that no secret is ever logged.
 */
import 'reflect-metadata';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LocalPostgres, makeTempDir } from '@sightline/local-infra';
import { createLogger } from '@sightline/observability';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { AppModule } from '../src/app.module.js';
import { type OutboxMail } from '@sightline/identity';
import { loadAuthConfig, type AuthConfig } from '../src/config.js';
import { configureHttp } from '../src/http.js';

export const ADMIN = { username: 'root-admin', email: 'admin@sightline.test', password: 'bootstrap admin secret 1' };

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export class AuthApp {
  private constructor(
    readonly app: INestApplication,
    readonly url: string,
    readonly config: AuthConfig,
    readonly logLines: string[],
  ) {}

  /** Starts the service against `databaseUrl`; `env` overrides the test defaults (bootstrap admin, outbox, key file). */
  static async start(dir: string, databaseUrl: string, env: Record<string, string> = {}): Promise<AuthApp> {
    const config = loadAuthConfig({
      DATABASE_URL: databaseUrl,
      AUTH_SIGNING_KEY_FILE: join(dir, 'keys', 'signing-key.pem'),
      MAIL_OUTBOX_DIR: join(dir, 'outbox'),
      AUTH_BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
      AUTH_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      AUTH_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      // Generous by default so functional tests never trip them; the rate-limit tests set their own.
      RATE_LIMIT_LOGIN_PER_IP: '1000',
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000',
      RATE_LIMIT_RESET_PER_IP: '1000',
      RATE_LIMIT_MAILS_PER_ADDRESS_PER_HOUR: '1000',
      RATE_LIMIT_SIGNUP_PER_IP: '1000',
      ...env,
    });
    const logLines: string[] = [];
    const logger = createLogger('auth', 'debug');
    logger.clear().add(
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk, _encoding, done) {
            logLines.push(...String(chunk).split('\n').filter(Boolean));
            done();
          },
        }),
      }),
    );
    const app = await NestFactory.create(AppModule.register(config, logger), { logger: false });
    configureHttp(app, config);
    await app.listen(0, '127.0.0.1');
    return new AuthApp(app, (await app.getUrl()).replace('[::1]', '127.0.0.1'), config, logLines);
  }

  async stop(): Promise<void> {
    await this.app.close();
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: {
      token?: string;
      json?: unknown;
      form?: Record<string, string>;
      raw?: string;
      contentType?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.raw !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      body = options.raw;
    }
    const response = await fetch(`${this.url}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** OAuth2 password grant; returns the access token (and fails the test on anything but 200). */
  async login(username: string, password: string): Promise<string> {
    const reply = await this.request<{ access_token: string }>('POST', '/login', { form: { grant_type: 'password', username, password } });
    if (reply.status !== 200) throw new Error(`login of ${username} failed: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.access_token;
  }

  /** POST /signup as a client sends it (202 whatever happens; the outcome is mailed). */
  requestSignup(username: string, password: string, email = `${username}@example.com`): Promise<Reply> {
    return this.request('POST', '/signup', { json: { username, email, password } });
  }

  /**
   * A whole signup: the request, then the link of the verification mail it sends. Returns the verification reply
   * (200 with the account), or the signup reply when that was not a 202.
   */
  async signup(username: string, password: string, email = `${username}@example.com`): Promise<Reply> {
    const address = email.trim().toLowerCase();
    const before = this.outbox(address).length;
    const requested = await this.requestSignup(username, password, email);
    if (requested.status !== 202) return requested;
    const mail = await until(() => this.outbox(address)[before], `the signup mail to ${address}`);
    const token = verificationToken(mail);
    if (!token) throw new Error(`signup of ${username}: no verification link in "${mail.subject}"`);
    return this.request('POST', '/signup/verify', { json: { token } });
  }

  /** Mails written to the development outbox for `address`, oldest first. */
  outbox(address: string): OutboxMail[] {
    let files: string[];
    try {
      files = readdirSync(this.config.MAIL_OUTBOX_DIR).sort();
    } catch {
      return [];
    }
    return files
      .flatMap((f) => {
        try {
          return [JSON.parse(readFileSync(join(this.config.MAIL_OUTBOX_DIR, f), 'utf8')) as OutboxMail];
        } catch {
          return []; // still being written: read on the next poll
        }
      })
      .filter((m) => m.to.includes(address));
  }

  /** A counter or histogram-count value from /metrics. */
  async metric(name: string, labels: Record<string, string>): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    return line ? Number(line.split(' ').pop()) : 0;
  }
}

/** The token of a signup verification mail's link (`…#/verify/<token>`), if it is one. */
export function verificationToken(mail: OutboxMail): string | undefined {
  return mail.text.match(/#\/verify\/([A-Za-z0-9_-]{43})$/m)?.[1];
}

export async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One PostgreSQL cluster for a test file; `stop` removes its data. */
export async function startDatabase(name: string): Promise<{ pg: LocalPostgres; dir: string; stop: () => Promise<void> }> {
  const dir = await makeTempDir(name);
  const pg = await LocalPostgres.start({ dataDir: join(dir, 'pg'), ephemeral: true });
  return {
    pg,
    dir,
    stop: async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
