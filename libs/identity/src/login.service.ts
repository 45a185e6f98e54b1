/** OAuth2 password grant: credentials → a signed access token carrying the user's roles and session grants. */
import { Inject, Injectable } from '@nestjs/common';
import { SightlineError } from '@sightline/contracts';
import { TokenSigner, type SignedToken } from '@sightline/security';
import { type IdentityConfig } from './config.js';
import { PasswordHasher } from './passwords.js';
import { SessionAccess } from './session-access.js';
import { AUTH_CONFIG } from './tokens.js';
import { UsersService } from './users.service.js';
import { IdentityErrorCode } from './errors.js';

@Injectable()
export class LoginService {
  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
    @Inject(TokenSigner) private readonly signer: TokenSigner,
    @Inject(AUTH_CONFIG) private readonly config: IdentityConfig,
    @Inject(SessionAccess) private readonly access: SessionAccess,
  ) {}

  /** Throws INVALID_CREDENTIALS alike for an unknown user and a wrong password (same message, same bcrypt work). */
  async login(username: string, password: string): Promise<SignedToken> {
    const candidate = await this.users.findForLogin(username);
    const valid = await this.hasher.verify(password, candidate?.passwordHash);
    if (!candidate || !valid) throw new SightlineError(IdentityErrorCode.invalidCredentials, 'invalid username or password');
    // Told only to whoever knows the password.
    if (await this.users.awaitsVerification(candidate.id)) {
      throw new SightlineError(IdentityErrorCode.emailNotVerified, 'confirm your e-mail address first: open the link we mailed you');
    }
    const sessions = await this.access.scopeFor(candidate.id, candidate.roles);
    return this.signer.sign(
      { userId: candidate.id, username: candidate.username, roles: candidate.roles, sessions },
      this.config.AUTH_ACCESS_TOKEN_TTL_SECONDS,
    );
  }
}
