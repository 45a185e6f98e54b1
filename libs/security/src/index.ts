export { TokenSigner, TokenVerifier, bearerToken, type SignedToken, type TokenVerifierOptions } from './tokens.js';
export { CurrentPrincipal, JwtAuthGuard, Roles, hasAnyRole } from './guard.js';
export { DEFAULT_REVOCATION_POLL_MS, RevocationList, type RevocationListOptions } from './revocations.js';
export { SecurityModule, type SecurityModuleOptions } from './security.module.js';
