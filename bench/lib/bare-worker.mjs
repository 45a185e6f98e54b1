#!/usr/bin/env node
// One bare tool of the concurrent baseline, in its own process: `inference` (the ORT loop) or `nats` (JetStream
// publish + consume of frame-sized messages). Prints `ready` once set up, waits for a line on stdin, runs for the
// given wall time, prints its result as one JSON line.
//   node bench/lib/bare-worker.mjs inference|nats '<options as JSON>'
import { createInterface } from 'node:readline';
import { bareInference, bareNats } from './baselines.mjs';

const [kind, json] = process.argv.slice(2);
const options = JSON.parse(json);
const lines = createInterface({ input: process.stdin });
const go = () =>
  new Promise((resolve) => {
    process.stdout.write('ready\n');
    lines.once('line', resolve);
  });
const run = { inference: bareInference, nats: bareNats }[kind];
if (!run) throw new Error(`unknown bare tool ${kind}`);
const result = await run({ ...options, beforeStart: go });
process.stdout.write(JSON.stringify(result) + '\n');
lines.close();
