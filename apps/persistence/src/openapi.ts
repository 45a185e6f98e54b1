/**
 * The persistence service's OpenAPI document (helpers in @sightline/openapi). Served at /docs (UI) and /docs-json;
 * written to docs/openapi/persistence.json by `write-openapi.ts`.
 */
import { type INestApplication } from '@nestjs/common';
import { serveOpenApi, type ApiInfo } from '@sightline/openapi';

export const PERSISTENCE_API: ApiInfo = {
  title: 'Sightline persistence service',
  description:
    'Stored analysis results (the analysis_results table) by session, with time and event filters and keyset ' +
    'pagination, and per-session summaries. Bearer JWT from the auth service with role agent, operator or admin.',
};

/** HTTP set-up before listen. */
export function configureHttp(app: INestApplication): void {
  serveOpenApi(app, PERSISTENCE_API);
}
