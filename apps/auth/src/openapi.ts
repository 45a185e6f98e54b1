/**
 * The auth service's OpenAPI document (helpers in @sightline/openapi): its own response schemas and its title.
 * Served at /docs (UI) and /docs-json; written to docs/openapi/auth.json by `write-openapi.ts`.
 */
import { ApiEndpoint, type ApiInfo } from '@sightline/openapi';
import { z } from 'zod';

const AUTH_ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input (fieldErrors names the fields)',
  429: 'rate limited (Retry-After header)',
  503: 'database unavailable',
};

/** `ApiEndpoint` with auth's error descriptions (the error body is the fleet's one). */
export const AuthEndpoint = (options: Parameters<typeof ApiEndpoint>[0]) =>
  ApiEndpoint({ errorDescriptions: AUTH_ERROR_DESCRIPTIONS, ...options });

export const tokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int().meta({ description: 'seconds' }),
});
export const jwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

export const AUTH_API: ApiInfo = {
  title: 'Sightline auth service',
  description: 'Users, roles, OAuth2 password login with EdDSA JWTs (JWKS at /.well-known/jwks.json), password reset, admin API.',
};
