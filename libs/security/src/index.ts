export { TokenSigner, TokenVerifier, bearerToken, type SignedToken } from './tokens.js';
export { CurrentPrincipal, JwtAuthGuard, Roles, assertSessionGranted, hasAnyRole } from './guard.js';
export { RevocationList } from './revocations.js';
export { SecurityModule } from './security.module.js';
