/**
 * Code and docs cite requirements by section ("requirements §6.5", docs/requirements.md), never by the number of
 * the issue that asked for something: a reader can open a section, not the tracker. Every cited section must exist.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SCANNED = ['apps', 'libs', 'bench', 'deploy', 'docs', '.github', 'README.md', 'docker-compose.yml'];
const TEXT = /\.(ts|tsx|mjs|js|md|yml|yaml|sh|conf|py)$|Dockerfile$/;

function* files(path: string): Generator<string> {
  if (!statSync(path).isDirectory()) {
    if (TEXT.test(path)) yield path;
    return;
  }
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist' || name === 'test-fixtures') continue;
    yield* files(join(path, name));
  }
}

const sources = SCANNED.flatMap((entry) => [...files(join(ROOT, entry))])
  .filter((path) => path !== import.meta.filename)
  .map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

/** The sections docs/requirements.md defines: table rows `| 6.5 |` and headings `## §6`. */
function definedSections(markdown: string): Set<string> {
  const rows = [...markdown.matchAll(/^\| (\d+\.\d+) \|/gm)].map((m) => m[1]!);
  const headings = [...markdown.matchAll(/^## §(\d+)\b/gm)].map((m) => m[1]!);
  return new Set([...rows, ...headings]);
}

/** Every "requirements §a.b" (also "§a.b, §c.d" and "§a.b/§c.d" after it) with its place. */
function citations(text: string): string[] {
  return [...text.matchAll(/[Rr]equirements (§\d+(?:\.\d+)?(?:\s*(?:,|\/|and)\s*§\d+(?:\.\d+)?)*)/g)].flatMap((m) =>
    [...m[1]!.matchAll(/§(\d+(?:\.\d+)?)/g)].map((s) => s[1]!),
  );
}

describe('requirement citations', () => {
  const defined = definedSections(readFileSync(join(ROOT, 'docs/requirements.md'), 'utf8'));

  it('read sections and citations as written', () => {
    expect([...definedSections('## §6 WebSocket\n| 6.5 | pushed |\n')]).toEqual(['6.5', '6']);
    expect(citations('see requirements §3.4, §12.1 and requirements §9')).toEqual(['3.4', '12.1', '9']);
  });

  it('cite only sections docs/requirements.md defines', () => {
    expect(defined.size).toBeGreaterThan(50);
    expect(sources.flatMap(({ text }) => citations(text)).length).toBeGreaterThan(10);
    const dangling = sources.flatMap(({ path, text }) =>
      citations(text)
        .filter((s) => !defined.has(s))
        .map((s) => `${path}: §${s}`),
    );
    expect(dangling).toEqual([]);
  });

  it('never cite an issue number', () => {
    const issueCitations = sources.flatMap(({ path, text }) =>
      [...text.matchAll(/\b[Ii]ssues? #?\d+\b|\bissue \d+'s\b/g)].map((m) => `${path}: ${m[0]}`),
    );
    expect(issueCitations).toEqual([]);
  });
});
