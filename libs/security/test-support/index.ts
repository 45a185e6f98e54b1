/** Test support of @sightline/security for other projects' tests: `import { … } from '@sightline/security/testing'`. */
export { startAuthStub, type AuthStub } from './auth-stub.js';
