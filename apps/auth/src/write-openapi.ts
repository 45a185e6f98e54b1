/** Writes the OpenAPI document to docs/openapi/auth.json (or the path given): `node apps/auth/dist/write-openapi.js`. */
import 'reflect-metadata';
import { createLogger } from '@sightline/observability';
import { writeOpenApiCli } from '@sightline/service-kit';
import { AppModule } from './app.module.js';
import { loadAuthConfig } from './config.js';
import { AUTH_API } from './openapi.js';

const appModule = AppModule.register(loadAuthConfig({}), createLogger('auth-openapi', 'error'));
await writeOpenApiCli({ module: appModule, info: AUTH_API, defaultTarget: 'docs/openapi/auth.json' });
