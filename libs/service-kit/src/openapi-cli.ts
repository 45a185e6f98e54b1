/**
 * The body of each service's `write-openapi.ts`: writes its OpenAPI document to `defaultTarget` (or argv[2]).
 * Nest runs in preview mode, so nothing connects anywhere.
 */
import { resolve } from 'node:path';
import { type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { writeOpenApiDocument, type ApiInfo } from '@sightline/openapi';

export async function writeOpenApiCli(options: {
  module: DynamicModule | Type<unknown>;
  info: ApiInfo;
  defaultTarget: string;
}): Promise<void> {
  const target = resolve(process.argv[2] ?? options.defaultTarget);
  const app = await NestFactory.create(options.module, { preview: true, logger: false });
  await writeOpenApiDocument(app, options.info, target);
  await app.close();
  console.log(`wrote ${target}`);
}
