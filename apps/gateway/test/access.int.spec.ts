/**
 * Who may open /ws/analysis, and for how long: upgrade-time refusals (HTTP status, no socket opened), the token as a
 * subprotocol, the connection limit, token expiry while connected, and keep-alive.
 */
import { TokenSigner } from '@sightline/security';
import { WS_CLOSE } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectProbe, GatewayFixture, isProbe, openProbe, until, type Probe, type ProbeOptions } from './support.js';

describe('gateway access control', () => {
  let fixture: GatewayFixture;

  beforeAll(async () => {
    fixture = await GatewayFixture.start({ GATEWAY_MAX_CONNECTIONS: '2' });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  async function refusal(options: ProbeOptions) {
    const result = await connectProbe(fixture.wsUrl, options);
    if (isProbe(result)) {
      await result.close();
      throw new Error('the upgrade was accepted');
    }
    return result;
  }

  it('refuses missing, malformed, foreign, expired and role-less tokens with 401/403 before any socket opens', async () => {
    const foreign = await TokenSigner.generate();
    const cases: Array<{ name: string; options: () => Promise<ProbeOptions>; status: number; code: string; reason: string }> = [
      { name: 'no token', options: async () => ({}), status: 401, code: 'TOKEN_MISSING', reason: 'missing' },
      { name: 'garbage', options: async () => ({ token: 'not-a-jwt' }), status: 401, code: 'TOKEN_INVALID', reason: 'invalid' },
      {
        name: 'signed by another key',
        options: async () => ({ token: (await foreign.sign({ userId: 1, username: 'eve', roles: ['admin'] }, 600)).token }),
        status: 401,
        code: 'TOKEN_INVALID',
        reason: 'invalid',
      },
      {
        name: 'expired',
        options: async () => ({ token: await fixture.token(['agent'], -60) }),
        status: 401,
        code: 'TOKEN_EXPIRED',
        reason: 'expired',
      },
      {
        name: 'no allowed role',
        options: async () => ({ token: await fixture.token(['viewer']) }),
        status: 403,
        code: 'FORBIDDEN',
        reason: 'forbidden',
      },
      {
        name: 'token in the query string',
        options: async () => ({ path: `/ws/analysis?access_token=${await fixture.token()}` }),
        status: 400,
        code: 'TOKEN_IN_QUERY',
        reason: 'token_in_query',
      },
    ];
    for (const c of cases) {
      const refused = await refusal(await c.options());
      expect({ name: c.name, status: refused.status, code: refused.body.code }).toEqual({ name: c.name, status: c.status, code: c.code });
      expect(await fixture.metric('sightline_gateway_auth_failures_total', `reason="${c.reason}"`)).toBeGreaterThanOrEqual(1);
    }
    expect(await fixture.metric('sightline_gateway_clients')).toBe(0);
  });

  it('refuses a client that does not offer the json subprotocol (400), and unknown paths (404)', async () => {
    const token = await fixture.token();
    for (const protocols of [[], ['xml'], ['JSON-v2']]) {
      const refused = await refusal({ token, protocols });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'SUBPROTOCOL_REQUIRED', message: expect.stringContaining('"json"') });
    }
    expect((await refusal({ token, path: '/ws/other' })).status).toBe(404);
  });

  it('accepts the token as a second subprotocol and echoes only json', async () => {
    const probe = await openProbe(fixture.wsUrl, { protocols: ['json', await fixture.token(['operator'])] });
    expect(probe.ws.protocol).toBe('json');
    await probe.close();
    const expired = await refusal({ protocols: ['json', await fixture.token(['operator'], -60)] });
    expect(expired).toMatchObject({ status: 401, body: { code: 'TOKEN_EXPIRED' } });
  });

  it('serves at most GATEWAY_MAX_CONNECTIONS clients (503 beyond), and admits again once one leaves', async () => {
    const token = await fixture.token();
    const first = (await connectProbe(fixture.wsUrl, { token })) as Probe;
    const second = (await connectProbe(fixture.wsUrl, { token })) as Probe;
    expect(isProbe(first) && isProbe(second)).toBe(true);
    const third = await refusal({ token });
    expect(third).toMatchObject({ status: 503, body: { code: 'TOO_MANY_CONNECTIONS' } });
    await first.close();
    await until(async () => (await fixture.metric('sightline_gateway_clients')) === 1, 'the first client to be gone');
    const fourth = await connectProbe(fixture.wsUrl, { token });
    expect(isProbe(fourth)).toBe(true);
    await Promise.all([second.close(), (fourth as Probe).close()]);
  });

  it('closes the socket with tokenExpired (4001) when the token expires while connected', async () => {
    const probe = await openProbe(fixture.wsUrl, { token: await fixture.token(['agent'], 2) });
    expect(await probe.closed).toBe(WS_CLOSE.tokenExpired);
    expect(probe.closeReason).toContain('expired');
    expect(await fixture.metric('sightline_gateway_disconnects_total', 'reason="token_expired"')).toBe(1);
  });
});

describe('gateway keep-alive', () => {
  let fixture: GatewayFixture;

  beforeAll(async () => {
    fixture = await GatewayFixture.start({ GATEWAY_PING_INTERVAL_MS: '200' });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('pings every interval and terminates a client that stops answering pongs; others stay', async () => {
    const token = await fixture.token();
    const healthy = (await connectProbe(fixture.wsUrl, { token })) as Probe;
    const mute = (await connectProbe(fixture.wsUrl, { token, autoPong: false })) as Probe;
    expect(isProbe(healthy) && isProbe(mute)).toBe(true);

    // Abnormal closure: the server dropped the TCP connection without a close frame.
    expect(await mute.closed).toBe(1006);
    expect(mute.pings).toBeGreaterThanOrEqual(1);
    await until(() => healthy.pings >= 5, 'five pings to the healthy client');
    expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
    expect(await fixture.metric('sightline_gateway_disconnects_total', 'reason="pong_timeout"')).toBe(1);
    expect(await fixture.metric('sightline_gateway_clients')).toBe(1);
    await healthy.close();
  });
});
