"""Reference check of a checkpoint build's weights: reads the built model.onnx (the graph the
TypeScript builder wrote), dequantises every MatMulNBits / GatherBlockQuantized weight in numpy
by the contrib-op spec (B uint8 [N][blocks][blob], low nibble first; scales [N*blocks]; zero
points packed like B; w = (q - zp) * scale), loads float32 / float16 initializers as they are,
runs the torch reference (hfarch.py) with exactly those weights and compares its last-position
logits with the ones onnxruntime computed (bench/quant-logits.ts). Agreement to ~1e-5 relative
shows the packing is what onnxruntime's kernels read.

    (from the repository root)
    node --import tsx bench/quant-logits.ts test/fixtures/checkpoints/llama3 q4 all /tmp/qc > /tmp/q.json
    cd tools && /usr/bin/python3 -m pymodels.quant_reference ../test/fixtures/checkpoints/llama3 /tmp/q.json
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .hfarch import HFCausalLM, HFConfig

NP = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.FLOAT16: np.float16, onnx.TensorProto.UINT8: np.uint8}


def external(t: onnx.TensorProto, folder: str) -> np.ndarray:
    if t.data_location != onnx.TensorProto.EXTERNAL:
        return numpy_helper.to_array(t)
    kv = {e.key: e.value for e in t.external_data}
    with open(os.path.join(folder, kv["location"]), "rb") as f:
        f.seek(int(kv.get("offset", 0)))
        raw = f.read(int(kv["length"]))
    return np.frombuffer(raw, dtype=NP[t.data_type]).reshape(list(t.dims))


def unpack(b: np.ndarray, bits: int, count: int) -> np.ndarray:
    """uint8 bytes -> values, low bits first, `count` per leading row"""
    b = b.reshape(b.shape[0], -1)
    if bits == 8:
        return b[:, :count].astype(np.float32)
    lo, hi = b & 15, b >> 4
    return np.stack([lo, hi], axis=-1).reshape(b.shape[0], -1)[:, :count].astype(np.float32)


def dequant(packed, scales, zps, n, k, bits, block) -> np.ndarray:
    nb = (k + block - 1) // block
    q = unpack(packed.reshape(n, -1), bits, nb * block).reshape(n, nb, block)
    zp = unpack(zps.reshape(n, -1), bits, nb).reshape(n, nb, 1)
    w = (q - zp) * scales.reshape(n, nb, 1).astype(np.float32)
    return w.reshape(n, nb * block)[:, :k].astype(np.float32)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def main(ckpt: str, logits_json: str) -> None:
    out = json.load(open(logits_json))
    graph_path = out["graph"]
    folder = os.path.dirname(graph_path)
    m = onnx.load(graph_path, load_external_data=False)
    inits = {t.name: t for t in m.graph.initializer}
    weights = {}
    for name, t in inits.items():
        if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16) and (name.startswith("model.") or name == "lm_head.weight"):
            weights[name] = external(t, folder).astype(np.float32)
    n_q = 0
    for node in m.graph.node:
        if node.op_type == "MatMulNBits":
            a = attrs(node)
            b, s, z = (external(inits[x], folder) for x in node.input[1:4])
            name = node.input[1].rsplit("_Q", 1)[0]
            weights[name] = dequant(b, s, z, a["N"], a["K"], a["bits"], a["block_size"])
            n_q += 1
        elif node.op_type == "GatherBlockQuantized":
            a = attrs(node)
            b, s, z = (external(inits[x], folder) for x in (node.input[0], node.input[2], node.input[3]))
            n, k = b.shape[0], b.shape[1] * 8 // a["bits"]
            weights["model.embed_tokens.weight"] = dequant(b, s, z, n, k, a["bits"], a["block_size"])
            n_q += 1
    cfg = HFConfig(json.load(open(os.path.join(ckpt, "config.json"))))
    model = HFCausalLM(cfg)
    state = {}
    for name in model.state_dict():
        hf = name if name == "lm_head.weight" else "model." + name
        if hf == "lm_head.weight" and hf not in weights:
            hf = "model.embed_tokens.weight"  # tied
        state[name] = torch.from_numpy(weights[hf].copy())
    model.load_state_dict(state)
    with torch.no_grad():
        logits, _ = model(torch.tensor([out["ids"]]))
    ref = logits[0, -1].numpy()
    got = np.array(out["logits"], dtype=np.float32)
    rel = float(np.abs(ref - got).max() / np.abs(ref).max())
    print(json.dumps({"graph": graph_path, "quantised_weights": n_q, "max_abs_diff_over_max_abs_logit": rel}))
    if rel > 1e-4:
        sys.exit(f"logits differ from the dequantised torch reference by {rel:.2e} relative (> 1e-4)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
