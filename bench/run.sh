#!/usr/bin/env bash
# SIM's benchmark, one command: builds each function's release binary on its
# own (as `sam build` does, so no function carries another's features),
# starts moto, and prints every figure beside its target from the brief.
# Options after the command go to the benchmark, e.g. `--sizes 10,50`.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/moto.sh

for function in intake sweep categorise send-sms send-email send-whatsapp respond escalate briefings; do
  echo "==> cargo build --release -p $function" >&2
  cargo build --release --quiet -p "$function" --bin "$function"
done
echo "==> cargo build --release -p sim-bench" >&2
cargo build --release --quiet -p sim-bench
# moto's request recorder writes here (the benchmark cross-checks its counts).
export MOTO_RECORDER_FILEPATH="${TMPDIR:-/tmp}/sim-moto-recording-$$"
start_moto >&2
target/release/sim-bench "$@"
