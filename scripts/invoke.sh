#!/usr/bin/env bash
# Runs one function locally under `cargo lambda watch` and invokes it with a fixture:
#   scripts/invoke.sh jobs-get events/jobs-get.json        (make invoke FN=... EVENT=...)
# The function reads its configuration from the environment as in Lambda (TABLE_NAME,
# USER_POOL_ID, USER_POOL_CLIENT_ID, MAIL_FROM, CURSOR_SECRET, optional AWS_ENDPOINT_URL); if
# .local-data/moto.env exists (scripts/moto-dev.sh writes it) it is sourced first, so the
# function talks to moto. INVOKE_PORT (default 9000) picks the emulator's port.
set -euo pipefail
cd "$(dirname "$0")/.."
fn="${1:-}" event="${2:-}"
if [[ -z "$fn" || -z "$event" ]]; then
  echo "usage: scripts/invoke.sh FUNCTION EVENT_FILE   (e.g. jobs-get events/jobs-get.json)" >&2
  exit 2
fi
[[ -f "$event" ]] || { echo "invoke: no event file $event (see events/README.md)" >&2; exit 2; }
cargo run -q -p xtask --bin function-count -- --names 2>/dev/null | grep -qx "$fn" \
  || { echo "invoke: no route or consumer is named $fn (see infra/manifest.json)" >&2; exit 2; }
export PATH="$PWD/.venv/bin:$PATH"
command -v cargo-lambda >/dev/null || { echo "invoke: cargo-lambda not found: run 'make build' once (it installs it into .venv)" >&2; exit 1; }
if [[ -f .local-data/moto.env ]]; then
  set -a; source .local-data/moto.env; set +a
fi
export CURSOR_SECRET="${CURSOR_SECRET:-local-invoke-cursor-secret-32-bytes-min!}"
port="${INVOKE_PORT:-9000}"
mkdir -p target/infra
log="target/infra/watch-$fn.log"

# The one bootstrap serves every function; its handler (as Lambda sets it) picks this one.
_HANDLER="$fn" cargo lambda watch -A 127.0.0.1 -P "$port" --bin bootstrap >"$log" 2>&1 &
watch_pid=$!
stop() { kill "$watch_pid" 2>/dev/null || true; wait "$watch_pid" 2>/dev/null || true; }
trap stop EXIT

for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 "$watch_pid" 2>/dev/null || { cat "$log" >&2; echo "invoke: cargo lambda watch exited" >&2; exit 1; }
  sleep 0.2
done
# The first invoke compiles the function; allow it time.
cargo lambda invoke -A 127.0.0.1 -P "$port" bootstrap --data-file "$event" || { echo "--- watch log ($log):" >&2; tail -40 "$log" >&2; exit 1; }
echo
