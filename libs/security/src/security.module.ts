import { Module, type DynamicModule } from '@nestjs/common';
import { JwtAuthGuard } from './guard.js';
import { TokenVerifier, type TokenVerifierOptions } from './tokens.js';

/** Provides TokenVerifier and JwtAuthGuard; use `@UseGuards(JwtAuthGuard)` with `@Roles(...)` on controllers. */
@Module({})
export class SecurityModule {
  static forRoot(options: TokenVerifierOptions): DynamicModule {
    return {
      module: SecurityModule,
      global: true,
      providers: [{ provide: TokenVerifier, useValue: new TokenVerifier(options) }, JwtAuthGuard],
      exports: [TokenVerifier, JwtAuthGuard],
    };
  }
}
