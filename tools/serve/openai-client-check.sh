#!/usr/bin/env bash
# Starts `r1stream serve` on a generated tiny model and runs the official OpenAI Node client against it.
# Needs node and network access to npm once (installs `openai` under serve/target/node).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$root/serve/target/openai-check"; mkdir -p "$work"
node_dir="$root/serve/target/node"
[[ -d "$node_dir/node_modules/openai" ]] || (mkdir -p "$node_dir" && cd "$node_dir" && npm init -y >/dev/null && npm install openai >/dev/null)
[[ -d "$work/tiny" ]] || "$root/bin/r1stream" model create --out "$work/tiny" >/dev/null
port=${PORT:-18429}
R1STREAM_CHECK_KEY=check-key "$root/bin/r1stream" serve --model "$work/tiny" --port "$port" --api-key-env R1STREAM_CHECK_KEY >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done
cp "$root/tools/serve/openai-client-check.mjs" "$node_dir/"
node "$node_dir/openai-client-check.mjs" "http://127.0.0.1:$port/v1" tiny check-key
