/**
 * Signup without account enumeration, and e-mail verification before login, against a real PostgreSQL and the
 * development outbox: the answer to /signup is the same whether or not the name or address exists; the outcome goes
 * to the address only; an account logs in only after its mailed single-use link is used.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthApp, startDatabase, until, verificationToken, type Reply } from './harness.js';

const PASSWORD = 'signup secret 2026';
const login = (auth: AuthApp, username: string, password = PASSWORD) =>
  auth.request('POST', '/login', { form: { grant_type: 'password', username, password } });

describe('auth service: signup and e-mail verification', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let auth: AuthApp;

  /** The n-th mail (0-based) to `address`, once it has been sent. */
  const mailTo = (address: string, n = 0) => until(() => auth.outbox(address)[n], `mail ${n + 1} to ${address}`);
  const verify = (token: string) => auth.request('POST', '/signup/verify', { json: { token } });
  /** Status, headers that matter, and body of a reply: what an enumerating client can compare. */
  const visible = (reply: Reply) => ({ status: reply.status, body: reply.body, type: reply.headers.get('content-type') });

  beforeAll(async () => {
    db = await startDatabase('auth-signup');
    auth = await AuthApp.start(db.dir, db.pg.url);
  });

  afterAll(async () => {
    await auth?.stop();
    await db?.stop();
  });

  it('answers a new account, a taken name and a taken address alike; only the address learns which', async () => {
    const fresh = await auth.requestSignup('vera', PASSWORD, 'vera@example.com');
    await mailTo('vera@example.com');
    const takenName = await auth.requestSignup('vera', PASSWORD, 'mallory@example.com');
    const takenAddress = await auth.requestSignup('someone-else', PASSWORD, 'VERA@example.com');
    const signupsBefore = await auth.metric('sightline_auth_signups_total', { outcome: 'accepted' });
    const again = await auth.requestSignup('newname', PASSWORD, 'new@example.com');

    expect(visible(fresh)).toEqual({ status: 202, body: { status: 'accepted' }, type: expect.stringContaining('application/json') });
    for (const reply of [takenName, takenAddress, again]) expect(visible(reply)).toEqual(visible(fresh));
    expect(await auth.metric('sightline_auth_signups_total', { outcome: 'accepted' })).toBe(signupsBefore + 1);

    // What each address is told, and that no second account was made.
    expect((await mailTo('mallory@example.com')).subject).toBe('Your Sightline signup did not go through');
    expect((await mailTo('vera@example.com', 1)).subject).toBe('Confirm your Sightline account'); // still pending: a new link
    expect(
      db.pg.psql(`SELECT count(*) FROM users WHERE username = 'vera' OR email IN ('vera@example.com', 'mallory@example.com')`).trim(),
    ).toBe('1');
    expect(db.pg.psql(`SELECT count(*) FROM users WHERE username = 'someone-else'`).trim()).toBe('0');
  });

  it('refuses login until the mailed link is used; the token is stored hashed and works once', async () => {
    const requested = await auth.requestSignup('wanda', PASSWORD, 'wanda@example.com');
    expect(requested.status).toBe(202);
    const mail = await mailTo('wanda@example.com');
    expect(mail.subject).toBe('Confirm your Sightline account');
    expect(mail.text).toMatch(/\/console\/#\/verify\/[A-Za-z0-9_-]{43}$/m);
    expect(mail.text).not.toMatch(/[?&]token=/);
    const token = verificationToken(mail)!;
    const userId = db.pg.psql(`SELECT id FROM users WHERE username = 'wanda'`).trim();
    expect(db.pg.psql(`SELECT token_hash FROM email_verification_tokens WHERE user_id = ${userId}`).trim()).toBe(
      createHash('sha256').update(token).digest('hex'),
    );

    const early = await login(auth, 'wanda');
    expect(early.status).toBe(403);
    expect(early.body).toMatchObject({ code: 'EMAIL_NOT_VERIFIED' });
    // Only whoever knows the password learns that: a wrong one is the usual 401.
    expect((await login(auth, 'wanda', 'not the password at all')).status).toBe(401);

    const verified = await verify(token);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ username: 'wanda', email: 'wanda@example.com', roles: ['agent'] });
    expect((await login(auth, 'wanda')).status).toBe(200);
    expect((await verify(token)).body).toMatchObject({ code: 'VERIFICATION_TOKEN_INVALID' });
  });

  it('refuses an expired link', async () => {
    await auth.requestSignup('xavier', PASSWORD, 'xavier@example.com');
    const token = verificationToken(await mailTo('xavier@example.com'))!;
    db.pg.psql(
      `UPDATE email_verification_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = '${createHash('sha256').update(token).digest('hex')}'`,
    );
    const reply = await verify(token);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ code: 'VERIFICATION_TOKEN_INVALID' });
    expect((await login(auth, 'xavier')).body).toMatchObject({ code: 'EMAIL_NOT_VERIFIED' });
  });

  it("does not let anyone pre-register an address: the owner's later signup sets the password and voids the old link", async () => {
    const attackerPassword = 'attacker chose this 1';
    await auth.requestSignup('yolanda', attackerPassword, 'yolanda@example.com');
    const attackersLink = verificationToken(await mailTo('yolanda@example.com'))!;
    // The owner of the mailbox signs up herself (the name is the account's, whatever she types).
    await auth.requestSignup('yolanda', PASSWORD, 'yolanda@example.com');
    const ownersLink = verificationToken(await mailTo('yolanda@example.com', 1))!;
    expect((await verify(attackersLink)).status).toBe(400);
    expect((await verify(ownersLink)).status).toBe(200);
    expect((await login(auth, 'yolanda', attackerPassword)).status).toBe(401);
    expect((await login(auth, 'yolanda')).status).toBe(200);
    // Verified now: a further signup only notifies the address.
    await auth.requestSignup('yolanda2', 'another password 22', 'yolanda@example.com');
    expect((await mailTo('yolanda@example.com', 2)).subject).toBe('You already have a Sightline account');
    expect((await login(auth, 'yolanda')).status).toBe(200);
  });

  it('makes exactly one account of several simultaneous signups for a name', async () => {
    const replies = await Promise.all(
      ['racer', 'RACER', ' racer'].map((name, i) => auth.requestSignup(name, PASSWORD, `racer${i}@example.com`)),
    );
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202]);
    const subjects = await Promise.all([0, 1, 2].map(async (i) => (await mailTo(`racer${i}@example.com`)).subject));
    expect(subjects.sort()).toEqual([
      'Confirm your Sightline account',
      'Your Sightline signup did not go through',
      'Your Sightline signup did not go through',
    ]);
    expect(db.pg.psql(`SELECT count(*) FROM users WHERE username = 'racer'`).trim()).toBe('1');
  });

  it('counts a completed password reset as proof of the address', async () => {
    await auth.requestSignup('zoe', PASSWORD, 'zoe@example.com');
    await mailTo('zoe@example.com');
    expect((await auth.request('POST', '/password-reset', { json: { email: 'zoe@example.com' } })).status).toBe(202);
    const reset = await mailTo('zoe@example.com', 1);
    const token = reset.text.match(/#\/reset\/([A-Za-z0-9_-]{43})$/m)![1];
    expect((await auth.request('POST', '/password-reset/confirm', { json: { token, newPassword: 'a brand new secret 5' } })).status).toBe(
      204,
    );
    expect((await login(auth, 'zoe', 'a brand new secret 5')).status).toBe(200);
  });

  it('never logs a verification token or a password', () => {
    const logs = auth.logLines.join('\n');
    for (const mail of auth.outbox('wanda@example.com')) expect(logs).not.toContain(verificationToken(mail));
    expect(logs).not.toContain(PASSWORD);
  });
});

describe('auth service: mails per address are capped, the same for known and unknown addresses', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let auth: AuthApp;

  beforeAll(async () => {
    db = await startDatabase('auth-mail-cap');
    auth = await AuthApp.start(db.dir, db.pg.url, { RATE_LIMIT_MAILS_PER_ADDRESS_PER_HOUR: '2', RATE_LIMIT_RESET_PER_IP: '1000' });
    expect((await auth.signup('quinn', PASSWORD, 'quinn@example.com')).status).toBe(200); // one mail: the verification
  });

  afterAll(async () => {
    await auth?.stop();
    await db?.stop();
  });

  const reset = (email: string) => auth.request('POST', '/password-reset', { json: { email } });
  /** Waits until every reset request so far was processed in the background. */
  const settled = () =>
    until(async () => {
      const requested = await auth.metric('sightline_auth_password_resets_total', { stage: 'requested' });
      const processed = await auth.metric('sightline_auth_password_resets_total', { stage: 'processed' });
      return requested === processed ? true : undefined;
    }, 'reset requests to be processed');

  it('answers every reset request 202 and mails at most the cap; a later request does not void a pending link', async () => {
    const known = [];
    const unknown = [];
    for (let i = 0; i < 4; i++) {
      known.push(await reset('quinn@example.com'));
      unknown.push(await reset('nobody@example.com'));
    }
    for (const reply of [...known, ...unknown])
      expect({ status: reply.status, body: reply.body }).toEqual({ status: 202, body: { status: 'accepted' } });
    await settled();
    // The verification mail used one of quinn's two: one reset link was mailed, the other three were not.
    const mails = auth.outbox('quinn@example.com');
    expect(mails.map((m) => m.subject)).toEqual(['Confirm your Sightline account', 'Reset your Sightline password']);
    expect(await auth.metric('sightline_auth_rate_limited_total', { limit: 'mail_address' })).toBe(3 + 2);
    // The mailed link still works after the later requests.
    const token = mails[1]!.text.match(/#\/reset\/([A-Za-z0-9_-]{43})$/m)![1];
    expect((await auth.request('POST', '/password-reset/confirm', { json: { token, newPassword: 'after the spam 2026' } })).status).toBe(
      204,
    );
  });

  it('keeps earlier links valid when a new one is mailed, and voids them all once one is used', async () => {
    const other = await AuthApp.start(db.dir, db.pg.url, { RATE_LIMIT_MAILS_PER_ADDRESS_PER_HOUR: '10' });
    try {
      const link = async (n: number) => {
        expect((await other.request('POST', '/password-reset', { json: { email: 'quinn@example.com' } })).status).toBe(202);
        const mail = await until(
          () => other.outbox('quinn@example.com').filter((m) => m.subject.startsWith('Reset'))[n],
          `reset mail ${n}`,
        );
        return mail.text.match(/#\/reset\/([A-Za-z0-9_-]{43})$/m)![1];
      };
      const before = other.outbox('quinn@example.com').filter((m) => m.subject.startsWith('Reset')).length;
      const first = await link(before);
      const second = await link(before + 1);
      const confirm = (token: string) =>
        other.request('POST', '/password-reset/confirm', { json: { token, newPassword: 'first link wins 2026' } });
      expect((await confirm(first)).status).toBe(204);
      expect((await confirm(second)).body).toMatchObject({ code: 'RESET_TOKEN_INVALID' });
    } finally {
      await other.stop();
    }
  });
});
