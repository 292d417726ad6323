"""The benchmark model (tools/bench/make_model.py: SOURCE/torch/state_dict.pt) saved as a Hugging
Face checkpoint with bf16 storage, as transformers saves it (config.json, model.safetensors,
tokenizer files): what `npm run bench`'s checkpoint section builds and opens. The weights are the
source's rounded to bf16 (the ONNX export keeps them unrounded: the same bytes to stream in fp32).

Usage: /usr/bin/python3 tools/bench/checkpoint_from_export.py SOURCE_FOLDER OUT_FOLDER
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

from pymodels.checkpoints import round_weights, save_checkpoint  # noqa: E402
from pymodels.llama import LlamaConfig, LlamaForCausalLM  # noqa: E402


def main(src: str, out: str) -> None:
    cfg = LlamaConfig.load(src)
    model = LlamaForCausalLM(cfg).eval()
    model.load_state_dict(torch.load(os.path.join(src, "torch", "state_dict.pt")))
    round_weights(model, torch.bfloat16)
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    save_checkpoint(model, tmp, src, dtype=torch.bfloat16)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
