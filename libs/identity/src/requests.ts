/**
 * Request schemas (zod) for every endpoint of the auth service, the password policy, and `parseRequest`, which turns
 * a failed parse into VALIDATION_FAILED with field errors. Usernames and emails are normalised (trimmed, lower-cased) so uniqueness is case-insensitive.
 */
import { z } from 'zod';

export const PASSWORD_POLICY = { minLength: 12, maxBytes: 72, minDistinctCharacters: 6 } as const;

/** Human-readable reasons a password is refused (empty: acceptable). `identities`: username/email it must not contain. */
export function passwordProblems(password: string, ...identities: (string | undefined)[]): string[] {
  const problems: string[] = [];
  if ([...password].length < PASSWORD_POLICY.minLength) problems.push(`must be at least ${PASSWORD_POLICY.minLength} characters`);
  // bcrypt silently ignores everything after 72 bytes: refuse rather than pretend the rest counts.
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_POLICY.maxBytes) problems.push(`must be at most ${PASSWORD_POLICY.maxBytes} bytes`);
  if (new Set(password).size < PASSWORD_POLICY.minDistinctCharacters) {
    problems.push(`must contain at least ${PASSWORD_POLICY.minDistinctCharacters} different characters`);
  }
  const lowered = password.toLowerCase();
  for (const identity of identities) {
    const name = identity?.split('@')[0]?.toLowerCase();
    if (name && name.length >= 3 && lowered.includes(name)) {
      problems.push('must not contain the username or email');
      break;
    }
  }
  return problems;
}

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(3)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only, starting with a letter or digit');
export const emailSchema = z.string().trim().toLowerCase().max(255).pipe(z.email('must be an email address'));
export const roleNameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9_-]{1,31}$/, '2-32 characters: letters, digits, "_" and "-", starting with a letter');
export const passwordSchema = z.string().superRefine((password, ctx) => {
  for (const message of passwordProblems(password)) ctx.addIssue({ code: 'custom', message });
});
/** Positive 32-bit ids only: anything else is a 400, never a query. */
export const userIdSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'must be a positive integer')
  .transform(Number)
  .pipe(z.number().max(2_147_483_647));

/** The password must not contain the username or the email's local part (checked once both fields parsed). */
const notContainingIdentity = (value: { password?: string; username?: string; email?: string }, ctx: z.RefinementCtx) => {
  if (value.password === undefined) return;
  const [identityProblem] = passwordProblems(value.password, value.username, value.email).filter((p) => p.includes('username'));
  if (identityProblem) ctx.addIssue({ code: 'custom', path: ['password'], message: identityProblem });
};

export const signupSchema = z
  .object({ username: usernameSchema, email: emailSchema, password: passwordSchema })
  .strict()
  .superRefine(notContainingIdentity);
export type SignupRequest = z.output<typeof signupSchema>;

/** OAuth2 resource-owner password grant (RFC 6749 §4.3.2); extra OAuth2 fields such as `scope` are ignored. */
export const loginSchema = z.object({
  grant_type: z.literal('password', { error: 'only the "password" grant is supported' }).optional(),
  username: z.string().trim().toLowerCase().min(1).max(255),
  password: z.string().min(1).max(PASSWORD_POLICY.maxBytes),
});

/** A mailed signup verification token (the same shape as a reset token). */
export const verifyEmailSchema = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'malformed token') }).strict();

export const passwordResetRequestSchema = z.object({ email: emailSchema }).strict();
export const passwordResetConfirmSchema = z
  .object({
    token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'malformed token'),
    newPassword: passwordSchema,
  })
  .strict();

export const createUserSchema = z
  .object({
    username: usernameSchema,
    email: emailSchema,
    password: passwordSchema,
    /** Absent: the signup default role. */
    roles: z.array(roleNameSchema).max(32).optional(),
  })
  .strict()
  .superRefine(notContainingIdentity);
export type CreateUserRequest = z.output<typeof createUserSchema>;

export const updateUserSchema = z
  .object({
    email: emailSchema.optional(),
    password: passwordSchema.optional(),
    /** Replaces the user's roles. */
    roles: z.array(roleNameSchema).max(32).optional(),
  })
  .strict()
  .refine((v) => v.email !== undefined || v.password !== undefined || v.roles !== undefined, 'nothing to update');
export type UpdateUserRequest = z.output<typeof updateUserSchema>;

export const listUsersQuerySchema = z
  .object({
    /** Case-insensitive substring of username or email. */
    search: z.string().max(100).optional(),
    role: roleNameSchema.optional(),
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
export type ListUsersQuery = z.output<typeof listUsersQuerySchema>;

export const createRoleSchema = z.object({ name: roleNameSchema }).strict();

/** Request input is parsed with the fleet's one parser (VALIDATION_FAILED carrying `{field: [messages]}`). */
export { parseRequest } from '@sightline/service-kit';
