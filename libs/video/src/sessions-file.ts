/**
 * Sessions to start at boot (INGEST_SESSIONS_FILE, CLI `--config`): YAML or JSON, either a list of start requests or
 * `{ sessions: [...] }`. Each entry is the REST body (`startSessionSchema`), e.g.
 *
 *   sessions:
 *     - sessionId: cam1
 *       source: { type: rtsp, url: rtsp://camera.local/stream, auth: digest, username: viewer, password: secret }
 *     - sessionId: cam2
 *       source: { type: rtsp, url: rtsp://camera.local/stream2, auth: { type: digest, username: viewer, password: secret } }
 *     - source: { type: file, url: /media/demo.mp4, loop: true }
 */
import { readFile } from 'node:fs/promises';
import { SightlineError, describeIssues, startSessionSchema, type StartSessionRequest } from '@sightline/contracts';
import { parse } from 'yaml';
import { z } from 'zod';
import { VideoErrorCode } from './errors.js';

const sessionsSchema = z.array(startSessionSchema);

export async function loadSessionsFile(path: string): Promise<StartSessionRequest[]> {
  let document: unknown;
  try {
    document = parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new SightlineError(VideoErrorCode.configInvalid, `cannot read sessions file ${path}: ${(err as Error).message}`, { path });
  }
  const list = document && typeof document === 'object' && 'sessions' in document ? document.sessions : (document ?? []);
  const result = sessionsSchema.safeParse(list);
  if (!result.success) {
    throw new SightlineError(VideoErrorCode.configInvalid, `sessions file ${path} is invalid: ${describeIssues(result.error)}`, { path });
  }
  return result.data;
}
