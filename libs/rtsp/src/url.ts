/** rtsp:// URLs: where to connect, what to request (never with userinfo), and the credentials the URL carries. */
import { redactUrl } from '@sightline/contracts';
import type { Credentials } from './auth/auth-strategy.js';
import { RtspErrorCode, rtspError } from './errors.js';

const DEFAULT_PORT = 554;

export interface RtspTarget {
  host: string;
  port: number;
  /** Request URL: the given URL without userinfo. */
  url: string;
  credentials?: Credentials;
}

export function parseRtspUrl(raw: string): RtspTarget {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw rtspError(RtspErrorCode.protocol, 'invalid RTSP URL', { url: redactUrl(raw) });
  }
  if (parsed.protocol !== 'rtsp:') throw rtspError(RtspErrorCode.protocol, 'not an rtsp:// URL', { url: redactUrl(raw) });
  const credentials = parsed.username
    ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
    : undefined;
  parsed.username = '';
  parsed.password = '';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: parsed.port ? Number(parsed.port) : DEFAULT_PORT, url: parsed.toString(), credentials };
}
