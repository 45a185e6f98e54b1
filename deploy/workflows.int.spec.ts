/**
 * The GitHub Actions workflows, checked with GitHub's own workflow parser and schema (@actions/workflow-parser, the
 * parser of the Actions language services): every file must parse without a schema or expression error. The
 * delivery workflow is then checked for the four steps of requirements §10.2 in order and for images of every app.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The parser imports its schema JSON without `with { type: 'json' }`, which Node 20 refuses when Vitest leaves the
// package to Node's loader: a load hook supplies the attribute for .json modules (only in this test process).
register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function load(url, context, next) {
      if (url.endsWith('.json') && !context.importAttributes?.type) {
        return next(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } });
      }
      return next(url, context);
    }`),
);
const { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } = await import('@actions/workflow-parser');

const ROOT = join(import.meta.dirname, '..');
const WORKFLOWS = join(ROOT, '.github/workflows');
const APPS = readdirSync(join(ROOT, 'apps')).filter((name) => existsSync(join(ROOT, 'apps', name, 'package.json')));

async function load(file: string) {
  const parsed = parseWorkflow({ name: file, content: readFileSync(join(WORKFLOWS, file), 'utf8') }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  const template = parsed.value ? await convertWorkflowTemplate(parsed.context, parsed.value) : undefined;
  return { errors: [...errors, ...(template?.errors ?? []).map((e) => e.Message)], template };
}

describe('GitHub Actions workflows', () => {
  const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

  it('all parse against the workflow schema with no error', async () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'deploy.yml']));
    for (const file of files) expect((await load(file)).errors, file).toEqual([]);
  });

  it('the parser does catch a broken workflow (so the check above means something)', async () => {
    const broken = parseWorkflow(
      {
        name: 'broken.yml',
        content: 'on: push\njobs:\n  a:\n    runs-onn: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.sha( }}\n',
      },
      new NoOperationTraceWriter(),
    );
    expect(broken.context.errors.getErrors().length).toBeGreaterThan(0);
  });

  it('deploy.yml runs lint & unit tests, builds, pushes to GHCR, then deploys over SSH with compose', async () => {
    const { template } = await load('deploy.yml');
    const jobs = new Map(template!.jobs.map((job) => [job.id.value, job as unknown as JobShape]));
    const needs = (id: string) => (jobs.get(id)!.needs ?? []).map((n) => n.value);
    expect([...jobs.keys()]).toEqual(['lint-and-unit', 'integration', 'images', 'fleet-smoke', 'deploy']);
    expect(needs('images')).toEqual(['lint-and-unit']);
    expect(needs('fleet-smoke')).toEqual(['images']);
    expect(needs('deploy')).toEqual(['integration', 'fleet-smoke']);

    const text = readFileSync(join(WORKFLOWS, 'deploy.yml'), 'utf8');
    for (const step of ['npm run lint', 'npm run test:unit', 'docker/build-push-action', 'docker push --all-tags', 'ghcr.io']) {
      expect(text).toContain(step);
    }
    expect(text).toMatch(/docker compose pull --quiet\n\s+docker compose up -d/);
    // Every secret the workflow uses is named in its header, and documented for operators.
    const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const secrets = [...new Set([...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]))].filter((s) => s !== 'GITHUB_TOKEN');
    expect(secrets.sort()).toEqual(['DEPLOY_HOST', 'DEPLOY_KNOWN_HOSTS', 'DEPLOY_SSH_KEY', 'DEPLOY_USER', 'GHCR_PULL_TOKEN']);
    for (const secret of secrets) {
      expect(text.slice(0, text.indexOf('name: deploy'))).toContain(secret);
      expect(operations).toContain(secret);
    }
  });

  it('deploy.yml ships the file list the container tests deploy from, which holds every file the compose file mounts', () => {
    const text = readFileSync(join(WORKFLOWS, 'deploy.yml'), 'utf8');
    expect(text).toMatch(/rsync -az -r --files-from=deploy\/ship-files\.txt .*--exclude 'deploy\/env\/\*\.env' \\\n\s+\. "/);
    const shipped = readFileSync(join(ROOT, 'deploy/ship-files.txt'), 'utf8').split('\n').filter(Boolean);
    expect(shipped).toEqual(expect.arrayContaining(['docker-compose.yml', 'deploy/monitoring']));
    for (const path of shipped) expect(existsSync(join(ROOT, path)), path).toBe(true);
    // Bind mounts of the compose file: shipped, or made on the host by prepare-host.sh.
    const madeOnHost = ['deploy/proxy/certs', 'var/media', 'var/nats-tls'];
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const mounts = [...new Set([...compose.matchAll(/- \.\/([\w./-]+):/g)].map((m) => m[1]!))];
    expect(mounts).toContain('deploy/monitoring/prometheus/prometheus.yml');
    for (const mount of mounts.filter((m) => !madeOnHost.some((made) => m === made || m.startsWith(`${made}/`)))) {
      expect(
        shipped.some((path) => mount === path || mount.startsWith(`${path}/`)),
        mount,
      ).toBe(true);
    }
  });

  it('deploy.yml builds an image for every app in apps/, with the target the compose file uses', () => {
    const text = readFileSync(join(WORKFLOWS, 'deploy.yml'), 'utf8');
    const rows = [...text.matchAll(/- \{ image: (\S+), target: (\S+), app: '?([a-z-]*)'?, port: (\d+)/g)].map((m) => ({
      image: m[1],
      target: m[2],
      app: m[3],
      port: Number(m[4]),
    }));
    for (const app of APPS) {
      const row = rows.find((r) => r.app === app);
      expect(row, `image build for apps/${app}`).toBeDefined();
      expect(row!.image).toBe(`sightline-${app}`);
    }
    expect(
      rows
        .filter((r) => r.app === 'inference')
        .map((r) => r.target)
        .sort(),
    ).toEqual(['inference-gpu', 'service']);
  });
});

interface JobShape {
  id: { value: string };
  needs?: Array<{ value: string }>;
}
