import { SharedErrorCode, SightlineError, type ErrorCodeOf } from '@sightline/contracts';

/** Codes of the errors this library raises (part of the public contract: they reach `sourceError` events). */
export const RtspErrorCode = {
  /** The server rejected our credentials (or wants a scheme we cannot answer). Retrying will not help. */
  unauthorized: 'RTSP_UNAUTHORIZED',
  /** TCP connection refused, unreachable host, DNS failure. */
  connectFailed: 'RTSP_CONNECT_FAILED',
  /** No TCP connection or no response within the configured time. */
  timeout: 'RTSP_TIMEOUT',
  /** The server answered with an error status or with something that is not RTSP. */
  protocol: 'RTSP_PROTOCOL',
  /** No video at all in the SDP. */
  unsupportedMedia: 'RTSP_UNSUPPORTED_MEDIA',
  /** Video, but in a codec we do not decode (H.265, MJPEG, H.264 interleaved mode...): the message names it. */
  unsupportedCodec: 'UNSUPPORTED_CODEC',
  /** The server closed the connection (e.g. it restarted or crashed). */
  streamEnded: 'RTSP_STREAM_ENDED',
  /** The server's address is outside the allowed networks (AddressPolicy); nothing was sent to it. */
  addressNotAllowed: 'RTSP_ADDRESS_NOT_ALLOWED',
  /** A request we refuse to send (credentials or URL that would inject headers); retrying cannot fix it. */
  invalidSource: SharedErrorCode.invalidSource,
} as const;
export type RtspErrorCode = ErrorCodeOf<typeof RtspErrorCode>;

export function rtspError<C extends RtspErrorCode>(
  code: C,
  message: string,
  context: Record<string, unknown>,
  cause?: unknown,
): SightlineError<C> {
  return new SightlineError(code, message, context, cause === undefined ? undefined : { cause });
}
