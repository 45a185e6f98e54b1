#!/usr/bin/env node
// Stages the GPU host's application folder: the services and bench scripts as single-file bundles under <dir>/app,
// beside them the packages the bundles load from disk at run time (node_modules), the vendored models under
// <dir>/models (the bundles find them at ../models, as dist/ does). Used by pack.sh and by the bundles' start-up
// test, so that what the test starts is what the host gets.
//   node bench/gpu/stage.mjs DIR
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { bundleConfigs } from './rolldown.config.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const modules = join(repo, 'node_modules');

/**
 * What the bundles `require` from disk (rolldown.config.mjs keeps these external), and of each package only the
 * files they read: onnxruntime-node's native binding (linux x64), @ffmpeg-installer's locator (its binary travels
 * apart), the Swagger UI assets that /docs serves (@nestjs/swagger resolves their folder through absolute-path.js).
 */
const runtimeFiles = {
  'onnxruntime-node': ['package.json', 'dist', 'lib', 'bin/napi-v6/linux/x64'],
  'onnxruntime-common': ['.'],
  '@ffmpeg-installer/ffmpeg': ['package.json', 'index.js', 'lib', 'types'],
  '@ffmpeg-installer/linux-x64': ['package.json'],
  'swagger-ui-dist': [
    'package.json',
    'LICENSE',
    'NOTICE',
    'index.js',
    'absolute-path.js',
    'swagger-ui-bundle.js',
    'swagger-ui-standalone-preset.js',
    'swagger-ui.css',
    'favicon-16x16.png',
    'favicon-32x32.png',
    'oauth2-redirect.html',
    'oauth2-redirect.js',
  ],
};

/**
 * Packages the bundles `require` by a name computed at run time, which no bundler can follow: TypeORM loads its
 * PostgreSQL driver with `PlatformTools.load('pg')` (and, failing that, from `<cwd>/node_modules`). Each travels
 * whole, with its dependencies (and optional dependencies that are installed), found from their package.json.
 */
const runtimePackages = ['pg'];

/** `pkg` and every package it depends on, transitively, as installed in the workspace's node_modules. */
export function dependencyClosure(pkg, seen = new Set()) {
  if (seen.has(pkg)) return seen;
  const manifest = join(modules, pkg, 'package.json');
  if (!existsSync(manifest)) throw new Error(`stage: ${pkg} is not installed in ${modules}`);
  seen.add(pkg);
  const { dependencies = {}, optionalDependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8'));
  for (const dep of Object.keys(dependencies)) dependencyClosure(dep, seen);
  for (const dep of Object.keys(optionalDependencies)) {
    if (existsSync(join(modules, dep, 'package.json'))) dependencyClosure(dep, seen);
  }
  return seen;
}

export async function stageApp(dir) {
  const app = join(dir, 'app');
  mkdirSync(app, { recursive: true });
  for (const config of bundleConfigs(app)) await build({ ...config, logLevel: 'warn' });
  for (const [pkg, files] of Object.entries(runtimeFiles)) {
    for (const file of files) {
      const from = join(modules, pkg, file);
      cpSync(from, join(app, 'node_modules', pkg, file), { recursive: true });
    }
  }
  for (const pkg of new Set(runtimePackages.flatMap((name) => [...dependencyClosure(name)]))) {
    cpSync(join(modules, pkg), join(app, 'node_modules', pkg), { recursive: true });
  }
  cpSync(join(repo, 'libs/vision/models/blazeface'), join(dir, 'models/blazeface'), { recursive: true });
  return app;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node bench/gpu/stage.mjs DIR');
  await stageApp(resolve(dir));
}
