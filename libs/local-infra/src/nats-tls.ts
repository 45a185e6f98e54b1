/**
 * TLS material for a local nats-server: a private CA and a server certificate signed by it, made with Debian's
 * `openssl` into a directory of the fleet's data directory (never the repository). Made once and reused while valid:
 * a server certificate that expires within RENEW_BEFORE_DAYS, no longer names every host, or was not signed by the CA
 * on disk is made again (under the same CA); a CA near its end is replaced together with the server certificate.
 * Keys are readable by their owner only. Compose makes the same layout with deploy/docker/make-nats-certs.sh.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, isIP, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NatsTlsFiles {
  /** The private CA's certificate: what clients trust (NATS_TLS_CA_FILE). */
  caFile: string;
  /** The server's certificate and key (nats-server's `tls { cert_file, key_file }`). */
  certFile: string;
  keyFile: string;
}

export interface NatsTlsOptions {
  /** Names and addresses the server certificate is valid for (default: 127.0.0.1 and localhost). */
  hosts?: readonly string[];
  /** Lifetime of a new server certificate (default 397 days, as public CAs may issue at most). */
  serverDays?: number;
  /** Lifetime of a new CA (default 10 years). */
  caDays?: number;
  /** The `openssl` binary (default: from PATH). */
  openssl?: string;
}

/** Renewed when fewer days than this remain, so a long-running fleet never meets an expired certificate. */
export const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 86_400_000;
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Makes (or keeps) `dir/ca.crt`, `dir/ca.key`, `dir/server.crt`, `dir/server.key`; returns what to configure and
 * what was made now (`ca`, `server`; empty when everything was reused).
 */
export async function ensureNatsTls(dir: string, options: NatsTlsOptions = {}): Promise<NatsTlsFiles & { made: string[] }> {
  const hosts = options.hosts ?? ['127.0.0.1', 'localhost'];
  const openssl = options.openssl ?? 'openssl';
  const files = {
    caFile: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const made: string[] = [];
  const ca = readCertificate(files.caFile);
  if (!ca || !existsSync(files.caKey) || expiresWithin(ca, RENEW_BEFORE_DAYS)) {
    rmSync(files.certFile, { force: true });
    await run(openssl, [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      files.caKey,
      '-out',
      files.caFile,
      '-days',
      String(options.caDays ?? 3650),
      '-subj',
      '/CN=Sightline local NATS CA',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    made.push('ca');
  }
  const server = readCertificate(files.certFile);
  const caNow = readCertificate(files.caFile)!;
  if (
    !server ||
    !existsSync(files.keyFile) ||
    expiresWithin(server, RENEW_BEFORE_DAYS) ||
    !server.verify(caNow.publicKey) ||
    !coversHosts(server, hosts)
  ) {
    const extensions = join(dir, 'server.ext');
    writeFileSync(
      extensions,
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        // clientAuth too: cluster nodes present the same certificate to each other on routes.
        'extendedKeyUsage=serverAuth,clientAuth',
        `subjectAltName=${hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}`,
        '',
      ].join('\n'),
    );
    const request = join(dir, 'server.csr');
    try {
      await run(openssl, [
        'req',
        '-new',
        ...EC_KEY,
        '-keyout',
        files.keyFile,
        '-out',
        request,
        '-subj',
        `/CN=${hosts.find((h) => !isIP(h)) ?? hosts[0]}`,
      ]);
      await run(openssl, [
        'x509',
        '-req',
        '-in',
        request,
        '-CA',
        files.caFile,
        '-CAkey',
        files.caKey,
        '-set_serial',
        `0x${(await run(openssl, ['rand', '-hex', '16'])).stdout.trim()}`,
        '-days',
        String(options.serverDays ?? 397),
        '-extfile',
        extensions,
        '-out',
        files.certFile,
      ]);
    } finally {
      rmSync(request, { force: true });
      rmSync(extensions, { force: true });
    }
    made.push('server');
  }
  chmodSync(files.caKey, 0o600);
  chmodSync(files.keyFile, 0o600);
  return { caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile, made };
}

function readCertificate(file: string): X509Certificate | undefined {
  try {
    return new X509Certificate(readFileSync(file));
  } catch {
    return undefined; // missing or unreadable: made again
  }
}

const expiresWithin = (cert: X509Certificate, days: number): boolean => new Date(cert.validTo).getTime() - Date.now() < days * DAY_MS;

const coversHosts = (cert: X509Certificate, hosts: readonly string[]): boolean =>
  hosts.every((h) => (isIP(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h, { wildcards: false }) !== undefined));

/**
 * The certificate a TLS-requiring nats-server presents (NATS upgrades after its plaintext INFO line), verified against
 * `caFile` for `servername`; rejects when the server offers no TLS or its certificate is not trusted.
 */
export function natsServerCertificate(port: number, caFile: string, servername = 'localhost'): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('error', reject);
    readLine(socket).then((info) => {
      if (!/"tls_required":true/.test(info)) return reject(new Error(`server offers no TLS: ${info}`));
      const secure = tlsConnect({ socket, ca: readFileSync(caFile), servername });
      secure.once('error', reject);
      secure.once('secureConnect', () => {
        const cert = secure.getPeerX509Certificate();
        secure.destroy();
        if (cert) resolve(cert);
        else reject(new Error('no certificate presented'));
      });
    }, reject);
  });
}

/**
 * A client that ignores the server's TLS requirement: reads INFO, sends CONNECT (with `user`/`pass` if given) and PING
 * in plaintext, and returns what came back until the server closed the connection (or `timeoutMs` passed).
 * A server that accepted it would answer PONG.
 */
export function plaintextNatsExchange(
  port: number,
  credentials: { user?: string; pass?: string } = {},
  timeoutMs = 10_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const timer = setTimeout(() => (socket.destroy(), resolve(received)), timeoutMs);
    socket.on('data', (chunk) => {
      if (received === '') socket.write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, ...credentials })}\r\nPING\r\n`);
      received += chunk.toString('latin1');
    });
    socket.once('close', () => (clearTimeout(timer), resolve(received)));
    socket.once('error', (err) => (clearTimeout(timer), reject(err)));
  });
}

function readLine(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      resolve(buffered.slice(0, end));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before a line')));
  });
}
