/** The admin API of session grants, and the revocation feed (`GET /token-revocations`) the other services poll. */
import { Controller, Delete, Get, Header, Inject, Param, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  REVOCATIONS_PATH,
  revocationFeedSchema,
  ROLES,
  sessionGrantsSchema,
  type RevocationFeed,
  type SessionGrants,
} from '@sightline/contracts';
import { grantTargetSchema, SessionAccess, userIdSchema } from '@sightline/identity';
import { Authenticated } from './authenticated.js';
import { AuthEndpoint } from './openapi.js';
import { ZodPipe } from './validation.js';

const idPipe = () => new ZodPipe(userIdSchema, 'id');
const sessionPipe = () => new ZodPipe(grantTargetSchema, 'sessionId');

@ApiTags('admin')
@Controller('admin/users/:id/sessions')
@Authenticated(ROLES.admin)
export class AdminSessionAccessController {
  constructor(@Inject(SessionAccess) private readonly access: SessionAccess) {}

  @Get()
  @AuthEndpoint({
    summary: 'Sessions the user may see (operators and admins see every session by role)',
    status: 200,
    response: sessionGrantsSchema,
    errors: [400, 401, 403, 404],
  })
  list(@Param('id', idPipe()) id: number): Promise<SessionGrants> {
    return this.access.list(id);
  }

  @Put(':sessionId')
  @AuthEndpoint({
    summary: 'Grant a session, or `*` for every session (idempotent; applies from the user’s next login)',
    status: 200,
    response: sessionGrantsSchema,
    errors: [400, 401, 403, 404, 409],
  })
  grant(@Param('id', idPipe()) id: number, @Param('sessionId', sessionPipe()) sessionId: string): Promise<SessionGrants> {
    return this.access.grant(id, sessionId);
  }

  @Delete(':sessionId')
  @AuthEndpoint({
    summary: 'Take a session grant away (idempotent); ends the user’s sessions everywhere within seconds',
    status: 200,
    response: sessionGrantsSchema,
    errors: [400, 401, 403, 404],
  })
  revoke(@Param('id', idPipe()) id: number, @Param('sessionId', sessionPipe()) sessionId: string): Promise<SessionGrants> {
    return this.access.revoke(id, sessionId);
  }
}

/** Polled by the gateway, ingest and persistence; internal (the public proxy does not route it). */
@ApiTags('auth')
@Controller()
export class RevocationFeedController {
  constructor(@Inject(SessionAccess) private readonly access: SessionAccess) {}

  @Get(REVOCATIONS_PATH.slice(1))
  @Header('Cache-Control', 'no-store')
  @AuthEndpoint({
    summary: 'Revoked tokens per user (tokens issued before revokedBefore); polled by the other services',
    status: 200,
    response: revocationFeedSchema,
    errors: [503],
  })
  feed(): Promise<RevocationFeed> {
    return this.access.feed();
  }
}
