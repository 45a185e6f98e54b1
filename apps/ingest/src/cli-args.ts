/**
 * Command line of the ingest CLI: one session from options, or every session of a YAML/JSON file.
 *
 *   sightline-ingest --source rtsp://camera/stream --auth digest --username viewer [--session cam1]
 *   sightline-ingest --source /media/clip.mp4 --pacing fast
 *   sightline-ingest --config sessions.yaml
 *
 * The RTSP password comes from $RTSP_PASSWORD (or --password, which other users can see in `ps`).
 */
import { parseArgs } from 'node:util';
import { RTSP_AUTH_TYPES, SightlineError, type RtspAuthType, type SourceType, type StartSessionRequest } from '@sightline/contracts';
import { IngestCode } from './codes.js';

export const CLI_USAGE = `usage: sightline-ingest --source <rtsp://…|/path/clip.mp4|/dev/videoN> [options]
       sightline-ingest --config <sessions.yaml|json>

  --source <url>        RTSP URL, absolute MP4 path, or V4L2 device (/dev/video0?video_size=1920x1080&framerate=60)
  --type <t>            rtsp | file | device (default: from the source)
  --session <id>        session id (default: a random UUID)
  --auth <scheme>       RTSP auth: ${RTSP_AUTH_TYPES.join(' | ')} (default: RTSP_AUTH, else auto)
  --username <name>     RTSP user (default: the URL's userinfo)
  --password <secret>   RTSP password (prefer the RTSP_PASSWORD environment variable)
  --loop                files: start again at the end
  --pacing <p>          files: realtime (default) | fast
  --max-fps <n>         analyse at most n frames per second, evenly spaced (default: INGEST_MAX_FPS, else all)
  --config <file>       start every session listed in a YAML/JSON sessions file
Configuration (NATS_URL, INGEST_*, FFMPEG_PATH, ...) comes from the environment, as for the service.`;

export type CliCommand = { kind: 'help' } | { kind: 'sessions'; requests: StartSessionRequest[] } | { kind: 'config'; file: string };

const OPTIONS = {
  source: { type: 'string' },
  type: { type: 'string' },
  session: { type: 'string' },
  auth: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  loop: { type: 'boolean', default: false },
  pacing: { type: 'string' },
  'max-fps': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parseOptions(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, strict: true }).values;
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  const values = parseOptions(argv);
  if (values.help) return { kind: 'help' };
  if (values.config) {
    if (values.source) throw usageError('--config and --source exclude each other');
    return { kind: 'config', file: values.config };
  }
  if (!values.source) throw usageError('--source or --config is required');
  const type = (values.type ?? sourceTypeOf(values.source)) as SourceType;
  const authType = values.auth as RtspAuthType | undefined;
  if (authType && !RTSP_AUTH_TYPES.includes(authType)) throw usageError(`--auth must be one of ${RTSP_AUTH_TYPES.join(', ')}`);
  const maxFps = values['max-fps'] === undefined ? undefined : Number(values['max-fps']);
  if (maxFps !== undefined && !(maxFps > 0 && maxFps <= 1000)) throw usageError('--max-fps must be a number in (0, 1000]');
  const password = values.password ?? env.RTSP_PASSWORD;
  // The scalar form of requirements §5.3: `auth: basic|digest` with the credentials as separate keys.
  const auth =
    type === 'rtsp' && (authType || values.username)
      ? { auth: authType ?? 'auto', ...(values.username && { username: values.username, password: password ?? '' }) }
      : undefined;
  const request: StartSessionRequest = {
    ...(values.session && { sessionId: values.session }),
    source: {
      type,
      url: values.source,
      ...auth,
      loop: values.loop,
      ...(values.pacing && { pacing: values.pacing as 'realtime' | 'fast' }),
      ...(maxFps !== undefined && { maxFps }),
    },
  };
  return { kind: 'sessions', requests: [request] };
}

function sourceTypeOf(source: string): SourceType {
  if (/^rtsp:\/\//i.test(source)) return 'rtsp';
  if (source.startsWith('/dev/video')) return 'device';
  return 'file';
}

function usageError(message: string): SightlineError {
  return new SightlineError(IngestCode.cliUsage, message);
}
