import { baseConfigShape, env, loadConfig } from '@sightline/config';
import { JWKS_PATH } from '@sightline/contracts';

/** Environment variables of the gateway service (documented in docs/websocket.md). */
export const gatewayConfigShape = {
  ...baseConfigShape,
  HTTP_PORT: env.port(3004),
  /** The auth service's public keys; fetched on first use and cached. */
  AUTH_JWKS_URL: env.url(`http://127.0.0.1:3001${JWKS_PATH}`, ['http', 'https']),
  /** Open WebSockets beyond this are refused with HTTP 503 TOO_MANY_CONNECTIONS. */
  GATEWAY_MAX_CONNECTIONS: env.int(16, 1),
  /** Open WebSockets per user beyond this are refused with HTTP 429 TOO_MANY_USER_CONNECTIONS. */
  GATEWAY_MAX_CONNECTIONS_PER_USER: env.int(4, 1),
  /** Commands per connection and minute (burst of the same size); beyond, refused with RATE_LIMITED. */
  GATEWAY_COMMANDS_PER_MINUTE: env.int(30, 1),
  /** Server ping period; a client that has not answered the previous ping by the next one is terminated. */
  GATEWAY_PING_INTERVAL_MS: env.int(30_000, 50),
  /** Bytes held per client (own queue + socket buffer) before an `every` subscriber is closed with 4008. */
  GATEWAY_SEND_BUFFER_BYTES: env.int(4 * 1024 * 1024, 16 * 1024),
  /** Subscriptions (one JetStream ordered consumer each) per connection. */
  GATEWAY_MAX_SUBSCRIPTIONS: env.int(64, 1),
};

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
export const loadGatewayConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(gatewayConfigShape, source);
