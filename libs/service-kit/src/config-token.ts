/** Injection token of a service's validated configuration: `@Inject(APP_CONFIG) config: IngestConfig`. */
export const APP_CONFIG = Symbol('sightline.config');
