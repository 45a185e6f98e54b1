/**
 * Zones and counting lines per session, in source pixels: read by anyone who may read the session's results, changed
 * by operators and admins granted the session. Stored in PostgreSQL (`session_zones`); the tracker re-reads a session's zones every few seconds, so a
 * change applies to live tracking without a restart.
 */
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  ROLES,
  SightlineError,
  sessionIdSchema,
  sessionZonesSchema,
  sessionZonesViewSchema,
  type Principal,
  type SessionZonesView,
} from '@sightline/contracts';
import { deleteSessionZones, findSessionZones, saveSessionZones } from '@sightline/db';
import { LOGGER, type Logger } from '@sightline/observability';
import { ApiEndpoint } from '@sightline/openapi';
import { CurrentPrincipal, JwtAuthGuard, Roles, assertSessionGranted } from '@sightline/security';
import { parseRequest } from '@sightline/service-kit';
import { PersistenceApiErrorCode as Code } from './http-errors.js';
import { DataSource } from 'typeorm';

const ERRORS = {
  400: 'invalid session id or zones (INVALID_SESSION_ID, INVALID_ZONES: names the failing field, e.g. a self-intersecting polygon)',
  401: 'missing, invalid or expired token',
  403: 'lacks a required role, or was not granted the session (SESSION_FORBIDDEN)',
  503: 'results database unavailable (DB_UNAVAILABLE)',
};
const sessionIdParam = ApiParam({ name: 'sessionId', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } });

@ApiTags('zones')
@ApiBearerAuth()
@Controller('sessions/:sessionId/zones')
@UseGuards(JwtAuthGuard)
export class ZonesController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  @Roles(ROLES.agent, ROLES.operator, ROLES.admin)
  @sessionIdParam
  @ApiEndpoint({
    summary: 'The session’s zones and counting lines',
    status: 200,
    response: sessionZonesViewSchema,
    errors: [400, 401, 403, 404, 503],
    errorDescriptions: { ...ERRORS, 404: 'no zones configured for the session (ZONES_NOT_FOUND)' },
  })
  async get(@Param('sessionId') sessionId: string, @CurrentPrincipal() principal: Principal): Promise<SessionZonesView> {
    const id = parseRequest(sessionIdSchema, sessionId, 'sessionId', Code.invalidSessionId);
    assertSessionGranted(principal, id);
    const zones = await this.run('find zones', () => findSessionZones(this.dataSource, id));
    if (!zones) throw new SightlineError(Code.zonesNotFound, `no zones configured for session ${id}`);
    return zones;
  }

  @Put()
  @Roles(ROLES.operator, ROLES.admin)
  @sessionIdParam
  @ApiEndpoint({
    summary: 'Replace the session’s zones (simple polygons) and counting lines, in source pixels (operator, admin)',
    body: sessionZonesSchema,
    status: 200,
    response: sessionZonesViewSchema,
    errors: [400, 401, 403, 503],
    errorDescriptions: ERRORS,
  })
  async put(
    @Param('sessionId') sessionId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SessionZonesView> {
    const id = parseRequest(sessionIdSchema, sessionId, 'sessionId', Code.invalidSessionId);
    assertSessionGranted(principal, id);
    const zones = parseRequest(sessionZonesSchema, body, 'body', Code.invalidZones);
    const saved = await this.run('save zones', () => saveSessionZones(this.dataSource, id, zones));
    this.logger.info('session zones replaced', {
      sessionId: id,
      zones: zones.zones.length,
      lines: zones.lines.length,
      by: principal.username,
    });
    return saved;
  }

  @Delete()
  @HttpCode(204)
  @Roles(ROLES.operator, ROLES.admin)
  @sessionIdParam
  @ApiEndpoint({
    summary: 'Remove the session’s zones and lines (operator, admin)',
    status: 204,
    errors: [400, 401, 403, 404, 503],
    errorDescriptions: { ...ERRORS, 404: 'no zones configured (ZONES_NOT_FOUND)' },
  })
  async remove(@Param('sessionId') sessionId: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    const id = parseRequest(sessionIdSchema, sessionId, 'sessionId', Code.invalidSessionId);
    assertSessionGranted(principal, id);
    if (!(await this.run('delete zones', () => deleteSessionZones(this.dataSource, id)))) {
      throw new SightlineError(Code.zonesNotFound, `no zones configured for session ${id}`);
    }
    this.logger.info('session zones removed', { sessionId: id, by: principal.username });
  }

  private async run<T>(what: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      this.logger.warn('zones query failed', { query: what, error: (err as Error).message });
      throw new SightlineError(Code.dbUnavailable, 'results database unavailable, retry later');
    }
  }
}
