/**
 * HTTP guard: `Authorization: Bearer <JWT>` verified by TokenVerifier; `@Roles(...)` restricts to any of the roles.
 * 401 for a missing/invalid/expired token, 403 for a valid token without the role.
 */
import {
  createParamDecorator,
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { canSeeSession, SightlineError, type Principal, type Role } from '@sightline/contracts';
import { TokenVerifier, bearerToken } from './tokens.js';
import { SecurityErrorCode } from './errors.js';

const ROLES_KEY = 'sightline:roles';

/** Allows the handler (or controller) to principals holding any of these roles. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

/** Injects the verified principal into a handler parameter. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal | undefined => ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);

/**
 * 403 SESSION_FORBIDDEN unless the principal's grants include the session: the same answer whether or not the session
 * exists, so a caller learns nothing about sessions it was not granted.
 */
export function assertSessionGranted(principal: Principal, sessionId: string): void {
  if (!canSeeSession(principal, sessionId)) {
    throw new ForbiddenException({ code: SecurityErrorCode.sessionForbidden, message: `not granted access to session ${sessionId}` });
  }
}

export function hasAnyRole(principal: Principal, roles: readonly string[]): boolean {
  return roles.length === 0 || principal.roles.some((r) => roles.includes(r));
}

@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token)
      throw new UnauthorizedException({ code: SecurityErrorCode.tokenMissing, message: 'Authorization: Bearer <token> required' });
    try {
      request.principal = await this.verifier.verify(token);
    } catch (err) {
      const code = err instanceof SightlineError ? err.code : SecurityErrorCode.tokenInvalid;
      if (code === SecurityErrorCode.authKeysUnavailable) {
        throw new ServiceUnavailableException({ code, message: 'cannot verify tokens right now: auth keys unavailable' });
      }
      const message =
        code === SecurityErrorCode.tokenExpired
          ? 'token expired'
          : code === SecurityErrorCode.tokenRevoked
            ? 'token revoked: log in again'
            : 'token invalid';
      throw new UnauthorizedException({ code, message });
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]) ?? [];
    if (!hasAnyRole(request.principal, roles)) {
      throw new ForbiddenException({ code: SecurityErrorCode.forbidden, message: `requires one of the roles: ${roles.join(', ')}` });
    }
    return true;
  }
}
