/** Injection token of the validated ingest configuration. */
export const INGEST_CONFIG = Symbol('ingest.config');
