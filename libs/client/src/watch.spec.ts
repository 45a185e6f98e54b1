import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { passwordTokenSource } from './login.js';
import { parseWatchArgs, UsageError } from './watch.js';

describe('sightline-agent watch arguments', () => {
  it('builds client options from flags, with env fallbacks and documented defaults', () => {
    const command = parseWatchArgs(['watch', 'cam-1', 'cam-2', '--policy', 'latest', '--from-sequence', '41', '--limit', '5'], {
      SIGHTLINE_TOKEN: 'from-env',
    });
    expect(command).toEqual({
      client: expect.objectContaining({
        url: 'ws://127.0.0.1:3004/ws/analysis',
        token: 'from-env',
        tokenTransport: 'header',
        sessions: ['cam-1', 'cam-2'],
        policy: 'latest',
        fromSequence: 41,
      }),
      limit: 5,
    });
    expect(parseWatchArgs(['watch', '*', '--token', 't', '--url', 'wss://gw.example/ws/analysis'], {}).client).toMatchObject({
      sessions: '*',
      url: 'wss://gw.example/ws/analysis',
      token: 't',
    });
    expect(parseWatchArgs(['watch', 'cam-1', '--username', 'ada'], { SIGHTLINE_PASSWORD: 'pw' }).client.getToken).toBeTypeOf('function');
  });

  it('passes an event filter, and refuses unknown event names', () => {
    const command = parseWatchArgs(['watch', 'cam-1', '--token', 't', '--events', 'objectAppeared, zoneEntered'], {});
    expect(command.client.events).toEqual(['objectAppeared', 'zoneEntered']);
    expect(parseWatchArgs(['watch', 'cam-1', '--token', 't'], {}).client.events).toBeUndefined();
    expect(() => parseWatchArgs(['watch', 'cam-1', '--token', 't', '--events', 'objectAppeared,faceSeen'], {})).toThrow(
      /unknown: faceSeen/,
    );
    expect(() => parseWatchArgs(['watch', 'cam-1', '--token', 't', '--events', ','], {})).toThrow(UsageError);
  });

  it('rejects incomplete or contradictory invocations with a usage error', () => {
    const bad: string[][] = [
      ['watch', '--token', 't'],
      ['listen', 'cam-1', '--token', 't'],
      ['watch', 'cam-1'],
      ['watch', 'cam-1', '--username', 'ada'],
      ['watch', '*', 'cam-1', '--token', 't'],
      ['watch', 'cam-1', '--token', 't', '--policy', 'some'],
      ['watch', 'cam-1', '--token', 't', '--from-sequence', '-1'],
      ['watch', 'cam-1', '--token', 't', '--from-sequence', '1', '--from-time', '2025-01-01T00:00:00Z'],
    ];
    for (const argv of bad) expect(() => parseWatchArgs(argv, {}), argv.join(' ')).toThrow(UsageError);
  });
});

describe('password login', () => {
  it('posts the OAuth2 password grant and reuses the token until shortly before it expires', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        bodies.push(`${req.method} ${req.url} ${req.headers['content-type']} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' });
        // 31 s lifetime with a 30 s margin: renewed one second after issue.
        res.end(JSON.stringify({ access_token: `token-${bodies.length}`, token_type: 'bearer', expires_in: 31 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const authUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const getToken = passwordTokenSource({ authUrl, username: 'ada', password: 's3cret&more' });
      expect(await getToken()).toBe('token-1');
      expect(await getToken()).toBe('token-1');
      expect(bodies).toEqual(['POST /login application/x-www-form-urlencoded grant_type=password&username=ada&password=s3cret%26more']);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await getToken()).toBe('token-2');
    } finally {
      server.close();
    }
  });
});
