/**
 * What a connection may see and for how long, against a real nats-server: a token's session grants limit
 * subscriptions and `*`; a client that sends no command (written from requirements §6.5 alone) is pushed every session it may
 * see; one user cannot take every connection slot; a revoked token's socket is closed within seconds.
 */
import { WS_CLOSE } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectProbe, frameAnalyzed, GatewayFixture, isProbe, lifecycle, openProbe, until, type Probe } from './support.js';

describe('gateway authorisation on data', () => {
  let fixture: GatewayFixture;
  const open: Probe[] = [];
  const connect = async (token: string) => {
    const probe = await openProbe(fixture.wsUrl, { token });
    open.push(probe);
    return probe;
  };
  /** Publishes a result of `marker-session` and waits until an all-seeing probe got it: everything before it was delivered. */
  async function settle(): Promise<void> {
    const witness = await connect(await fixture.token(['operator']));
    await witness.subscribe({ sessions: ['marker'] });
    await fixture.publish(frameAnalyzed('marker', 1), `marker-${Date.now()}`);
    await until(() => witness.results().length === 1, 'the marker result');
    await witness.close();
  }

  beforeAll(async () => {
    fixture = await GatewayFixture.start({
      GATEWAY_MAX_CONNECTIONS: '32',
      GATEWAY_MAX_CONNECTIONS_PER_USER: '2',
      GATEWAY_MAX_REPLAYS_PER_USER: '2',
    });
  });
  afterAll(async () => {
    await Promise.all(open.map((p) => p.close()));
    await fixture?.close();
  });

  it('refuses subscriptions to sessions the token does not grant, and narrows * to the granted ones', async () => {
    const probe = await connect(await fixture.token(['agent'], 600, 'cam-a-viewer', { sessions: ['cam-a'] }));
    const refused = await probe.subscribe({ sessions: ['cam-a', 'cam-b'] });
    expect(refused).toMatchObject({ event: 'error', payload: { code: 'SESSION_FORBIDDEN', context: { sessions: ['cam-b'] } } });
    expect(await probe.subscribe({ sessions: '*' })).toMatchObject({ event: 'subscribed', payload: { sessions: '*' } });

    await fixture.publish(frameAnalyzed('cam-b', 1), 'b1');
    await fixture.publish(frameAnalyzed('cam-a', 1), 'a1');
    await fixture.publish(lifecycle('cam-b', 'sessionStopped'), 'b-stop');
    await fixture.publish(frameAnalyzed('cam-a', 2), 'a2');
    await until(() => probe.results().length >= 2, 'the granted session’s results');
    await settle();
    expect(probe.results().map((m) => [m.sessionId, m.payload.frameSeq])).toEqual([
      ['cam-a', 1],
      ['cam-a', 2],
    ]);
  });

  it('gives a token without grants (a fresh signup) nothing, not even through *', async () => {
    const probe = await connect(await fixture.token(['agent'], 600, 'newcomer', { sessions: [] }));
    expect(await probe.subscribe({ sessions: '*' })).toMatchObject({ event: 'subscribed' });
    expect(await probe.subscribe({ sessions: ['cam-a'] })).toMatchObject({ event: 'error', payload: { code: 'SESSION_FORBIDDEN' } });
    await fixture.publish(frameAnalyzed('cam-a', 3), 'a3');
    await settle();
    expect(probe.results()).toEqual([]);
  });

  it('pushes every session it may see to a client that sends no command, from the moment it connected', async () => {
    // A spec-only agent: Authorization header, subprotocol json, then it only listens.
    const everything = await connect(await fixture.token(['agent']));
    const onlyA = await connect(await fixture.token(['agent'], 600, 'a-only', { sessions: ['cam-a'] }));
    // Published right after connecting, before the default subscription starts: still delivered.
    await fixture.publish(frameAnalyzed('cam-c', 7), 'c7');
    await fixture.publish(frameAnalyzed('cam-a', 8), 'a8');
    await until(() => everything.results().length === 2 && onlyA.results().length === 1, 'pushed results');
    const [first] = everything.results();
    expect(first).toMatchObject({ sessionId: 'cam-c', event: 'frameAnalyzed', payload: { frameSeq: 7 }, seq: expect.any(Number) });
    expect(Object.keys(first!).sort()).toEqual(['event', 'payload', 'seq', 'sessionId', 'timestamp']);
    expect(onlyA.results().map((m) => m.sessionId)).toEqual(['cam-a']);
    expect(everything.controls('subscribed')[0]).toMatchObject({ payload: { sessions: '*', policy: 'every' } });
  });

  it('never pushes unrequested sessions to a client whose first command picks sessions', async () => {
    const picky = await connect(await fixture.token(['agent']));
    await picky.subscribe({ sessions: ['cam-d'] });
    await fixture.publish(frameAnalyzed('cam-e', 1), 'e1');
    await fixture.publish(frameAnalyzed('cam-d', 1), 'd1');
    await until(() => picky.results().length >= 1, 'the picked session');
    await new Promise((r) => setTimeout(r, 1500)); // past the default subscription's delay
    await fixture.publish(frameAnalyzed('cam-e', 2), 'e2');
    await settle();
    expect(picky.results().map((m) => m.sessionId)).toEqual(['cam-d']);
    expect(picky.controls('subscribed')).toHaveLength(1);
  });

  it('caps the sockets of one user (429) without affecting other users', async () => {
    const token = await fixture.token(['agent'], 600, 'greedy', { userId: 7 });
    const first = await connect(token);
    await connect(token);
    const third = await connectProbe(fixture.wsUrl, { token });
    expect(isProbe(third)).toBe(false);
    expect(third).toMatchObject({ status: 429, body: { code: 'TOO_MANY_USER_CONNECTIONS' } });
    await connect(await fixture.token(['agent'], 600, 'someone-else'));
    const clients = await fixture.metric('sightline_gateway_clients');
    await first.close();
    await until(async () => (await fixture.metric('sightline_gateway_clients')) === clients - 1, 'the first socket gone');
    await connect(token);
  });

  it('runs at most GATEWAY_MAX_REPLAYS_PER_USER replays of one user at once, across its connections', async () => {
    await fixture.publish(frameAnalyzed('replay-1', 1), 'r1-1');
    await fixture.publish(frameAnalyzed('replay-1', 2), 'r1-2');
    const token = await fixture.token(['agent'], 600, 'replayer', { userId: 8 });
    const first = await connect(token);
    const second = await connect(token);
    const tooMany = await first.subscribe({ sessions: ['replay-1', 'replay-2', 'replay-3'], fromSequence: 0 });
    expect(tooMany).toMatchObject({ event: 'error', payload: { code: 'TOO_MANY_REPLAYS' } });
    expect(await first.subscribe({ sessions: ['replay-1', 'replay-2'], fromSequence: 0 })).toMatchObject({ event: 'subscribed' });
    // replay-2 has nothing stored: that replay stays behind the head and keeps its slot.
    await until(() => first.results().length === 2, 'replay-1 caught up');
    // replay-1 reached the head and gave its slot back; a live subscription needs none.
    expect(await second.subscribe({ sessions: ['replay-3'] })).toMatchObject({ event: 'subscribed' });
    expect(await second.subscribe({ sessions: ['replay-5'], fromSequence: 0 })).toMatchObject({ event: 'subscribed' });
    expect(await second.subscribe({ sessions: ['replay-4'], fromSequence: 0 })).toMatchObject({
      event: 'error',
      payload: { code: 'TOO_MANY_REPLAYS' },
    });
    // Ending a connection gives its slots back.
    await first.close();
    await until(
      async () => (await second.subscribe({ sessions: ['replay-4'], fromSequence: 0 })).event === 'subscribed',
      'a freed replay slot',
    );
  });

  it('closes the sockets of a revoked token within seconds (4001) and refuses it at the upgrade', async () => {
    const userId = 9001;
    const token = await fixture.token(['agent'], 600, 'compromised', { userId });
    const survivor = await connect(await fixture.token(['agent'], 600, 'bystander'));
    const probe = await connect(token);
    const revokedAt = Date.now();
    fixture.revocations.push({ userId: String(userId), revokedBefore: new Date(Math.ceil(revokedAt / 1000) * 1000 + 1000).toISOString() });
    // The feed is polled every 2 s; 10 s is the generous bound this suite promises.
    const code = await Promise.race([probe.closed, new Promise((r) => setTimeout(() => r('still open'), 10_000))]);
    expect(code).toBe(WS_CLOSE.tokenExpired);
    expect(probe.closeReason).toMatch(/revoked/);
    expect(await connectProbe(fixture.wsUrl, { token })).toMatchObject({ status: 401, body: { code: 'TOKEN_REVOKED' } });
    expect(survivor.ws.readyState).toBe(survivor.ws.OPEN);
    expect(await fixture.metric('sightline_gateway_disconnects_total', 'reason="token_revoked"')).toBe(1);
  });
});
