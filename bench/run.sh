#!/usr/bin/env bash
# SIM's benchmark, one command: builds each function's binary on its own (as
# `sam build` does, so no function carries another's features), starts moto
# serving one request at a time (bench/moto_serial.py says why), and prints
# every figure beside its target from the brief: init, handler cost, end to
# end and requests at 10 and 50 recipients, then cold start beside a hello world.
#
#   bench/run.sh                    # release builds (as deployed)
#   bench/run.sh --debug            # debug builds: no release build needed; counts
#                                   # the same, times slower (the output says so)
#   bench/run.sh --sizes 10,50,200 --runs 5   # other options go to sim-bench
#   bench/run.sh --no-cold-start    # leave out the cold-start section
#   bench/run.sh --debug --e2e-only # end to end and requests only: builds sim-bench alone
#
# Honours CARGO_TARGET_DIR. moto's log: $TMPDIR/sim-moto-PORT.log.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/moto.sh

profile=release
cold_start=yes
functions=(intake sweep categorise send-sms send-email send-whatsapp respond escalate briefings console reports)
args=()
for arg in "$@"; do
  case "$arg" in
    --debug) profile=debug ;;
    --no-cold-start) cold_start=no ;;
    # No function binaries are started: neither init nor cold start is measured.
    --e2e-only) cold_start=no; functions=(); args+=("$arg") ;;
    *) args+=("$arg") ;;
  esac
done
cargo_profile=()
[ "$profile" = release ] && cargo_profile=(--release)
bin_dir="${CARGO_TARGET_DIR:-target}/$profile"

for function in "${functions[@]}"; do
  echo "==> cargo build ${cargo_profile[*]} -p $function" >&2
  cargo build "${cargo_profile[@]}" --quiet -p "$function" --bin "$function"
done
if [ "$cold_start" = yes ]; then
  echo "==> cargo build ${cargo_profile[*]} -p receipts" >&2
  cargo build "${cargo_profile[@]}" --quiet -p receipts --bin receipts --bin webhook
  # The cold-start floor: a hello-world lambda_runtime binary, same profile.
  echo "==> cargo build ${cargo_profile[*]} -p sim-hello" >&2
  cargo build "${cargo_profile[@]}" --quiet -p sim-hello
fi
echo "==> cargo build ${cargo_profile[*]} -p sim-bench" >&2
cargo build "${cargo_profile[@]}" --quiet -p sim-bench
# The runner itself, copied so that another build in a shared target dir cannot replace it mid-run.
runner_dir=$(mktemp -d)
cp "$bin_dir/sim-bench" "$runner_dir/sim-bench"

# moto serving one request at a time: its DynamoDB transactions are not
# thread safe (see bench/moto_serial.py). Its request recorder writes here
# (the benchmark cross-checks its counts against the counting client's).
export MOTO_RECORDER_FILEPATH="$runner_dir/moto-recording"
start_moto serial
trap 'kill $moto_pid 2>/dev/null || true; rm -rf "$runner_dir"' EXIT
# What the benchmark prints about how it was run.
export SIM_BENCH_MOTO=serial SIM_BENCH_PROFILE="$profile"

start=$(date +%s)
"$runner_dir/sim-bench" --bin-dir "$bin_dir" "${args[@]}"
if [ "$cold_start" = yes ]; then
  # Cold start beside the hello world (each binary spawned to its first event answered).
  echo >&2 "[cold start] each function beside the hello world"
  echo
  "$runner_dir/sim-bench" cold-start --bin-dir "$bin_dir"
fi
echo >&2 "==> measured in $(( $(date +%s) - start )) s (builds not included)"
