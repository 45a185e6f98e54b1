import { describe, expect, it } from 'vitest';
import type { RtspRequest } from '../message.js';
import { BasicAuthStrategy, NoAuthStrategy } from './auth-strategy.js';
import { parseWwwAuthenticate } from './challenge.js';
import { AutoAuthStrategy, createAuthStrategy } from './create-auth-strategy.js';
import { computeDigestResponse, DigestAuthStrategy } from './digest.js';

const request = (method = 'DESCRIBE', url = 'rtsp://cam/live'): RtspRequest => ({ method, url, headers: {} });

/** Parameters of an Authorization: Digest header. */
function digestParams(header: string | undefined): Record<string, string> {
  expect(header).toMatch(/^Digest /);
  return parseWwwAuthenticate([header!])[0]!.params;
}

/** RFC 7616 §3.9.1. */
const RFC7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  method: 'GET',
  uri: '/dir/index.html',
};
const rfc7616Challenge = (algorithm: string) =>
  `Digest realm="${RFC7616.realm}", qop="auth, auth-int", algorithm=${algorithm}, nonce="${RFC7616.nonce}", opaque="${RFC7616.opaque}"`;

describe('computeDigestResponse', () => {
  it('matches the RFC 7616 §3.9.1 example with MD5 and with SHA-256', () => {
    const input = { ...RFC7616, qop: 'auth' as const, nc: '00000001' };
    expect(computeDigestResponse({ ...input, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(computeDigestResponse({ ...input, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('matches the RFC 2617 §3.5 example, and computes RFC 2069 responses without qop', () => {
    const rfc2617 = {
      algorithm: 'MD5' as const,
      username: 'Mufasa',
      password: 'Circle Of Life',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      method: 'GET',
      uri: '/dir/index.html',
    };
    expect(computeDigestResponse({ ...rfc2617, qop: 'auth', nc: '00000001', cnonce: '0a4f113b' })).toBe('6629fae49393a05397450978507c4ef1');
    // H(HA1:nonce:HA2), as GStreamer's server computes it.
    expect(computeDigestResponse(rfc2617)).toBe('670fd8c2df070c60b045671b8b24ff02');
  });
});

describe('DigestAuthStrategy', () => {
  it('answers the RFC 7616 SHA-256 challenge with the RFC header fields', () => {
    const digest = new DigestAuthStrategy(RFC7616, { cnonce: () => RFC7616.cnonce });
    const req = request(RFC7616.method, RFC7616.uri);
    digest.applyAuthHeaders(req);
    expect(req.headers['Authorization']).toBeUndefined(); // nothing to answer before a challenge
    expect(digest.handleChallenge(parseWwwAuthenticate([rfc7616Challenge('SHA-256')]))).toBe(true);
    digest.applyAuthHeaders(req);
    expect(digestParams(req.headers['Authorization'])).toEqual({
      username: 'Mufasa',
      realm: RFC7616.realm,
      nonce: RFC7616.nonce,
      uri: '/dir/index.html',
      algorithm: 'SHA-256',
      response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
      opaque: RFC7616.opaque,
      qop: 'auth',
      nc: '00000001',
      cnonce: RFC7616.cnonce,
    });
  });

  it('counts nonce uses (nc) and restarts the count with a new nonce', () => {
    const digest = new DigestAuthStrategy({ username: 'u', password: 'p' });
    digest.handleChallenge(parseWwwAuthenticate(['Digest realm="r", nonce="n1", qop="auth"']));
    const first = request();
    const second = request('SETUP', 'rtsp://cam/live/track1');
    digest.applyAuthHeaders(first);
    digest.applyAuthHeaders(second);
    expect(digestParams(first.headers['Authorization'])['nc']).toBe('00000001');
    expect(digestParams(second.headers['Authorization'])).toMatchObject({ nc: '00000002', uri: 'rtsp://cam/live/track1' });
    expect(digestParams(first.headers['Authorization'])['cnonce']).not.toBe(digestParams(second.headers['Authorization'])['cnonce']);
  });

  it("answers GStreamer's RFC 2069 challenge (no qop, no algorithm) without qop fields", () => {
    const digest = new DigestAuthStrategy({ username: 'alice', password: 'secret' });
    digest.handleChallenge(parseWwwAuthenticate(['Digest realm="GStreamer RTSP Server", nonce="00c0ffee12345678"']));
    const req = request();
    digest.applyAuthHeaders(req);
    const params = digestParams(req.headers['Authorization']);
    expect(Object.keys(params).sort()).toEqual(['nonce', 'realm', 'response', 'uri', 'username']);
    expect(params['response']).toBe(
      computeDigestResponse({
        algorithm: 'MD5',
        username: 'alice',
        password: 'secret',
        realm: 'GStreamer RTSP Server',
        nonce: '00c0ffee12345678',
        method: 'DESCRIBE',
        uri: 'rtsp://cam/live',
      }),
    );
  });

  it('renews a stale nonce without counting it as a failure, and rejects after a fresh challenge', () => {
    const digest = new DigestAuthStrategy({ username: 'u', password: 'p' });
    // Fake exchange: 401 (first challenge) -> retry -> 200 ... later 401 stale=true -> retry -> 401 (fresh) -> give up.
    expect(digest.handleChallenge(parseWwwAuthenticate(['Digest realm="r", nonce="n1", qop="auth"']))).toBe(true);
    const beforeStale = request();
    digest.applyAuthHeaders(beforeStale);
    expect(digest.handleChallenge(parseWwwAuthenticate(['Digest realm="r", nonce="n2", qop="auth", stale=TRUE']))).toBe(true);
    const afterStale = request();
    digest.applyAuthHeaders(afterStale);
    expect(digestParams(afterStale.headers['Authorization'])).toMatchObject({ nonce: 'n2', nc: '00000001' });
    expect(digest.handleChallenge(parseWwwAuthenticate(['Digest realm="r", nonce="n3", qop="auth"']))).toBe(false);
  });

  it('refuses challenges it cannot answer', () => {
    const digest = new DigestAuthStrategy({ username: 'u', password: 'p' });
    expect(digest.handleChallenge(parseWwwAuthenticate(['Digest realm="r", nonce="n", algorithm=SHA-512-256']))).toBe(false);
    expect(digest.handleChallenge(parseWwwAuthenticate(['Digest realm="r", nonce="n", qop="auth-int"']))).toBe(false);
    expect(digest.handleChallenge(parseWwwAuthenticate(['Basic realm="r"']))).toBe(false);
  });

  it('escapes quotes and backslashes in quoted fields', () => {
    const digest = new DigestAuthStrategy({ username: 'a"b\\c', password: 'p' });
    digest.handleChallenge(parseWwwAuthenticate(['Digest realm="r", nonce="n"']));
    const req = request();
    digest.applyAuthHeaders(req);
    expect(req.headers['Authorization']).toContain('username="a\\"b\\\\c"');
    expect(digestParams(req.headers['Authorization'])['username']).toBe('a"b\\c');
  });
});

describe('BasicAuthStrategy', () => {
  it('sends base64(user:password) pre-emptively and never retries', () => {
    const basic = new BasicAuthStrategy({ username: 'Aladdin', password: 'open sesame' });
    const req = request();
    basic.applyAuthHeaders(req);
    expect(req.headers['Authorization']).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='); // RFC 7617 §2
    expect(basic.handleChallenge()).toBe(false);
  });
});

describe('AutoAuthStrategy', () => {
  const credentials = { username: 'u', password: 'p' };
  const answer = (challenges: string[]) => {
    const auto = new AutoAuthStrategy(credentials);
    const retry = auto.handleChallenge(parseWwwAuthenticate(challenges));
    const req = request();
    auto.applyAuthHeaders(req);
    return { retry, scheme: auto.scheme, header: req.headers['Authorization'] };
  };

  it('sends nothing before a challenge', () => {
    const req = request();
    new AutoAuthStrategy(credentials).applyAuthHeaders(req);
    expect(req.headers).toEqual({});
  });

  it('prefers Digest SHA-256 over Digest MD5 over Basic', () => {
    const all = answer([
      'Basic realm="r"',
      'Digest realm="r", nonce="md5", algorithm=MD5',
      'Digest realm="r", nonce="sha", algorithm=SHA-256',
    ]);
    expect(all).toMatchObject({ retry: true, scheme: 'digest' });
    expect(digestParams(all.header)).toMatchObject({ algorithm: 'SHA-256', nonce: 'sha' });

    const md5 = answer(['Basic realm="r"', 'Digest realm="r", nonce="md5"']);
    expect(digestParams(md5.header)).toMatchObject({ nonce: 'md5' });

    expect(answer(['Basic realm="r"'])).toMatchObject({ retry: true, scheme: 'basic', header: 'Basic dTpw' });
  });

  it('gives up without credentials or without a scheme it knows', () => {
    expect(new AutoAuthStrategy(undefined).handleChallenge(parseWwwAuthenticate(['Basic realm="r"']))).toBe(false);
    expect(answer(['Bearer realm="r"'])).toMatchObject({ retry: false, scheme: undefined });
  });

  it('does not retry a second time once the chosen scheme was rejected', () => {
    const auto = new AutoAuthStrategy(credentials);
    expect(auto.handleChallenge(parseWwwAuthenticate(['Basic realm="r"']))).toBe(true);
    expect(auto.handleChallenge(parseWwwAuthenticate(['Basic realm="r"']))).toBe(false);
  });
});

describe('createAuthStrategy', () => {
  it('maps the configured auth type to its strategy', () => {
    const credentials = { username: 'u', password: 'p' };
    expect(createAuthStrategy('none')).toBeInstanceOf(NoAuthStrategy);
    expect(createAuthStrategy('basic', credentials)).toBeInstanceOf(BasicAuthStrategy);
    expect(createAuthStrategy('digest', credentials)).toBeInstanceOf(DigestAuthStrategy);
    expect(createAuthStrategy('auto', credentials)).toBeInstanceOf(AutoAuthStrategy);
  });
});

describe('parseWwwAuthenticate', () => {
  it('splits several challenges in one header and unquotes values with commas and escapes', () => {
    expect(parseWwwAuthenticate(['Basic realm="a, b", Digest realm="x\\"y", nonce=abc, stale=false'])).toEqual([
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'digest', params: { realm: 'x"y', nonce: 'abc', stale: 'false' } },
    ]);
  });
});
