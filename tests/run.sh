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

venv=.venv
if [ ! -x "$venv/bin/moto_server" ] || [ ! -x "$venv/bin/cfn-lint" ]; then
  echo "==> installing moto[server] and cfn-lint into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6' 'cfn-lint>=1.20,<2'
fi

echo "==> cfn-lint infra/template.yaml"
"$venv/bin/cfn-lint" infra/template.yaml

port=${MOTO_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
echo "==> starting moto on 127.0.0.1:$port"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > "${TMPDIR:-/tmp}/sim-moto-$port.log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$port/moto-api/" > /dev/null 2>&1 && break
  sleep 0.2
done

export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
       AWS_REGION=eu-west-2 AWS_EC2_METADATA_DISABLED=true
echo "==> cargo test --workspace"
log="${TMPDIR:-/tmp}/sim-test-$$.log"
cargo test --workspace "$@" 2>&1 | tee "$log"
# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
