import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@sightline/local-infra';
import { describe, expect, it } from 'vitest';
import { ComposeBackend, countRunningContainers } from './backends.js';

const compose = (docker?: string, projectDirectory = '/opt/sightline') =>
  new ComposeBackend({
    projectDirectory,
    projectName: 'sightline',
    files: ['docker-compose.yml', 'deploy/docker/compose.cpu.yml'],
    service: 'inference',
    docker,
  });

describe('ComposeBackend', () => {
  it('builds the documented scale command: only the inference service, existing replicas left alone', () => {
    expect(compose().scaleArgs(3)).toEqual([
      'compose',
      '--project-directory',
      '/opt/sightline',
      '--project-name',
      'sightline',
      '--file',
      'docker-compose.yml',
      '--file',
      'deploy/docker/compose.cpu.yml',
      'up',
      '--detach',
      '--no-recreate',
      '--scale',
      'inference=3',
      'inference',
    ]);
    expect(() => compose().scaleArgs(-1)).toThrow(expect.objectContaining({ code: 'AUTOSCALER_INVALID_REPLICAS' }));
    expect(() => compose().scaleArgs(1.5)).toThrow(/cannot scale to 1.5/);
  });

  it('runs the docker CLI with those arguments and counts running replicas from `ps --format json`', async () => {
    // A stand-in docker executable that records its argv and answers `ps` like compose >= 2.21 (JSON lines).
    const dir = await makeTempDir('sightline-compose-backend-');
    const argvFile = join(dir, 'argv');
    const docker = join(dir, 'docker');
    writeFileSync(
      docker,
      [
        '#!/bin/sh',
        `printf '%s\\n' "$@" >> ${argvFile}`,
        'case " $* " in *" ps "*)',
        `  echo '{"Service":"inference","State":"running","Name":"sightline-inference-1"}'`,
        `  echo '{"Service":"inference","State":"running","Name":"sightline-inference-2"}'`,
        'esac',
      ].join('\n'),
    );
    chmodSync(docker, 0o755);
    const backend = compose(docker, dir);

    expect(await backend.replicas()).toBe(2);
    await backend.scaleTo(3);

    const argv = readFileSync(argvFile, 'utf8').trim().split('\n');
    expect(argv).toEqual([...backend.psArgs(), ...backend.scaleArgs(3)]);
  });

  it('drives Compose v1 (standalone docker-compose) and counts running replicas by the engine labels', async () => {
    const dir = await makeTempDir('sightline-compose-backend-');
    const argvFile = join(dir, 'argv');
    // Each stand-in records its working directory too: compose resolves COMPOSE_FILE's relative paths against it.
    const record = (answer: string) => ['#!/bin/sh', `echo "$PWD $0 $*" >> ${argvFile}`, answer].join('\n');
    const [docker, dockerCompose] = [join(dir, 'docker'), join(dir, 'docker-compose')];
    writeFileSync(docker, record("printf 'c0ffee01\\nc0ffee02\\nc0ffee03\\n'"));
    writeFileSync(dockerCompose, record('exit 0'));
    for (const file of [docker, dockerCompose]) chmodSync(file, 0o755);
    const backend = new ComposeBackend({
      projectDirectory: dir,
      projectName: 'sightline',
      files: ['docker-compose.yml'],
      service: 'inference',
      docker,
      cli: 'standalone',
      dockerCompose,
    });

    expect(await backend.replicas()).toBe(3);
    await backend.scaleTo(1);
    expect(readFileSync(argvFile, 'utf8').trim().split('\n')).toEqual([
      `${dir} ${docker} ps --filter label=com.docker.compose.project=sightline --filter label=com.docker.compose.service=inference ` +
        '--filter status=running --format {{.ID}}',
      `${dir} ${dockerCompose} --project-directory ${dir} --project-name sightline --file docker-compose.yml ` +
        'up --detach --no-recreate --scale inference=1 inference',
    ]);
  });

  it('reports a failing command with its exit code and stderr', async () => {
    const dir = await makeTempDir('sightline-compose-backend-');
    const docker = join(dir, 'docker');
    writeFileSync(docker, '#!/bin/sh\necho "Cannot connect to the Docker daemon" >&2\nexit 17\n');
    chmodSync(docker, 0o755);
    await expect(compose(docker, dir).scaleTo(2)).rejects.toMatchObject({
      code: 'SCALE_COMMAND_FAILED',
      context: expect.objectContaining({ exitCode: 17, stderr: expect.stringContaining('Cannot connect') }),
    });
    await expect(compose(join(dir, 'missing'), dir).replicas()).rejects.toMatchObject({ code: 'SCALE_COMMAND_FAILED' });
  });
});

describe('countRunningContainers', () => {
  it('reads both output shapes of docker compose ps and counts only running containers of the service', () => {
    const array = JSON.stringify([
      { Service: 'inference', State: 'running' },
      { Service: 'inference', State: 'exited' },
      { Service: 'gateway', State: 'running' },
    ]);
    expect(countRunningContainers(array, 'inference')).toBe(1);
    expect(
      countRunningContainers('{"Service":"inference","State":"running"}\n{"Service":"inference","State":"running"}\n', 'inference'),
    ).toBe(2);
    expect(countRunningContainers('  \n', 'inference')).toBe(0);
    expect(() => countRunningContainers('not json', 'inference')).toThrow(
      expect.objectContaining({ code: 'SCALE_COMMAND_OUTPUT_INVALID' }),
    );
  });
});
