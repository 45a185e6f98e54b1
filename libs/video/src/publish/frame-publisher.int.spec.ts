/**
 * Live back-pressure against a real nats-server: FRAMES holds 3 frames a session, the inference consumer exists and
 * holds what it was delivered (unacknowledged). Only frames it was not delivered are deleted to make room, and a
 * deletion counts as purged only when no MSG_TERMINATED advisory says the consumer had the frame already.
 */
import { CONSUMERS, HEADERS, STREAMS, SUBJECTS, type FrameMeta } from '@sightline/contracts';
import { CONSUMER_DEFINITIONS, ensureConsumer } from '@sightline/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngestHarness, type IngestHarness } from '../../test-support/ingest-harness.js';
import { FramePublisher } from './frame-publisher.js';
import { PurgeLedger } from './purge-ledger.js';

const BACKLOG = 3;

function meta(sessionId: string, seq: number): FrameMeta {
  return {
    sessionId,
    seq,
    pts: seq / 30,
    captureTime: Date.now(),
    publishedAt: 0,
    live: true,
    source: { width: 2, height: 2 },
    frame: { width: 2, height: 2, pixelFormat: 'rgb24' },
    letterbox: { scale: 1, padX: 0, padY: 0 },
  };
}

let harness: IngestHarness;
beforeAll(async () => {
  harness = await startIngestHarness({ limits: { framesPerSession: BACKLOG } });
  await ensureConsumer(harness.client.manager, CONSUMER_DEFINITIONS.inference());
});
afterAll(async () => {
  await harness?.close();
});

describe('FramePublisher live back-pressure', () => {
  it('deletes the oldest frame inference was not delivered, never one it holds, and counts it purged', async () => {
    const purged = new Map<string, number>();
    const publisher = new FramePublisher(harness.client, harness.publisher, undefined, {}, (sessionId, count) =>
      purged.set(sessionId, (purged.get(sessionId) ?? 0) + count),
    );
    const pixels = new Uint8Array(12);
    for (let seq = 0; seq < BACKLOG; seq++)
      expect(await publisher.publish(pixels, meta('bp', seq), 'live')).toMatchObject({ published: true, evicted: 0 });
    // Inference takes the oldest frame and is still working on it.
    const consumer = await harness.client.jetstream.consumers.get(STREAMS.frames, CONSUMERS.inference);
    const held = await consumer.next({ expires: 2000 });
    expect(JSON.parse(held!.headers!.get(HEADERS.frameMeta)).seq).toBe(0);

    expect(await publisher.publish(pixels, meta('bp', 3), 'live')).toMatchObject({ published: true, evicted: 1 });
    await publisher.settlePurges();
    expect(purged.get('bp')).toBe(1);
    // Frame 1 (waiting) was deleted; frame 0 (held) stays for its ack, frames 2 and 3 wait.
    const left: number[] = [];
    for (let i = 0; i < 3; i++) {
      const next = await consumer.next({ expires: 1000 });
      if (next) left.push(JSON.parse(next.headers!.get(HEADERS.frameMeta)).seq);
      next?.ack();
    }
    held!.ack();
    expect(left).toEqual([2, 3]);
    publisher.close();
  });

  it('does not count a deleted frame the consumer had been delivered (the advisory says it was taken)', async () => {
    const purged: Array<[string, number]> = [];
    const ledger = new PurgeLedger(harness.client.connection, (sessionId, count) => purged.push([sessionId, count]), 100);
    const delivered = await harness.publisher.publish(SUBJECTS.frame('adv'), new Uint8Array(1), { msgId: 'adv:0' });
    const waiting = await harness.publisher.publish(SUBJECTS.frame('adv'), new Uint8Array(1), { msgId: 'adv:1' });
    const consumer = await harness.client.jetstream.consumers.get(STREAMS.frames, CONSUMERS.inference);
    const held = await consumer.next({ expires: 2000 });
    expect(held!.seq).toBe(delivered.seq);
    // Both deleted, as a delete racing a delivery would: only the one never delivered is purged.
    for (const { seq } of [delivered, waiting]) {
      expect(await harness.client.manager.streams.deleteMessage(STREAMS.frames, seq, false)).toBe(true);
      ledger.deleted('adv', seq);
    }
    await ledger.settle(true);
    expect(purged).toEqual([['adv', 1]]);
    // The advisory can come before the deletion is noted (sent ahead of the delete's reply): still taken, not purged.
    const early = await harness.publisher.publish(SUBJECTS.frame('adv'), new Uint8Array(1), { msgId: 'adv:2' });
    const heldEarly = await consumer.next({ expires: 2000 });
    expect(heldEarly!.seq).toBe(early.seq);
    await harness.client.manager.streams.deleteMessage(STREAMS.frames, early.seq, false);
    await harness.client.connection.flush();
    await new Promise((r) => setTimeout(r, 100));
    ledger.deleted('adv', early.seq);
    await ledger.settle(true);
    expect(purged).toEqual([['adv', 1]]);
    heldEarly!.ack();
    held!.ack();
    ledger.close();
  });
});
