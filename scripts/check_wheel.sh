#!/usr/bin/env bash
# Installs ktui's wheel into a fresh venv with only its declared dependencies, then runs
# `ktui events` against `ktui sim` and `ktui --demo` in tmux: anything ktui imports but does
# not declare fails here. Not part of ./check (it downloads the dependencies); run it before
# a release: scripts/check_wheel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'tmux kill-session -t ktui-wheel 2>/dev/null || true; kill $sim 2>/dev/null || true; rm -rf "$work"' EXIT
python3 -m pip wheel -q --no-deps -w "$work/dist" .
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$work"/dist/ktui-*.whl
export KTUI_CONFIG_DIR="$work/config" KTUI_DATA_DIR="$work/data"
"$work/venv/bin/ktui" sim --scenario demo --kubeconfig-out "$work/kc" >"$work/sim.log" 2>&1 &
sim=$!
for _ in $(seq 100); do [ -s "$work/kc" ] && break; sleep 0.1; done
lines=$("$work/venv/bin/ktui" events --kubeconfig "$work/kc" -A -o jsonl | wc -l)
echo "ktui events from the wheel: $lines events"
[ "$lines" -gt 0 ]
tmux new-session -d -s ktui-wheel -x 120 -y 30 \
  "env KTUI_CONFIG_DIR=$work/config KTUI_DATA_DIR=$work/data $work/venv/bin/ktui --demo"
for _ in $(seq 100); do
  screen=$(tmux capture-pane -p -t ktui-wheel)
  if grep -q "watching" <<<"$screen"; then break; fi
  sleep 0.2
done
echo "$screen" | head -5
grep -q "watching" <<<"$screen"
tmux send-keys -t ktui-wheel q
echo "ktui --demo from the wheel: watching"
