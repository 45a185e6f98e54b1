/**
 * `sightline-agent watch`: prints a gateway subscription as JSON lines (one result per line on stdout; connection
 * status as JSON lines on stderr), reconnecting and resuming like any SDK client.
 */
import { parseArgs } from 'node:util';
import { AnalysisClient, type AnalysisClientOptions } from './analysis-client.js';
import { passwordTokenSource } from './login.js';
import { ALL_SESSIONS, RESULT_EVENT_NAMES, WS_PATH, type EventName } from './protocol.js';

export const WATCH_USAGE = `usage: sightline-agent watch <sessionId...|*> [options]

  --url <ws-url>             gateway endpoint            [env SIGHTLINE_GATEWAY_URL, default ws://127.0.0.1:3004${WS_PATH}]
  --token <jwt>              access token                [env SIGHTLINE_TOKEN]
  --username <name>          log in with the password grant instead of --token   [env SIGHTLINE_USERNAME]
  --password <password>      (prefer the env variable: arguments are visible to ps) [env SIGHTLINE_PASSWORD]
  --auth-url <url>           auth service                [env SIGHTLINE_AUTH_URL, default http://127.0.0.1:3001]
  --policy every|latest      delivery policy             [default every]
  --events <name,...>        only these events, e.g. objectAppeared,zoneEntered   [default all]
  --from-sequence <n>        start after this RESULTS sequence
  --from-time <iso-8601>     start at this time
  --token-transport header|subprotocol                   [default header]
  --limit <n>                exit after printing n results
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface WatchCommand {
  client: AnalysisClientOptions;
  limit?: number;
}

export function parseWatchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): WatchCommand {
  const { values, positionals } = parseFlags(argv);
  const [command, ...sessions] = positionals;
  if (command !== 'watch') throw new UsageError(`unknown command "${command ?? ''}"`);
  if (sessions.length === 0) throw new UsageError('name at least one session id, or *');
  if (sessions.includes(ALL_SESSIONS) && sessions.length > 1) throw new UsageError('* cannot be combined with session ids');

  const policy = values.policy ?? 'every';
  if (policy !== 'every' && policy !== 'latest') throw new UsageError('--policy must be every or latest');
  const tokenTransport = values['token-transport'] ?? 'header';
  if (tokenTransport !== 'header' && tokenTransport !== 'subprotocol') {
    throw new UsageError('--token-transport must be header or subprotocol');
  }
  const events = values.events
    ?.split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const unknown = events?.filter((e) => !(RESULT_EVENT_NAMES as readonly string[]).includes(e)) ?? [];
  if (events && (events.length === 0 || unknown.length)) {
    throw new UsageError(
      `--events takes names from ${RESULT_EVENT_NAMES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    );
  }
  const fromSequence = optionalInt(values['from-sequence'], '--from-sequence');
  const fromTime = values['from-time'];
  if (fromTime !== undefined && Number.isNaN(Date.parse(fromTime))) throw new UsageError('--from-time must be an ISO-8601 time');
  if (fromSequence !== undefined && fromTime !== undefined) throw new UsageError('use --from-sequence or --from-time, not both');

  const token = values.token ?? env.SIGHTLINE_TOKEN;
  const username = values.username ?? env.SIGHTLINE_USERNAME;
  const password = values.password ?? env.SIGHTLINE_PASSWORD;
  let credentials: Pick<AnalysisClientOptions, 'token' | 'getToken'>;
  if (username !== undefined) {
    if (password === undefined) throw new UsageError('--username needs --password (or SIGHTLINE_PASSWORD)');
    const authUrl = values['auth-url'] ?? env.SIGHTLINE_AUTH_URL ?? 'http://127.0.0.1:3001';
    credentials = { getToken: passwordTokenSource({ authUrl, username, password }) };
  } else if (token !== undefined) {
    credentials = { token };
  } else {
    throw new UsageError('give --token (or SIGHTLINE_TOKEN), or --username/--password');
  }

  return {
    client: {
      url: values.url ?? env.SIGHTLINE_GATEWAY_URL ?? `ws://127.0.0.1:3004${WS_PATH}`,
      ...credentials,
      tokenTransport,
      sessions: sessions[0] === ALL_SESSIONS ? ALL_SESSIONS : sessions,
      policy,
      ...(events && { events: events as EventName[] }),
      fromSequence,
      fromTime,
    },
    limit: optionalInt(values.limit, '--limit'),
  };
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        'auth-url': { type: 'string' },
        policy: { type: 'string' },
        events: { type: 'string' },
        'from-sequence': { type: 'string' },
        'from-time': { type: 'string' },
        'token-transport': { type: 'string' },
        limit: { type: 'string' },
      },
    });
  } catch (err) {
    // Unknown flags, missing values, `--from-sequence -1` (read as a flag): all usage errors.
    throw new UsageError((err as Error).message);
  }
}

function optionalInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer`);
  return n;
}

export interface WatchOutput {
  write(line: string): unknown;
}

/** Runs until `limit` results were printed, `signal` aborts, or the token is refused for good (exit code 3). */
export async function runWatch(
  command: WatchCommand,
  out: { stdout: WatchOutput; stderr: WatchOutput },
  signal?: AbortSignal,
): Promise<number> {
  const status = (record: Record<string, unknown>) => out.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...record })}\n`);
  const client = new AnalysisClient(command.client);
  client.on('connected', () => status({ status: 'connected', url: command.client.url }));
  client.on('subscribed', (payload) => status({ status: 'subscribed', ...payload }));
  client.on('disconnected', ({ code, reason }) => status({ status: 'disconnected', code, reason }));
  client.on('reconnecting', ({ attempt, delayMs }) => status({ status: 'reconnecting', attempt, delayMs }));
  client.on('connectError', ({ error, status: httpStatus }) => status({ status: 'connect-error', httpStatus, error: error.message }));
  client.on('serverError', (payload) => status({ status: 'server-error', ...payload }));
  const onAbort = () => void client.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  let printed = 0;
  try {
    for await (const event of client) {
      out.stdout.write(`${JSON.stringify(event)}\n`);
      if (command.limit !== undefined && ++printed >= command.limit) break;
    }
    return 0;
  } catch (err) {
    status({ status: 'stopped', error: (err as Error).message });
    return 3;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await client.close();
  }
}
