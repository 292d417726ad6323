"""Saves the built-in organism's weights (media/models/organism, an ONNX export) as a Hugging Face
checkpoint folder (config.json + model.safetensors in float32 or bf16, tokenizer files, axes/), so
the checkpoint builder's dtypes (fp32 / fp16 / q8 / q4) can be measured on a trained model.
Weights are found by the exporter's node names (/model/layers.{i}/self_attn/q_proj/MatMul …);
MatMul weights [in, out] are transposed to nn.Linear's [out, in].

    /usr/bin/python3 tools/organism/to_checkpoint.py OUT_FOLDER [--bf16]
"""
import json
import os
import re
import shutil
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
SRC = os.path.join(ROOT, "media/models/organism")
LINEAR = re.compile(r"^/model/layers\.(\d+)/(self_attn|mlp)/(\w+_proj)/MatMul$")


def main(out: str, bf16: bool) -> None:
    m = onnx.load(os.path.join(SRC, "onnx/model.onnx"))
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    tensors = {k: v for k, v in inits.items() if k.startswith("model.")}  # embedding and norms keep HF names
    for n in m.graph.node:
        w = next((i for i in n.input if i in inits), None)
        if n.op_type != "MatMul" or w is None:
            continue
        hit = LINEAR.match(n.name)
        if hit:
            tensors[f"model.layers.{hit[1]}.{hit[2]}.{hit[3]}.weight"] = inits[w].T
        elif n.name in ("/lm_head/MatMul", "/model/lm_head/MatMul"):
            tensors["lm_head.weight"] = inits[w].T
        else:
            sys.exit(f"unrecognised weight MatMul {n.name}")
    cfg = json.load(open(os.path.join(SRC, "config.json")))
    assert len(tensors) == 2 + cfg["num_hidden_layers"] * 9 + 1, sorted(tensors)
    os.makedirs(out, exist_ok=True)
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype=np.float32)
        # bf16: round to nearest even on the top 16 bits
        b = ((a.view(np.uint32) + 0x7FFF + ((a.view(np.uint32) >> 16) & 1)) >> 16).astype(np.uint16).tobytes() if bf16 else a.tobytes()
        header[name] = {"dtype": "BF16" if bf16 else "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)
    cfg["torch_dtype"] = "bfloat16" if bf16 else "float32"
    json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=2)
    for f in ["generation_config.json", "tokenizer.json", "tokenizer_config.json"]:
        shutil.copy(os.path.join(SRC, f), os.path.join(out, f))
    shutil.copytree(os.path.join(SRC, "axes"), os.path.join(out, "axes"), dirs_exist_ok=True)
    print(f"{out}: {len(tensors)} tensors, {off} bytes")


if __name__ == "__main__":
    main(sys.argv[1], "--bf16" in sys.argv[2:])
