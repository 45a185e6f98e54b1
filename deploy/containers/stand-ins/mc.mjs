#!/usr/bin/env node
// `mc [--insecure] ready <alias>` for the stand-in: exits 0 once the S3 server on :9000 answers over HTTPS.
import { request } from 'node:https';

const args = process.argv.slice(2).filter((a) => a !== '--insecure');
if (args[0] !== 'ready') {
  console.error('stand-in mc: only `mc ready ALIAS` is supported');
  process.exit(2);
}
const req = request({ host: '127.0.0.1', port: 9000, path: '/', rejectUnauthorized: false, timeout: 4000 }, (res) => {
  res.resume();
  process.exit(res.statusCode && res.statusCode < 500 ? 0 : 1);
});
req.on('error', () => process.exit(1));
req.on('timeout', () => req.destroy());
req.end();
