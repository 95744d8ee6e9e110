#!/usr/bin/env bash
# SIM's benchmark, one command: builds each function's release binary on its
# own (as `sam build` does, so no function carries another's features),
# starts moto, and prints every figure beside its target from the brief.
# Options after the command go to the benchmark, e.g. `--sizes 10,50`.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/moto.sh

for function in intake sweep categorise send-sms send-email send-whatsapp respond escalate briefings console reports; do
  echo "==> cargo build --release -p $function" >&2
  cargo build --release --quiet -p "$function" --bin "$function"
done
echo "==> cargo build --release -p receipts" >&2
cargo build --release --quiet -p receipts --bin receipts --bin webhook
# The cold-start floor: a hello-world lambda_runtime binary, same profile.
echo "==> cargo build --release -p sim-hello" >&2
cargo build --release --quiet -p sim-hello
echo "==> cargo build --release -p sim-bench" >&2
cargo build --release --quiet -p sim-bench
# moto's request recorder writes here (the benchmark cross-checks its counts).
export MOTO_RECORDER_FILEPATH="${TMPDIR:-/tmp}/sim-moto-recording-$$"
start_moto >&2
target/release/sim-bench "$@"
# Cold start beside the hello world (each binary spawned to its first event answered).
target/release/sim-bench cold-start --bin-dir target/release
