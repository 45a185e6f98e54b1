/** MP4 (H.264 + AAC; audio ignored) decoded by FFmpeg from disk, paced at real time or as fast as possible. */
import { access, constants, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SightlineError } from '@sightline/contracts';
import { FfmpegDecoder } from '../ffmpeg/decoder.js';
import { probeFileVideo } from '../ffmpeg/hardware-decoder.js';
import { DecodeErrorCode } from '../ffmpeg/stderr.js';
import type { VideoLogger } from '../logger.js';
import { DecoderTimedRun, type FrameSource, type RunHooks, type SourceRun, type SourceSettings } from './source.js';
import { VideoErrorCode } from '../errors.js';

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

  /**
   * The file's real path (symbolic links resolved), inside the real media root and readable. Missing, unreadable and
   * outside-the-root files get one and the same answer, so the API does not tell callers which files exist on the
   * host; the reason goes to the service log only.
   */
  private async readablePath(): Promise<string> {
    let reason: string;
    try {
      const [real, root] = await Promise.all([realpath(this.path), realpath(this.options.fileRoot)]);
      if (isInside(root, real)) {
        await access(real, constants.R_OK);
        return real;
      }
      reason = 'resolves outside the media root';
    } catch (err) {
      reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
    this.logger.warn('file source not available', { ...this.context, path: this.path, reason });
    throw new SightlineError(DecodeErrorCode.sourceNotFound, 'file source not available', { ...this.context });
  }

  async open(hooks: RunHooks = {}): Promise<SourceRun> {
    const path = await this.readablePath();
    const { ffmpegPath, hwaccel } = this.settings;
    // Hardware decoding scales during decoding when the size is known first; a probe that fails leaves it to FFmpeg.
    const source = hwaccel ? await probeFileVideo(ffmpegPath, path) : undefined;
    const decoder = new FfmpegDecoder({
      ffmpegPath,
      hwaccel,
      source,
      decodeThreads: this.settings.decodeThreads,
      preview: this.settings.preview,
      input: { kind: 'file', path, loop: this.options.loop, realtime: this.live },
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
    throw new SightlineError(VideoErrorCode.invalidSource, 'file source must be an absolute path or a file:// URL', { url });
  }
  if (!isAbsolute(path)) throw new SightlineError(VideoErrorCode.invalidSource, 'file source must be an absolute path', { url });
  const resolved = resolve(path);
  if (!isInside(resolve(fileRoot), resolved)) {
    throw new SightlineError(VideoErrorCode.invalidSource, 'file source must be inside the media root (INGEST_FILE_ROOT)', { url });
  }
  return resolved;
}

function isInside(root: string, path: string): boolean {
  const inside = relative(root, path);
  return !inside.startsWith('..') && !isAbsolute(inside);
}
