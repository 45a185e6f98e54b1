/**
 * Back-pressure: a client that stops reading (socket paused: the kernel buffers fill, then the gateway's) must not
 * hold up other clients, must not grow the gateway's memory past its send-buffer limit, and is handled by policy:
 * `every` → closed with 4008 (it resumes from its last seq), `latest` → superseded frameAnalyzed skipped.
 */
import { CONTROL_EVENTS, WS_CLOSE } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameAnalyzed, GatewayFixture, lifecycle, openProbe, until, type Probe } from './support.js';

const SEND_BUFFER_BYTES = 256 * 1024;
/** ~20 KB per result: a few hundred of them overflow the loopback socket buffers and then the gateway's limit. */
const DETECTIONS_PER_RESULT = 100;
const RESULTS = 400;

describe('gateway back-pressure', () => {
  let fixture: GatewayFixture;
  let token: string;

  beforeAll(async () => {
    fixture = await GatewayFixture.start({ GATEWAY_SEND_BUFFER_BYTES: String(SEND_BUFFER_BYTES) });
    token = await fixture.token(['agent']);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const open = (): Promise<Probe> => openProbe(fixture.wsUrl, { token });

  /** Histogram buckets of bytes held per client: every sample must lie within limit + one message (≤ 1 MiB bucket). */
  async function bufferSamples(): Promise<{ underLimitPlusMessage: number; underSmall: number; total: number }> {
    return {
      underSmall: await fixture.metric('sightline_gateway_send_buffer_bytes_bucket', 'le="65536"'),
      underLimitPlusMessage: await fixture.metric('sightline_gateway_send_buffer_bytes_bucket', 'le="1048576"'),
      total: await fixture.metric('sightline_gateway_send_buffer_bytes_count'),
    };
  }

  it('closes a stalled `every` client with 4008 once its buffer is full; it resumes from its last seq; others get everything', async () => {
    const fast = await open();
    const slow = await open();
    await fast.subscribe({ sessions: ['bp-every'] });
    await slow.subscribe({ sessions: ['bp-every'] });
    slow.ws.pause();

    const seqs: number[] = [];
    for (let i = 0; i < RESULTS; i++) seqs.push(await fixture.publish(frameAnalyzed('bp-every', i, DETECTIONS_PER_RESULT), `every-${i}`));

    // The fast client is not held back by the stalled one: it has everything while the slow one still sleeps.
    await until(() => fast.results().length === seqs.length, 'the fast client to receive everything');
    expect(fast.results().map((m) => m.seq)).toEqual(seqs);
    await until(
      async () => (await fixture.metric('sightline_gateway_dropped_messages_total', 'policy="every"')) > 0,
      'the slow client to be cut off',
    );

    // Once it reads again it finds a gap-free prefix, then the close frame telling it to resume.
    slow.ws.resume();
    expect(await slow.closed).toBe(WS_CLOSE.slowConsumer);
    const got = slow.results().map((m) => m.seq!);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(seqs.length);
    expect(got).toEqual(seqs.slice(0, got.length));

    const resumed = await open();
    await resumed.subscribe({ sessions: ['bp-every'], fromSequence: got.at(-1) });
    await until(() => resumed.results().length === seqs.length - got.length, 'the resumed client to catch up');
    expect([...got, ...resumed.results().map((m) => m.seq!)]).toEqual(seqs);

    const samples = await bufferSamples();
    expect(samples.underSmall).toBeLessThan(samples.total); // the buffer really filled up
    expect(samples.underLimitPlusMessage).toBe(samples.total); // …and never beyond limit + one message
    expect(await fixture.metric('sightline_gateway_disconnects_total', 'reason="slow_consumer"')).toBe(1);
    expect(fast.ws.readyState).toBe(fast.ws.OPEN);
    await Promise.all([fast.close(), resumed.close()]);
  });

  it('skips superseded frameAnalyzed for a stalled `latest` client but never a lifecycle event', async () => {
    const fast = await open();
    const slow = await open();
    await fast.subscribe({ sessions: ['bp-latest'] });
    await slow.subscribe({ sessions: ['bp-latest'], policy: 'latest' });
    slow.ws.pause();
    const droppedBefore = await fixture.metric('sightline_gateway_dropped_messages_total', 'policy="latest"');

    const published: Array<{ seq: number; event: string }> = [];
    const publish = async (envelope: Parameters<GatewayFixture['publish']>[0], id: string) =>
      published.push({ seq: await fixture.publish(envelope, id), event: envelope.event });
    await publish(lifecycle('bp-latest', 'sessionStarted'), 'latest-start');
    for (let i = 0; i < RESULTS; i++) {
      if (i === RESULTS / 2) await publish(lifecycle('bp-latest', 'sourceReconnecting'), 'latest-reconnecting');
      if (i === RESULTS / 2 + 1) await publish(lifecycle('bp-latest', 'sourceRecovered'), 'latest-recovered');
      await publish(frameAnalyzed('bp-latest', i, DETECTIONS_PER_RESULT), `latest-${i}`);
    }
    await publish(lifecycle('bp-latest', 'sessionStopped'), 'latest-stop');

    await until(() => fast.results().length === published.length, 'the fast client to receive everything');
    expect(fast.results().map((m) => m.seq)).toEqual(published.map((p) => p.seq));

    slow.ws.resume();
    await until(() => slow.results().some((m) => m.event === 'sessionStopped'), 'the slow client to reach sessionStopped');
    const got = slow.results();
    const lifecycleSeqs = published.filter((p) => p.event !== 'frameAnalyzed').map((p) => p.seq);
    expect(got.filter((m) => m.event !== 'frameAnalyzed').map((m) => m.seq)).toEqual(lifecycleSeqs);
    const frames = got.filter((m) => m.event === 'frameAnalyzed');
    expect(frames.length).toBeLessThan(RESULTS);
    expect(frames.at(-1)!.payload.frameSeq).toBe(RESULTS - 1); // the newest one is always delivered
    const seqOrder = got.map((m) => m.seq!);
    expect(seqOrder).toEqual([...seqOrder].sort((a, b) => a - b));

    const dropped = (await fixture.metric('sightline_gateway_dropped_messages_total', 'policy="latest"')) - droppedBefore;
    expect(dropped).toBe(RESULTS - frames.length);
    const samples = await bufferSamples();
    expect(samples.underLimitPlusMessage).toBe(samples.total);
    expect(slow.ws.readyState).toBe(slow.ws.OPEN);
    expect(slow.controls(CONTROL_EVENTS.error)).toHaveLength(0);
    await Promise.all([fast.close(), slow.close()]);
  });
});
