/**
 * The console server for local use: serves the built SPA under /console/ and forwards every other public path to
 * the service the compose proxy would route it to (upstream-routes.ts), WebSocket upgrades included, so the SPA
 * talks to one origin here exactly as it does behind Caddy.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { SightlineError } from '@sightline/contracts';
import { LOGGER, METRICS, type Logger } from '@sightline/observability';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { Counter, type Registry } from 'prom-client';
import { type ConsoleConfig } from './config.js';
import { CONSOLE_PREFIX, UPSTREAMS, upstreamFor, type Upstream } from './upstream-routes.js';

/** The Vite build output, next to this file's compiled form (dist/public beside dist/console-server.js). */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const ASSETS_DIR = join(PUBLIC_DIR, 'assets');

/**
 * Headers of every console file. The SPA loads only its own bundle, talks only to its own origin (REST and
 * WebSocket) and shows snapshots through blob: URLs (Pico's icons are data: URLs); inline scripts and style
 * elements, framing and referrers are refused. (Styles set from script through the CSSOM are not inline styles.)
 */
export const CONSOLE_SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; style-src 'self'; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Codes the console server raises, logs and answers. */
export const ConsoleCode = {
  /** The SPA has not been built into dist/public; the server refuses to start. */
  notBuilt: 'CONSOLE_NOT_BUILT',
  /** An API service behind the console's proxy is not reachable (502 `{code, message}`). */
  upstreamUnavailable: 'UPSTREAM_UNAVAILABLE',
} as const;

export function installConsole(app: NestExpressApplication, config: ConsoleConfig): void {
  if (!existsSync(join(PUBLIC_DIR, 'index.html'))) {
    throw new SightlineError(ConsoleCode.notBuilt, 'the SPA is not built: run `npm run build` (or `npm run build -w apps/console`)', {
      publicDir: PUBLIC_DIR,
    });
  }
  const logger = app.get<Logger>(LOGGER);
  const proxies = createUpstreamProxies(config, logger, app.get<Registry>(METRICS));

  app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const pathname = pathOf(req.url);
    if (pathname === '/') {
      res.writeHead(302, { Location: `${CONSOLE_PREFIX}/` }).end();
      return;
    }
    const upstream = upstreamFor(pathname);
    if (upstream) void proxies[upstream](req, res, next);
    else next();
  });
  app.useStaticAssets(PUBLIC_DIR, {
    prefix: CONSOLE_PREFIX,
    index: 'index.html',
    setHeaders: (res, path) => {
      for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) res.setHeader(name, value);
      // Vite names bundles by content hash: cache them for good; index.html must be revalidated to pick up a release.
      res.setHeader('Cache-Control', path.startsWith(ASSETS_DIR) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.getHttpServer().on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // A browser resetting its connection must never become an uncaught error in the server.
    socket.on('error', () => socket.destroy());
    if (upstreamFor(pathOf(req.url)) === 'gateway') proxies.gateway.upgrade(req, socket, head);
    else socket.destroy();
  });
  logger.info('console routes installed', {
    publicDir: PUBLIC_DIR,
    upstreams: { auth: config.AUTH_URL, persistence: config.PERSISTENCE_URL, gateway: config.GATEWAY_URL, ingest: config.INGEST_URL },
  });
}

function createUpstreamProxies(config: ConsoleConfig, logger: Logger, registry: Registry): Record<Upstream, RequestHandler> {
  const requests = new Counter({
    name: 'sightline_console_proxied_requests_total',
    help: 'Requests and WebSocket upgrades forwarded to the fleet, by upstream service and outcome (status class, upgraded, unreachable)',
    labelNames: ['upstream', 'outcome'],
    registers: [registry],
  });
  const targets: Record<Upstream, string> = {
    auth: config.AUTH_URL,
    persistence: config.PERSISTENCE_URL,
    gateway: config.GATEWAY_URL,
    ingest: config.INGEST_URL,
  };
  const proxyFor = (upstream: Upstream): RequestHandler =>
    createProxyMiddleware<IncomingMessage, ServerResponse>({
      target: targets[upstream],
      ws: upstream === 'gateway',
      xfwd: true,
      // Our own handlers replace the library's default plugins (plain-text error pages, console logging).
      ejectPlugins: true,
      plugins: [
        (server) => {
          server.on('proxyRes', (proxyRes) => requests.inc({ upstream, outcome: `${Math.floor((proxyRes.statusCode ?? 0) / 100)}xx` }));
          server.on('open', () => requests.inc({ upstream, outcome: 'upgraded' }));
          server.on('error', (error: Error & { code?: string }, req, target) => {
            requests.inc({ upstream, outcome: 'unreachable' });
            logger.warn('upstream unreachable', {
              code: ConsoleCode.upstreamUnavailable,
              upstream,
              path: pathOf(req.url),
              error: error.code ?? error.message,
            });
            respondUnavailable(target as ServerResponse | Socket, upstream);
          });
        },
      ],
    });
  return Object.fromEntries(UPSTREAMS.map((u) => [u, proxyFor(u)])) as Record<Upstream, RequestHandler>;
}

/** The fleet's error shape, `{code, message}`, so the SPA reports an unreachable service like any API error. */
function respondUnavailable(target: ServerResponse | Socket, upstream: Upstream): void {
  if (!('writeHead' in target)) {
    target.destroy();
    return;
  }
  if (target.headersSent) {
    target.destroy();
    return;
  }
  target
    .writeHead(502, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
    .end(JSON.stringify({ code: ConsoleCode.upstreamUnavailable, message: `the ${upstream} service is not reachable` }));
}

/** The request path without its query (as Caddy's path matchers see it). */
function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?', 1)[0]!;
}
