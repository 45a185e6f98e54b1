/** Codes the ingest service itself raises or logs (its libs' are VideoErrorCode, RtspErrorCode, DecodeErrorCode). */
export const IngestCode = {
  /** `ingest-cli` called with arguments it cannot use; the usage text follows. */
  cliUsage: 'CLI_USAGE',
  /** `ingest-cli` failed with an error that has no code of its own. */
  cliFailed: 'CLI_FAILED',
  /** Warning: decoding with the npm static FFmpeg build (no security updates). */
  ffmpegBundled: 'FFMPEG_BUNDLED',
  /** Sessions did not stop within SHUTDOWN_TIMEOUT_MS. */
  shutdownTimeout: 'SHUTDOWN_TIMEOUT',
} as const;
