# Sourced by tests/run.sh and bench/run.sh: installs moto[server] and
# cfn-lint into .venv on first use, and `start_moto` starts moto's server on
# a free loopback port (stopped on exit) and points the AWS SDK at it.

venv=.venv
if [ ! -x "$venv/bin/moto_server" ] || [ ! -x "$venv/bin/cfn-lint" ]; then
  echo "==> installing moto[server] and cfn-lint into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6' 'cfn-lint>=1.20,<2'
fi

start_moto() {
  # `start_moto serial`: moto answering one request at a time (bench/moto_serial.py: its DynamoDB
  # transactions are not thread safe), as the benchmark runs it; else moto's own threaded server.
  local port log
  port=${MOTO_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
  log="${TMPDIR:-/tmp}/sim-moto-$port.log"
  if [ "${1:-}" = serial ]; then
    echo "==> starting moto (one request at a time) on 127.0.0.1:$port, log $log" >&2
    "$venv/bin/python" bench/moto_serial.py 127.0.0.1 "$port" > "$log" 2>&1 &
  else
    echo "==> starting moto on 127.0.0.1:$port"
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > "$log" 2>&1 &
  fi
  moto_pid=$!
  trap 'kill $moto_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 50); do
    curl -fs "http://127.0.0.1:$port/moto-api/" > /dev/null 2>&1 && break
    sleep 0.2
  done
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
         AWS_REGION=eu-west-2 AWS_EC2_METADATA_DISABLED=true
}
