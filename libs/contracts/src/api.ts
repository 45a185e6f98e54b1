/**
 * Response bodies of the REST APIs that more than one party reads (the services that answer, the web console, agents).
 * Defined once here, as zod schemas: the TypeScript types are inferred from them and the services' OpenAPI documents
 * are generated from them, so the types, the documents and what the services return are one definition.
 */
import { z } from 'zod';
import { countingLineSchema, zoneSchema } from './schemas.js';

const dateTime = () => z.string().meta({ format: 'date-time' });
const cursor = () => z.string().nullable().meta({ description: 'present when more rows may follow; pass it back as `cursor`' });

// ---- errors (every service's HTTP edge, libs/service-kit) ------------------------------------------------------
/** The one error body every service answers with. */
export const errorBodySchema = z.object({
  code: z.string().meta({ description: 'stable machine-readable code (listed in the service docs)' }),
  message: z.string(),
  statusCode: z.number().int(),
  fieldErrors: z.record(z.string(), z.array(z.string())).optional().meta({ description: 'invalid input: messages by field' }),
  retryAfterSeconds: z.number().int().optional().meta({ description: 'also sent as the Retry-After header' }),
});
export type ErrorBody = z.infer<typeof errorBodySchema> & Record<string, unknown>;

// ---- persistence query API (docs/persistence.md) ---------------------------------------------------------------
/** One row of `analysis_results`, as the query API returns it. */
export const storedResultSchema = z.object({
  id: z.number().int(),
  sessionId: z.string(),
  timestamp: dateTime(),
  event: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
export type StoredResult = z.infer<typeof storedResultSchema>;

export const resultPageSchema = z.object({ results: z.array(storedResultSchema), nextCursor: cursor() });
export type ResultPage = z.infer<typeof resultPageSchema>;

/** `GET /sessions/:id/results`: a page of one session's results. */
export const sessionResultPageSchema = resultPageSchema.extend({ sessionId: z.string() });
export type SessionResultPage = z.infer<typeof sessionResultPageSchema>;

export const sessionSummarySchema = z.object({
  sessionId: z.string(),
  firstTimestamp: dateTime(),
  lastTimestamp: dateTime(),
  resultCount: z.number().int(),
  frameCount: z.number().int(),
  detectionCount: z.number().int(),
});
export type SessionSummary = z.infer<typeof sessionSummarySchema>;

export const sessionSummaryPageSchema = z.object({ sessions: z.array(sessionSummarySchema), nextCursor: cursor() });
export type SessionSummaryPage = z.infer<typeof sessionSummaryPageSchema>;

/** `GET|PUT /sessions/:id/zones`: the session's zones and counting lines as stored (the tracker uses them). */
export const sessionZonesViewSchema = z.object({
  sessionId: z.string(),
  zones: z.array(zoneSchema),
  lines: z.array(countingLineSchema),
  updatedAt: dateTime(),
});
export type SessionZonesView = z.infer<typeof sessionZonesViewSchema>;

// ---- auth admin API (docs/auth.md) -----------------------------------------------------------------------------
/** A user as the API returns it: never the password hash. */
export const userViewSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  roles: z.array(z.string()),
  createdAt: dateTime(),
});
export type UserView = z.infer<typeof userViewSchema>;

export const userPageSchema = z.object({
  items: z.array(userViewSchema),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});
export type UserPage = z.infer<typeof userPageSchema>;

export const roleViewSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  userCount: z.number().int(),
  protected: z.boolean().meta({ description: 'seeded (admin, operator, agent) or the signup default: cannot be deleted' }),
});
export type RoleView = z.infer<typeof roleViewSchema>;

/** `GET /token-revocations`: per user, tokens issued before `revokedBefore` are revoked (polled by every verifier). */
export const revocationFeedSchema = z.object({
  revocations: z.array(
    z.object({
      userId: z.string(),
      revokedBefore: z.iso.datetime({ offset: true }),
    }),
  ),
});
export type RevocationFeed = z.infer<typeof revocationFeedSchema>;

/** A user's session grants (admin API): session ids, or `*` for every session. */
export const sessionGrantsSchema = z.object({
  userId: z.number().int(),
  sessions: z.array(z.string()).meta({ description: 'granted session ids; `*` = every session' }),
});
export type SessionGrants = z.infer<typeof sessionGrantsSchema>;
