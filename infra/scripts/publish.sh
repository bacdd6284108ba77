#!/usr/bin/env bash
# Path 3 of docs/deploy.md: build here and publish the code to an existing Function App with
# Azure Functions Core Tools, shipping production dependencies only. The working copy gets its
# dev dependencies back afterwards. Usage: ./infra/scripts/publish.sh <function app name>
set -euo pipefail
app="${1:?usage: infra/scripts/publish.sh <function app name>}"
cd "$(dirname "$0")/../.."
node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a !== 22 || b < 15) { console.error(`Node 22.15+ is needed (this is ${process.version}); see README`); process.exit(1); }'
npm ci --no-audit --no-fund
npm run build
npm prune --omit=dev
restore() { npm ci --no-audit --no-fund >/dev/null; }
trap restore EXIT
# The package is what was built here (dist/ + node_modules, per .funcignore); no remote build.
func azure functionapp publish "$app" --build local
