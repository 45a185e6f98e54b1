/**
 * A V4L2 capture device through FFmpeg's v4l2 input. Device options ride in the URL's query so the session API stays
 * one string: `/dev/video0?input_format=h264&video_size=1920x1080&framerate=60`.
 */
import { access, constants } from 'node:fs/promises';
import { SightlineError } from '@sightline/contracts';
import type { V4l2Device } from '../ffmpeg/command.js';
import { FfmpegDecoder } from '../ffmpeg/decoder.js';
import { DecodeErrorCode } from '../ffmpeg/stderr.js';
import type { VideoLogger } from '../logger.js';
import { DecoderTimedRun, type FrameSource, type RunHooks, type SourceRun, type SourceSettings } from './source.js';
import { VideoErrorCode } from '../errors.js';

const DEVICE_PATH = /^\/dev\/video\d{1,3}$/;
const VIDEO_SIZE = /^\d{2,5}x\d{2,5}$/;
const INPUT_FORMAT = /^[a-z0-9_]{1,32}$/;

export function parseDeviceUrl(url: string): V4l2Device {
  const [path = '', query = ''] = url.split('?', 2);
  if (!DEVICE_PATH.test(path)) throw new SightlineError(VideoErrorCode.invalidSource, 'device source must be /dev/videoN', { url });
  const device: V4l2Device = { path };
  for (const [key, value] of new URLSearchParams(query)) {
    if (key === 'input_format' && INPUT_FORMAT.test(value)) device.inputFormat = value;
    else if (key === 'video_size' && VIDEO_SIZE.test(value)) device.videoSize = value;
    else if (key === 'framerate' && Number(value) > 0 && Number(value) <= 1000) device.framerate = Number(value);
    else throw new SightlineError(VideoErrorCode.invalidSource, `unsupported device option ${key}=${value}`, { url });
  }
  return device;
}

export class DeviceSource implements FrameSource {
  readonly type = 'device' as const;
  readonly live = true;
  readonly endsNaturally = false;
  readonly device: V4l2Device;

  constructor(
    url: string,
    private readonly settings: SourceSettings,
    private readonly logger: VideoLogger,
    private readonly context: Record<string, unknown>,
  ) {
    this.device = parseDeviceUrl(url);
  }

  get description(): string {
    return this.device.path;
  }

  async open(hooks: RunHooks = {}): Promise<SourceRun> {
    try {
      await access(this.device.path, constants.R_OK);
    } catch (err) {
      throw new SightlineError(DecodeErrorCode.sourceNotFound, `cannot open ${this.device.path}: ${(err as NodeJS.ErrnoException).code}`, {
        ...this.context,
        device: this.device.path,
      });
    }
    const decoder = new FfmpegDecoder({
      ffmpegPath: this.settings.ffmpegPath,
      input: { kind: 'device', device: this.device },
      output: this.settings.frame,
      preview: this.settings.preview,
      logger: this.logger,
      context: this.context,
      onDecodeError: hooks.onDecodeError,
    });
    return new DecoderTimedRun(decoder);
  }
}
