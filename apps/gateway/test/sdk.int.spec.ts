/**
 * The agent SDK against the real gateway: a gateway restart mid-stream is ridden out on the backoff schedule with no
 * gap and no duplicate; the CLI prints results as JSON lines.
 */
import { AnalysisClient, parseWatchArgs, RECONNECT_SCHEDULE_MS, runWatch } from '@sightline/client';
import { WS_CLOSE } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameAnalyzed, GatewayFixture, until } from './support.js';

describe('agent SDK against the gateway', () => {
  let fixture: GatewayFixture;

  beforeAll(async () => {
    fixture = await GatewayFixture.start();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('reconnects on the backoff schedule after a gateway restart and resumes with no gap and no duplicate', async () => {
    const received: number[] = [];
    const delays: number[] = [];
    const disconnects: number[] = [];
    const client = new AnalysisClient({
      url: fixture.wsUrl,
      getToken: () => fixture.token(['agent']),
      sessions: ['cam-restart'],
      onMessage: (event) => received.push(event.seq),
    });
    client.on('reconnecting', ({ delayMs }) => delays.push(delayMs));
    client.on('disconnected', ({ code }) => disconnects.push(code));
    const subscribed = new Promise((resolve) => client.once('subscribed', resolve));
    client.start();
    await subscribed;

    // Results keep flowing into the stream the whole time, gateway up or not.
    const published: number[] = [];
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        published.push(await fixture.publish(frameAnalyzed('cam-restart', i), `restart-${i}`));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    await until(() => received.length >= 30, 'results before the restart');
    await fixture.stopGateway();
    // Down for longer than the first retry (1 s), so the second delay of the schedule is used too.
    await new Promise((r) => setTimeout(r, 1500));
    await fixture.startGateway();
    await until(() => delays.length >= 2 && client.state === 'open', 'the client to reconnect', 30_000);
    const countAtReconnect = received.length;
    await until(() => received.length >= countAtReconnect + 30, 'results after the restart');
    publishing = false;
    await publisher;
    await until(() => received.length === published.length, 'every published result', 30_000);

    expect(received).toEqual(published); // same seqs, same order: nothing missed, nothing twice
    expect(client.duplicatesDropped).toBe(0);
    expect(disconnects).toEqual([WS_CLOSE.serverShutdown]);
    expect(delays).toEqual(RECONNECT_SCHEDULE_MS.slice(0, delays.length));
    await client.close();
  });

  it('`sightline-agent watch` prints each result as one JSON line', async () => {
    const token = await fixture.token(['agent']);
    const seqs: number[] = [];
    for (let i = 0; i < 3; i++) seqs.push(await fixture.publish(frameAnalyzed('cam-cli', i), `cli-${i}`));
    const command = parseWatchArgs(['watch', 'cam-cli', '--url', fixture.wsUrl, '--from-sequence', String(seqs[0]! - 1), '--limit', '3'], {
      SIGHTLINE_TOKEN: token,
    });
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runWatch(command, {
      stdout: { write: (l: string) => stdout.push(l) },
      stderr: { write: (l: string) => stderr.push(l) },
    });
    expect(code).toBe(0);
    expect(stdout.join('')).toMatch(/^(\{.*\}\n){3}$/);
    const lines = stdout.map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.sessionId, l.event, l.seq, l.payload.frameSeq])).toEqual(
      seqs.map((s, i) => ['cam-cli', 'frameAnalyzed', s, i]),
    );
    expect(stderr.map((l) => JSON.parse(l).status)).toEqual(expect.arrayContaining(['connected', 'subscribed']));
    expect(stderr.join('')).not.toContain(token);
  });
});
