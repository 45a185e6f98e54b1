#!/usr/bin/env bash
# Scaffolds a NestJS service: deploy/local/mkapp.sh <name> <http-port> [referenced-lib ...]
# Apps are thin shells (config, module wiring, controllers); logic lives in libs/.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=$1; port=$2; shift 2; d=apps/$n
[ -e "$d" ] && { echo "$d exists" >&2; exit 1; }
mkdir -p "$d/src" "$d/test"
refs='{ "path": "../../libs/contracts" }, { "path": "../../libs/config" }, { "path": "../../libs/observability" }'
for r in "$@"; do refs="$refs, { \"path\": \"../../libs/$r\" }"; done
upper=$(echo "$n" | tr 'a-z-' 'A-Z_')
cat > "$d/package.json" <<JSON
{
  "name": "@sightline/$n-service",
  "version": "0.0.0",
  "private": true,
  "type": "module",
  "main": "dist/main.js",
  "scripts": {
    "build": "tsc -b tsconfig.json",
    "start": "node dist/main.js",
    "lint": "eslint src test",
    "test": "vitest run --root ../.. $d/"
  }
}
JSON
cat > "$d/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist", "composite": true, "tsBuildInfoFile": "dist/tsconfig.tsbuildinfo" },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.spec.ts"],
  "references": [$refs]
}
JSON
cat > "$d/src/config.ts" <<TS
import { baseConfigShape, env, loadConfig } from '@sightline/config';

/** Environment variables of the $n service (documented in docs/configuration.md). */
export const ${n//-/_}ConfigShape = {
  ...baseConfigShape,
  HTTP_PORT: env.port($port),
};

export type ${upper}Config = ReturnType<typeof load${upper}Config>;
export const load${upper}Config = (source: NodeJS.ProcessEnv = process.env) => loadConfig(${n//-/_}ConfigShape, source);
TS
cat > "$d/src/app.module.ts" <<TS
import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule } from '@sightline/observability';
import { type ${upper}Config } from './config.js';

@Module({})
export class AppModule {
  static register(config: ${upper}Config): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: '$n' })],
      providers: [{ provide: 'CONFIG', useValue: config }],
    };
  }
}
TS
cat > "$d/src/main.ts" <<TS
import 'reflect-metadata';
import { bootstrapService } from '@sightline/observability';
import { AppModule } from './app.module.js';
import { load${upper}Config } from './config.js';

await bootstrapService({
  service: '$n',
  loadConfig: () => load${upper}Config(),
  module: (config) => AppModule.register(config),
  port: (config) => config.HTTP_PORT,
});
TS
python3 - "$n" <<'PY'
import json, sys
p='tsconfig.build.json'; d=json.load(open(p))
ref={'path':'apps/'+sys.argv[1]}
if ref not in d['references']: d['references'].append(ref)
open(p,'w').write(json.dumps(d,indent=2)+"\n")
PY
echo "created $d (run npm install to link it)"
