/**
 * HTTP Digest access authentication as RTSP uses it (RFC 7616, compatible with RFC 2617 and RFC 2069 servers):
 * MD5 and SHA-256 (plus their -sess variants), qop=auth with nc/cnonce, opaque echoed, stale nonces renewed.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RtspRequest } from '../message.js';
import type { AuthChallenge } from './challenge.js';
import type { AuthStrategy, Credentials } from './auth-strategy.js';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

/** Strongest first. */
const ALGORITHMS: DigestAlgorithm[] = ['SHA-256', 'SHA-256-sess', 'MD5', 'MD5-sess'];

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** Whether the server named the algorithm (we echo it only then, for RFC 2069 servers). */
  algorithmNamed: boolean;
  /** Only "auth" is supported; undefined = RFC 2069 (no qop), as GStreamer's server does. */
  qop?: 'auth';
  stale: boolean;
}

/** The Digest challenge we can answer with the strongest algorithm, if any. */
export function selectDigestChallenge(challenges: AuthChallenge[]): DigestChallenge | undefined {
  const candidates = challenges.filter((c) => c.scheme === 'digest').flatMap((c) => toDigestChallenge(c) ?? []);
  return candidates.sort((a, b) => ALGORITHMS.indexOf(a.algorithm) - ALGORITHMS.indexOf(b.algorithm))[0];
}

function toDigestChallenge({ params }: AuthChallenge): DigestChallenge | undefined {
  const algorithm = ALGORITHMS.find((a) => a.toLowerCase() === (params['algorithm'] ?? 'MD5').toLowerCase());
  const qops = params['qop']?.split(',').map((q) => q.trim().toLowerCase());
  if (!algorithm || params['nonce'] === undefined || params['realm'] === undefined) return undefined;
  if (qops && !qops.includes('auth')) return undefined; // auth-int only: we do not hash bodies
  if (algorithm.endsWith('-sess') && !qops) return undefined; // -sess needs a cnonce, which only qop carries
  return {
    realm: params['realm'],
    nonce: params['nonce'],
    opaque: params['opaque'],
    algorithm,
    algorithmNamed: params['algorithm'] !== undefined,
    qop: qops ? 'auth' : undefined,
    stale: params['stale']?.toLowerCase() === 'true',
  };
}

export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  username: string;
  password: string;
  realm: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: 'auth';
  /** 8 hex digits, e.g. "00000001"; with qop only. */
  nc?: string;
  cnonce?: string;
}

/** The `response` value: H(HA1:nonce[:nc:cnonce:qop]:HA2) with HA1 = H(user:realm:password), HA2 = H(method:uri). */
export function computeDigestResponse(input: DigestResponseInput): string {
  const hashName = input.algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  const hash = (text: string) => createHash(hashName).update(text, 'utf8').digest('hex');
  let ha1 = hash(`${input.username}:${input.realm}:${input.password}`);
  if (input.algorithm.endsWith('-sess')) ha1 = hash(`${ha1}:${input.nonce}:${input.cnonce}`);
  const ha2 = hash(`${input.method}:${input.uri}`);
  return input.qop ? hash(`${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`) : hash(`${ha1}:${input.nonce}:${ha2}`);
}

export interface DigestOptions {
  /** Client nonce generator (tests pin it to reproduce RFC examples). */
  cnonce?: () => string;
}

export class DigestAuthStrategy implements AuthStrategy {
  private challenge?: DigestChallenge;
  private nonceCount = 0;

  constructor(
    private readonly credentials: Credentials,
    private readonly options: DigestOptions = {},
  ) {}

  applyAuthHeaders(req: RtspRequest): void {
    const challenge = this.challenge;
    if (!challenge) return;
    const { username, password } = this.credentials;
    const nc = challenge.qop ? (++this.nonceCount).toString(16).padStart(8, '0') : undefined;
    const cnonce = challenge.qop ? (this.options.cnonce?.() ?? randomBytes(16).toString('hex')) : undefined;
    const response = computeDigestResponse({
      ...challenge,
      username,
      password,
      method: req.method,
      uri: req.url,
      nc,
      cnonce,
    });
    const fields = [
      `username=${quote(username)}`,
      `realm=${quote(challenge.realm)}`,
      `nonce=${quote(challenge.nonce)}`,
      `uri=${quote(req.url)}`,
      ...(challenge.algorithmNamed ? [`algorithm=${challenge.algorithm}`] : []),
      `response=${quote(response)}`,
      ...(challenge.opaque !== undefined ? [`opaque=${quote(challenge.opaque)}`] : []),
      ...(challenge.qop ? [`qop=${challenge.qop}`, `nc=${nc}`, `cnonce=${quote(cnonce!)}`] : []),
    ];
    req.headers['Authorization'] = `Digest ${fields.join(', ')}`;
  }

  /** First challenge or stale nonce: retry. A fresh, non-stale challenge after we answered one: rejected. */
  handleChallenge(challenges: AuthChallenge[]): boolean {
    const next = selectDigestChallenge(challenges);
    if (!next) return false;
    const retry = !this.challenge || next.stale;
    this.challenge = next;
    this.nonceCount = 0;
    return retry;
  }
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
