#!/usr/bin/env node
// Summarises V8 CPU profiles (node --cpu-prof; `npm run bench -- --cpu-prof DIR`): where a process's main thread
// spent its samples, by self time — grouped into what they are (the model run in ORT's binding, the NATS client,
// JSON, GC, our libs, …) and the top functions. Threads outside V8 (ORT's pool, FFmpeg) are not in these profiles.
//   node bench/lib/profile-summary.mjs FILE.cpuprofile [--top 15]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });

/** What a sampled function is, from its name and script. */
export function category({ functionName, url }) {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8/native (program)';
  if (/onnxruntime/.test(url)) return 'onnxruntime-node (JS side)';
  if (functionName === 'run' && !url) return 'ORT run (native binding)';
  if (/node_modules\/nats\//.test(url) || /nats/.test(url)) return 'NATS client';
  if (/node_modules\/(pg|typeorm)/.test(url)) return 'PostgreSQL client';
  if (/node_modules\/(prom-client)/.test(url)) return 'metrics';
  if (/node_modules\/(zod)/.test(url)) return 'zod';
  if (/node_modules\/(winston|logform)/.test(url)) return 'logging';
  if (/node_modules\/ws\//.test(url)) return 'ws';
  if (functionName === 'stringify' || functionName === 'parse') return 'JSON';
  if (/libs\/vision\/.*preprocess/.test(url)) return 'pack pixels';
  if (/libs\/|apps\//.test(url)) return 'our code';
  if (/^node:|^internal|^$/.test(url)) return 'node core / native';
  return 'other JS';
}

export function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const byCategory = new Map();
  const byFunction = new Map();
  for (const [id, count] of counts) {
    const { callFrame } = byId.get(id);
    const cat = category(callFrame);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + count);
    const key = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.replace(/^.*\/(node_modules|libs|apps)\//, '$1/')}:${callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + count);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const sort = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => ({ name: k, share: v / total }));
  return { seconds, samples: total, categories: sort(byCategory), functions: sort(byFunction) };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  for (const file of positionals) {
    const s = summarise(JSON.parse(readFileSync(file, 'utf8')));
    const pct = (v) => `${(100 * v).toFixed(1)} %`;
    console.log(`## ${file} (${s.seconds.toFixed(1)} s, ${s.samples} samples)`);
    console.log('| category | share of samples |\n|---|---|');
    for (const c of s.categories) console.log(`| ${c.name} | ${pct(c.share)} |`);
    console.log('\n| function (self) | share |\n|---|---|');
    for (const f of s.functions.slice(0, Number(values.top))) console.log(`| \`${f.name}\` | ${pct(f.share)} |`);
    console.log('');
  }
}
