"""The benchmark model in the onnxruntime-genai layout: the same weights as OUT_FOLDER's source
(tools/bench/make_model.py: torch/state_dict.pt), with each layer's attention one com.microsoft
GroupQueryAttention node (pymodels.ortgqa.build_graph). Measures what a fused-attention export
buys the engine (bench/probe-gqa.ts).

Usage: /usr/bin/python3 tools/bench/make_gqa_model.py SOURCE_FOLDER OUT_FOLDER
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import onnx  # noqa: E402
import torch  # noqa: E402

from pymodels.llama import LlamaConfig, LlamaForCausalLM  # noqa: E402
from pymodels.ortgqa import build_graph  # noqa: E402


def main(src: str, out: str) -> None:
    cfg = LlamaConfig.load(src)
    model = LlamaForCausalLM(cfg).eval()
    model.load_state_dict(torch.load(os.path.join(src, "torch", "state_dict.pt")))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "onnx"))
    for f in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(src, f), os.path.join(out, f))
    onnx.save(build_graph(model), os.path.join(out, "onnx", "model.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="model.onnx_data")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
