/**
 * The public path layout of the fleet, as the compose proxy routes it (deploy/proxy/Caddyfile): the console server
 * forwards the same paths to the same services, so the SPA makes identical same-origin calls locally and in compose.
 * Keep the two in step (upstream-routes.spec.ts pins this table; deploy/proxy.int.spec.ts pins the Caddyfile).
 */
export const UPSTREAMS = ['gateway', 'persistence', 'ingest', 'auth'] as const;
export type Upstream = (typeof UPSTREAMS)[number];

/** Served by the console server itself: the SPA, its own health and metrics; never forwarded: the revocation feed. */
export const CONSOLE_PREFIX = '/console';
// Case-insensitive, trailing slash allowed: the services' router (Express) matches /METRICS and /metrics/ too, so
// those must not be forwarded to auth's unauthenticated /metrics. The token revocation feed is for the services,
// which poll auth directly; like the compose proxy, the console answers it with 404.
const OWN_PATHS = /^\/(?:console(?:\/.*)?|metrics\/?|health(?:\/.*)?|token-revocations\/?)?$/i;
const STORED_RESULTS = /^\/sessions\/[^/]+\/(?:results|summary|zones)$/;

/** The service that answers `pathname`, or undefined for the console server's own paths. */
export function upstreamFor(pathname: string): Upstream | undefined {
  if (OWN_PATHS.test(pathname)) return undefined;
  if (pathname.startsWith('/ws/')) return 'gateway';
  if (STORED_RESULTS.test(pathname)) return 'persistence';
  if (pathname.startsWith('/sessions')) return 'ingest';
  return 'auth';
}
