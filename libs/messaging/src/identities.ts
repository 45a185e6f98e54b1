/**
 * NATS identities: one user per service with only the subjects it needs, and a provisioning user, the only one that
 * may create, change or delete streams. Everything not allowed here is denied by nats-server. Rendered into the
 * nats-server `authorization` block of the local fleet and of compose (deploy/docker/nats/authorization.conf), so the
 * permissions are written once.
 *
 * Each identity receives replies on its own inbox prefix (`_INBOX_<identity>.`): with one shared `_INBOX.>` any
 * service could subscribe to the replies of another, and JetStream pull deliveries are such replies.
 */
import { CONSUMERS, EVENT_NAMES, EVENTS, KV_BUCKETS, STREAMS, SUBJECTS, TRACKING_EVENTS } from '@sightline/contracts';

export const NATS_IDENTITIES = ['provisioner', 'ingest', 'inference', 'persistence', 'gateway', 'tracker'] as const;
export type NatsIdentity = (typeof NATS_IDENTITIES)[number];

export interface NatsPermissions {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[] };
}

/** The reply-subject prefix of an identity's connection (nats.js `inboxPrefix`). */
export const inboxPrefix = (identity: string): string => `_INBOX_${identity}`;

const api = '$JS.API';
/** Creating (or updating) one durable consumer, in every form nats.js and nats-server use. */
const durableCreate = (stream: string, name: string) => [
  `${api}.CONSUMER.CREATE.${stream}.${name}`,
  `${api}.CONSUMER.CREATE.${stream}.${name}.>`,
  `${api}.CONSUMER.DURABLE.CREATE.${stream}.${name}`,
];
/** Pulling from one durable consumer and acknowledging its messages. */
const durablePull = (stream: string, name: string) => [
  ...durableCreate(stream, name),
  `${api}.CONSUMER.INFO.${stream}.${name}`,
  `${api}.CONSUMER.MSG.NEXT.${stream}.${name}`,
  `$JS.ACK.${stream}.${name}.>`,
];
/** Every identity: JetStream account info and stream info (services check that the streams exist). */
const common = [`${api}.INFO`, `${api}.STREAM.INFO.*`];

export function natsPermissions(identity: NatsIdentity): NatsPermissions {
  const replies = { subscribe: { allow: [`${inboxPrefix(identity)}.>`] } };
  switch (identity) {
    case 'provisioner':
      return { publish: { allow: [`${api}.>`] }, ...replies };
    case 'ingest':
      return {
        publish: {
          allow: [
            ...common,
            SUBJECTS.allFrames,
            ...EVENT_NAMES.filter((event) => event !== EVENTS.frameAnalyzed && !(TRACKING_EVENTS as readonly string[]).includes(event)).map(
              (event) => `results.*.${event}`,
            ),
            // Live back-pressure deletes a session's oldest frame not yet delivered to inference (read from the
            // consumer's info, never its messages).
            `${api}.STREAM.MSG.DELETE.${STREAMS.frames}`,
            `${api}.CONSUMER.INFO.${STREAMS.frames}.${CONSUMERS.inference}`,
          ],
        },
        // Replies; the sessions' frameAnalyzed results (a session whose frames get no results is reported); and the
        // inference consumer's terminated deliveries (a frame deleted by back-pressure just after it was delivered).
        subscribe: {
          allow: [
            ...replies.subscribe.allow,
            `results.*.${EVENTS.frameAnalyzed}`,
            `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${STREAMS.frames}.${CONSUMERS.inference}`,
          ],
        },
      };
    case 'inference':
      return {
        publish: {
          allow: [
            ...common,
            `results.*.${EVENTS.frameAnalyzed}`,
            SUBJECTS.deadLetter(STREAMS.frames),
            ...durablePull(STREAMS.frames, CONSUMERS.inference),
          ],
        },
        ...replies,
      };
    case 'persistence':
      return {
        publish: {
          allow: [...common, SUBJECTS.deadLetter(STREAMS.results), ...durablePull(STREAMS.results, CONSUMERS.persistence)],
        },
        ...replies,
      };
    case 'gateway':
      // Ephemeral ordered consumers on RESULTS (generated names), never persistence's durable one.
      return {
        publish: {
          allow: [
            ...common,
            ...['CREATE', 'DELETE', 'INFO', 'MSG.NEXT'].flatMap((op) => [`${api}.CONSUMER.${op}.${STREAMS.results}.>`]),
            `${api}.CONSUMER.CREATE.${STREAMS.results}`,
            `$JS.ACK.${STREAMS.results}.>`,
          ],
          deny: [
            ...['CREATE', 'DELETE', 'INFO', 'MSG.NEXT'].map((op) => `${api}.CONSUMER.${op}.${STREAMS.results}.${CONSUMERS.persistence}`),
            `${api}.CONSUMER.CREATE.${STREAMS.results}.${CONSUMERS.persistence}.>`,
            `${api}.CONSUMER.DURABLE.CREATE.>`,
            `$JS.ACK.${STREAMS.results}.${CONSUMERS.persistence}.>`,
          ],
        },
        ...replies,
      };
    case 'tracker': {
      // Durable consumers on RESULTS named per partition (`tracker`, `tracker-<p>-of-<n>`), never persistence's; the
      // object-level events; and its own state bucket, which it creates on first use.
      const kvStream = `KV_${KV_BUCKETS.trackerState}`;
      return {
        publish: {
          allow: [
            ...common,
            ...TRACKING_EVENTS.map((event) => `results.*.${event}`),
            SUBJECTS.deadLetter(STREAMS.results),
            ...durablePull(STREAMS.results, '*'),
            ...['CREATE', 'UPDATE', 'INFO', 'MSG.GET'].map((op) => `${api}.STREAM.${op}.${kvStream}`),
            `${api}.DIRECT.GET.${kvStream}.>`,
            `$KV.${KV_BUCKETS.trackerState}.>`,
          ],
          deny: durablePull(STREAMS.results, CONSUMERS.persistence),
        },
        ...replies,
      };
    }
  }
}

/**
 * The nats-server `authorization` block for these identities. `password` gives each user's password as it appears in
 * the file: a quoted literal for the local fleet, or `$VARIABLE` (nats-server reads it from its environment) in compose.
 */
export function natsAuthorizationConfig(password: (identity: NatsIdentity) => string): string {
  const users = NATS_IDENTITIES.map((identity) => {
    const permissions = JSON.stringify(natsPermissions(identity));
    return `    { user: "${identity}", password: ${password(identity)}, permissions: ${permissions} }`;
  });
  return ['authorization {', '  users: [', ...users, '  ]', '}', ''].join('\n');
}
