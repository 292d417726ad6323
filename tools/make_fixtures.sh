#!/usr/bin/env bash
# Regenerates every test fixture model (test/fixtures/models/*) with fixed seeds, one thread.
# Needs Debian's python3-torch and python3-onnx (/usr/bin/python3, not a pyenv python).
# Then checks them: tokenizer vs @huggingface/transformers, and the ONNX graphs vs golden.json
# in onnxruntime-node (test/integration/fixtures.test.ts).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/test/fixtures/models"
cd "$root/tools"
OMP_NUM_THREADS=1 /usr/bin/python3 -W ignore -m pymodels.fixtures "$out"
# logit-lens goldens (golden-lens.json) on the rebuilt weights: name:seed as fixtures.py builds them
OMP_NUM_THREADS=1 /usr/bin/python3 -W ignore -m pymodels.lens_golden "$out" llama-gqa:1 llama-tied:2 gpt2:3 gemma:4
# genai layout (GroupQueryAttention; model_q4.onnx with MatMulNBits + GatherBlockQuantized), weights of its own, tokenizer from llama-gqa
OMP_NUM_THREADS=1 /usr/bin/python3 -W ignore -m pymodels.ortgqa "$out/llama-ortgqa" "$out/llama-gqa"
# Hugging Face checkpoint folders (test/fixtures/checkpoints/*, safetensors + goldens), tokenizer from llama-gqa
OMP_NUM_THREADS=1 /usr/bin/python3 -W ignore -m pymodels.checkpoints "$root/test/fixtures"
# vector files as persona_vectors / refusal_direction / torch / numpy write them (test/fixtures/vectors)
/usr/bin/python3 "$root/tools/vectors/make_vectors.py" "$root/test/fixtures/vectors"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
PYTHONPATH="$root/tools" /usr/bin/python3 -c "
from pymodels.tokenizer import ByteBPE, write_check_cases
write_check_cases(ByteBPE.load('$out/llama-gqa'), '$tmp/cases.json')"
node "$root/tools/pymodels/check_tokenizer.mjs" "$out/llama-gqa" "$tmp/cases.json"
cd "$root"
node --import tsx --test test/integration/fixtures.test.ts
find "$out" -type f ! -name "*.hooked-*" -print0 | du -ch --files0-from=- | tail -1   # committed size (rewrite caches excluded)
