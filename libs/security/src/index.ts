export { TokenSigner, TokenVerifier, bearerToken, type SignedToken, type TokenVerifierOptions } from './tokens.js';
export { CurrentPrincipal, JwtAuthGuard, Roles, hasAnyRole } from './guard.js';
export { SecurityModule } from './security.module.js';
