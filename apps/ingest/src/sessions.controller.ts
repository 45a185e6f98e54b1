/**
 * The session API: operators and admins start and stop sessions; agents (and operators/admins) list and inspect them.
 * Tokens are verified like everywhere else (EdDSA JWT against the auth service's JWKS). An agent sees only the
 * sessions its token grants, without source URLs or error texts (operational details for operators and admins).
 */
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  canSeeSession,
  isOperating,
  ROLES,
  sessionInfoSchema,
  startSessionSchema,
  withoutOperationalDetails,
  type Principal,
  type SessionInfo,
} from '@sightline/contracts';
import { LOGGER, type Logger } from '@sightline/observability';
import { ApiEndpoint } from '@sightline/openapi';
import { assertSessionGranted, CurrentPrincipal, JwtAuthGuard, Roles } from '@sightline/security';
import { SessionManager } from '@sightline/video';
import { z } from 'zod';

interface ImageResponse {
  type(contentType: string): ImageResponse;
  setHeader(name: string, value: string): void;
  send(body: Buffer): void;
}

const ERRORS = {
  401: 'missing, invalid, expired or revoked token',
  403: 'lacks the role, or was not granted the session (SESSION_FORBIDDEN)',
  404: 'no such session (SESSION_NOT_FOUND)',
};

function viewFor(principal: Principal, info: SessionInfo): SessionInfo {
  return isOperating(principal) ? info : withoutOperationalDetails(info);
}

@ApiTags('sessions')
@ApiBearerAuth()
@Controller('sessions')
@UseGuards(JwtAuthGuard)
export class SessionsController {
  constructor(
    @Inject(SessionManager) private readonly sessions: SessionManager,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiEndpoint({
    summary: 'Start a session (admin, operator)',
    body: startSessionSchema,
    status: 201,
    response: z.object({ sessionId: z.string() }),
    errors: [400, 401, 403, 409, 429],
    errorDescriptions: {
      ...ERRORS,
      400: 'invalid request or source (INVALID_MESSAGE, INVALID_SOURCE)',
      409: 'a session with this id is running (SESSION_EXISTS)',
      429: 'INGEST_MAX_SESSIONS reached (SESSION_LIMIT_REACHED)',
    },
  })
  @Roles(ROLES.admin, ROLES.operator)
  start(@Body() body: unknown, @CurrentPrincipal() principal: Principal): { sessionId: string } {
    const session = this.sessions.start(body);
    this.logger.info('session started by request', { sessionId: session.sessionId, source: session.source.url, by: principal.username });
    return { sessionId: session.sessionId };
  }

  @Get()
  @Roles(ROLES.admin, ROLES.operator, ROLES.agent)
  @ApiEndpoint({
    summary: 'Running sessions and the last ended ones (the granted ones)',
    status: 200,
    response: z.array(sessionInfoSchema),
    errors: [401, 403],
    errorDescriptions: ERRORS,
  })
  list(@CurrentPrincipal() principal: Principal): SessionInfo[] {
    return this.sessions
      .list()
      .filter((info) => canSeeSession(principal, info.sessionId))
      .map((info) => viewFor(principal, info));
  }

  @Get(':id')
  @Roles(ROLES.admin, ROLES.operator, ROLES.agent)
  @ApiEndpoint({ summary: 'One session', status: 200, response: sessionInfoSchema, errors: [401, 403, 404], errorDescriptions: ERRORS })
  get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): SessionInfo {
    assertSessionGranted(principal, id);
    return viewFor(principal, this.sessions.get(id));
  }

  @Delete(':id')
  @Roles(ROLES.admin, ROLES.operator)
  @ApiEndpoint({
    summary: 'Stop a session (admin, operator); answers once sessionStopped is stored',
    status: 200,
    response: sessionInfoSchema,
    errors: [401, 403, 404],
    errorDescriptions: ERRORS,
  })
  async stop(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<SessionInfo> {
    const session = await this.sessions.stop(id);
    this.logger.info('session stopped by request', { sessionId: id, by: principal.username });
    return session;
  }

  /** The latest frame (letterboxed model input) as JPEG, encoded at most twice a second per session. */
  @Get(':id/snapshot.jpg')
  @Roles(ROLES.admin, ROLES.operator, ROLES.agent)
  @ApiEndpoint({
    summary: 'The latest published frame (the letterboxed model input) as JPEG, at most 2 encodings per second',
    status: 200,
    produces: 'image/jpeg',
    errors: [401, 403, 404],
    errorDescriptions: { ...ERRORS, 404: 'no such session, or no frame yet (SESSION_NOT_FOUND, SNAPSHOT_UNAVAILABLE)' },
  })
  async snapshot(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @Res() res: ImageResponse): Promise<void> {
    assertSessionGranted(principal, id);
    const jpeg = await this.sessions.snapshot(id);
    res.setHeader('Cache-Control', 'no-store');
    res.type('image/jpeg').send(jpeg);
  }

  /**
   * The camera's own picture, downscaled (INGEST_PREVIEW_WIDTH, default 960 px wide), for the console's live view:
   * JPEG-encoded per request (a recent encoding is reused for half a second), so nothing is encoded while nobody looks.
   * `X-Source-Size: <width>x<height>` tells the source frame's size (the coordinate space of boxes and zones),
   * `X-Frame-Seq` the frame it shows (its results' frameSeq; within a frame or two).
   */
  @Get(':id/picture.jpg')
  @Roles(ROLES.admin, ROLES.operator, ROLES.agent)
  @ApiEndpoint({
    summary:
      'The latest source picture, downscaled, as JPEG (header X-Source-Size: the source frame size); encoded only when asked, at most 2 per second',
    status: 200,
    produces: 'image/jpeg',
    errors: [401, 403, 404],
    errorDescriptions: {
      ...ERRORS,
      404: 'no such session, or no source picture yet or turned off (SESSION_NOT_FOUND, SOURCE_PICTURE_UNAVAILABLE)',
    },
  })
  async picture(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @Res() res: ImageResponse): Promise<void> {
    assertSessionGranted(principal, id);
    const { jpeg, source, frameSeq } = await this.sessions.sourcePicture(id);
    res.setHeader('Cache-Control', 'no-store');
    // Detections and zones are in source pixels; the viewer scales them by picture size / source size.
    res.setHeader('X-Source-Size', `${source.width}x${source.height}`);
    // The frame the picture shows, so a viewer draws that frame's results over it (not the newest ones).
    res.setHeader('X-Frame-Seq', String(frameSeq));
    res.type('image/jpeg').send(jpeg);
  }
}
