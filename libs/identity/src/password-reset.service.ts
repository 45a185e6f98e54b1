/**
 * Password reset by email. The request answers 202 at once whatever the address, and the lookup, token and mail
 * happen afterwards, so neither the status nor the timing tells whether an account exists. At most
 * RATE_LIMIT_MAILS_PER_ADDRESS_PER_HOUR mails go to one address (known or not, the answer is the same 202), and a new
 * request never invalidates a link already mailed: spam can neither flood a mailbox nor void the user's pending link.
 * The token (256 random bits) is mailed; only its SHA-256 is stored, with an expiry; confirming deletes it (single
 * use), sets the new password, drops the user's other reset tokens, marks the address verified (the mail reached
 * it) and revokes the user's access tokens.
 */
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { SightlineError } from '@sightline/contracts';
import { clearPendingVerification, PasswordResetTokenEntity, UserEntity } from '@sightline/db';
import { LOGGER, type Logger } from '@sightline/observability';
import { DataSource } from 'typeorm';
import { BackgroundWork } from './background-work.js';
import { type IdentityConfig } from './config.js';
import { Mailer } from './mailer.js';
import { AuthMetrics } from './metrics.js';
import { hashToken, newToken } from './one-time-tokens.js';
import { PasswordHasher } from './passwords.js';
import { RateLimits } from './rate-limits.js';
import { TokenRevocations } from './token-revocations.js';
import { AUTH_CONFIG } from './tokens.js';
import { UsersService } from './users.service.js';
import { passwordProblems } from './requests.js';
import { IdentityErrorCode } from './errors.js';

@Injectable()
export class PasswordResetService implements BeforeApplicationShutdown {
  private readonly work: BackgroundWork;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
    @Inject(TokenRevocations) private readonly revocations: TokenRevocations,
    @Inject(Mailer) private readonly mailer: Mailer,
    @Inject(AuthMetrics) private readonly metrics: AuthMetrics,
    @Inject(AUTH_CONFIG) private readonly config: IdentityConfig,
    @Inject(RateLimits) private readonly limits: RateLimits,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.work = new BackgroundWork(logger, 'password reset not delivered');
  }

  /** Accepts the request; the work runs in the background and its failures are logged and counted, never thrown. */
  request(email: string): void {
    this.metrics.passwordResets.inc({ stage: 'requested' });
    // The metrics say only that a request was processed, the same for known and unknown addresses, for suppressed
    // mails and for failed deliveries (logged), so /metrics does not tell whether an address has an account.
    this.work.run(
      () => this.issue(email),
      () => this.metrics.passwordResets.inc({ stage: 'processed' }),
    );
  }

  async confirm(token: string, newPassword: string): Promise<void> {
    const tokenHash = hashToken(token);
    const pending = await this.db
      .getRepository(PasswordResetTokenEntity)
      .createQueryBuilder('t')
      .innerJoinAndSelect('t.user', 'u')
      .where('t.token_hash = :tokenHash AND t.expires_at > now()', { tokenHash })
      .getOne();
    if (!pending?.user) throw this.invalidToken();
    const [identityProblem] = passwordProblems(newPassword, pending.user.username, pending.user.email);
    if (identityProblem)
      throw new SightlineError(IdentityErrorCode.validationFailed, 'invalid body', { fieldErrors: { newPassword: [identityProblem] } });

    const passwordHash = await this.hasher.hash(newPassword);
    const cutoff = await this.db.transaction(async (tx) => {
      // The delete is the single-use check: of two concurrent confirms only one gets the row back.
      const consumed = await tx
        .createQueryBuilder()
        .delete()
        .from(PasswordResetTokenEntity)
        .where('token_hash = :tokenHash AND expires_at > now()', { tokenHash })
        .returning('user_id')
        .execute();
      const userId = (consumed.raw as { user_id: number }[])[0]?.user_id;
      if (userId === undefined) throw this.invalidToken();
      await tx.update(UserEntity, { id: userId }, { password: passwordHash });
      await tx.delete(PasswordResetTokenEntity, { userId });
      await clearPendingVerification(tx, userId);
      return this.revocations.revoke(tx, [userId]);
    });
    this.metrics.passwordResets.inc({ stage: 'confirmed' });
    this.logger.info('password reset', { userId: pending.userId });
    await this.revocations.settle(cutoff);
  }

  /** Lets mails being sent finish, within the shutdown budget (an SMTP server may hang). */
  /** Lets mails being sent finish, within the shutdown budget (an SMTP server may hang). */
  beforeApplicationShutdown(): Promise<void> {
    return this.work.settle(this.config.SHUTDOWN_TIMEOUT_MS);
  }

  private async issue(email: string): Promise<void> {
    // Counted for every address, known or not: the cap itself says nothing about accounts.
    if (!this.limits.allowMail(email)) return;
    const user = await this.users.findByEmail(email);
    if (!user) return;
    const { token, tokenHash } = newToken();
    const expiresAt = new Date(Date.now() + this.config.PASSWORD_RESET_TTL_SECONDS * 1000);
    await this.db.transaction(async (tx) => {
      // Earlier links stay valid until they expire or one is used (a request must not void the user's pending mail);
      // how many there can be is bounded by the mail cap.
      await tx.query('DELETE FROM password_reset_tokens WHERE user_id = $1 AND expires_at <= now()', [user.id]);
      await tx.insert(PasswordResetTokenEntity, { userId: user.id, tokenHash, expiresAt });
    });
    // The token goes in the fragment, which browsers never send: no proxy or server log sees it. The console's reset
    // page reads it and POSTs /password-reset/confirm.
    const link = new URL(this.config.PASSWORD_RESET_LINK_URL);
    link.hash = `/reset/${token}`;
    const minutes = Math.round(this.config.PASSWORD_RESET_TTL_SECONDS / 60);
    await this.mailer.send({
      to: user.email,
      subject: 'Reset your Sightline password',
      text: [
        `Hello ${user.username},`,
        '',
        'Someone (hopefully you) asked to reset the password of your Sightline account.',
        `Open this link within ${minutes} minutes to choose a new one:`,
        '',
        link.toString(),
        '',
        `Or send the token to POST /password-reset/confirm: ${token}`,
        '',
        'The link works once. If you did not ask for it, ignore this mail: your password stays as it is.',
      ].join('\n'),
    });
    this.logger.info('password reset mailed', { userId: user.id, transport: this.mailer.transport });
  }

  private invalidToken(): SightlineError {
    this.metrics.passwordResets.inc({ stage: 'invalid_token' });
    return new SightlineError(IdentityErrorCode.resetTokenInvalid, 'reset token invalid, used or expired');
  }
}
