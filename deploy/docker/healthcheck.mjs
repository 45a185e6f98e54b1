// Container health probe without curl: GET http://127.0.0.1:$HTTP_PORT/health/<live|ready> within 4 s.
//   node healthcheck.mjs        liveness (the image's HEALTHCHECK: the process answers)
//   node healthcheck.mjs ready  readiness (compose: NATS, PostgreSQL, … reachable)
const probe = process.argv[2] === 'ready' ? 'ready' : 'live';
const port = process.env.HTTP_PORT;
if (!port) {
  console.error('healthcheck: HTTP_PORT is not set');
  process.exit(2);
}
try {
  const res = await fetch(`http://127.0.0.1:${port}/health/${probe}`, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) console.error(`healthcheck: /health/${probe} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: /health/${probe} unreachable: ${err.message}`);
  process.exit(1);
}
