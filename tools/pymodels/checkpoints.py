"""Writes tiny Hugging Face checkpoint folders (config.json + *.safetensors, as transformers saves
them) under test/fixtures/checkpoints/, each with golden.json from the torch reference (hfarch.py,
golden.py forward hooks). Tokenizer: the one of test/fixtures/models/llama-gqa.

Run from tools/:  OMP_NUM_THREADS=1 /usr/bin/python3 -m pymodels.checkpoints ../test/fixtures
"""
from __future__ import annotations

import json
import math
import os
import shutil
import struct
import sys
from typing import Dict, List

import torch

from .export import write_generation_config
from .fixtures import _write_json, golden, scale_init
from .hfarch import HFCausalLM, HFConfig
from .llama import LlamaConfig, LlamaForCausalLM

ST_DTYPE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def _bytes(t: torch.Tensor) -> bytes:
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path: str, tensors: Dict[str, torch.Tensor]) -> None:
    """The safetensors container: u64 header length, JSON header (padded to 8 bytes), data."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        b = _bytes(tensors[name])
        header[name] = {"dtype": ST_DTYPE[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def hf_state(model, tied: bool, dtype: torch.dtype) -> Dict[str, torch.Tensor]:
    """transformers' names: model.* for the decoder, lm_head.weight (absent when tied)."""
    out = {}
    for name, p in model.state_dict().items():
        if name == "lm_head.weight":
            if tied:
                continue
            out[name] = p.to(dtype)
        else:
            out["model." + name] = p.to(dtype)
    return out


def round_weights(model, dtype: torch.dtype) -> None:
    """The golden must see the weights the files hold: round through the storage dtype."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).to(torch.float32))


def save_checkpoint(model, folder: str, tok_folder: str, *, dtype=torch.float32, shards: int = 1,
                    template_file: bool = False, eos=None) -> None:
    cfg = model.config.to_hf_dict()
    cfg["torch_dtype"] = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}[dtype]
    os.makedirs(folder)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    write_generation_config(folder, cfg["bos_token_id"], eos if eos is not None else cfg["eos_token_id"])
    shutil.copy(os.path.join(tok_folder, "tokenizer.json"), folder)
    with open(os.path.join(tok_folder, "tokenizer_config.json")) as f:
        tc = json.load(f)
    if template_file:  # newer transformers: the template beside tokenizer_config.json
        with open(os.path.join(folder, "chat_template.jinja"), "w") as f:
            f.write(tc.pop("chat_template"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(tc, f, indent=2)
        f.write("\n")
    state = hf_state(model, cfg.get("tie_word_embeddings", False), dtype)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), state)
        return
    names = sorted(state)
    per = -(-len(names) // shards)
    weight_map, total = {}, 0
    for k in range(shards):
        file = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: state[n] for n in names[k * per:(k + 1) * per]}
        write_safetensors(os.path.join(folder, file), part)
        for n, t in part.items():
            weight_map[n] = file
            total += t.numel() * t.element_size()
    _write_json(os.path.join(folder, "model.safetensors.index.json"),
                {"metadata": {"total_size": total}, "weight_map": weight_map})


def base_config(model_type: str, tok, **kw) -> dict:
    d = {"model_type": model_type, "architectures": [{"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
                                                       "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
                                                       "gemma2": "Gemma2ForCausalLM", "phi3": "Phi3ForCausalLM",
                                                       "olmo2": "Olmo2ForCausalLM", "granite": "GraniteForCausalLM",
                                                       "gemma3_text": "Gemma3ForCausalLM"}[model_type]],
         "vocab_size": tok.size, "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4,
         "num_key_value_heads": 2, "intermediate_size": 64, "max_position_embeddings": 512,
         "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": False,
         "bos_token_id": tok.token_id("<|endoftext|>"), "eos_token_id": tok.token_id("<|im_end|>"),
         "attention_dropout": 0.0, "use_cache": True}
    d.update(kw)
    return d


def build(folder: str, cfg: dict, tok, tok_folder: str, seed: int, embed_std: float = 1.0, **save_kw) -> None:
    if os.path.exists(folder):
        shutil.rmtree(folder)
    m = HFCausalLM(HFConfig(cfg))
    scale_init(m, seed, embed_std=embed_std)
    m.eval()
    if save_kw.get("dtype", torch.float32) != torch.float32:
        round_weights(m, save_kw["dtype"])
    save_checkpoint(m, folder, tok_folder, **save_kw)
    _write_json(os.path.join(folder, "golden.json"), golden(m, tok, seed + 1000))


def main(root: str) -> None:
    torch.set_num_threads(1)
    from .tokenizer import ByteBPE
    tok_folder = os.path.join(root, "models", "llama-gqa")
    tok = ByteBPE.load(tok_folder)
    out = os.path.join(root, "checkpoints")
    os.makedirs(out, exist_ok=True)

    # Llama-3.1-style rope scaling; original context 16 so every frequency band is touched
    build(os.path.join(out, "llama3"), base_config(
        "llama", tok, num_attention_heads=2, num_key_value_heads=1, head_dim=16,
        rope_theta=500000.0, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                           "high_freq_factor": 4.0, "original_max_position_embeddings": 16}),
        tok, tok_folder, 11)
    # Qwen2.5-style: q/k/v biases, tied embeddings (no lm_head.weight), bf16 files
    build(os.path.join(out, "qwen2-bf16-tied"), base_config(
        "qwen2", tok, tie_word_embeddings=True, use_sliding_window=False, sliding_window=32768,
        max_window_layers=28), tok, tok_folder, 12, dtype=torch.bfloat16)
    # Qwen3: per-head q_norm/k_norm, head_dim * heads != hidden_size, two shards + index,
    # chat_template.jinja, an EOS list in generation_config.json
    build(os.path.join(out, "qwen3-sharded"), base_config(
        "qwen3", tok, head_dim=16, attention_bias=False, use_sliding_window=False, sliding_window=None),
        tok, tok_folder, 13, shards=2, template_file=True,
        eos=[tok.token_id("<|im_end|>"), tok.token_id("<|endoftext|>")])
    # Mistral: sliding window 8 < the 14-token prompt, so it bites; fp16 files
    build(os.path.join(out, "mistral-fp16"), base_config("mistral", tok, sliding_window=8),
          tok, tok_folder, 14, dtype=torch.float16)

    # Gemma 2: embedding × sqrt(d), (1 + w) norms, four norms per block, GeGLU (tanh), query_pre_attn_scalar
    # ≠ head_dim, soft-capping small enough to bite at O(1) activations, a window of 4 on even layers
    build(os.path.join(out, "gemma2"), base_config(
        "gemma2", tok, num_attention_heads=2, num_key_value_heads=1, head_dim=16, tie_word_embeddings=True,
        hidden_act="gelu_pytorch_tanh", hidden_activation="gelu_pytorch_tanh", query_pre_attn_scalar=24,
        attn_logit_softcapping=2.0, final_logit_softcapping=3.0, sliding_window=4, cache_implementation="hybrid"),
        tok, tok_folder, 15, embed_std=0.5 / math.sqrt(32))

    # Phi-3 (mini-4k style): fused qkv_proj and gate_up_proj, a sliding window (6) within the prompt
    build(os.path.join(out, "phi3"), base_config(
        "phi3", tok, sliding_window=6, rope_scaling=None, original_max_position_embeddings=512,
        resid_pdrop=0.0, embd_pdrop=0.0), tok, tok_folder, 16)

    # Gemma 3 (text): sliding pattern 3 (layers 0, 1 local with window 4 and rope base 10000; layer 2 global
    # with rope_theta 1e6 and linear scaling 8), (1 + w) q/k norms, no soft-capping
    build(os.path.join(out, "gemma3"), base_config(
        "gemma3_text", tok, num_attention_heads=2, num_key_value_heads=1, head_dim=16, tie_word_embeddings=True,
        hidden_activation="gelu_pytorch_tanh", query_pre_attn_scalar=16, sliding_window=4, sliding_window_pattern=3,
        rope_theta=1000000.0, rope_local_base_freq=10000.0, rope_scaling={"rope_type": "linear", "factor": 8.0},
        attn_logit_softcapping=None, final_logit_softcapping=None), tok, tok_folder, 19, embed_std=0.5 / math.sqrt(32))

    # OLMo 2: norms after each sublayer only, q_norm/k_norm over the whole q/k projection
    build(os.path.join(out, "olmo2"), base_config("olmo2", tok, attention_bias=False), tok, tok_folder, 17)
    # Granite: multipliers far from 1 so each one shows; tied embeddings
    build(os.path.join(out, "granite"), base_config(
        "granite", tok, tie_word_embeddings=True, embedding_multiplier=3.0, attention_multiplier=0.2,
        residual_multiplier=0.5, logits_scaling=2.5, attention_bias=False, mlp_bias=False), tok, tok_folder, 18,
        embed_std=0.4)

    # The weights of test/fixtures/models/llama-gqa as a checkpoint: its golden.json must hold
    ref = os.path.join(root, "models", "llama-gqa")
    lcfg = LlamaConfig.load(ref)
    lm = LlamaForCausalLM(lcfg)
    scale_init(lm, 1)
    lm.eval()
    with open(os.path.join(ref, "golden.json")) as f:
        g = json.load(f)
    with torch.no_grad():
        from .golden import run_case
        r = run_case(lm, g["prompt_ids"], {}, [])["resid"]
    want = torch.tensor(g["cases"]["none"]["resid"])
    assert torch.allclose(r, want, rtol=0, atol=1e-4 * want.abs().max()), "llama-gqa weights not reproduced"
    folder = os.path.join(out, "llama-gqa")
    if os.path.exists(folder):
        shutil.rmtree(folder)
    save_checkpoint(lm, folder, tok_folder)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures")
