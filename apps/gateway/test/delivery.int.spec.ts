/**
 * Delivery over /ws/analysis against a real nats-server: order and envelope, resume points, '*', malformed commands.
 */
import { CONTROL_EVENTS, makeEnvelope } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameAnalyzed, GatewayFixture, lifecycle, openProbe, until, type Probe } from './support.js';

describe('gateway delivery', () => {
  let fixture: GatewayFixture;
  let token: string;

  beforeAll(async () => {
    fixture = await GatewayFixture.start();
    token = await fixture.token(['agent']);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const open = (): Promise<Probe> => openProbe(fixture.wsUrl, { token });

  it('delivers exactly the subscribed session results, in order, as the requirements §6.4 envelope plus seq', async () => {
    const agent = await open();
    const reply = await agent.subscribe({ sessions: ['cam-1'] });
    expect(reply).toMatchObject({ sessionId: '*', event: CONTROL_EVENTS.subscribed, payload: { sessions: ['cam-1'], policy: 'every' } });
    const startAfter = (reply.payload as { afterSequence: number }).afterSequence;
    expect(startAfter).toBeGreaterThanOrEqual(0);

    const published: Array<{ seq: number; envelope: object }> = [];
    const started = lifecycle('cam-1', 'sessionStarted');
    published.push({ seq: await fixture.publish(started, 'happy-start'), envelope: started });
    for (let i = 0; i < 18; i++) {
      const result = frameAnalyzed('cam-1', i, 2);
      published.push({ seq: await fixture.publish(result, `happy-${i}`), envelope: result });
      // Another session's results interleave in the stream; they must not reach this subscriber.
      await fixture.publish(frameAnalyzed('cam-2', i), `happy-other-${i}`);
    }
    const stopped = lifecycle('cam-1', 'sessionStopped');
    published.push({ seq: await fixture.publish(stopped, 'happy-stop'), envelope: stopped });

    await until(() => agent.results().length >= published.length, 'all results');
    await new Promise((r) => setTimeout(r, 200)); // nothing beyond them arrives
    const received = agent.results();
    expect(received).toHaveLength(published.length);
    received.forEach((message, i) => {
      expect(Object.keys(message)).toEqual(['sessionId', 'timestamp', 'event', 'payload', 'seq']);
      expect(message).toEqual({ ...published[i]!.envelope, seq: published[i]!.seq });
      expect(message.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(message.seq).toBeGreaterThan(startAfter);
    });
    expect(await fixture.metric('sightline_gateway_messages_sent_total', 'event="frameAnalyzed"')).toBeGreaterThanOrEqual(18);
    expect(await fixture.metric('sightline_gateway_delivery_latency_seconds_count')).toBeGreaterThanOrEqual(18);
    await agent.close();
  });

  it('delivers only the subscribed event types when the subscription names them', async () => {
    const agent = await open();
    const reply = await agent.subscribe({ sessions: ['ev-1'], events: ['objectAppeared', 'sessionStopped'] });
    expect(reply.payload).toMatchObject({ sessions: ['ev-1'], events: ['objectAppeared', 'sessionStopped'] });
    const at = new Date();
    const box = { x: 1, y: 2, w: 3, h: 4 };
    const appeared = makeEnvelope(
      'ev-1',
      'objectAppeared',
      { trackId: 1, label: 'face', frameSeq: 0, at: at.toISOString(), box, score: 0.9 },
      at,
    );
    await fixture.publish(frameAnalyzed('ev-1', 0), 'ev-frame-0');
    const appearedSeq = await fixture.publish(appeared, 'ev-appeared');
    await fixture.publish(frameAnalyzed('ev-1', 1), 'ev-frame-1');
    const stopped = lifecycle('ev-1', 'sessionStopped');
    const stoppedSeq = await fixture.publish(stopped, 'ev-stop');
    await until(() => agent.results().length >= 2, 'filtered results');
    await new Promise((r) => setTimeout(r, 200)); // nothing else arrives
    expect(agent.results()).toEqual([
      { ...appeared, seq: appearedSeq },
      { ...stopped, seq: stoppedSeq },
    ]);
    expect((await agent.subscribe({ sessions: ['ev-1'], events: ['noSuchEvent'] })).payload).toMatchObject({ code: 'INVALID_MESSAGE' });
    await agent.close();
  });

  it("subscribes to every session with '*', and resumes after fromSequence (exclusive) or at fromTime", async () => {
    const seqs: number[] = [];
    for (let i = 0; i < 6; i++) seqs.push(await fixture.publish(frameAnalyzed(i % 2 ? 'res-a' : 'res-b', i), `resume-${i}`));
    // Stream timestamps are in ns, ours in ms: keep clear of the millisecond the last early result was stored in.
    await new Promise((r) => setTimeout(r, 5));
    const midTime = new Date();
    await new Promise((r) => setTimeout(r, 5));
    const later = frameAnalyzed('res-a', 100);
    seqs.push(await fixture.publish(later, 'resume-later'));

    const all = await open();
    const reply = await all.subscribe({ sessions: '*', fromSequence: seqs[2] });
    expect(reply.payload).toMatchObject({ sessions: '*', afterSequence: seqs[2] });
    await until(() => all.results().length >= 4, "'*' replay");
    expect(all.results().map((m) => m.seq)).toEqual(seqs.slice(3));
    expect(new Set(all.results().map((m) => m.sessionId))).toEqual(new Set(['res-a', 'res-b']));

    const byTime = await open();
    expect((await byTime.subscribe({ sessions: ['res-a'], fromTime: midTime.toISOString() })).payload).toMatchObject({
      fromTime: midTime.toISOString(),
    });
    await until(() => byTime.results().length >= 1, 'fromTime replay');
    expect(byTime.results().map((m) => m.seq)).toEqual([seqs[6]]);
    await Promise.all([all.close(), byTime.close()]);
  });

  it('answers malformed commands with error messages, rate-limits a flood, and keeps the socket open', async () => {
    const agent = await open();
    agent.send('this is not json');
    agent.send({ type: 'subscribe' });
    agent.send({ type: 'subscribe', sessions: ['bad id!'] });
    agent.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await until(() => agent.controls(CONTROL_EVENTS.error).length >= 4, 'four error replies');
    const codes = agent.controls(CONTROL_EVENTS.error).map((m) => (m.payload as { code: string }).code);
    expect(codes).toEqual(['INVALID_MESSAGE', 'INVALID_MESSAGE', 'INVALID_MESSAGE', 'BINARY_NOT_SUPPORTED']);
    expect(agent.controls(CONTROL_EVENTS.error)[2]!.payload.message).toContain('sessions');

    for (let i = 0; i < 200; i++) agent.send(`{"garbage": ${i}`);
    await until(
      async () => (await fixture.metric('sightline_gateway_client_messages_total', 'outcome="rate_limited"')) > 150,
      'rate limiting',
    );
    // The burst allowance is 10 replies (4 used above), refilled at one per second.
    expect(agent.controls(CONTROL_EVENTS.error).length).toBeLessThanOrEqual(4 + 10 + 3);

    // Still connected and still served.
    await agent.subscribe({ sessions: ['after-flood'] });
    const seq = await fixture.publish(frameAnalyzed('after-flood', 1), 'after-flood-1');
    await until(() => agent.results().length === 1, 'a result after the flood');
    expect(agent.results()[0]!.seq).toBe(seq);
    expect(agent.ws.readyState).toBe(agent.ws.OPEN);
    await agent.close();
  });

  it('skips (and counts once) a stream message that is not a valid envelope; subscribers carry on', async () => {
    const [first, second] = [await open(), await open()];
    await first.subscribe({ sessions: ['cam-bad'] });
    await second.subscribe({ sessions: ['cam-bad'] });
    const before = await fixture.metric('sightline_gateway_invalid_results_total');
    await fixture.publisher.publish(
      'results.cam-bad.frameAnalyzed',
      new TextEncoder().encode('{"sessionId":"cam-bad","event":"frameAnalyzed"}'),
    );
    const good = await fixture.publish(frameAnalyzed('cam-bad', 1), 'after-bad');
    await until(() => first.results().length === 1 && second.results().length === 1, 'the valid result');
    expect([first.results()[0]!.seq, second.results()[0]!.seq]).toEqual([good, good]);
    expect((await fixture.metric('sightline_gateway_invalid_results_total')) - before).toBe(1);
    await Promise.all([first.close(), second.close()]);
  });

  it("refuses to pick sessions while subscribed to '*', and unsubscribes", async () => {
    const agent = await open();
    await agent.subscribe({ sessions: '*' });
    const conflict = await agent.subscribe({ sessions: ['cam-9'] });
    expect(conflict).toMatchObject({ event: CONTROL_EVENTS.error, payload: { code: 'SUBSCRIPTION_CONFLICT' } });
    agent.send({ type: 'unsubscribe', sessions: '*' });
    await until(() => agent.controls(CONTROL_EVENTS.unsubscribed).length === 1, 'unsubscribed');
    await fixture.publish(frameAnalyzed('cam-9', 1), 'after-unsubscribe');
    await new Promise((r) => setTimeout(r, 300));
    expect(agent.results()).toHaveLength(0);
    expect(await fixture.metric('sightline_gateway_subscriptions')).toBe(0);
    await agent.close();
  });
});
