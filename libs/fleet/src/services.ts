/**
 * The services of the fleet and how the local runner wires them: ports, and the environment each one gets.
 * Ports are the documented defaults (docs/configuration.md); every one can be overridden.
 */
export const SERVICE_NAMES = ['auth', 'persistence', 'inference', 'tracker', 'gateway', 'ingest', 'console'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const DEFAULT_PORTS: Record<ServiceName | 'nats' | 'postgres', number> = {
  nats: 4222,
  postgres: 55432,
  auth: 3001,
  inference: 3002,
  persistence: 3003,
  gateway: 3004,
  ingest: 3005,
  console: 3008,
  tracker: 3009,
};

export interface NatsCredentials {
  user: string;
  password: string;
}

export interface FleetEndpoints {
  natsUrl: string;
  /** Each NATS-using service's own identity (absent: the server accepts anyone). */
  natsCredentials?: Partial<Record<ServiceName, NatsCredentials>>;
  /** The CA that signed the fleet's nats-server certificate (absent: plaintext NATS). */
  natsTlsCaFile?: string;
  /** The owner's URL (migrations and roles; `psql`-level access): no service connects with it. */
  databaseUrl: string;
  /** Each database-using service's own role, with only its grants (libs/db's DATABASE_GRANTS). */
  serviceDatabaseUrls?: Partial<Record<ServiceName, string>>;
  ports: Record<ServiceName, number>;
  dataDir: string;
}

/** The directory the local ingest reads file sources from. */
export const mediaDir = (dataDir: string): string => `${dataDir}/media`;

export const httpUrl = (port: number): string => `http://127.0.0.1:${port}`;

/** Environment for one service, derived from where the infrastructure and the other services listen. */
export function serviceEnvironment(name: ServiceName, endpoints: FleetEndpoints): Record<string, string> {
  const databaseUrl = endpoints.serviceDatabaseUrls?.[name] ?? endpoints.databaseUrl;
  const jwksUrl = `${httpUrl(endpoints.ports.auth)}/.well-known/jwks.json`;
  const identity = endpoints.natsCredentials?.[name];
  const common = {
    NATS_URL: endpoints.natsUrl,
    HTTP_PORT: String(endpoints.ports[name]),
    ...(identity && { NATS_USER: identity.user, NATS_PASSWORD: identity.password }),
    ...(endpoints.natsTlsCaFile !== undefined && { NATS_TLS_CA_FILE: endpoints.natsTlsCaFile }),
  };
  switch (name) {
    case 'auth':
      return {
        ...common,
        DATABASE_URL: databaseUrl,
        AUTH_SIGNING_KEY_FILE: `${endpoints.dataDir}/auth/signing-key.pem`,
        MAIL_OUTBOX_DIR: `${endpoints.dataDir}/auth/outbox`,
        // Accounts come from an admin, who also grants them sessions; nobody on the network signs up.
        AUTH_SIGNUP_ENABLED: 'false',
        // Mailed reset links open the console's reset page.
        PASSWORD_RESET_LINK_URL: `${httpUrl(endpoints.ports.console)}/console/`,
      };
    case 'persistence':
      return { ...common, DATABASE_URL: databaseUrl, AUTH_JWKS_URL: jwksUrl };
    case 'inference':
      return common;
    case 'tracker':
      return { ...common, DATABASE_URL: databaseUrl };
    case 'gateway':
      return { ...common, AUTH_JWKS_URL: jwksUrl };
    case 'ingest':
      // File sources only from the fleet's own media directory (the demo points it at the user's file's directory).
      return { ...common, AUTH_JWKS_URL: jwksUrl, INGEST_FILE_ROOT: mediaDir(endpoints.dataDir) };
    case 'console':
      // The console server proxies one origin to the services, like the compose TLS proxy.
      return {
        HTTP_PORT: common.HTTP_PORT,
        AUTH_URL: httpUrl(endpoints.ports.auth),
        INGEST_URL: httpUrl(endpoints.ports.ingest),
        PERSISTENCE_URL: httpUrl(endpoints.ports.persistence),
        GATEWAY_URL: httpUrl(endpoints.ports.gateway),
      };
  }
}
