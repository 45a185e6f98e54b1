/**
 * The ingest service's OpenAPI document (helpers in @sightline/openapi). Served at /docs (UI) and /docs-json;
 * written to docs/openapi/ingest.json by `write-openapi.ts`.
 */
import { type INestApplication } from '@nestjs/common';
import { serveOpenApi, type ApiInfo } from '@sightline/openapi';

export const INGEST_API: ApiInfo = {
  title: 'Sightline ingest service',
  description:
    'Analysis sessions: MP4 files, RTSP cameras (Basic/Digest) and V4L2 devices decoded by FFmpeg into frames on NATS ' +
    'JetStream. Bearer JWT from the auth service; operators and admins start and stop sessions, agents may read them.',
};

/** HTTP set-up before listen (main and tests alike). */
export function configureHttp(app: INestApplication): void {
  serveOpenApi(app, INGEST_API);
}
