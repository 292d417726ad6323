"""A fixture in the layout of onnxruntime-genai exports: each layer's attention is ONE
com.microsoft GroupQueryAttention node (rotary inside, do_rotary=1), the norms are
SimplifiedLayerNormalization (head_dim 16: the CPU kernel wants a multiple of 16), there is no position_ids input, and the per-row lengths reach the
attention only as seqlens_k = sum(attention_mask) - 1. The weights are a pymodels.llama model's,
so PyTorch gives the golden.

    cd tools && /usr/bin/python3 -m pymodels.ortgqa ../test/fixtures/models/llama-ortgqa ../test/fixtures/models/llama-gqa

The second folder lends its tokenizer (vocab 316, ChatML specials). onnx/model_q4.onnx is the same
model with 4-bit weights (MatMulNBits, GatherBlockQuantized); golden.json["q4"] comes from PyTorch
with those weights dequantised.
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from .llama import LlamaConfig, LlamaForCausalLM, greedy_full
from .fixtures import scale_init


def build_graph(model: LlamaForCausalLM, q4: bool = False) -> onnx.ModelProto:
    """q4: every linear layer a com.microsoft MatMulNBits (4-bit blocks of 32, default zero
    point 8) and the embedding a GatherBlockQuantized, as in onnx-community model_q4.onnx files."""
    cfg = model.config
    L, d, H, KVH, dh = cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.num_key_value_heads, cfg.dim_head
    inits, nodes = [], []

    def init(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, dtype=np.float32), name))
        return name

    def node(op, ins, outs, domain="", **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=f"/{outs[0]}", domain=domain, **attrs))
        return outs[0]

    def linear(x, lin, name, out=None):  # nn.Linear weight [out, in] -> MatMul with [in, out]
        w = lin.weight.detach().numpy()
        out = out or f"{name}/out"
        if not q4:
            return node("MatMul", [x, init(f"{name}.weight_T", w.T)], [out])
        packed, scales, _ = quantize_q4(w)  # MatMulNBits keeps the [N, K] (out, in) layout
        n, k = w.shape
        inits.append(numpy_helper.from_array(packed, f"{name}.weight_Q4"))
        inits.append(numpy_helper.from_array(scales.reshape(-1), f"{name}.weight_scales"))
        return node("MatMulNBits", [x, f"{name}.weight_Q4", f"{name}.weight_scales"], [out], domain="com.microsoft",
                    K=k, N=n, bits=4, block_size=BLOCK)

    def norm(x, n, name):
        return node("SimplifiedLayerNormalization", [x, init(f"{name}.weight", n.weight.detach().numpy())], [f"{name}/out"],
                    axis=-1, epsilon=float(cfg.rms_norm_eps), stash_type=1)

    # rotary tables for GQA: [max_positions, dh/2], the HF "rotate_half" (non-interleaved) layout
    inv_freq = 1.0 / (cfg.rope_theta ** (np.arange(0, dh, 2, dtype=np.float32) / dh))
    freqs = np.arange(cfg.max_position_embeddings, dtype=np.float32)[:, None] * inv_freq[None, :]
    init("cos_cache", np.cos(freqs))
    init("sin_cache", np.sin(freqs))
    inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "one_i64"))
    inits.append(numpy_helper.from_array(np.array(1, dtype=np.int64), "seq_axis"))

    # seqlens_k [B] int32 = sum(mask) - 1 ; total_sequence_length int32 scalar = mask length
    node("ReduceSum", ["attention_mask", "one_i64"], ["mask_sum"], keepdims=0)
    node("Sub", ["mask_sum", "one_i64"], ["mask_sum_m1"])
    node("Cast", ["mask_sum_m1"], ["seqlens_k"], to=TensorProto.INT32)
    node("Shape", ["attention_mask"], ["mask_shape"])
    node("Gather", ["mask_shape", "seq_axis"], ["total_len_i64"], axis=0)
    node("Cast", ["total_len_i64"], ["total_seq_len"], to=TensorProto.INT32)

    table = model.embed_tokens.weight.detach().numpy()
    if q4:
        packed, scales, _ = quantize_q4(table)
        inits.append(numpy_helper.from_array(packed.reshape(table.shape[0], -1), "embed_tokens.weight_Q4"))
        inits.append(numpy_helper.from_array(scales, "embed_tokens.weight_scales"))
        x = node("GatherBlockQuantized", ["embed_tokens.weight_Q4", "input_ids", "embed_tokens.weight_scales"], ["embeds"],
                 domain="com.microsoft", gather_axis=0, quantize_axis=1, block_size=BLOCK, bits=4)
    else:
        x = node("Gather", [init("embed_tokens.weight", table), "input_ids"], ["embeds"], axis=0)
    for l, blk in enumerate(model.layers):
        p = f"layers.{l}"
        h = norm(x, blk.input_layernorm, f"{p}.input_layernorm")
        q = linear(h, blk.self_attn.q_proj, f"{p}.q_proj")
        k = linear(h, blk.self_attn.k_proj, f"{p}.k_proj")
        v = linear(h, blk.self_attn.v_proj, f"{p}.v_proj")
        nodes.append(helper.make_node(
            "GroupQueryAttention",
            [q, k, v, f"past_key_values.{l}.key", f"past_key_values.{l}.value", "seqlens_k", "total_seq_len", "cos_cache", "sin_cache"],
            [f"{p}.attn/out", f"present.{l}.key", f"present.{l}.value"],
            name=f"/{p}/GroupQueryAttention", domain="com.microsoft",
            num_heads=H, kv_num_heads=KVH, do_rotary=1, rotary_interleaved=0, scale=float(dh ** -0.5)))
        o = linear(f"{p}.attn/out", blk.self_attn.o_proj, f"{p}.o_proj")
        x1 = node("Add", [x, o], [f"{p}/attn_residual"])
        h2 = norm(x1, blk.post_attention_layernorm, f"{p}.post_attention_layernorm")
        g = linear(h2, blk.mlp.gate_proj, f"{p}.gate_proj")
        sg = node("Sigmoid", [g], [f"{p}/gate_sigmoid"])
        act = node("Mul", [g, sg], [f"{p}/gate_silu"])
        u = linear(h2, blk.mlp.up_proj, f"{p}.up_proj")
        gu = node("Mul", [act, u], [f"{p}/gate_up"])
        m = linear(gu, blk.mlp.down_proj, f"{p}.down_proj")
        x = node("Add", [x1, m], [f"{p}/output"])
    hf = norm(x, model.norm, "norm")
    linear(hf, model.lm_head, "lm_head", out="logits")

    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", cfg.vocab_size])]
    for l in range(L):
        for kv in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{l}.{kv}", TensorProto.FLOAT, ["batch_size", KVH, "past_sequence_length", dh]))
            outputs.append(helper.make_tensor_value_info(f"present.{l}.{kv}", TensorProto.FLOAT, ["batch_size", KVH, "total_sequence_length", dh]))
    graph = helper.make_graph(nodes, "ortgqa", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


BLOCK = 32


def quantize_q4(w: np.ndarray):
    """Symmetric 4-bit blocks of BLOCK along the last axis, stored with zero point 8 (the
    MatMulNBits / GatherBlockQuantized default): returns packed uint8 [rows, blocks, BLOCK/2]
    (low nibble first), scales float32 [rows, blocks], and the dequantised float32 weights."""
    rows, k = w.shape
    assert k % BLOCK == 0
    blocks = w.reshape(rows, k // BLOCK, BLOCK).astype(np.float32)
    scales = np.abs(blocks).max(axis=-1) / 7.0
    scales[scales == 0] = 1.0
    q = np.clip(np.rint(blocks / scales[..., None]), -8, 7).astype(np.int32) + 8  # [rows, blocks, BLOCK] in 0..15
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    deq = ((q - 8).astype(np.float32) * scales[..., None]).reshape(rows, k)
    return packed, scales.astype(np.float32), deq


def dequantised_copy(model: LlamaForCausalLM) -> LlamaForCausalLM:
    """The model with every weight the q4 graph quantises replaced by its dequantised value."""
    import copy
    m = copy.deepcopy(model)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (torch.nn.Linear, torch.nn.Embedding)):
                mod.weight.copy_(torch.from_numpy(quantize_q4(mod.weight.numpy())[2]))
    return m


def goldens(model: LlamaForCausalLM, prompts) -> list:
    out = []
    with torch.no_grad():
        for ids in prompts:
            logits, _ = model(torch.tensor([ids]))
            out.append({"ids": ids, "logits_last": logits[0, -1].tolist(), "greedy": greedy_full(model, ids, 6)})
    return out


def main(out: str, tokenizer_from: str) -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    tok_cfg = json.load(open(os.path.join(tokenizer_from, "config.json")))
    cfg = LlamaConfig(vocab_size=tok_cfg["vocab_size"], hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, intermediate_size=128, max_position_embeddings=128,
                      bos_token_id=tok_cfg["bos_token_id"], eos_token_id=tok_cfg["eos_token_id"])
    model = LlamaForCausalLM(cfg).eval()
    scale_init(model, 11)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "onnx"))
    cfg.save(out)
    for f in ("tokenizer.json", "tokenizer_config.json", "generation_config.json"):
        shutil.copy(os.path.join(tokenizer_from, f), os.path.join(out, f))
    onnx.save(build_graph(model), os.path.join(out, "onnx", "model.onnx"))
    onnx.save(build_graph(model, q4=True), os.path.join(out, "onnx", "model_q4.onnx"))
    # golden: last-position logits of two prompts of different lengths, and greedy continuations;
    # for the q4 graph from the same model with its weights dequantised
    rs = np.random.RandomState(3)
    prompts = [rs.randint(0, 300, size=n).tolist() for n in (9, 5)]
    gold = {"layers": cfg.num_hidden_layers, "d_model": cfg.hidden_size,
            "prompts": goldens(model, prompts), "q4": goldens(dequantised_copy(model), prompts)}
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(gold, f)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
