/**
 * What a file session may read, against real FFmpeg and nats-server: only real files under the media root (symbolic
 * links resolved), parsed only as MP4/MOV over the file protocol; a missing file and a file outside the root get the
 * same answer, so callers cannot probe the host's file system.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ffmpegPath, makeTempDir, makeTestClip } from '@sightline/local-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventCollector, FrameCollector, startIngestHarness, until, type IngestHarness } from '../../test-support/ingest-harness.js';

let harness: IngestHarness;
let root: string;
/** The media root as configured: a symbolic link to `root`. */
let rootLink: string;
let outside: string;
let clip: string;

beforeAll(async () => {
  const dir = await makeTempDir('file-root');
  root = join(dir, 'media');
  outside = join(dir, 'private');
  mkdirSync(root);
  mkdirSync(outside);
  // The media root itself is named through a symbolic link: both sides are compared as real paths.
  rootLink = join(dir, 'media-link');
  symlinkSync(root, rootLink);
  [harness, clip] = await Promise.all([
    startIngestHarness({ settings: { fileRoot: rootLink } }),
    makeTestClip({ seconds: 1, width: 320, height: 240, fps: 30, audio: false, path: join(root, 'clip.mp4') }),
  ]);
  await makeTestClip({ seconds: 1, width: 320, height: 240, fps: 30, audio: false, path: join(outside, 'secret.mp4') });
  await promisify(execFile)(await ffmpegPath(), [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-i', join(outside, 'secret.mp4')],
    ...['-c', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'mpegts', join(outside, 'secret.ts')],
  ]);
});
afterAll(() => harness?.close());

async function run(sessionId: string, url: string) {
  const [frames, events] = await Promise.all([
    FrameCollector.start(harness.client, sessionId),
    EventCollector.start(harness.client, sessionId),
  ]);
  harness.manager.start({ sessionId, source: { type: 'file', url, pacing: 'fast' } });
  const final = await harness.manager.whenEnded(sessionId);
  await events.waitFor('sessionStopped');
  await until(() => frames.frames.length >= final.stats.framesPublished, 'published frames');
  await Promise.all([frames.stop(), events.stop()]);
  return { final, frames: frames.frames.length, sourceErrors: events.of('sourceError').map((e) => e.payload) };
}

describe('file sources', () => {
  it('decodes a file under the media root named through a symbolic link', async () => {
    const { final, frames } = await run('inside', join(rootLink, 'clip.mp4'));
    expect(final.state).toBe('stopped');
    expect(frames).toBe(30);
    expect(clip).toBe(join(root, 'clip.mp4'));
  });

  it('refuses a symbolic link out of the media root with the same answer as a missing file', async () => {
    symlinkSync(join(outside, 'secret.mp4'), join(root, 'escape.mp4'));
    const escaped = await run('escape', join(rootLink, 'escape.mp4'));
    const missing = await run('missing', join(rootLink, 'missing.mp4'));
    for (const outcome of [escaped, missing]) {
      expect(outcome.final).toMatchObject({
        state: 'error',
        lastError: { code: 'SOURCE_NOT_FOUND', message: 'file source not available' },
      });
      expect(outcome.frames).toBe(0);
      expect(outcome.sourceErrors).toEqual([
        expect.objectContaining({ code: 'SOURCE_NOT_FOUND', message: 'file source not available', fatal: true }),
      ]);
    }
    // Nothing but the session id tells the two apart.
    const answer = (errors: unknown[], sessionId: string) => JSON.stringify(errors).replaceAll(sessionId, '<id>');
    expect(answer(escaped.sourceErrors, 'escape')).toBe(answer(missing.sourceErrors, 'missing'));
  });

  it('does not let a playlist named .mp4 make FFmpeg read a file outside the media root', async () => {
    const playlist = [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-TARGETDURATION:2',
      '#EXTINF:1.0,',
      join(outside, 'secret.ts'),
      '#EXT-X-ENDLIST',
    ];
    writeFileSync(join(root, 'playlist.mp4'), playlist.join('\n') + '\n');
    const { final, frames } = await run('playlist', join(rootLink, 'playlist.mp4'));
    expect(frames).toBe(0);
    expect(final.state).toBe('error');
    expect(final.stats.framesPublished).toBe(0);
  });
});
