/**
 * AnalysisClient against a scripted WebSocket server on loopback (the real gateway is exercised in
 * apps/gateway/test): reconnect schedule (fake timers), backoff reset, resume cursors, de-duplication, dead-server
 * detection, refused tokens, async iteration.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { AnalysisClient, type AnalysisClientEvents, type AnalysisClientOptions } from './analysis-client.js';
import { RECONNECT_SCHEDULE_MS } from './backoff.js';
import { type AnalysisEvent } from './protocol.js';

/** A stand-in gateway: accepts `json`, records commands, lets the test push frames and drop connections. */
class ScriptedGateway {
  readonly commands: Array<Record<string, unknown>> = [];
  readonly sockets: WebSocket[] = [];
  readonly authorizations: string[] = [];
  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
  ) {}

  static async start(options: { refuseWith?: number; onCommand?: (ws: WebSocket, command: Record<string, unknown>) => void } = {}) {
    const http = createServer();
    const wss = new WebSocketServer({ noServer: true, handleProtocols: () => 'json' });
    const gateway = new ScriptedGateway(http, wss);
    http.on('upgrade', (req, socket, head) => {
      // The client may reset the connection after reading a refusal; like the real gateway, ignore socket errors.
      socket.on('error', () => socket.destroy());
      gateway.authorizations.push(String(req.headers.authorization ?? ''));
      if (options.refuseWith) {
        const body = JSON.stringify({ code: 'TOKEN_EXPIRED', message: 'token expired' });
        socket.end(
          `HTTP/1.1 ${options.refuseWith} Refused\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        gateway.sockets.push(ws);
        ws.on('message', (data) => {
          const command = JSON.parse(String(data)) as Record<string, unknown>;
          gateway.commands.push(command);
          options.onCommand?.(ws, command);
        });
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return gateway;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.http.address() as AddressInfo).port}/ws/analysis`;
  }

  get latest(): WebSocket {
    return this.sockets.at(-1)!;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise((r) => this.wss.close(r));
    this.http.closeAllConnections();
    await new Promise((r) => this.http.close(r));
  }
}

function result(sessionId: string, seq: number): AnalysisEvent {
  return {
    sessionId,
    timestamp: new Date(0).toISOString(),
    event: 'sessionStarted',
    payload: { source: { type: 'file', url: 'x' }, live: false },
    seq,
  };
}

function subscribed(ws: WebSocket, payload: Record<string, unknown>): void {
  ws.send(JSON.stringify({ sessionId: '*', timestamp: new Date(0).toISOString(), event: 'subscribed', payload }));
}

function next<K extends keyof AnalysisClientEvents>(client: AnalysisClient, event: K): Promise<AnalysisClientEvents[K][0]> {
  return new Promise((resolve) => client.once(event, ((arg: AnalysisClientEvents[K][0]) => resolve(arg)) as never));
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track<T extends { close(): Promise<unknown> }>(thing: T): T {
  cleanups.push(() => thing.close());
  return thing;
}

const base = (url: string, extra: Partial<AnalysisClientOptions> = {}): AnalysisClientOptions => ({
  url,
  token: 'tkn',
  sessions: ['cam-1'],
  ...extra,
});

describe('AnalysisClient reconnect schedule', () => {
  it('waits 1, 2, 5, 10, 20, 30, 60, 60 s between attempts while the gateway is unreachable', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const client = track(new AnalysisClient(base(`ws://127.0.0.1:${await unusedPort()}/ws/analysis`)));
    let attempts = 0;
    client.on('connecting', () => attempts++);
    const delays: number[] = [];
    let reconnecting = next(client, 'reconnecting');
    client.start();
    for (const expected of [...RECONNECT_SCHEDULE_MS, 60_000]) {
      const { delayMs } = await reconnecting; // the attempt failed (connection refused: real I/O)
      delays.push(delayMs);
      reconnecting = next(client, 'reconnecting');
      const before = attempts;
      await vi.advanceTimersByTimeAsync(expected - 1);
      expect(attempts).toBe(before); // not a millisecond early
      await vi.advanceTimersByTimeAsync(1);
      expect(attempts).toBe(before + 1);
    }
    expect(delays).toEqual([1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 60_000]);
  });

  it('resets the schedule after a connection that stayed up for stableAfterMs, not after a short one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const gateway = track(await ScriptedGateway.start());
    const client = track(new AnalysisClient(base(gateway.url, { stableAfterMs: 10_000 })));
    const delays: number[] = [];
    client.on('reconnecting', ({ delayMs }) => delays.push(delayMs));

    let connected = next(client, 'connected');
    client.start();
    await connected;
    for (const delay of [1000, 2000]) {
      connected = next(client, 'connected');
      const reconnecting = next(client, 'reconnecting');
      gateway.latest.terminate(); // dropped at once: not stable
      await reconnecting;
      await vi.advanceTimersByTimeAsync(delay);
      await connected;
    }
    await vi.advanceTimersByTimeAsync(10_000); // now it has been up long enough
    const reconnecting = next(client, 'reconnecting');
    gateway.latest.terminate();
    await reconnecting;
    expect(delays).toEqual([1000, 2000, 1000]);
  });
});

describe('AnalysisClient delivery', () => {
  it('resumes every session from its own last seq and drops results at or below it', async () => {
    const gateway = track(
      await ScriptedGateway.start({
        onCommand: (ws, command) => {
          if (command.type !== 'subscribe') return;
          subscribed(ws, { sessions: command.sessions, policy: command.policy, afterSequence: command.fromSequence ?? 10 });
        },
      }),
    );
    const received: number[] = [];
    const client = track(
      new AnalysisClient(base(gateway.url, { sessions: ['a', 'b'], reconnectScheduleMs: [20], onMessage: (m) => received.push(m.seq) })),
    );
    const firstSubscribed = next(client, 'subscribed');
    client.start();
    await firstSubscribed;
    expect(gateway.commands).toEqual([{ type: 'subscribe', sessions: ['a', 'b'], policy: 'every' }]);
    for (const seq of [11, 12, 13]) gateway.latest.send(JSON.stringify(result('a', seq)));
    await vi.waitFor(() => expect(received).toEqual([11, 12, 13]));

    const resubscribed = next(client, 'subscribed');
    gateway.latest.terminate();
    await resubscribed;
    // 'a' resumes after 13; 'b' never got a result and resumes after the sequence its subscription started from.
    expect(gateway.commands.slice(1)).toEqual([
      { type: 'subscribe', sessions: ['a'], policy: 'every', fromSequence: 13 },
      { type: 'subscribe', sessions: ['b'], policy: 'every', fromSequence: 10 },
    ]);
    for (const seq of [12, 13, 14]) gateway.latest.send(JSON.stringify(result('a', seq)));
    gateway.latest.send(JSON.stringify(result('b', 15)));
    await vi.waitFor(() => expect(received).toEqual([11, 12, 13, 14, 15]));
    expect(client.duplicatesDropped).toBe(2);
    expect(client.lastSequence('a')).toBe(14);
    expect(client.lastSequence('b')).toBe(15);
  });

  it("treats 2 × the server's ping interval of silence as a dead server and reconnects", async () => {
    const gateway = track(await ScriptedGateway.start());
    const client = track(new AnalysisClient(base(gateway.url, { serverPingIntervalMs: 100, reconnectScheduleMs: [10] })));
    const connected = next(client, 'connected');
    client.start();
    await connected;
    const disconnected = next(client, 'disconnected');
    const reconnected = next(client, 'connected');
    // The scripted server never pings: the client gives up on it and connects again.
    expect((await disconnected).code).toBe(1006);
    await reconnected;
    expect(gateway.sockets.length).toBe(2);
  });

  it('stops for good when a fixed token is refused, but keeps trying with getToken', async () => {
    const gateway = track(await ScriptedGateway.start({ refuseWith: 401 }));
    const fixed = track(new AnalysisClient(base(gateway.url)));
    const connectError = next(fixed, 'connectError');
    const closed = next(fixed, 'closed');
    const iterator = fixed[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'TOKEN_EXPIRED', status: 401 });
    expect(await connectError).toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
    expect((await closed).error?.status).toBe(401);
    expect(fixed.state).toBe('closed');

    let issued = 0;
    const refreshing = track(
      new AnalysisClient(base(gateway.url, { token: undefined, getToken: () => `fresh-${++issued}`, reconnectScheduleMs: [10] })),
    );
    refreshing.start();
    await vi.waitFor(() => expect(issued).toBeGreaterThanOrEqual(3));
    expect(refreshing.state).not.toBe('closed');
    expect(gateway.authorizations).toContain('Bearer fresh-2');
  });

  it('pauses the socket while the iterator lags maxBufferedEvents behind, also across a reconnect, losing nothing', async () => {
    const gateway = track(
      await ScriptedGateway.start({
        onCommand: (ws, command) => subscribed(ws, { sessions: command.sessions, policy: 'every', afterSequence: 0 }),
      }),
    );
    let received = 0;
    const client = track(
      new AnalysisClient(base(gateway.url, { maxBufferedEvents: 4, reconnectScheduleMs: [10], onMessage: () => received++ })),
    );
    // The socket is private: its pause state is what back-pressure is about.
    const socket = () => (client as unknown as { socket?: WebSocket }).socket;
    const paused = () => socket()?.isPaused;
    const subscribedOnce = next(client, 'subscribed');
    const events = client[Symbol.asyncIterator]();
    await subscribedOnce;
    for (let seq = 1; seq <= 4; seq++) gateway.latest.send(JSON.stringify(result('cam-1', seq)));
    await vi.waitFor(() => expect(received).toBe(4));
    expect(paused()).toBe(true);
    const taken: number[] = [];
    const take = async () => {
      const event = await events.next();
      if (!event.done) taken.push(event.value.seq);
    };
    await take(); // 3 left: above low water (2)
    expect(paused()).toBe(true);

    // The connection drops while the iterator is still behind (a paused socket reads no FIN: the client's liveness
    // timer is what ends it, with terminate()). The new socket flows until the buffer is at high water again.
    const reconnected = next(client, 'subscribed');
    socket()!.terminate();
    await reconnected;
    expect(paused()).toBe(false);
    gateway.latest.send(JSON.stringify(result('cam-1', 5)));
    await vi.waitFor(() => expect(received).toBe(5));
    expect(paused()).toBe(true);
    await take(); // 3 left
    expect(paused()).toBe(true);
    await take(); // 2 left: low water
    expect(paused()).toBe(false);
    while (taken.length < 5) await take();
    expect(taken).toEqual([1, 2, 3, 4, 5]);
  });

  it('yields typed events to for-await, and leaving the loop closes the client', async () => {
    const gateway = track(
      await ScriptedGateway.start({
        onCommand: (ws) => {
          subscribed(ws, { sessions: ['cam-1'], policy: 'latest', afterSequence: 0 });
          for (let seq = 1; seq <= 5; seq++) ws.send(JSON.stringify(result('cam-1', seq)));
        },
      }),
    );
    const client = new AnalysisClient(base(gateway.url, { policy: 'latest', tokenTransport: 'subprotocol' }));
    const seen: number[] = [];
    for await (const event of client) {
      if (event.event === 'sessionStarted') expect(event.payload.source.type).toBe('file'); // narrowed by event
      seen.push(event.seq);
      if (event.seq === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(client.state).toBe('closed');
    expect(gateway.commands[0]).toMatchObject({ policy: 'latest' });
    expect(gateway.authorizations[0]).toBe(''); // the token travelled as a subprotocol, not a header
  });
});
