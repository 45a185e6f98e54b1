/**
 * A connection's command handling with a fake socket and a NATS whose consumer creation never answers (so subscribe
 * commands stay pending): the command rate limit, the bound on pending commands, and the default subscription that a
 * first command cancels; keep-alive and token expiry. The subscription rules are SubscriptionSet's (its own spec);
 * delivery itself is covered against a real nats-server in apps/gateway/test.
 */
import { silentLogger, WS_CLOSE, type Principal } from '@sightline/contracts';
import { type NatsClient } from '@sightline/messaging';
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type WebSocket } from 'ws';
import { AnalysisConnection, MAX_PENDING_COMMANDS, type ConnectionSettings } from './connection.js';
import { GatewayMetrics } from './metrics.js';
import { ResultDecoder } from './result-decoder.js';

class FakeSocket extends EventEmitter {
  bufferedAmount = 0;
  readonly sent: { event: string; payload: { code?: string } }[] = [];
  send(data: string, done?: (err?: Error) => void): void {
    this.sent.push(JSON.parse(data));
    done?.();
  }
  pings = 0;
  closedWith?: { code: number; reason: string };
  terminated = false;
  ping(): void {
    this.pings++;
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
  }
  terminate(): void {
    this.terminated = true;
  }
  command(value: unknown): void {
    this.emit('message', Buffer.from(JSON.stringify(value)), false);
  }
  errors(): (string | undefined)[] {
    return this.sent.filter((m) => m.event === 'error').map((m) => m.payload.code);
  }
}

const principal: Principal = { userId: '1', username: 'ada', roles: ['agent'], sessions: ['cam-1'], issuedAt: 0, expiresAt: 2 ** 31 };

function connect(settings: Partial<ConnectionSettings> = {}, who: Principal = principal) {
  const socket = new FakeSocket();
  const streamInfo = vi.fn(async () => ({ state: { last_seq: 41 } }));
  const createConsumer = vi.fn(() => new Promise(() => undefined));
  const nats = { manager: { streams: { info: streamInfo } }, jetstream: { consumers: { get: createConsumer } } } as unknown as NatsClient;
  const connection = new AnalysisConnection(socket as unknown as WebSocket, who, {
    nats,
    decoder: new ResultDecoder(() => undefined),
    logger: silentLogger,
    metrics: new GatewayMetrics(new Registry(), () => []),
    settings: { sendBufferBytes: 1 << 20, maxSubscriptions: 64, ...settings },
    connectedAfterSequence: 41,
    onClosed: () => undefined,
  });
  return { socket, connection, createConsumer };
}

describe('client commands', () => {
  afterEach(() => vi.useRealTimers());

  it('refuses commands beyond the per-minute budget with RATE_LIMITED, and admits again as it refills', () => {
    vi.useFakeTimers();
    const { socket } = connect({ commandsPerMinute: 3 });
    for (let i = 0; i < 5; i++) socket.command({ type: 'unsubscribe', sessions: ['cam-1'] });
    expect(socket.errors()).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    vi.advanceTimersByTime(20_000); // one command's worth at 3 per minute
    socket.command({ type: 'unsubscribe', sessions: ['cam-1'] });
    socket.command({ type: 'unsubscribe', sessions: ['cam-1'] });
    expect(socket.errors()).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
  });

  it(`keeps at most ${MAX_PENDING_COMMANDS} commands waiting; more are refused, not queued`, async () => {
    const { socket } = connect({ commandsPerMinute: 100 });
    for (let i = 0; i < MAX_PENDING_COMMANDS + 3; i++) socket.command({ type: 'subscribe', sessions: ['cam-1'] });
    expect(socket.errors()).toEqual(Array(3).fill('TOO_MANY_PENDING_COMMANDS'));
  });

  it('refuses sessions the token does not grant, whether or not they exist', async () => {
    const { socket } = connect();
    socket.command({ type: 'subscribe', sessions: ['cam-1', 'cam-2'] });
    await vi.waitFor(() => expect(socket.errors()).toEqual(['SESSION_FORBIDDEN']));
    expect(socket.sent[0]!.payload).toMatchObject({ context: { sessions: ['cam-2'] } });
  });

  it('subscribes a silent client to everything it may see after the delay; a first command cancels that', async () => {
    vi.useFakeTimers();
    const silent = connect({ defaultSubscriptionDelayMs: 500 });
    const talking = connect({ defaultSubscriptionDelayMs: 500 });
    talking.socket.command({ type: 'unsubscribe', sessions: '*' });
    await vi.advanceTimersByTimeAsync(499);
    expect(silent.createConsumer).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    // Every session it may see, from the stream position of the moment it connected.
    expect(silent.createConsumer).toHaveBeenCalledTimes(1);
    expect(silent.createConsumer.mock.calls[0]).toEqual([
      'RESULTS',
      expect.objectContaining({ filterSubjects: 'results.>', opt_start_seq: 42 }),
    ]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(talking.createConsumer).not.toHaveBeenCalled();
    expect(talking.socket.sent.map((m) => m.event)).toEqual(['unsubscribed']);
  });
});

describe('keep-alive and token expiry', () => {
  afterEach(() => vi.useRealTimers());

  it('pings on each heartbeat and terminates a client that did not answer the previous ping', () => {
    const answering = connect();
    answering.connection.heartbeat();
    answering.socket.emit('pong');
    answering.connection.heartbeat();
    expect(answering.socket.pings).toBe(2);
    expect(answering.socket.terminated).toBe(false);

    const silent = connect();
    silent.connection.heartbeat();
    silent.connection.heartbeat();
    expect(silent.socket.pings).toBe(1);
    expect(silent.socket.terminated).toBe(true);
  });

  it("closes with tokenExpired when the token's exp passes, and at once for a token already expired", () => {
    vi.useFakeTimers({ now: 1_750_000_000_000 });
    const nowS = 1_750_000_000;
    const { socket } = connect({}, { ...principal, expiresAt: nowS + 60 });
    vi.advanceTimersByTime(59_999);
    expect(socket.closedWith).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(socket.closedWith).toEqual({ code: WS_CLOSE.tokenExpired, reason: 'token expired: reconnect with a fresh token' });

    const expired = connect({}, { ...principal, expiresAt: nowS - 1 });
    expect(expired.socket.closedWith?.code).toBe(WS_CLOSE.tokenExpired);
  });
});
