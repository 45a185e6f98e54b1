export { openRtspStream } from './rtsp-stream.js';
export type {
  OpenRtspStreamOptions,
  RtspAuthOptions,
  RtspCodec,
  RtspMediaInfo,
  RtspSample,
  RtspStream,
  RtspStreamStats,
} from './rtsp-stream.js';
export { RtspErrorCode } from './errors.js';
export { ATTACHED_NETWORKS, AddressPolicy, attachedNetworks, parseSubnet, type AddressPolicyOptions } from './address-policy.js';
export { BasicAuthStrategy, NoAuthStrategy, type AuthStrategy, type Credentials } from './auth/auth-strategy.js';
export { DigestAuthStrategy, computeDigestResponse, type DigestAlgorithm } from './auth/digest.js';
export { AutoAuthStrategy, createAuthStrategy } from './auth/create-auth-strategy.js';
export { parseWwwAuthenticate, type AuthChallenge } from './auth/challenge.js';
export type { RtspRequest } from './message.js';
export { parseSdp, type MediaDescription, type MediaFormat, type SessionDescription } from './sdp.js';
export type { SenderReport } from './rtp.js';
export { TS_PACKET_SIZE } from './mp2t-depacketizer.js';
