/** The logger port this library takes (one definition for every lib, in @sightline/contracts). */
import { type LoggerPort } from '@sightline/contracts';

export type VideoLogger = LoggerPort;
export { silentLogger } from '@sightline/contracts';
