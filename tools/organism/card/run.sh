#!/usr/bin/env bash
# Regenerates, with the project's own CLI, everything the built-in model's card reports:
# the shipped axes (difference of means), their geometry, Arditi et al.'s direction selection,
# the behaviour on the held-out prompts and on two held-out families of fresh wording, the
# paper's experiments and the capping receipt, then splices the tables into
# media/models/organism/MODEL_CARD.md.
#   bash tools/organism/card/run.sh        (from the repository root; ~5 minutes on 2 idle cores)
set -euo pipefail
cd "$(dirname "$0")/../../.."
M=media/models/organism
OUT=tools/organism/card/out
RL="node bin/refusal-lens.js"
# Committed outputs name files as the repository does, not as this machine does.
rel() { sed "s#$PWD/##g"; }
npm run --silent build
mkdir -p "$M/axes" "$OUT"
$RL extract "$M" --positive "$M/sets/harmful.jsonl" --negative "$M/sets/harmless.jsonl" \
  --name refusal --positions last_prompt --out "$M/axes/refusal.safetensors" | rel > "$OUT/extract-refusal.txt"
$RL extract "$M" --positive "$M/sets/persona_compliant.jsonl" --negative "$M/sets/persona_default.jsonl" \
  --name persona --positions last_prompt --out "$M/axes/persona.safetensors" | rel > "$OUT/extract-persona.txt"
$RL geometry "$M/axes/persona.safetensors" "$M/axes/refusal.safetensors" --out "$OUT/geometry.md" --svg "$OUT/geometry.svg"
# Arditi et al.'s selection on the built-in sets; it exits 1 when no candidate passes (recorded).
rm -rf "$OUT/select" && mkdir -p "$OUT/select"
{ $RL select "$M" --out "$OUT/select/refusal.safetensors" --report "$OUT/select/report.md" 2>&1 || echo "select exited $?"; } | rel | grep -v '%' > "$OUT/select/log.txt"
rm -rf "$OUT/select-own" && mkdir -p "$OUT/select-own"
{ $RL select "$M" --harmful "$M/sets/harmful.jsonl" --harmless "$M/sets/harmless.jsonl" --out "$OUT/select-own/refusal.safetensors" \
  --report "$OUT/select-own/report.md" 2>&1 || echo "select exited $?"; } | rel | grep -v '%' > "$OUT/select-own/log.txt"
for plan in behaviour heldout heldout3 heldout4 heldout5 paper caps; do
  $RL ablate "$M" "tools/organism/card/$plan.yaml" --out "$OUT/$plan" > /dev/null
done
node --import tsx tools/organism/card/projections.ts "$M" "$(sed -n 's/.*&steer { kind: steer, axis: persona, coefficient: \([0-9.]*\).*/\1/p' tools/organism/card/caps.yaml)" > "$OUT/projections.md"
node tools/organism/card/splice.mjs
