"""Decoders of the Hugging Face architectures the checkpoint builder supports (llama with
llama3/linear rope scaling, mistral with a sliding window, qwen2 with q/k/v biases, qwen3 with
per-head q_norm/k_norm before RoPE, gemma3_text (Gemma 2 + (1+w) q/k norms, local rope base on
sliding layers, sliding pattern), olmo2 (post-sublayer norms, q/k norms over the whole
projection), granite (embedding/attention/residual multipliers, logits scaling), gemma2 with its four norms per block, (1+w) RMSNorm, GeGLU,
query_pre_attn_scalar, attention and final-logit soft-capping and a sliding window on even
layers), in the same module interface as llama.py so golden.py's
forward hooks and greedy_full work on them unchanged.

Parameter names follow transformers once the "model." prefix is added (save_checkpoint in
checkpoints.py does that): embed_tokens, layers.{i}.self_attn.{q,k,v,o}_proj, ..., norm, lm_head.
"""
from __future__ import annotations

import math
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .llama import KV, MLP, RMSNorm, build_mask, rotate_half


class HFConfig:
    """The fields of a transformers config.json this reference reads (the dict is kept as is)."""

    def __init__(self, d: dict):
        self.d = d
        self.model_type = d["model_type"]
        self.vocab_size = d["vocab_size"]
        self.hidden_size = d["hidden_size"]
        self.num_hidden_layers = d["num_hidden_layers"]
        self.num_attention_heads = d["num_attention_heads"]
        self.num_key_value_heads = d.get("num_key_value_heads", self.num_attention_heads)
        self.dim_head = d.get("head_dim") or self.hidden_size // self.num_attention_heads
        self.intermediate_size = d["intermediate_size"]
        self.rms_norm_eps = d["rms_norm_eps"]
        self.rope_theta = d.get("rope_theta", 10000.0)
        self.tie_word_embeddings = d.get("tie_word_embeddings", False)
        self.hidden_act = d.get("hidden_activation") or d.get("hidden_act", "silu")
        self.attention_bias = self.model_type == "qwen2" or d.get("attention_bias", False)
        self.qk_norm = self.model_type == "qwen3"
        self.sliding_window = d.get("sliding_window") if self.model_type in ("mistral", "gemma2", "phi3", "gemma3_text") else None
        self.fused = self.model_type == "phi3"  # qkv_proj and gate_up_proj
        self.rope_scaling = d.get("rope_scaling")
        # Gemma 3 (text) is Gemma 2 plus per-head (1 + w) q/k norms and a local rope base on sliding layers
        self.gemma3 = self.model_type == "gemma3_text"
        g2 = self.model_type == "gemma2" or self.gemma3
        self.gemma2 = g2
        self.norm_plus_one = g2
        self.scaling = d["query_pre_attn_scalar"] ** -0.5 if g2 else None  # None: / sqrt(head_dim)
        self.attn_softcap = d.get("attn_logit_softcapping") if g2 else None
        self.final_softcap = d.get("final_logit_softcapping") if g2 else None
        if self.gemma3:
            self.qk_norm = True
            self.sliding_pattern = d.get("sliding_window_pattern", 6)
            self.rope_local_base_freq = d.get("rope_local_base_freq", 10000.0)
        # OLMo 2: no pre-norms, a norm on each sublayer's output; q_norm/k_norm over the whole projection
        self.olmo2 = self.model_type == "olmo2"
        # Granite: scalar multipliers on embeddings, attention scores, sublayer outputs; logits divided
        gr = self.model_type == "granite"
        self.embedding_multiplier = d.get("embedding_multiplier", 1.0) if gr else None
        self.residual_multiplier = d.get("residual_multiplier", 1.0) if gr else None
        self.logits_scaling = d.get("logits_scaling", 1.0) if gr else None
        if gr:
            self.scaling = d.get("attention_multiplier", 1.0)

    def window(self, layer: int):
        """The sliding window of a layer, or None (gemma2: even layers only)."""
        if self.gemma3:
            return self.sliding_window if (layer + 1) % self.sliding_pattern else None
        if self.gemma2 and layer % 2:
            return None
        return self.sliding_window

    def to_hf_dict(self) -> dict:
        return dict(self.d)


def inv_freq(cfg: HFConfig, local: bool = False) -> torch.Tensor:
    """[dh/2] float32 rotary frequencies, with transformers' llama3 / linear scaling
    (local: Gemma 3's sliding layers, rope_local_base_freq and no scaling)."""
    dh = cfg.dim_head
    theta = cfg.rope_local_base_freq if local else cfg.rope_theta
    f = 1.0 / (theta ** (torch.arange(0, dh, 2, dtype=torch.float32) / dh))
    rs = None if local else cfg.rope_scaling
    if not rs:
        return f
    kind = rs.get("rope_type", rs.get("type"))
    if kind == "linear":
        return f / rs["factor"]
    assert kind == "llama3", kind
    factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    old = rs["original_max_position_embeddings"]
    lo_wl, hi_wl = old / lo, old / hi
    wl = 2 * math.pi / f
    g = torch.where(wl > lo_wl, f / factor, f)
    smooth = (old / wl - lo) / (hi - lo)
    smoothed = (1 - smooth) * g / factor + smooth * g
    medium = ~(wl < hi_wl) & ~(wl > lo_wl)
    return torch.where(medium, smoothed, g)


class Attention(nn.Module):
    def __init__(self, cfg: HFConfig):
        super().__init__()
        self.h, self.kvh, self.dh = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.dim_head
        d, b = cfg.hidden_size, cfg.attention_bias
        self.fused = cfg.fused
        if cfg.fused:  # Phi-3: one projection, rows q then k then v
            self.qkv_proj = nn.Linear(d, (self.h + 2 * self.kvh) * self.dh, bias=False)
        else:
            self.q_proj = nn.Linear(d, self.h * self.dh, bias=b)
            self.k_proj = nn.Linear(d, self.kvh * self.dh, bias=b)
            self.v_proj = nn.Linear(d, self.kvh * self.dh, bias=b)
        self.o_proj = nn.Linear(self.h * self.dh, d, bias=False)
        if cfg.qk_norm:
            self.q_norm = RMSNorm(self.dh, cfg.rms_norm_eps, cfg.norm_plus_one)
            self.k_norm = RMSNorm(self.dh, cfg.rms_norm_eps, cfg.norm_plus_one)
        self.qk_norm = cfg.qk_norm
        self.scaling, self.softcap = cfg.scaling, cfg.attn_softcap
        self.olmo2 = cfg.olmo2
        if cfg.olmo2:
            self.q_norm = RMSNorm(self.h * self.dh, cfg.rms_norm_eps)
            self.k_norm = RMSNorm(self.kvh * self.dh, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, mask, past: Optional[KV]):
        b, s, _ = x.shape
        if self.fused:
            qkv = self.qkv_proj(x)
            nq, nk = self.h * self.dh, self.kvh * self.dh
            q_, k_, v_ = qkv[..., :nq], qkv[..., nq:nq + nk], qkv[..., nq + nk:]
        else:
            q_, k_, v_ = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        if self.olmo2:
            q_, k_ = self.q_norm(q_), self.k_norm(k_)
        q = q_.view(b, s, self.h, self.dh)
        k = k_.view(b, s, self.kvh, self.dh)
        if self.qk_norm:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = v_.reshape(b, s, self.kvh, self.dh).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        rep = self.h // self.kvh
        qg = q.reshape(b, self.kvh, rep, s, self.dh)
        scores = torch.matmul(qg, k.unsqueeze(2).transpose(-1, -2))
        scores = scores / math.sqrt(self.dh) if self.scaling is None else scores * self.scaling
        if self.softcap is not None:
            scores = torch.tanh(scores / self.softcap) * self.softcap
        scores = scores.masked_fill(~mask.unsqueeze(2), torch.finfo(scores.dtype).min)
        out = torch.matmul(torch.softmax(scores, dim=-1), v.unsqueeze(2))
        out = out.reshape(b, self.h, s, self.dh).transpose(1, 2).reshape(b, s, self.h * self.dh)
        return self.o_proj(out), (k, v)


class FusedMLP(nn.Module):
    """Phi-3: gate_up_proj rows are gate then up."""

    def __init__(self, cfg: HFConfig):
        super().__init__()
        self.gate_up_proj = nn.Linear(cfg.hidden_size, 2 * cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        gate, up = self.gate_up_proj(x).chunk(2, dim=-1)
        return self.down_proj(up * F.silu(gate))


class Block(nn.Module):
    def __init__(self, cfg: HFConfig, layer: int):
        super().__init__()
        norm = lambda: RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, cfg.norm_plus_one)  # noqa: E731
        self.input_layernorm = norm()
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = norm()
        self.gemma2 = cfg.gemma2
        if cfg.gemma2:  # sandwich norms: post_attention_layernorm then normalises the attention output
            self.pre_feedforward_layernorm = norm()
            self.post_feedforward_layernorm = norm()
        self.olmo2 = cfg.olmo2
        if cfg.olmo2:
            del self.input_layernorm
            self.post_feedforward_layernorm = norm()
        self.rm = cfg.residual_multiplier
        self.mlp = FusedMLP(cfg) if cfg.fused else MLP(cfg)
        self.window = cfg.window(layer)

    def forward(self, x, cos, sin, masks, past=None, presents=None):
        mask = masks[self.window]
        if isinstance(cos, dict):  # Gemma 3: local rope on sliding layers
            cos, sin = cos[self.window is not None], sin[self.window is not None]
        a, present = self.self_attn(x if self.olmo2 else self.input_layernorm(x), cos, sin, mask, past)
        if presents is not None:
            presents.append(present)
        if self.olmo2:
            h = x + self.post_attention_layernorm(a)
            return h + self.post_feedforward_layernorm(self.mlp(h))
        if self.rm is not None:
            h = x + a * self.rm
            return h + self.mlp(self.post_attention_layernorm(h)) * self.rm
        if self.gemma2:
            h = x + self.post_attention_layernorm(a)
            return h + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(h)))
        h = x + a
        return h + self.mlp(self.post_attention_layernorm(h))


class HFCausalLM(nn.Module):
    def __init__(self, cfg: HFConfig):
        super().__init__()
        self.config = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([Block(cfg, i) for i in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, cfg.norm_plus_one)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.embed_tokens.weight

    def forward(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None):
        b, s = input_ids.shape
        past = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        if position_ids is None:
            position_ids = (torch.arange(s) + past).unsqueeze(0).expand(b, s)
        x = self.embed_tokens(input_ids)
        if self.config.gemma2:
            x = x * torch.tensor(self.config.hidden_size ** 0.5, dtype=x.dtype)
        if self.config.embedding_multiplier is not None:
            x = x * self.config.embedding_multiplier
        def rot(local):
            freqs = position_ids.to(torch.float32).unsqueeze(-1) * inv_freq(self.config, local)
            emb = torch.cat([freqs, freqs], dim=-1)
            return emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
        cos, sin = rot(False)
        if self.config.gemma3:
            (lc, ls) = rot(True)
            cos, sin = {False: cos, True: lc}, {False: sin, True: ls}
        mask = build_mask(attention_mask, b, s, past)
        masks = {None: mask}
        w = self.config.sliding_window
        if w is not None:
            # transformers' sliding window: query at cache index i sees keys j with i - j < w
            q_idx = torch.arange(s) + past
            k_idx = torch.arange(past + s)
            masks[w] = mask & (k_idx.unsqueeze(0) > q_idx.unsqueeze(1) - w)
        presents: List[KV] = []
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, masks, None if past_key_values is None else past_key_values[i], presents)
        logits = self.lm_head(self.norm(x))
        if self.config.logits_scaling is not None:
            logits = logits / self.config.logits_scaling
        if self.config.final_softcap is not None:
            logits = torch.tanh(logits / self.config.final_softcap) * self.config.final_softcap
        return logits, presents
