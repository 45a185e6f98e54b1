/**
 * Password reset by email. The request answers 202 at once whatever the address, and the lookup, token and mail
 * happen afterwards, so neither the status nor the timing tells whether an account exists. The token (256 random
 * bits) is mailed; only its SHA-256 is stored, with an expiry; confirming deletes it (single use), sets the new
 * password, drops the user's other reset tokens and revokes the user's access tokens.
 */
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { SightlineError } from '@sightline/contracts';
import { PasswordResetTokenEntity, UserEntity } from '@sightline/db';
import { LOGGER, type Logger } from '@sightline/observability';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { type AuthConfig } from './config.js';
import { Mailer } from './mailer.js';
import { AuthMetrics } from './metrics.js';
import { PasswordHasher } from './passwords.js';
import { TokenRevocations } from './token-revocations.js';
import { AUTH_CONFIG } from './tokens.js';
import { UsersService } from './users.service.js';
import { passwordProblems } from './validation.js';

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

@Injectable()
export class PasswordResetService implements BeforeApplicationShutdown {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
    @Inject(TokenRevocations) private readonly revocations: TokenRevocations,
    @Inject(Mailer) private readonly mailer: Mailer,
    @Inject(AuthMetrics) private readonly metrics: AuthMetrics,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Accepts the request; the work runs in the background and its failures are logged and counted, never thrown. */
  request(email: string): void {
    this.metrics.passwordResets.inc({ stage: 'requested' });
    // The metrics say only that a request was processed, the same for known and unknown addresses and for failed
    // deliveries (logged), so /metrics does not tell whether an address has an account.
    const work = this.issue(email)
      .catch((err: Error & { code?: string }) => {
        this.logger.error('password reset not delivered', { code: err.code ?? 'RESET_FAILED', error: err.message });
      })
      .finally(() => {
        this.metrics.passwordResets.inc({ stage: 'processed' });
        this.inFlight.delete(work);
      });
    this.inFlight.add(work);
  }

  async confirm(token: string, newPassword: string): Promise<void> {
    const tokenHash = sha256(token);
    const pending = await this.db
      .getRepository(PasswordResetTokenEntity)
      .createQueryBuilder('t')
      .innerJoinAndSelect('t.user', 'u')
      .where('t.token_hash = :tokenHash AND t.expires_at > now()', { tokenHash })
      .getOne();
    if (!pending?.user) throw this.invalidToken();
    const [identityProblem] = passwordProblems(newPassword, pending.user.username, pending.user.email);
    if (identityProblem) throw new SightlineError('VALIDATION_FAILED', 'invalid body', { fieldErrors: { newPassword: [identityProblem] } });

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
      return this.revocations.revoke(tx, [userId]);
    });
    this.metrics.passwordResets.inc({ stage: 'confirmed' });
    this.logger.info('password reset', { userId: pending.userId });
    await this.revocations.settle(cutoff);
  }

  /** Lets mails being sent finish, within the shutdown budget (an SMTP server may hang). */
  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise((resolve) => (timer = setTimeout(resolve, this.config.SHUTDOWN_TIMEOUT_MS)));
    await Promise.race([Promise.allSettled([...this.inFlight]), budget]);
    clearTimeout(timer);
  }

  private async issue(email: string): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user) return;
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.PASSWORD_RESET_TTL_SECONDS * 1000);
    await this.db.transaction(async (tx) => {
      // Only the newest link works: asking again invalidates the previous mail.
      await tx.delete(PasswordResetTokenEntity, { userId: user.id });
      await tx.insert(PasswordResetTokenEntity, { userId: user.id, tokenHash: sha256(token), expiresAt });
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
    return new SightlineError('RESET_TOKEN_INVALID', 'reset token invalid, used or expired');
  }
}
