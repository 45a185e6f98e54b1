/**
 * Contract constants the console needs at run time whose home modules also build zod schemas (which would put all of
 * zod in the bundle). Restated with their types pinned to the contracts' own: if a value changes there, this file
 * stops compiling (the same technique as @sightline/client's protocol.ts).
 */
import type { RTSP_AUTH_TYPES as CONTRACT_RTSP_AUTH_TYPES, SOURCE_TYPES as CONTRACT_SOURCE_TYPES } from '@sightline/contracts';

export const SOURCE_TYPES: typeof CONTRACT_SOURCE_TYPES = ['file', 'rtsp', 'device'];
export const RTSP_AUTH_TYPES: typeof CONTRACT_RTSP_AUTH_TYPES = ['none', 'basic', 'digest', 'auto'];
