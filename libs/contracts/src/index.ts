export * from './errors.js';
export * from './events.js';
export * from './subjects.js';
export * from './schemas.js';
export * from './geometry.js';
export * from './sessions.js';
export * from './ws.js';
export * from './auth.js';
