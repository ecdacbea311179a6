#!/usr/bin/env bash
# The one test command: installs the Python peers (moto, boto3, boto 2, requests, the AWS CLI) into
# local venvs, starts moto on a free loopback port, runs every Rust test (unit, integration, interop)
# with the peers named in the environment, and stops moto. Any peer that fails to install or start
# fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
py=${PYTHON:-python3}

. "$root/scripts/peers.sh"

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
stop_moto() {
  kill "$moto_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$moto_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$moto_pid" 2>/dev/null || true
  rm -f "$log"
}
trap stop_moto EXIT
for _ in $(seq 100); do
  if curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null; then break; fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then echo "moto failed to start:"; cat "$log"; exit 1; fi
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null || { echo "moto did not answer on port $port"; cat "$log"; exit 1; }
echo "== moto is up on 127.0.0.1:$port"

export PHANTOM_TEST_MOTO_URL="http://127.0.0.1:$port"
export PHANTOM_TEST_PYTHON="$venv/bin/python"
export PHANTOM_TEST_AWS="$cli_venv/bin/aws"
# Unit, integration and interop tests; examples are built (benchmarks are not tests: see BENCHMARKS.md).
cargo test --locked --lib --bins --tests --examples "$@"
cargo test --locked --doc
# The library alone, as a program that only calls Auto Scaling builds it (no server, no CLI).
cargo test --locked --lib --no-default-features
