export { SessionManager, type IngestSettings } from './session/session-manager.js';
export { loadSessionsFile } from './sessions-file.js';
export { HARDWARE_DECODERS, letterboxFilter } from './ffmpeg/command.js';
export { BUNDLED_FFMPEG_PATH, SYSTEM_FFMPEG_PATH, defaultFfmpegPath, ffmpegOrigin, ffmpegVersion } from './ffmpeg/ffmpeg-path.js';
export { usableHardwareDecoder } from './ffmpeg/hardware-decoder.js';
export { VideoErrorCode } from './errors.js';
export type { VideoLogger } from './logger.js';
