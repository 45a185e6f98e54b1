/**
 * No declared-but-unused dependencies: every package in the root package.json is imported, required or run (npx,
 * npm scripts) somewhere in the repository, or is listed below with the reason it is needed without that.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

/** Needed, but never named in an import: peers and the tools behind config files and npm scripts. */
const USED_WITHOUT_IMPORT: Record<string, string> = {
  rxjs: 'peer dependency of @nestjs/common and @nestjs/core',
  '@swc/core': 'peer dependency of unplugin-swc (vitest.config.ts)',
  nx: 'the workspace runner that reads nx.json',
  eslint: 'npm run lint',
  typescript: 'tsc in npm run build / lint',
};

const SCANNED = ['apps', 'libs', 'bench', 'deploy', '.github', '.ci'];
const SOURCE = /\.(ts|tsx|mts|js|mjs|cjs|css|sh|yml|yaml)$|Dockerfile$/;

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (SOURCE.test(name)) yield path;
  }
}

describe('declared dependencies', () => {
  const corpus = [
    ...SCANNED.flatMap((dir) => [...files(join(ROOT, dir))]),
    ...readdirSync(ROOT)
      .filter((name) => SOURCE.test(name))
      .map((name) => join(ROOT, name)),
  ]
    .filter((path) => path !== import.meta.filename)
    .map((path) => readFileSync(path, 'utf8'))
    .concat(Object.values(manifest.scripts))
    .join('\n');

  /** Imported/required/named in quotes (also a subpath), run as `npx <name>` / `bin/<name>`, or as an npm script's command. */
  function isUsed(name: string): boolean {
    if (USED_WITHOUT_IMPORT[name]) return true;
    // @types/x is used when x is (@types/node: always).
    const target = name.startsWith('@types/') ? name.slice('@types/'.length).replace(/^(.+)__(.+)$/, '@$1/$2') : name;
    if (target === 'node') return true;
    const escaped = target.replace(/[/.]/g, '\\$&');
    // npm scripts run a package's binary by its bare name (`prettier --check .`, `… && vitest run`).
    const runByScript = Object.values(manifest.scripts).some((script) => new RegExp(`(^|&&|;|\\|\\|)\\s*${escaped}(\\s|$)`).test(script));
    return (
      runByScript || new RegExp(`['"\`]${escaped}(/[^'"\`]*)?['"\`]`).test(corpus) || new RegExp(`(npx |bin/)${escaped}\\b`).test(corpus)
    );
  }

  it('would notice a package nothing uses', () => {
    expect(isUsed('passport-jwt')).toBe(false);
    expect(isUsed('pret')).toBe(false); // a prefix of a script's command is no use of it
    expect(isUsed('@types/passport-jwt')).toBe(false);
    expect(isUsed('ws')).toBe(true);
  });

  it.each(Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }))('%s is used', (name) => {
    expect(isUsed(name), `${name}: nothing imports or runs it; remove it or say why in USED_WITHOUT_IMPORT`).toBe(true);
  });
});
