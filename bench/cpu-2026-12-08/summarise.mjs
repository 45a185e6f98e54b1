// Per-process CPU per analysed frame of bench JSON files: node bench/cpu-2026-12-08/summarise.mjs FILE...
import { readFileSync } from 'node:fs';
for (const f of process.argv.slice(2)) {
  const j = JSON.parse(readFileSync(f, 'utf8'));
  for (const r of j.runs) {
    const per = Object.entries(r.usage)
      .map(
        ([n, u]) =>
          `${n.replace('nats-server', 'nats')} ${((1000 * u.cpuSeconds) / Math.max(1, r.frames)).toFixed(2)} (${u.cpuPercent.toFixed(0)}%)`,
      )
      .join(' ');
    console.log(
      `${f.split('/').pop()} ${r.mode} fps ${r.fpsTotal.toFixed(1)} p50/p99 ${r.latency.p50}/${r.latency.p99} cpu ${r.cpuMsPerFrame.toFixed(2)} drops ${r.dropped}+${r.skipped} | ${per}`,
    );
  }
}
