/** Public endpoints: signup, OAuth2 password login, password reset, the caller's profile, and the JWKS. */
import { Body, Controller, Get, Header, HttpCode, Inject, Ip, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { JWKS_PATH, SightlineError, userViewSchema, type Principal, type UserView } from '@sightline/contracts';
import { CurrentPrincipal, TokenSigner } from '@sightline/security';
import {
  AuthMetrics,
  IdentityErrorCode,
  LoginService,
  PasswordResetService,
  RateLimits,
  SignupService,
  UsersService,
} from '@sightline/identity';
import { AuthEndpoint, jwksSchema, tokenResponseSchema } from './openapi.js';
import { Authenticated } from './authenticated.js';
import {
  loginSchema,
  passwordResetConfirmSchema,
  passwordResetRequestSchema,
  signupSchema,
  verifyEmailSchema,
  type SignupRequest,
} from '@sightline/identity';
import { ZodPipe } from './validation.js';
import { type Counter } from 'prom-client';
import { type z } from 'zod';

const SIGNUP_OUTCOMES: Record<string, string> = { SIGNUP_DISABLED: 'disabled', RATE_LIMITED: 'rate_limited' };
const LOGIN_OUTCOMES: Record<string, string> = {
  INVALID_CREDENTIALS: 'invalid_credentials',
  EMAIL_NOT_VERIFIED: 'not_verified',
  RATE_LIMITED: 'rate_limited',
};

/** Counts an expected failure under its outcome label (unexpected errors are logged by the error filter). */
function countOutcome(counter: Counter<'outcome'>, outcomes: Record<string, string>, err: unknown): void {
  const outcome = err instanceof SightlineError ? outcomes[err.code] : undefined;
  if (outcome) counter.inc({ outcome });
}

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(LoginService) private readonly logins: LoginService,
    @Inject(PasswordResetService) private readonly resets: PasswordResetService,
    @Inject(SignupService) private readonly signups: SignupService,
    @Inject(TokenSigner) private readonly signer: TokenSigner,
    @Inject(RateLimits) private readonly limits: RateLimits,
    @Inject(AuthMetrics) private readonly metrics: AuthMetrics,
  ) {}

  @Post('signup')
  @HttpCode(202)
  @AuthEndpoint({
    summary: 'Ask for an account (role: AUTH_SIGNUP_DEFAULT_ROLE): always 202; the outcome is mailed (a verification link, or a notice)',
    body: signupSchema,
    status: 202,
    errors: [400, 403, 429],
  })
  signup(@Ip() ip: string, @Body(new ZodPipe(signupSchema, 'body')) body: SignupRequest) {
    try {
      this.limits.enforce([this.limits.signupPerIp, ip]);
      this.signups.request(body);
      return { status: 'accepted' };
    } catch (err) {
      countOutcome(this.metrics.signups, SIGNUP_OUTCOMES, err);
      throw err;
    }
  }

  @Post('signup/verify')
  @HttpCode(200)
  @AuthEndpoint({
    summary: 'Confirm the e-mail address of a signup with the mailed token; the account may log in afterwards',
    body: verifyEmailSchema,
    status: 200,
    response: userViewSchema,
    errors: [400, 429],
  })
  verifyEmail(@Ip() ip: string, @Body(new ZodPipe(verifyEmailSchema, 'body')) body: z.output<typeof verifyEmailSchema>): Promise<UserView> {
    this.limits.enforce([this.limits.resetConfirmPerIp, ip]);
    return this.signups.verify(body.token);
  }

  /** RFC 6749 §4.3: `application/x-www-form-urlencoded` (JSON accepted too). */
  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @AuthEndpoint({
    summary: 'OAuth2 password grant: username + password → bearer access token (403 EMAIL_NOT_VERIFIED until a signup is confirmed)',
    body: loginSchema,
    consumes: ['application/x-www-form-urlencoded', 'application/json'],
    status: 200,
    response: tokenResponseSchema,
    errors: [400, 401, 403, 429],
  })
  async login(@Ip() ip: string, @Body(new ZodPipe(loginSchema, 'body')) body: z.output<typeof loginSchema>) {
    // Every attempt counts per IP; per account only failures count, keyed with the IP: an attacker guessing from one
    // address exhausts only that (account, address) pair, never the real user's logins from elsewhere.
    const accountAtIp = `${body.username.trim().toLowerCase()}\u0000${ip}`;
    try {
      this.limits.enforce([this.limits.loginPerIp, ip]);
      this.limits.refuseWhileExhausted(this.limits.loginFailuresPerAccount, accountAtIp);
      const { token, expiresIn } = await this.logins.login(body.username, body.password).catch((err: unknown) => {
        if (err instanceof SightlineError && err.code === IdentityErrorCode.invalidCredentials)
          this.limits.loginFailuresPerAccount.take(accountAtIp);
        throw err;
      });
      this.metrics.logins.inc({ outcome: 'success' });
      return { access_token: token, token_type: 'bearer' as const, expires_in: expiresIn };
    } catch (err) {
      countOutcome(this.metrics.logins, LOGIN_OUTCOMES, err);
      throw err;
    }
  }

  @Post('password-reset')
  @HttpCode(202)
  @AuthEndpoint({
    summary: 'Mail a single-use reset link (always 202, whether or not the address is known)',
    body: passwordResetRequestSchema,
    status: 202,
    errors: [400, 429],
  })
  requestPasswordReset(
    @Ip() ip: string,
    @Body(new ZodPipe(passwordResetRequestSchema, 'body')) body: z.output<typeof passwordResetRequestSchema>,
  ) {
    // Per client IP a 429; per address a silent cap on mails (PasswordResetService), whether or not it has an account.
    this.limits.enforce([this.limits.resetPerIp, ip]);
    this.resets.request(body.email);
    return { status: 'accepted' };
  }

  @Post('password-reset/confirm')
  @HttpCode(204)
  @AuthEndpoint({
    summary: 'Set a new password with a mailed token; ends existing sessions',
    body: passwordResetConfirmSchema,
    status: 204,
    errors: [400, 429],
  })
  async confirmPasswordReset(
    @Ip() ip: string,
    @Body(new ZodPipe(passwordResetConfirmSchema, 'body')) body: z.output<typeof passwordResetConfirmSchema>,
  ) {
    this.limits.enforce([this.limits.resetConfirmPerIp, ip]);
    await this.resets.confirm(body.token, body.newPassword);
  }

  @Get('me')
  @Authenticated()
  @AuthEndpoint({ summary: 'The caller’s account', status: 200, response: userViewSchema, errors: [401] })
  me(@CurrentPrincipal() principal: Principal): Promise<UserView> {
    return this.users.get(Number(principal.userId));
  }

  @Get(JWKS_PATH)
  @Header('Cache-Control', 'public, max-age=300')
  @AuthEndpoint({ summary: 'Public keys (JWKS) that verify access tokens', status: 200, response: jwksSchema, errors: [] })
  jwks() {
    return this.signer.jwks();
  }
}
