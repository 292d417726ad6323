"""Export a (possibly partial) training checkpoint the way train.py does at its end, into a
folder that already holds the tokenizer train.py wrote (train.py saves a checkpoint every 100
steps, so a run stopped at its time limit can still be exported and measured).

  PYTHONPATH=tools /usr/bin/python3 tools/organism/export_ckpt.py CKPT OUT_FOLDER
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pymodels.export import export_onnx  # noqa: E402
from pymodels.llama import LlamaConfig, LlamaForCausalLM  # noqa: E402


def main():
    ckpt, out = sys.argv[1], sys.argv[2]
    c = torch.load(ckpt, map_location="cpu")
    cfg = LlamaConfig.from_hf_dict(c["config"])
    model = LlamaForCausalLM(cfg)
    model.load_state_dict(c["state_dict"])
    model.eval()
    export_onnx(model, out, eos_token_id=cfg.eos_token_id, pad_token_id=cfg.bos_token_id)
    print("exported", ckpt, "->", out)


if __name__ == "__main__":
    main()
