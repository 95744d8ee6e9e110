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

start_moto
# Under this script nothing may skip: a test that needs moto and cannot reach it fails.
export SIM_FULL_SUITE=1
echo "==> cargo test --workspace"
log="${TMPDIR:-/tmp}/sim-test-$$.log"
cargo test --workspace "$@" 2>&1 | tee "$log"
# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
