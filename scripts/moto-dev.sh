#!/usr/bin/env bash
# Starts moto_server on 127.0.0.1:${MOTO_PORT:-5000}, provisions it like the deployed stack, and
# writes the env vars for the AWS composition roots to .local-data/moto.env (source it).
# Stop the emulator with: kill "$(cat .local-data/moto.pid)"
set -euo pipefail
cd "$(dirname "$0")/.."
port="${MOTO_PORT:-5000}"
bin="${MOTO_SERVER_BIN:-}"
if [[ -z "$bin" ]]; then
  if [[ -x .venv/bin/moto_server ]]; then bin=.venv/bin/moto_server
  elif command -v moto_server >/dev/null; then bin=moto_server
  else echo "moto_server not found: run 'make test-deps'" >&2; exit 1
  fi
fi
mkdir -p .local-data
# scripts/moto_server.py serialises DynamoDB requests (see there); it runs on moto_server's Python.
python="$(head -1 "$(command -v "$bin")" | sed -e 's/^#!//' -e 's/^.*\/env //' | cut -d" " -f1)"
"$python" scripts/moto_server.py -H 127.0.0.1 -p "$port" >.local-data/moto.log 2>&1 &
echo $! >.local-data/moto.pid
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.2
done
AWS_ENDPOINT_URL="http://127.0.0.1:$port" cargo run -q -p clearview-aws --features emulator-cli \
  --bin clearview-emulator-setup >.local-data/moto.env
cat .local-data/moto.env
echo "# moto pid $(cat .local-data/moto.pid); env written to .local-data/moto.env" >&2
