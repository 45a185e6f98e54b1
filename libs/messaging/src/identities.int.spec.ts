/**
 * NATS identities against a real nats-server configured with natsAuthorizationConfig: each service can do its job
 * (frames in, results out, results stored and streamed) and nothing else — no stream deletion, no reading of another
 * service's subjects or replies, no forged events. The local fleet and compose run this configuration.
 */
import { randomBytes } from 'node:crypto';
import { CONSUMERS, EVENTS, STREAMS, SUBJECTS, silentLogger } from '@sightline/contracts';
import { LocalNatsServer, makeTempDir } from '@sightline/local-infra';
import { AckPolicy } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsClient } from './connection.js';
import { NATS_IDENTITIES, natsAuthorizationConfig, type NatsIdentity } from './identities.js';
import { JetStreamPublisher } from './publisher.js';
import { CONSUMER_DEFINITIONS, awaitStreams, ensureConsumer, ensureStreams } from './streams.js';

const passwords = Object.fromEntries(NATS_IDENTITIES.map((id) => [id, randomBytes(12).toString('hex')])) as Record<NatsIdentity, string>;

let nats: LocalNatsServer;
const clients: Partial<Record<NatsIdentity, NatsClient>> = {};
const as = (id: NatsIdentity) => clients[id]!;

beforeAll(async () => {
  nats = await LocalNatsServer.start({
    dataDir: await makeTempDir('nats-identities'),
    authorization: natsAuthorizationConfig((id) => JSON.stringify(passwords[id])),
  });
  for (const id of NATS_IDENTITIES) {
    clients[id] = await NatsClient.connect({
      url: nats.url,
      name: `test-${id}`,
      user: id,
      password: passwords[id],
      logger: silentLogger,
      connectTimeoutMs: 5000,
    });
  }
  await ensureStreams(as('provisioner').manager);
});
afterAll(async () => {
  for (const client of Object.values(clients)) await client.drain().catch(() => undefined);
  await nats?.stop();
});

/** Messages a core subscription receives within a short window (none when the server refuses it). */
async function receivedOn(client: NatsClient, subject: string, publish: () => Promise<unknown>): Promise<number> {
  let count = 0;
  // A refused subscription reports the permission violation to its callback as an error, never a message.
  const sub = client.connection.subscribe(subject, { callback: (err) => (err ? undefined : count++) });
  await client.connection.flush();
  await publish();
  await new Promise((r) => setTimeout(r, 300));
  sub.unsubscribe();
  return count;
}

describe('NATS identities', () => {
  it('refuses a client without credentials or with a wrong password', async () => {
    await expect(
      NatsClient.connect({ url: nats.url, name: 'anonymous', logger: silentLogger, connectTimeoutMs: 500 }),
    ).rejects.toMatchObject({
      code: 'NATS_UNAVAILABLE',
    });
    await expect(
      NatsClient.connect({
        url: nats.url,
        name: 'guess',
        user: 'inference',
        password: 'guess',
        logger: silentLogger,
        connectTimeoutMs: 500,
      }),
    ).rejects.toMatchObject({ code: 'NATS_UNAVAILABLE' });
  });

  it('lets every service do its part of the pipeline with its own identity', async () => {
    await awaitStreams(as('gateway').manager, 1000);
    await ensureConsumer(as('inference').manager, CONSUMER_DEFINITIONS.inference());
    await ensureConsumer(as('persistence').manager, CONSUMER_DEFINITIONS.persistence());
    await new JetStreamPublisher(as('ingest')).publish(SUBJECTS.frame('cam-1'), new Uint8Array([1, 2, 3]), { msgId: 'cam-1:0' });
    await new JetStreamPublisher(as('ingest')).publishJson(
      SUBJECTS.result('cam-1', EVENTS.sessionStarted),
      { started: true },
      { msgId: 'cam-1:s:0' },
    );

    const frames = await as('inference').jetstream.consumers.get(STREAMS.frames, CONSUMERS.inference);
    const frame = await frames.next({ expires: 2000 });
    expect([...frame!.data]).toEqual([1, 2, 3]);
    await new JetStreamPublisher(as('inference')).publishJson(
      SUBJECTS.result('cam-1', EVENTS.frameAnalyzed),
      { n: 0 },
      { msgId: 'cam-1:f:0' },
    );
    await frame!.ackAck();

    const stored = await as('persistence').jetstream.consumers.get(STREAMS.results, CONSUMERS.persistence);
    const first = await stored.next({ expires: 2000 });
    const second = await stored.next({ expires: 2000 });
    expect([first?.subject, second?.subject]).toEqual([
      SUBJECTS.result('cam-1', EVENTS.sessionStarted),
      SUBJECTS.result('cam-1', EVENTS.frameAnalyzed),
    ]);
    await Promise.all([first!.ackAck(), second!.ackAck()]);

    const live = await as('gateway').jetstream.consumers.get(STREAMS.results, {
      filterSubjects: SUBJECTS.sessionResults('cam-1'),
      opt_start_seq: 1,
    });
    const streamed = await live.next({ expires: 2000 });
    expect(streamed?.subject).toBe(SUBJECTS.result('cam-1', EVENTS.sessionStarted));
    await live.delete();
  });

  it("lets ingest delete a waiting frame and read the inference consumer's progress, nothing more", async () => {
    const ingest = as('ingest');
    await ensureConsumer(as('inference').manager, CONSUMER_DEFINITIONS.inference());
    const { seq } = await new JetStreamPublisher(ingest).publish(SUBJECTS.frame('cam-9'), new Uint8Array([9]), { msgId: 'cam-9:0' });
    expect((await ingest.manager.consumers.info(STREAMS.frames, CONSUMERS.inference)).delivered.stream_seq).toBeLessThan(seq);
    expect(await ingest.manager.streams.deleteMessage(STREAMS.frames, seq, false)).toBe(true);
    // A frame inference holds, deleted all the same (a delete racing a delivery): ingest hears of it.
    const terminated = `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${STREAMS.frames}.${CONSUMERS.inference}`;
    const held = await new JetStreamPublisher(ingest).publish(SUBJECTS.frame('cam-9'), new Uint8Array([9]), { msgId: 'cam-9:1' });
    const delivery = await (await as('inference').jetstream.consumers.get(STREAMS.frames, CONSUMERS.inference)).next({ expires: 2000 });
    expect(delivery?.seq).toBe(held.seq);
    expect(await receivedOn(ingest, terminated, () => ingest.manager.streams.deleteMessage(STREAMS.frames, held.seq, false))).toBe(1);
    delivery!.ack();
    await expect(ingest.manager.streams.purge(STREAMS.frames)).rejects.toThrow();
    await expect(ingest.manager.streams.deleteMessage(STREAMS.results, 1, false)).rejects.toThrow();
    await expect(ingest.manager.consumers.info(STREAMS.results, CONSUMERS.persistence)).rejects.toThrow();
  });

  it('lets only the provisioning identity delete or change streams', async () => {
    for (const id of ['inference', 'ingest', 'persistence', 'gateway'] as const) {
      await expect(as(id).manager.streams.delete(STREAMS.results), id).rejects.toThrow();
      await expect(as(id).manager.streams.purge(STREAMS.results), id).rejects.toThrow();
      await expect(as(id).manager.streams.update(STREAMS.frames, { max_age: 1 }), id).rejects.toThrow();
    }
    expect((await as('provisioner').manager.streams.info(STREAMS.results)).state.messages).toBe(2);
  });

  it('does not let inference read frames or results other than through its own consumer, nor forge lifecycle events', async () => {
    const inference = as('inference');
    // A core subscription to every frame gets nothing.
    expect(
      await receivedOn(inference, SUBJECTS.allFrames, () =>
        as('ingest')
          .connection.flush()
          .then(() => as('ingest').connection.publish('frames.cam-2', new Uint8Array(1))),
      ),
    ).toBe(0);
    // No consumer of its own on RESULTS or FRAMES, no pull from persistence's.
    await expect(
      inference.manager.consumers.add(STREAMS.frames, { ack_policy: AckPolicy.None, filter_subject: 'frames.cam-1' }),
    ).rejects.toThrow();
    await expect(inference.manager.consumers.add(STREAMS.results, { ack_policy: AckPolicy.None })).rejects.toThrow();
    const theirs = await inference.jetstream.consumers.get(STREAMS.results, CONSUMERS.persistence).catch((err: Error) => err);
    if (!(theirs instanceof Error)) await expect(theirs.next({ expires: 1000 })).rejects.toThrow();
    // Only frameAnalyzed: a forged sessionStopped is refused.
    await expect(
      new JetStreamPublisher(inference).publishJson(SUBJECTS.result('cam-1', EVENTS.sessionStopped), {}, { msgId: 'forged' }),
    ).rejects.toThrow();
  });

  it("keeps each identity out of the others' replies, and the gateway away from persistence's consumer", async () => {
    // JetStream deliveries of the gateway's pulls arrive on its inbox: no other identity may listen there.
    for (const id of ['ingest', 'inference', 'persistence'] as const) {
      expect(
        await receivedOn(as(id), '_INBOX_gateway.>', () =>
          as('provisioner')
            .connection.flush()
            .then(() => as('provisioner').connection.publish('_INBOX_gateway.x', new Uint8Array(1))),
        ),
      ).toBe(0);
    }
    await expect(as('gateway').manager.consumers.delete(STREAMS.results, CONSUMERS.persistence)).rejects.toThrow();
    const stolen = await as('gateway')
      .jetstream.consumers.get(STREAMS.results, CONSUMERS.persistence)
      .catch((err: Error) => err);
    if (!(stolen instanceof Error)) await expect(stolen.next({ expires: 1000 })).rejects.toThrow();
    expect((await as('provisioner').manager.consumers.info(STREAMS.results, CONSUMERS.persistence)).config.durable_name).toBe(
      CONSUMERS.persistence,
    );
  });
});
