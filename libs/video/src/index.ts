export { SessionManager, type IngestSettings, type SessionManagerDependencies } from './session/session-manager.js';
export { IngestSession, type StopReason } from './session/ingest-session.js';
export { ReconnectPolicy, isFatal, type ReconnectPolicyOptions } from './session/reconnect-policy.js';
export { FramePublisher, type DeliveryMode, type FramePublishResult, type FramePublisherOptions } from './publish/frame-publisher.js';
export { SessionEvents, type LifecycleEvent } from './publish/session-events.js';
export { IngestMetrics, type SessionMetrics } from './metrics.js';
export { loadSessionsFile } from './sessions-file.js';
export { encodeJpeg } from './snapshot.js';
export {
  HARDWARE_DECODERS,
  buildDecoderArgs,
  buildJpegArgs,
  letterboxFilter,
  previewFilter,
  previewSize,
  type DecoderInput,
  type PreviewOptions,
  type DecoderOptions,
  type HardwareDecoder,
  type FrameFormat,
  type PipeFormat,
  type V4l2Device,
} from './ffmpeg/command.js';
export { FfmpegDecoder, type DecodedFrame, type FfmpegDecoderOptions, type PreviewPicture } from './ffmpeg/decoder.js';
export {
  BUNDLED_FFMPEG_PATH,
  SYSTEM_FFMPEG_PATH,
  defaultFfmpegPath,
  ffmpegOrigin,
  ffmpegVersion,
  type FfmpegOrigin,
} from './ffmpeg/ffmpeg-path.js';
export { probeHardwareDecoder, usableHardwareDecoder, type HardwareDecoderProbe } from './ffmpeg/hardware-decoder.js';
export { DecodeErrorCode } from './ffmpeg/stderr.js';
export { VideoErrorCode, VideoWarningCode } from './errors.js';
export { parseDeviceUrl } from './sources/device-source.js';
export type { FrameSource, SourceFrame, SourceRun } from './sources/source.js';
export type { VideoLogger } from './logger.js';
