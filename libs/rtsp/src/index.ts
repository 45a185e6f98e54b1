export { openRtspStream } from './rtsp-stream.js';
export type { RtspAuthOptions, RtspSample, RtspStream } from './rtsp-stream.js';
export { RtspErrorCode } from './errors.js';
export { AddressPolicy } from './address-policy.js';
