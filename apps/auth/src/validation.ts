/** The pipe that validates a request part with one of the identity request schemas (400 with field errors). */
import { type PipeTransform } from '@nestjs/common';
import { parseRequest } from '@sightline/identity';
import { type z } from 'zod';

/** `@Body(new ZodPipe(schema, 'body'))`, `@Param('id', new ZodPipe(userIdSchema, 'id'))`. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    readonly schema: S,
    private readonly what: string,
  ) {}

  transform(value: unknown): z.output<S> {
    return parseRequest(this.schema, value, this.what);
  }
}
