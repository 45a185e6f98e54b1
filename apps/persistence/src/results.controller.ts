/**
 * Query API for agents, operators and admins (any of the three roles), limited to the sessions the token grants
 * (operators and admins: all): stored results by session with time/event filters and keyset pagination, and
 * per-session summaries. Inputs are validated here; every value reaches SQL as a
 * bind parameter in @sightline/db.
 */
import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  ALL_SESSIONS,
  EVENT_NAMES,
  ROLES,
  SightlineError,
  sessionIdSchema,
  sessionResultPageSchema,
  sessionSummaryPageSchema,
  sessionSummarySchema,
  type Principal,
  type SessionResultPage,
  type SessionSummary,
  type SessionSummaryPage,
} from '@sightline/contracts';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, findSessionResults, findSessionSummary, listSessionSummaries } from '@sightline/db';
import { LOGGER, type Logger } from '@sightline/observability';
import { ApiEndpoint } from '@sightline/openapi';
import { assertSessionGranted, CurrentPrincipal, JwtAuthGuard, Roles } from '@sightline/security';
import { parseRequest } from '@sightline/service-kit';
import { CLIENT_QUERY_ERRORS, PersistenceApiErrorCode as Code } from './http-errors.js';
import { DataSource } from 'typeorm';
import { z } from 'zod';

const timestampParam = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value))
  .meta({ description: 'ISO 8601 with offset; results at or after (from) / before (to) this time' });
const pageParams = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  cursor: z.string().min(1).optional().meta({ description: 'nextCursor of the previous page' }),
};
const sessionsQuerySchema = z.object(pageParams);
const resultsQuerySchema = z.object({
  ...pageParams,
  from: timestampParam.optional(),
  to: timestampParam.optional(),
  event: z.enum(EVENT_NAMES).optional(),
});

const ERRORS = {
  400: 'invalid parameter (INVALID_QUERY, INVALID_SESSION_ID, INVALID_CURSOR)',
  401: 'missing, invalid or expired token',
  403: 'lacks the agent, operator or admin role, or was not granted the session (SESSION_FORBIDDEN)',
  503: 'results database unavailable (DB_UNAVAILABLE)',
};
const sessionIdParam = ApiParam({ name: 'sessionId', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } });

@ApiTags('results')
@ApiBearerAuth()
@Controller('sessions')
@UseGuards(JwtAuthGuard)
@Roles(ROLES.agent, ROLES.operator, ROLES.admin)
export class ResultsController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  @ApiEndpoint({
    summary: 'Sessions with stored results, newest first, with their summaries',
    query: sessionsQuerySchema,
    status: 200,
    response: sessionSummaryPageSchema,
    errors: [400, 401, 403, 503],
    errorDescriptions: ERRORS,
  })
  async sessions(@Query() query: unknown, @CurrentPrincipal() principal: Principal): Promise<SessionSummaryPage> {
    const params = parseRequest(sessionsQuerySchema, query, 'query', Code.invalidQuery);
    const sessions = principal.sessions === ALL_SESSIONS ? undefined : principal.sessions;
    return this.run('list sessions', () => listSessionSummaries(this.dataSource, { ...params, sessions }));
  }

  @Get(':sessionId/results')
  @sessionIdParam
  @ApiEndpoint({
    summary: 'A page of one session’s stored results in storage order',
    query: resultsQuerySchema,
    status: 200,
    response: sessionResultPageSchema,
    errors: [400, 401, 403, 503],
    errorDescriptions: ERRORS,
  })
  async results(
    @Param('sessionId') sessionId: string,
    @Query() query: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SessionResultPage> {
    const id = parseRequest(sessionIdSchema, sessionId, 'sessionId', Code.invalidSessionId);
    assertSessionGranted(principal, id);
    const params = parseRequest(resultsQuerySchema, query, 'query', Code.invalidQuery);
    const page = await this.run('find results', () => findSessionResults(this.dataSource, { sessionId: id, ...params }));
    return { sessionId: id, ...page };
  }

  @Get(':sessionId/summary')
  @sessionIdParam
  @ApiEndpoint({
    summary: 'Counts and time span of one session’s stored results',
    status: 200,
    response: sessionSummarySchema,
    errors: [400, 401, 403, 404, 503],
    errorDescriptions: { ...ERRORS, 404: 'no results stored for the session (SESSION_NOT_FOUND)' },
  })
  async summary(@Param('sessionId') sessionId: string, @CurrentPrincipal() principal: Principal): Promise<SessionSummary> {
    const id = parseRequest(sessionIdSchema, sessionId, 'sessionId', Code.invalidSessionId);
    assertSessionGranted(principal, id);
    const summary = await this.run('find summary', () => findSessionSummary(this.dataSource, id));
    if (!summary) throw new SightlineError(Code.sessionNotFound, `no results stored for session ${id}`);
    return summary;
  }

  /** Bad client input → 400 with its code; anything else is the database failing us → 503. */
  private async run<T>(what: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      if (err instanceof SightlineError && CLIENT_QUERY_ERRORS.has(err.code)) throw err;
      this.logger.warn('query failed', { query: what, error: (err as Error).message });
      throw new SightlineError(Code.dbUnavailable, 'results database unavailable, retry later');
    }
  }
}
