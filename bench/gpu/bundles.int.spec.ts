/**
 * The GPU host runs the services as single-file bundles (bench/gpu/stage.mjs) from a folder with no workspace
 * around it. A module the bundles load from disk but the staging leaves behind only shows when a service starts, so
 * this builds the bundles into a temp folder outside the repository (no node_modules above it to fall back on) and
 * starts each service from them once, against real nats-server and PostgreSQL.
 */
import { existsSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFleet, type ServiceName } from '@sightline/fleet';
import { ffmpegPath, makeTempDir } from '@sightline/local-infra';
// @ts-expect-error -- a plain ES module script of the bench, no type declarations
import { SERVICE_BUNDLES } from './rolldown.config.mjs';
// @ts-expect-error -- a plain ES module script of the bench, no type declarations
import { dependencyClosure, stageApp } from './stage.mjs';

const services = Object.keys(SERVICE_BUNDLES) as ServiceName[];
let fleet: LocalFleet | undefined;
let dir: string | undefined;

beforeAll(async () => {
  dir = await makeTempDir('bundles');
  const app: string = await stageApp(dir);
  // As remote.sh's unpack-ffmpeg: the binary travels apart and is linked where @ffmpeg-installer looks for it.
  symlinkSync(await ffmpegPath(), join(app, 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg'));
  fleet = await LocalFleet.start({
    dataDir: join(dir!, 'fleet'),
    ports: 'free',
    ephemeral: true,
    services,
    // Started in the staged folder, as on the host: TypeORM's fallback for its driver (`<cwd>/node_modules/pg`) must
    // not find the repository's.
    command: (name) => ({ command: process.execPath, args: [join(app, `${name}.mjs`)], cwd: app }),
    env: { inference: { INFERENCE_PROVIDER: 'cpu', INFERENCE_MAX_BATCH: '2' } },
  });
}, 180_000);

afterAll(async () => {
  await fleet?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('GPU host bundles', () => {
  it('stage one bundle per service', () => {
    expect(services.sort()).toEqual(['gateway', 'inference', 'ingest', 'persistence']);
  });

  it.each(services)('%s starts from its bundle and reports healthy', async (name) => {
    const [running] = fleet!.running(name);
    expect(running?.process.running).toBe(true);
    const res = await fetch(`${fleet!.url(name)}/health`);
    expect(res.status).toBe(200);
  });

  it('stages the PostgreSQL driver with its dependencies', async () => {
    // TypeORM loads the driver by name at run time: pg and every package it needs travel beside the bundles.
    for (const pkg of dependencyClosure('pg')) {
      expect(existsSync(join(dir!, 'app/node_modules', pkg, 'package.json')), pkg).toBe(true);
    }
  });

  it.each(['ingest', 'persistence'] as const)('%s serves its API docs with the Swagger UI assets', async (name) => {
    const page = await fetch(`${fleet!.url(name)}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui-bundle.js');
    const asset = await fetch(`${fleet!.url(name)}/docs/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
    expect(Number(asset.headers.get('content-length') ?? (await asset.arrayBuffer()).byteLength)).toBeGreaterThan(100_000);
  });
});
