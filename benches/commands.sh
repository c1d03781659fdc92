#!/usr/bin/env bash
# Times each command of the release binary end to end (process start to exit), averaged over many
# runs. Usage: benches/commands.sh [RUNS]. Uses hyperfine when it is installed, a shell loop otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/llmcalc
commands=(
  "models"
  "params gpt-4"
  "params llama-2-70b --format json"
  "flops t5-11b --seq-len 512 --target-len 114"
  "flops mixtral-8x7b --set decoder.layers=40"
  "gpus"
  "train gpt-4"
  "compare llama-3.1-70b --tokens 15T --gpu h100,h200,b200,mi300x,a100-80gb --days 90"
  "plan gpt-4 --gpu a100-40gb --gpus 25000"
  "serve llama-2-70b --gpu h100 --gpus 8 --prompt-tokens 2000 --output-tokens 500"
)
if command -v hyperfine >/dev/null; then
  args=()
  for c in "${commands[@]}"; do args+=("$bin $c"); done
  hyperfine --warmup 20 --runs "$runs" -N "${args[@]}"
  exit
fi
for c in "${commands[@]}"; do
  start=$(date +%s%N)
  for ((i = 0; i < runs; i++)); do $bin $c >/dev/null; done
  end=$(date +%s%N)
  awk -v t=$((end - start)) -v n="$runs" -v c="$c" 'BEGIN { printf "%8.2f ms  llmcalc %s\n", t / n / 1e6, c }'
done
