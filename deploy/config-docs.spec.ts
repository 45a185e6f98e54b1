/**
 * The drift that happens most: a variable added to (or removed from) a service's config.ts but not to the
 * configuration table of the doc that config.ts names ("documented in docs/….md"), or the other way round.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const APPS = readdirSync(join(ROOT, 'apps')).filter((app) => {
  try {
    return readFileSync(join(ROOT, 'apps', app, 'src/config.ts'), 'utf8').length > 0;
  } catch {
    return false;
  }
});

/**
 * The variables of every table whose header starts with `| variable |`: the backticked names of each row's first
 * cell. `` `A_B_USERNAME` / `_EMAIL` `` abbreviates `A_B_EMAIL` (the suffix replaces the first name's last part).
 */
export function documentedVariables(markdown: string): string[] {
  const names: string[] = [];
  let inTable = false;
  for (const line of markdown.split('\n')) {
    if (/^\|\s*variable\s*\|/i.test(line)) {
      inTable = true;
      continue;
    }
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    if (!inTable || /^\|\s*-/.test(line)) continue;
    const firstCell = line.split('|')[1] ?? '';
    let full = '';
    for (const [, token] of firstCell.matchAll(/`([A-Z0-9_]+)`/g)) {
      if (token.startsWith('_') && full) names.push(full.slice(0, full.lastIndexOf('_')) + token);
      else names.push((full = token));
    }
  }
  return names;
}

describe('service configuration docs', () => {
  it('reads abbreviated rows of a variable table, and nothing outside such tables', () => {
    const markdown = [
      '| code | meaning |',
      '|---|---|',
      '| `NOT_A_VARIABLE` | error code |',
      '',
      '| variable | default | meaning |',
      '|---|---|---|',
      '| `A_WIDTH` / `A_HEIGHT` | `1` | |',
      '| `ADMIN_USERNAME` / `_EMAIL` | unset | |',
      '| `LOG_LEVEL`, `NATS_URL` | as every service | |',
    ].join('\n');
    expect(documentedVariables(markdown)).toEqual(['A_WIDTH', 'A_HEIGHT', 'ADMIN_USERNAME', 'ADMIN_EMAIL', 'LOG_LEVEL', 'NATS_URL']);
  });

  it.each(APPS)('apps/%s/src/config.ts and its doc table list the same variables', async (app) => {
    const source = readFileSync(join(ROOT, 'apps', app, 'src/config.ts'), 'utf8');
    const doc = /documented in (docs\/[\w./-]+\.md)/.exec(source)?.[1];
    expect(doc, `apps/${app}/src/config.ts names its doc ("documented in docs/….md")`).toBeDefined();
    const config = (await import(join(ROOT, 'apps', app, 'src/config.ts'))) as Record<string, unknown>;
    const shape = config[`${app}ConfigShape`] as Record<string, unknown> | undefined;
    expect(shape, `apps/${app}/src/config.ts exports ${app}ConfigShape`).toBeDefined();
    const read = Object.keys(shape!).sort();
    const documented = [...new Set(documentedVariables(readFileSync(join(ROOT, doc!), 'utf8')))].sort();
    expect(
      {
        missingFromDoc: read.filter((name) => !documented.includes(name)),
        notReadByConfig: documented.filter((name) => !read.includes(name)),
      },
      `${doc} vs apps/${app}/src/config.ts`,
    ).toEqual({ missingFromDoc: [], notReadByConfig: [] });
  });
});
