/** The layout rules of docs/architecture.md, enforced: every project is built, libs never import apps, contracts imports nothing of ours. */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const projects = (kind: 'apps' | 'libs') =>
  readdirSync(join(root, kind), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, kind, d.name, 'package.json')))
    .map((d) => d.name);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !/node_modules|dist/.test(e.parentPath))
    .map((e) => join(e.parentPath, e.name));
}

describe('workspace layout', () => {
  const buildRefs = (
    JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { references: Array<{ path: string }> }
  ).references.map((r) => r.path);

  it('builds every app and lib', () => {
    for (const lib of projects('libs')) expect(buildRefs, `libs/${lib} missing from tsconfig.build.json`).toContain(`libs/${lib}`);
    for (const app of projects('apps')) expect(buildRefs, `apps/${app} missing from tsconfig.build.json`).toContain(`apps/${app}`);
  });

  it('gives every lib a public index.ts and every app a main.ts', () => {
    for (const lib of projects('libs')) expect(existsSync(join(root, 'libs', lib, 'src/index.ts')), lib).toBe(true);
    for (const app of projects('apps').filter((a) => a !== 'console'))
      expect(existsSync(join(root, 'apps', app, 'src/main.ts')), app).toBe(true);
  });

  it('never lets a lib import an app, or contracts import another lib', () => {
    const offences: string[] = [];
    for (const lib of projects('libs')) {
      for (const file of sources(join(root, 'libs', lib, 'src'))) {
        const text = readFileSync(file, 'utf8');
        if (/from '[^']*apps\//.test(text) || /from '@sightline\/[a-z-]+-service'/.test(text)) offences.push(`${file} imports an app`);
        if (lib === 'contracts' && /from '@sightline\//.test(text)) offences.push(`${file}: contracts imports another lib`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('starts every service through the service kit with its one HTTP error filter', () => {
    for (const app of projects('apps')) {
      expect(readFileSync(join(root, 'apps', app, 'src/main.ts'), 'utf8'), app).toMatch(
        /import \{ bootstrapService \} from '@sightline\/service-kit'/,
      );
      // The console's routes are a static SPA and proxies to the other services, whose errors it passes through.
      if (app === 'console') continue;
      const wiring = sources(join(root, 'apps', app, 'src'))
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n');
      expect(wiring, `apps/${app} registers no httpErrorFilter`).toMatch(/httpErrorFilter\(/);
      expect(wiring, `apps/${app} declares its own exception filter`).not.toMatch(/@Catch\(/);
    }
  });
});
