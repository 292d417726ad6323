"""The bench model of make_model.py (same defaults and seed: 12 layers, d_model 768, vocab 32000)
saved as a Hugging Face checkpoint folder (bf16 by default, 3 shards with an index), for the
checkpoint builder's measurements (first build, q8 / q4 decode against fp32; BENCHMARKS.md).

    /usr/bin/python3 tools/bench/make_checkpoint.py OUT_FOLDER [--dtype bf16|fp16|fp32] [--shards 3]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

from pymodels.checkpoints import save_checkpoint  # noqa: E402
from pymodels.llama import LlamaConfig, LlamaForCausalLM, init_weights  # noqa: E402
from pymodels.tokenizer import DEFAULT_SPECIALS, ENDOFTEXT, IM_END, write_tokenizer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model import synthetic_merges  # noqa: E402

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--d", type=int, default=768)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--kv-heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=2048)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="bf16")
    ap.add_argument("--shards", type=int, default=3)
    a = ap.parse_args()
    tok_dir = tempfile.mkdtemp()
    try:
        tok = write_tokenizer(tok_dir, synthetic_merges(a.vocab - 256 - len(DEFAULT_SPECIALS)))
        cfg = LlamaConfig(vocab_size=a.vocab, hidden_size=a.d, num_hidden_layers=a.layers,
                          num_attention_heads=a.heads, num_key_value_heads=a.kv_heads,
                          intermediate_size=a.ffn, max_position_embeddings=512,
                          bos_token_id=tok.token_id(ENDOFTEXT), eos_token_id=tok.token_id(IM_END))
        model = LlamaForCausalLM(cfg)
        init_weights(model, seed=a.seed)
        if os.path.exists(a.out):
            shutil.rmtree(a.out)
        save_checkpoint(model, a.out, tok_dir, dtype=DTYPES[a.dtype], shards=a.shards)
    finally:
        shutil.rmtree(tok_dir)
    print(a.out)


if __name__ == "__main__":
    main()
