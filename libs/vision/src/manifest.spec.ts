import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODEL_IDS, DEFAULT_MODEL_ID, builtinManifest, loadManifestFile, resolveManifest } from './manifest.js';

describe('built-in manifests', () => {
  it('default to BlazeFace back 256 fed uint8 and point at the vendored models, whose checksums match SHA256SUMS', async () => {
    expect(DEFAULT_MODEL_ID).toBe('blazeface-back-256-u8');
    expect((await resolveManifest()).id).toBe(DEFAULT_MODEL_ID);
    expect(BUILTIN_MODEL_IDS).toEqual([
      'blazeface-back-256',
      'blazeface-front-128',
      'blazeface-back-256-batched',
      'blazeface-front-128-batched',
      'blazeface-back-256-u8',
      'blazeface-back-256-batched-u8',
    ]);
    for (const id of BUILTIN_MODEL_IDS) {
      const { file } = builtinManifest(id);
      expect(existsSync(file)).toBe(true);
      const sums = readFileSync(join(dirname(file), 'SHA256SUMS'), 'utf8');
      const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
      expect(sums).toContain(`${sha256}  ${basename(file)}`);
    }
  });

  it('are copies (a caller may change its own)', () => {
    builtinManifest(DEFAULT_MODEL_ID).labels.push('changed');
    expect(builtinManifest(DEFAULT_MODEL_ID).labels).toEqual(['face']);
  });

  it('fails with MODEL_UNKNOWN for an unknown id', () => {
    expect(() => builtinManifest('nope')).toThrow(expect.objectContaining({ code: 'MODEL_UNKNOWN' }));
  });
});

describe('manifest files', () => {
  let folder: string;
  const write = async (name: string, content: unknown) => {
    const path = join(folder, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const minimal = {
    id: 'm',
    file: 'm.onnx',
    input: { name: 'images', width: 640, height: 640 },
    decoder: { kind: 'yolo' },
  };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'vision-manifest-'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it('resolve paths against the manifest folder and apply the YOLO defaults', async () => {
    const manifest = await resolveManifest(await write('ok.json', { ...minimal, labels: ['person'] }));
    expect(manifest).toEqual({
      ...minimal,
      file: join(folder, 'm.onnx'),
      input: { ...minimal.input, layout: 'NCHW', range: '[0,1]', channelOrder: 'rgb', type: 'float32' },
      labels: ['person'],
      scoreThreshold: 0.25,
      nms: { mode: 'standard', iouThreshold: 0.45 },
      maxDetections: 100,
      maxBatch: 8,
    });
  });

  it('read labels from a labels file, one per line', async () => {
    await write('coco.names', 'person\r\nbicycle\n\ncar\n');
    const manifest = await loadManifestFile(await write('labels.json', { ...minimal, labelsFile: 'coco.names' }));
    expect(manifest.labels).toEqual(['person', 'bicycle', 'car']);
  });

  it.each([
    ['not JSON', '{'],
    ['no labels', minimal],
    ['both labels and labelsFile', { ...minimal, labels: ['a'], labelsFile: 'x' }],
    ['a missing labels file', { ...minimal, labelsFile: 'missing.names' }],
    ['an unknown key', { ...minimal, labels: ['a'], treshold: 0.5 }],
    ['a bad range', { ...minimal, labels: ['a'], input: { ...minimal.input, range: '0-1' } }],
  ])('reject %s with MANIFEST_INVALID', async (_, content) => {
    const path = await write('bad.json', content);
    await expect(loadManifestFile(path)).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
  });

  it('reject a missing manifest file with MANIFEST_INVALID', async () => {
    await expect(resolveManifest(join(folder, 'absent.json'))).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
  });
});
