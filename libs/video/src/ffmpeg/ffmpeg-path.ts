import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';

/** The static FFmpeg shipped by the npm package @ffmpeg-installer/ffmpeg (the default of FFMPEG_PATH). */
export const BUNDLED_FFMPEG_PATH: string = ffmpegInstaller.path;
