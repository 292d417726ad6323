"""Llama-style decoder (RMSNorm, rotary, grouped-query attention, SwiGLU) with a KV cache.

One module for training, golden values and ONNX export, so the three see the same math.
Each decoder block (`model.layers[i]`) returns only its output `[batch, seq, d_model]`, so a
forward hook on it sees (and may replace) the residual stream after block i; the block's
present key/value go out through the `presents` list argument instead of the return value.

The Gemma variant (see gemma.py) reuses these modules through three config switches:
`embed_scale`, `norm_plus_one` and `hidden_act`.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

KV = Tuple[torch.Tensor, torch.Tensor]


@dataclass
class LlamaConfig:
    vocab_size: int
    hidden_size: int = 64
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    intermediate_size: int = 128
    max_position_embeddings: int = 512
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    tie_word_embeddings: bool = False
    bos_token_id: int = 0
    eos_token_id: int = 0
    head_dim: Optional[int] = None  # default hidden_size // num_attention_heads
    # Variant switches (Gemma): not Llama keys, written only by the variants that use them.
    model_type: str = "llama"
    hidden_act: str = "silu"  # "silu" or "gelu_pytorch_tanh"
    embed_scale: bool = False  # multiply embeddings by sqrt(hidden_size)
    norm_plus_one: bool = False  # RMSNorm scales by (1 + weight)
    extra: dict = field(default_factory=dict)  # extra keys copied into config.json

    @property
    def dim_head(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    def to_hf_dict(self) -> dict:
        arch = {"llama": "LlamaForCausalLM", "gemma": "GemmaForCausalLM"}.get(
            self.model_type, "LlamaForCausalLM")
        d = {
            "model_type": self.model_type,
            "architectures": [arch],
            "hidden_size": self.hidden_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "head_dim": self.dim_head,
            "intermediate_size": self.intermediate_size,
            "vocab_size": self.vocab_size,
            "max_position_embeddings": self.max_position_embeddings,
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "tie_word_embeddings": self.tie_word_embeddings,
            "bos_token_id": self.bos_token_id,
            "eos_token_id": self.eos_token_id,
            "hidden_act": self.hidden_act,
            "torch_dtype": "float32",
            "use_cache": True,
        }
        d.update(self.extra)
        return d

    def save(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(self.to_hf_dict(), f, indent=2)
            f.write("\n")

    @classmethod
    def from_hf_dict(cls, d: dict) -> "LlamaConfig":
        mt = d.get("model_type", "llama")
        return cls(
            vocab_size=d["vocab_size"], hidden_size=d["hidden_size"],
            num_hidden_layers=d["num_hidden_layers"],
            num_attention_heads=d["num_attention_heads"],
            num_key_value_heads=d.get("num_key_value_heads", d["num_attention_heads"]),
            intermediate_size=d["intermediate_size"],
            max_position_embeddings=d.get("max_position_embeddings", 512),
            rms_norm_eps=d.get("rms_norm_eps", 1e-5), rope_theta=d.get("rope_theta", 10000.0),
            tie_word_embeddings=d.get("tie_word_embeddings", False),
            bos_token_id=d.get("bos_token_id", 0), eos_token_id=d.get("eos_token_id", 0),
            head_dim=d.get("head_dim"), model_type=mt,
            hidden_act=d.get("hidden_act", "silu"),
            embed_scale=(mt == "gemma"), norm_plus_one=(mt == "gemma"))

    @classmethod
    def load(cls, folder: str) -> "LlamaConfig":
        with open(os.path.join(folder, "config.json")) as f:
            return cls.from_hf_dict(json.load(f))


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float, plus_one: bool = False):
        super().__init__()
        self.eps = eps
        self.plus_one = plus_one
        # Gemma stores weight-1 (init 0) and scales by (1 + weight).
        self.weight = nn.Parameter(torch.zeros(d) if plus_one else torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [batch, seq, d]
        var = x.pow(2).mean(-1, keepdim=True)  # [batch, seq, 1]
        y = x * torch.rsqrt(var + self.eps)
        w = 1.0 + self.weight if self.plus_one else self.weight
        return y * w


def rope_cos_sin(position_ids: torch.Tensor, dim_head: int, theta: float, dtype: torch.dtype):
    """cos, sin: [batch, 1, seq, dim_head] (HF 'rotate_half' layout: halves, not interleaved)."""
    # Computed in float32 whatever the model dtype, as HF does.
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim_head, 2, dtype=torch.float32, device=position_ids.device) / dim_head))  # [dh/2]
    freqs = position_ids.to(torch.float32).unsqueeze(-1) * inv_freq  # [batch, seq, dh/2]
    emb = torch.cat([freqs, freqs], dim=-1)  # [batch, seq, dh]
    return emb.cos().unsqueeze(1).to(dtype), emb.sin().unsqueeze(1).to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def build_mask(attention_mask: Optional[torch.Tensor], batch: int, seq: int, past: int,
               device=None) -> torch.Tensor:
    """Boolean [batch, 1, seq, past+seq]: True where query i may attend key j.

    Query i sits at cache index past+i; it sees keys j <= past+i that are not padding, so left
    padding (zeros at the start of attention_mask) works for prefill and decode alike.
    """
    q_idx = torch.arange(seq, device=device) + past  # [seq]
    k_idx = torch.arange(past + seq, device=device)  # [past+seq]
    causal = k_idx.unsqueeze(0) <= q_idx.unsqueeze(1)  # [seq, past+seq]
    causal = causal.unsqueeze(0).unsqueeze(0)  # [1, 1, seq, past+seq]
    if attention_mask is None:
        return causal
    pad = attention_mask.to(torch.bool).unsqueeze(1).unsqueeze(2)  # [batch, 1, 1, past+seq]
    return causal & pad


class Attention(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.h = cfg.num_attention_heads
        self.kvh = cfg.num_key_value_heads
        self.dh = cfg.dim_head
        assert self.h % self.kvh == 0, "num_attention_heads must be a multiple of num_key_value_heads"
        d = cfg.hidden_size
        self.q_proj = nn.Linear(d, self.h * self.dh, bias=False)
        self.k_proj = nn.Linear(d, self.kvh * self.dh, bias=False)
        self.v_proj = nn.Linear(d, self.kvh * self.dh, bias=False)
        self.o_proj = nn.Linear(self.h * self.dh, d, bias=False)

    def forward(self, x, cos, sin, mask, past: Optional[KV]):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.h, self.dh).transpose(1, 2)  # [b, h, s, dh]
        k = self.k_proj(x).view(b, s, self.kvh, self.dh).transpose(1, 2)  # [b, kvh, s, dh]
        v = self.v_proj(x).view(b, s, self.kvh, self.dh).transpose(1, 2)  # [b, kvh, s, dh]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past is not None:
            k = torch.cat([past[0], k], dim=2)  # [b, kvh, past+s, dh]
            v = torch.cat([past[1], v], dim=2)
        present = (k, v)
        rep = self.h // self.kvh
        # GQA without copying k/v: group query heads by their kv head.
        qg = q.reshape(b, self.kvh, rep, s, self.dh)  # [b, kvh, rep, s, dh]
        scores = torch.matmul(qg, k.unsqueeze(2).transpose(-1, -2)) / math.sqrt(self.dh)  # [b, kvh, rep, s, t]
        m = mask.unsqueeze(2)  # [b|1, 1, 1, s, t]
        # masked_fill, not an additive mask: no overflow in fp16, and a fully padded query row
        # (left padding) gets a uniform softmax instead of NaN.
        scores = scores.masked_fill(~m, torch.finfo(scores.dtype).min)
        probs = torch.softmax(scores, dim=-1)
        out = torch.matmul(probs, v.unsqueeze(2))  # [b, kvh, rep, s, dh]
        out = out.reshape(b, self.h, s, self.dh).transpose(1, 2).reshape(b, s, self.h * self.dh)
        return self.o_proj(out), present  # [b, s, d]


class MLP(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        d, f = cfg.hidden_size, cfg.intermediate_size
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)
        self.act = cfg.hidden_act

    def forward(self, x):  # [b, s, d]
        g = self.gate_proj(x)  # [b, s, f]
        g = F.silu(g) if self.act == "silu" else F.gelu(g, approximate="tanh")
        return self.down_proj(g * self.up_proj(x))


class DecoderBlock(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, cfg.norm_plus_one)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, cfg.norm_plus_one)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask, past: Optional[KV] = None,
                presents: Optional[List[KV]] = None) -> torch.Tensor:
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, past)
        if presents is not None:
            presents.append(present)
        h = x + a
        return h + self.mlp(self.post_attention_layernorm(h))  # [b, s, d]


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.config = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderBlock(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, cfg.norm_plus_one)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.embed_tokens.weight

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None,
                position_ids: Optional[torch.Tensor] = None,
                past_key_values: Optional[List[KV]] = None):
        """input_ids [b, s]; attention_mask [b, past+s]; position_ids [b, s];
        past_key_values: per layer (key, value) [b, kvh, past, dh] or None.
        Returns logits [b, s, vocab] and presents: per layer (key, value) [b, kvh, past+s, dh]."""
        b, s = input_ids.shape
        past = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        if position_ids is None:
            position_ids = (torch.arange(s, device=input_ids.device) + past).unsqueeze(0).expand(b, s)  # [b, s]
        x = self.embed_tokens(input_ids)  # [b, s, d]
        if self.config.embed_scale:
            x = x * torch.tensor(math.sqrt(self.config.hidden_size), dtype=x.dtype)
        cos, sin = rope_cos_sin(position_ids, self.config.dim_head, self.config.rope_theta, x.dtype)
        mask = build_mask(attention_mask, b, s, past, x.device)
        presents: List[KV] = []
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, mask, None if past_key_values is None else past_key_values[i], presents)
        logits = self.lm_head(self.norm(x))  # [b, s, vocab]
        return logits, presents


def init_weights(model: nn.Module, seed: int, std: float = 0.02) -> None:
    """Deterministic normal init of every Linear/Embedding (norm weights keep their default)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * std)
                if getattr(m, "bias", None) is not None:
                    m.bias.zero_()


@torch.no_grad()
def greedy_full(model: nn.Module, ids: List[int], n: int) -> List[int]:
    """n greedy tokens by full recomputation (no cache): the reference for cached decoding."""
    seq = list(ids)
    out = []
    for _ in range(n):
        logits, _ = model(torch.tensor([seq], dtype=torch.long))
        t = int(torch.argmax(logits[0, -1]))
        out.append(t)
        seq.append(t)
    return out
