/** The auth service's route guard: a verified bearer token of an existing user, issued after any revocation. */
import {
  applyDecorators,
  Inject,
  Injectable,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { TokenErrorCode, type Principal, type Role } from '@sightline/contracts';
import { TokenRevocations } from '@sightline/identity';
import { JwtAuthGuard, Roles } from '@sightline/security';

/** Runs after JwtAuthGuard: the token must belong to an existing user and not be revoked. */
@Injectable()
export class ActiveSessionGuard implements CanActivate {
  constructor(@Inject(TokenRevocations) private readonly revocations: TokenRevocations) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ principal?: Principal }>();
    const userId = Number(request.principal?.userId);
    const issuedAt = request.principal?.issuedAt;
    if (!Number.isSafeInteger(userId) || issuedAt === undefined) {
      throw new UnauthorizedException({ code: TokenErrorCode.tokenInvalid, message: 'token invalid' });
    }
    const state = await this.revocations.check(userId, issuedAt);
    if (state !== 'active') throw new UnauthorizedException({ code: TokenErrorCode.tokenRevoked, message: 'token revoked: log in again' });
    return true;
  }
}

/** A verified, unrevoked bearer token, optionally holding one of `roles`. */
export const Authenticated = (...roles: Role[]) =>
  applyDecorators(UseGuards(JwtAuthGuard, ActiveSessionGuard), Roles(...roles), ApiBearerAuth());
