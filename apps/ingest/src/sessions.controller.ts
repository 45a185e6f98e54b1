/**
 * The session API: operators and admins start and stop sessions; agents (and operators/admins) list and inspect them.
 * Tokens are verified like everywhere else (EdDSA JWT against the auth service's JWKS).
 */
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ROLES, type Principal, type SessionInfo } from '@sightline/contracts';
import { LOGGER, type Logger } from '@sightline/observability';
import { CurrentPrincipal, JwtAuthGuard, Roles } from '@sightline/security';
import { SessionManager } from '@sightline/video';
import { SightlineErrorFilter } from './http-errors.js';

interface ImageResponse {
  type(contentType: string): ImageResponse;
  setHeader(name: string, value: string): void;
  send(body: Buffer): void;
}

@Controller('sessions')
@UseGuards(JwtAuthGuard)
@UseFilters(SightlineErrorFilter)
export class SessionsController {
  constructor(
    @Inject(SessionManager) private readonly sessions: SessionManager,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles(ROLES.admin, ROLES.operator)
  start(@Body() body: unknown, @CurrentPrincipal() principal: Principal): { sessionId: string } {
    const session = this.sessions.start(body);
    this.logger.info('session started by request', { sessionId: session.sessionId, source: session.source.url, by: principal.username });
    return { sessionId: session.sessionId };
  }

  @Get()
  @Roles(ROLES.admin, ROLES.operator, ROLES.agent)
  list(): SessionInfo[] {
    return this.sessions.list();
  }

  @Get(':id')
  @Roles(ROLES.admin, ROLES.operator, ROLES.agent)
  get(@Param('id') id: string): SessionInfo {
    return this.sessions.get(id);
  }

  @Delete(':id')
  @Roles(ROLES.admin, ROLES.operator)
  async stop(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<SessionInfo> {
    const session = await this.sessions.stop(id);
    this.logger.info('session stopped by request', { sessionId: id, by: principal.username });
    return session;
  }

  /** The latest frame (letterboxed model input) as JPEG, encoded at most twice a second per session. */
  @Get(':id/snapshot.jpg')
  @Roles(ROLES.admin, ROLES.operator, ROLES.agent)
  async snapshot(@Param('id') id: string, @Res() res: ImageResponse): Promise<void> {
    const jpeg = await this.sessions.snapshot(id);
    res.setHeader('Cache-Control', 'no-store');
    res.type('image/jpeg').send(jpeg);
  }
}
