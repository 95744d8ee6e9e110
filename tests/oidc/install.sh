#!/usr/bin/env bash
# Installs the pinned oidc-provider and axe-core into tests/oidc/node_modules (git-ignored) once.
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules/oidc-provider ] && [ -d node_modules/axe-core ] || npm install --no-audit --no-fund --silent
