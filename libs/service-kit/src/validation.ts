/** Request validation with zod at the HTTP edge: a failed parse is a 400 carrying `{field: [messages]}`. */
import { type PipeTransform } from '@nestjs/common';
import { describeIssues, SharedErrorCode, SightlineError } from '@sightline/contracts';
import { type z } from 'zod';

/**
 * Parses request input; a failure is a SightlineError with `code` (default VALIDATION_FAILED) carrying
 * `fieldErrors`. `what` names the input (`body`, `query`, `id`) and is the field of root-level problems.
 */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  code: string = SharedErrorCode.validationFailed,
): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of result.error.issues) {
    const field = issue.path.length ? issue.path.join('.') : what;
    (fieldErrors[field] ??= []).push(issue.message);
  }
  throw new SightlineError(code, code === SharedErrorCode.validationFailed ? `invalid ${what}` : describeIssues(result.error), {
    fieldErrors,
  });
}

/** `@Body(new ZodPipe(schema, 'body'))`, `@Param('id', new ZodPipe(userIdSchema, 'id'))`. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    readonly schema: S,
    private readonly what: string,
    private readonly code: string = SharedErrorCode.validationFailed,
  ) {}

  transform(value: unknown): z.output<S> {
    return parseRequest(this.schema, value, this.what, this.code);
  }
}
