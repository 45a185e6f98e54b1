#!/usr/bin/env bash
# Scaffolds a new library: deploy/local/mklib.sh <name> [referenced-lib ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=$1; shift; d=libs/$n
[ -e "$d" ] && { echo "$d exists" >&2; exit 1; }
mkdir -p "$d/src"
refs=""; for r in "$@"; do refs="$refs{ \"path\": \"../$r\" }, "; done; refs="[${refs%, }]"
cat > "$d/package.json" <<JSON
{
  "name": "@sightline/$n",
  "version": "0.0.0",
  "private": true,
  "type": "module",
  "exports": {
    ".": {
      "development": "./src/index.ts",
      "types": "./dist/index.d.ts",
      "default": "./dist/index.js"
    }
  },
  "scripts": {
    "build": "tsc -b tsconfig.json",
    "lint": "eslint src",
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
  "references": $refs
}
JSON
echo "export {};" > "$d/src/index.ts"
python3 - "$n" <<'PY'
import json, sys
p='tsconfig.build.json'; d=json.load(open(p))
ref={'path':'libs/'+sys.argv[1]}
if ref not in d['references']: d['references'].insert(0, ref)
open(p,'w').write(json.dumps(d,indent=2)+"\n")
PY
echo "created $d (run npm install to link @sightline/$n)"
