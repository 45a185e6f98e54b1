/**
 * The /ws/analysis protocol. Server -> client messages are the envelope of requirements §6.4 plus `seq` (the RESULTS stream
 * sequence, usable as a resume point). Client -> server messages are small JSON commands.
 */
import { z } from 'zod';
import { EVENT_NAMES, type EventName } from './events.js';
import { SharedErrorCode, TokenErrorCode, type ErrorCodeOf } from './errors.js';
import { sessionIdSchema, type ResultEnvelope } from './schemas.js';

export const WS_PATH = '/ws/analysis';
export const WS_SUBPROTOCOL = 'json';

/** Close codes (4000-4999 are application-defined by RFC 6455). */
export const WS_CLOSE = {
  tokenExpired: 4001,
  forbidden: 4003,
  /** The client fell too far behind under the `every` policy: reconnect and resume from the last seq. */
  slowConsumer: 4008,
  tooManyConnections: 4029,
  serverShutdown: 1001,
} as const;

export const DELIVERY_POLICIES = ['every', 'latest'] as const;
export type DeliveryPolicy = (typeof DELIVERY_POLICIES)[number];

export const ALL_SESSIONS = '*';

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('subscribe'),
    sessions: z.union([z.literal(ALL_SESSIONS), z.array(sessionIdSchema).min(1).max(64)]),
    /** Resume after this RESULTS stream sequence (exclusive). */
    fromSequence: z.number().int().nonnegative().optional(),
    /** Or start at this time (inclusive). Without either, delivery starts with new results. */
    fromTime: z.iso.datetime({ offset: true }).optional(),
    policy: z.enum(DELIVERY_POLICIES).default('every'),
    /** Only these events (e.g. the object-level ones); without it, every event. */
    events: z.array(z.enum(EVENT_NAMES)).min(1).max(EVENT_NAMES.length).optional(),
  }),
  z.object({
    type: z.literal('unsubscribe'),
    sessions: z.union([z.literal(ALL_SESSIONS), z.array(sessionIdSchema).min(1).max(64)]),
  }),
]);
export type ClientMessage = z.input<typeof clientMessageSchema>;

export type AnalysisMessage = ResultEnvelope & { seq: number };

/** Control replies use the same envelope shape; `sessionId` is `*` when not about one session. */
export const CONTROL_EVENTS = { subscribed: 'subscribed', unsubscribed: 'unsubscribed', error: 'error' } as const;

// ---- control reply payloads (the gateway writes them, the SDK reads them) ----------------------------------------
export type SessionSelector = string[] | typeof ALL_SESSIONS;

/** Reply to `subscribe`. `afterSequence`: delivery starts with the first result after this stream sequence. */
export interface SubscribedPayload {
  sessions: SessionSelector;
  policy: DeliveryPolicy;
  /** Present when the subscription delivers only these events. */
  events?: EventName[];
  afterSequence?: number;
  fromTime?: string;
}

export interface UnsubscribedPayload {
  sessions: SessionSelector;
}

/** Reply to a command the gateway could not carry out (malformed, conflicting, over a limit, …). */
export interface ErrorPayload {
  code: string;
  message: string;
  context?: Record<string, unknown>;
}

/** Codes of `error` control replies: why the gateway refused a command or stopped a delivery. */
export const WsCommandErrorCode = {
  binaryNotSupported: 'BINARY_NOT_SUPPORTED',
  rateLimited: SharedErrorCode.rateLimited,
  tooManyPendingCommands: 'TOO_MANY_PENDING_COMMANDS',
  sessionForbidden: SharedErrorCode.sessionForbidden,
  subscriptionConflict: 'SUBSCRIPTION_CONFLICT',
  tooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  tooManyReplays: 'TOO_MANY_REPLAYS',
  subscribeFailed: 'SUBSCRIBE_FAILED',
  deliveryStopped: 'DELIVERY_STOPPED',
} as const;
export type WsCommandErrorCode = (typeof WsCommandErrorCode)[keyof typeof WsCommandErrorCode];

/** Codes of a refused WebSocket upgrade (a plain HTTP answer `{code, message}`; no WebSocket is opened). */
export const WsUpgradeRefusalCode = {
  ...TokenErrorCode,
  /** Not the /ws/analysis path. */
  notFound: 'NOT_FOUND',
  shuttingDown: 'SHUTTING_DOWN',
  /** The gateway's connection limit (503) or the per-user one (429). */
  tooManyConnections: 'TOO_MANY_CONNECTIONS',
  tooManyUserConnections: 'TOO_MANY_USER_CONNECTIONS',
  /** The `json` subprotocol was not offered. */
  subprotocolRequired: 'SUBPROTOCOL_REQUIRED',
  /** A token in the query string (it would end up in access logs): refused. */
  tokenInQuery: 'TOKEN_IN_QUERY',
} as const;
export type WsUpgradeRefusalCode = ErrorCodeOf<typeof WsUpgradeRefusalCode>;
