/**
 * Which FFmpeg decodes untrusted video. The distribution's FFmpeg (Debian's /usr/bin/ffmpeg) gets security updates
 * with the OS; the static build of the npm package @ffmpeg-installer/ffmpeg is FFmpeg 4.1 from 2018 and is only a
 * fallback for machines without a system FFmpeg. Ingest logs which one runs, and its version, at start-up.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';

/** The static FFmpeg shipped by the npm package @ffmpeg-installer/ffmpeg (the fallback of FFMPEG_PATH). */
export const BUNDLED_FFMPEG_PATH: string = ffmpegInstaller.path;

/** Where the distribution's package installs FFmpeg (Debian/Ubuntu `ffmpeg`). */
export const SYSTEM_FFMPEG_PATH = '/usr/bin/ffmpeg';

export type FfmpegOrigin = 'system' | 'bundled' | 'configured';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The system FFmpeg when it is installed, the npm static build otherwise (the default of FFMPEG_PATH). */
export function defaultFfmpegPath(systemPath: string = SYSTEM_FFMPEG_PATH): string {
  return isExecutable(systemPath) ? systemPath : BUNDLED_FFMPEG_PATH;
}

/** Where a configured FFmpeg path comes from, for the start-up log line. */
export function ffmpegOrigin(path: string): FfmpegOrigin {
  if (path === BUNDLED_FFMPEG_PATH) return 'bundled';
  return path === SYSTEM_FFMPEG_PATH ? 'system' : 'configured';
}

/** FFmpeg's version string (`5.1.6-0+deb12u1`, `4.1`, …) from `ffmpeg -version`; rejects when it cannot run. */
export function ffmpegVersion(path: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path, ['-hide_banner', '-version'], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) return reject(error);
      const version = /^ffmpeg version (\S+)/m.exec(stdout)?.[1];
      return version ? resolve(version) : reject(new Error(`unexpected output of ${path} -version`));
    });
  });
}
