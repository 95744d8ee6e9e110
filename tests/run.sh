#!/usr/bin/env bash
# Runs every SIM test: unit, handler, adapter contract and end-to-end tests.
# Starts moto's server on a loopback port for the AWS adapter tests (installing
# it into .venv on first use) and lints the SAM template with cfn-lint.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's Chromium through chromedriver.
if ! command -v chromium > /dev/null || ! command -v chromedriver > /dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "==> installing chromium and chromium-driver"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
  else
    echo "The browser tests need Chromium and its driver: sudo apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi

source tests/moto.sh

echo "==> cfn-lint infra/template.yaml"
"$venv/bin/cfn-lint" infra/template.yaml

# The certified OpenID provider and axe-core for the console and browser tests (npm, pinned).
echo "==> tests/oidc/install.sh"
tests/oidc/install.sh

# A full test build needs about 5 GB under the target directory (4.9 GB from
# a clean clone, measured 2026-11-22): say how much is free before cargo can
# stop half way through linking with "No space left on device".
target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target_dir"
free_gb=$(df -Pk "$target_dir" | awk 'NR == 2 { print int($4 / 1048576) }')
echo "==> disk: ${free_gb} GB free for $target_dir"
if [ "$free_gb" -lt 8 ]; then
  echo "warning: a full test build needs about 5 GB (less if target/ already holds a build); free disk if the link step fails" >&2
fi

start_moto
# Under this script nothing may skip: a test that needs moto and cannot reach it fails.
export SIM_FULL_SUITE=1
echo "==> cargo test --workspace"
log="${TMPDIR:-/tmp}/sim-test-$$.log"
cargo test --workspace "$@" 2>&1 | tee "$log"
# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
