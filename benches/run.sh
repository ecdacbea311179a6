#!/usr/bin/env bash
# The benchmark command (see BENCHMARKS.md): phantom side by side with the AWS CLI, boto3/botocore,
# a minimal aws-sdk-autoscaling program and moto, every ratio measured in the same run.
#
#   ./benches/run.sh                      # build (incrementally) and print the table
#   ./benches/run.sh --clean-build all    # first time clean release builds of phantom and of the
#                                         # aws-sdk-autoscaling peer (also: phantom, sdk)
#   BENCH_SECONDS=1 ./benches/run.sh      # shorter measurement windows (default 3 s)
#   ./benches/run.sh --only engine        # one case alone (the timer engine: idle CPU with
#                                         # 10 000 groups, schedule lateness); no sdk-peer build
#   ./benches/run.sh --only cli           # the CLI row alone (phantom vs the AWS CLI, no sdk
#                                         # peer or boto3), e.g. after a start-up change
#
# Installs the Python peers like scripts/test.sh (scripts/peers.sh), builds `phantom` and the Rust
# bench binary (benches/perf.rs) in release mode, builds the peer program benches/sdk-peer (its own
# workspace and target directory, outside phantom's dependency tree), then runs benches/run.py.
# Results and fixtures go to $CARGO_TARGET_DIR/bench (default target/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
py=${PYTHON:-python3}
target=${CARGO_TARGET_DIR:-$root/target}
out="$target/bench"
sdk_target=${SDK_PEER_TARGET:-$out/sdk-target}
clean=""
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --clean-build) clean=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: $0 [--clean-build phantom|sdk|all] [--only engine|cli]" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"

. "$root/scripts/peers.sh"
if ! command -v hyperfine >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y -q hyperfine >/dev/null 2>&1 || echo "(hyperfine not installed: timing CLI runs in Python)"
fi

# Times a clean release build of the package at manifest $2 in the fresh target dir $3, and
# records the seconds under name $1 in $out/builds.json.
clean_build() {
  local name=$1 manifest=$2 dir=$3 start end
  echo "== clean release build of $name in $dir"
  rm -rf "$dir"
  cargo fetch --locked --manifest-path "$manifest" >/dev/null
  start=$(date +%s.%N)
  CARGO_TARGET_DIR="$dir" cargo build --release --locked --manifest-path "$manifest" >/dev/null
  end=$(date +%s.%N)
  "$venv/bin/python" - "$out/builds.json" "$name" "$start" "$end" "$(cat /proc/loadavg)" <<'EOF'
import json, sys
path, name, start, end, load = sys.argv[1:]
try:
    data = json.load(open(path))
except (OSError, ValueError):
    data = {}
data[name] = {"seconds": float(end) - float(start), "loadavg_before": load.split()[0]}
json.dump(data, open(path, "w"), indent=1)
EOF
}

case "$clean" in
  "") ;;
  phantom) clean_build phantom "$root/Cargo.toml" "$out/clean-phantom-target" ;;
  sdk) clean_build sdk "$root/benches/sdk-peer/Cargo.toml" "$sdk_target" ;;
  all)
    clean_build sdk "$root/benches/sdk-peer/Cargo.toml" "$sdk_target"
    clean_build phantom "$root/Cargo.toml" "$out/clean-phantom-target"
    ;;
  *) echo "--clean-build takes phantom, sdk or all" >&2; exit 2 ;;
esac

echo "== building phantom, the bench binary and the aws-sdk-autoscaling peer (release)"
cargo build --release --locked --bin phantom
perf_bin=$(cargo bench --locked --bench perf --no-run --message-format=json 2>/dev/null |
  "$venv/bin/python" -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "perf" and m.get("executable"):
        print(m["executable"])')
if [ -z "$only" ]; then
  CARGO_TARGET_DIR="$sdk_target" cargo build --release --locked \
    --manifest-path "$root/benches/sdk-peer/Cargo.toml"
fi

exec "$venv/bin/python" "$root/benches/run.py" \
  --phantom "$target/release/phantom" \
  --perf "$perf_bin" \
  --sdk "$sdk_target/release/sdk-peer" \
  --aws "$cli_venv/bin/aws" \
  --python "$venv/bin/python" \
  --moto "$venv/bin/moto_server" \
  --out "$out" \
  ${only:+--only "$only"}
