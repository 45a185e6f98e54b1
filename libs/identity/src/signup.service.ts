/**
 * Self-service signup with e-mail verification. The request answers 202 at once, whatever the name and address, and
 * everything else happens afterwards, so neither the answer nor its timing tells whether an account exists:
 * - a new name and address: the account is created with the signup role and a pending verification; the mail holds
 *   a single-use link (only its SHA-256 is stored, with an expiry). Until it is used the account may not log in.
 * - an address whose account is still unverified: that account takes the new password and gets a new link (the
 *   older one stops working), so whoever really owns the mailbox decides, and nobody can pre-register an address
 *   with a password of their own and wait for its owner to confirm it.
 * - an address with a verified account, or a name already taken: a notice to the address, no account.
 * Mails to one address are capped (RATE_LIMIT_MAILS_PER_ADDRESS_PER_HOUR), the same for every address.
 */
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { SightlineError, type UserView } from '@sightline/contracts';
import { consumeVerification, savePendingVerification, UserEntity } from '@sightline/db';
import { LOGGER, type Logger } from '@sightline/observability';
import { DataSource, type EntityManager } from 'typeorm';
import { BackgroundWork } from './background-work.js';
import { type IdentityConfig } from './config.js';
import { Mailer } from './mailer.js';
import { AuthMetrics } from './metrics.js';
import { hashToken, newToken } from './one-time-tokens.js';
import { PasswordHasher } from './passwords.js';
import { RateLimits } from './rate-limits.js';
import { AUTH_CONFIG } from './tokens.js';
import { UsersService } from './users.service.js';
import { type SignupRequest } from './requests.js';
import { IdentityErrorCode } from './errors.js';

@Injectable()
export class SignupService implements BeforeApplicationShutdown {
  private readonly work: BackgroundWork;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
    @Inject(Mailer) private readonly mailer: Mailer,
    @Inject(RateLimits) private readonly limits: RateLimits,
    @Inject(AuthMetrics) private readonly metrics: AuthMetrics,
    @Inject(AUTH_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.work = new BackgroundWork(logger, 'signup not completed');
  }

  /** Accepts a signup; the outcome is mailed. SIGNUP_DISABLED is the only refusal (it is the same for everyone). */
  request(request: SignupRequest): void {
    if (!this.config.AUTH_SIGNUP_ENABLED)
      throw new SightlineError(IdentityErrorCode.signupDisabled, 'signup is disabled; ask an administrator');
    this.metrics.signups.inc({ outcome: 'accepted' });
    this.work.run(() => this.process(request));
  }

  /** Uses a mailed verification token: the account may log in from now on. Returns it. */
  async verify(token: string): Promise<UserView> {
    const userId = await consumeVerification(this.db.manager, hashToken(token));
    if (userId === undefined)
      throw new SightlineError(IdentityErrorCode.verificationTokenInvalid, 'verification token invalid, used or expired');
    this.metrics.signups.inc({ outcome: 'verified' });
    return this.users.get(userId);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.work.settle(this.config.SHUTDOWN_TIMEOUT_MS);
  }

  private async process(request: SignupRequest): Promise<void> {
    if (!this.limits.allowMail(request.email)) return;
    const existing = await this.users.findByEmail(request.email);
    if (existing) {
      if (await this.users.awaitsVerification(existing.id)) return this.renewPending(existing, request.password);
      return this.notify(request.email, 'You already have a Sightline account', [
        `Someone (hopefully you) tried to sign up with this address, which already has the account "${existing.username}".`,
        'Log in with it, or reset its password from the login page if you forgot it. No new account was made.',
      ]);
    }
    const { token, tokenHash } = newToken();
    let user: UserView;
    try {
      user = await this.users.create(request, (tx, userId) => this.storePending(tx, userId, tokenHash));
    } catch (err) {
      if (!(err instanceof SightlineError && err.code === IdentityErrorCode.userExists)) throw err;
      // Taken in the meantime (a race) or by another address: tell this address, and nobody else.
      return this.notify(request.email, 'Your Sightline signup did not go through', [
        `The username "${request.username}" (or this address) is already taken. Sign up again with another username,`,
        'or log in if the account is yours.',
      ]);
    }
    await this.mailVerification(user.email, user.username, token);
  }

  private async renewPending(user: UserView, password: string): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    const { token, tokenHash } = newToken();
    await this.db.transaction(async (tx) => {
      await tx.update(UserEntity, { id: user.id }, { password: passwordHash });
      await this.storePending(tx, user.id, tokenHash);
    });
    await this.mailVerification(user.email, user.username, token);
  }

  private storePending(tx: EntityManager, userId: number, tokenHash: string): Promise<void> {
    return savePendingVerification(tx, userId, tokenHash, new Date(Date.now() + this.config.AUTH_EMAIL_VERIFICATION_TTL_SECONDS * 1000));
  }

  private async mailVerification(email: string, username: string, token: string): Promise<void> {
    // In the fragment, as for reset links: browsers never send it, so no proxy or server log sees the token.
    const link = new URL(this.config.PASSWORD_RESET_LINK_URL);
    link.hash = `/verify/${token}`;
    const hours = Math.round(this.config.AUTH_EMAIL_VERIFICATION_TTL_SECONDS / 3600);
    await this.notify(email, 'Confirm your Sightline account', [
      `Hello ${username},`,
      '',
      `Open this link within ${hours} hours to confirm your address; you can log in afterwards:`,
      '',
      link.toString(),
      '',
      `Or send the token to POST /signup/verify: ${token}`,
      '',
      'If you did not sign up, ignore this mail: the account stays unusable.',
    ]);
  }

  private async notify(to: string, subject: string, lines: string[]): Promise<void> {
    await this.mailer.send({ to, subject, text: lines.join('\n') });
  }
}
