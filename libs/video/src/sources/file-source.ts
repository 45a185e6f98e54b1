/** MP4 (H.264 + AAC; audio ignored) decoded by FFmpeg from disk, paced at real time or as fast as possible. */
import { access, constants } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SightlineError } from '@sightline/contracts';
import { FfmpegDecoder } from '../ffmpeg/decoder.js';
import { DecodeErrorCode } from '../ffmpeg/stderr.js';
import type { VideoLogger } from '../logger.js';
import { DecoderTimedRun, type FrameSource, type RunHooks, type SourceRun, type SourceSettings } from './source.js';

export interface FileSourceOptions {
  /** Absolute path or file:// URL. */
  url: string;
  loop: boolean;
  /** `realtime` paces frames like a camera (a live source); `fast` decodes as fast as the consumer takes them. */
  pacing: 'realtime' | 'fast';
  /** Paths outside this directory are refused (the API must not become a way to read arbitrary files). */
  fileRoot: string;
}

export class FileSource implements FrameSource {
  readonly type = 'file' as const;
  readonly live: boolean;
  readonly endsNaturally: boolean;
  readonly path: string;

  constructor(
    private readonly options: FileSourceOptions,
    private readonly settings: SourceSettings,
    private readonly logger: VideoLogger,
    private readonly context: Record<string, unknown>,
  ) {
    this.path = resolveMediaPath(options.url, options.fileRoot);
    this.live = options.pacing === 'realtime';
    this.endsNaturally = !options.loop;
  }

  get description(): string {
    return this.path;
  }

  async open(hooks: RunHooks = {}): Promise<SourceRun> {
    try {
      await access(this.path, constants.R_OK);
    } catch (err) {
      throw new SightlineError(DecodeErrorCode.sourceNotFound, `cannot read ${this.path}: ${(err as NodeJS.ErrnoException).code}`, {
        ...this.context,
        path: this.path,
      });
    }
    const decoder = new FfmpegDecoder({
      ffmpegPath: this.settings.ffmpegPath,
      hwaccel: this.settings.hwaccel,
      input: { kind: 'file', path: this.path, loop: this.options.loop, realtime: this.live },
      output: this.settings.frame,
      logger: this.logger,
      context: this.context,
      onDecodeError: hooks.onDecodeError,
    });
    return new DecoderTimedRun(decoder);
  }
}

/** The absolute path of a file source, checked against the media root. */
export function resolveMediaPath(url: string, fileRoot: string): string {
  let path: string;
  try {
    path = url.startsWith('file:') ? fileURLToPath(url) : url;
  } catch {
    throw new SightlineError('INVALID_SOURCE', 'file source must be an absolute path or a file:// URL', { url });
  }
  if (!isAbsolute(path)) throw new SightlineError('INVALID_SOURCE', 'file source must be an absolute path', { url });
  const resolved = resolve(path);
  const root = resolve(fileRoot);
  const inside = relative(root, resolved);
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new SightlineError('INVALID_SOURCE', `file source must be inside ${root}`, { url, fileRoot: root });
  }
  return resolved;
}
