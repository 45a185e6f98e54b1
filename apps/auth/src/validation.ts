/** The fleet's one zod pipe and parser (VALIDATION_FAILED with `{field: [messages]}`); the request schemas live in @sightline/identity. */
export { parseRequest, ZodPipe } from '@sightline/service-kit';
