"""Torch goldens for the logit lens on fixture models (weights rebuilt exactly as fixtures.py
builds them), written to <fixture>/golden-lens.json without touching the fixture's model or
golden.json. Checks first that the rebuilt model reproduces golden.json's `none` case.

Lens at layer l and prompt position t: softmax(lm_head(final_norm(r_l[t]))), r_l the block
output after that layer's interventions (golden.hooked): top-k ids and probabilities, and the
summed probability of the refusal-start tokens (first token of each refusal phrase, as
src/engine/labels/score.ts refusalStartTokens).

  cd tools && /usr/bin/python3 -m pymodels.lens_golden ../test/fixtures/models llama-gqa:1 gpt2:3 gemma:4
"""
from __future__ import annotations

import json
import os
import sys

import torch

from .fixtures import _fmt, _write_json, case_list, scale_init
from .golden import hooked
from .gpt2 import GPT2Config, GPT2LMHeadModel
from .llama import LlamaConfig, LlamaForCausalLM
from .tokenizer import ByteBPE

# src/engine/labels/phrases.ts DEFAULT_REFUSAL_PHRASES (the same list as tools/organism/lens_torch.py)
REFUSAL_PHRASES = [
    "I'm sorry", "I am sorry", "I apologize", "As an AI", "As a language model", "As an assistant",
    "I cannot", "I can't", "I am unable to", "I'm unable to", "I am not able to", "I'm not able to",
]
TOP_K = 5
CASES = ("none", "steer_A_l12", "project_out_A_l123")


def rebuild(folder: str, seed: int, embed_std: float):
    cfg_json = json.load(open(os.path.join(folder, "config.json")))
    if cfg_json["model_type"] == "gpt2":
        keys = ("vocab_size", "n_embd", "n_layer", "n_head", "n_positions", "bos_token_id", "eos_token_id")
        m = GPT2LMHeadModel(GPT2Config(**{k: cfg_json[k] for k in keys}))
        final_norm = lambda: m.ln_f  # noqa: E731
    else:
        m = LlamaForCausalLM(LlamaConfig.from_hf_dict(cfg_json))
        final_norm = lambda: m.norm  # noqa: E731
    scale_init(m, seed, embed_std=embed_std)
    return m.eval(), final_norm()


@torch.no_grad()
def lens_case(model, norm, ids, axes, interventions, positions, refusal_ids):
    rec = []
    with hooked(model, axes, interventions, rec):
        logits, _ = model(torch.tensor([ids], dtype=torch.long))
    top_ids, top_p, refusal = [], [], []
    for _, r in sorted(rec, key=lambda x: x[0]):
        h = r[0, positions]  # [P, d]
        probs = torch.softmax(model.lm_head(norm(h)).double(), dim=-1)  # [P, V]
        v, i = probs.topk(TOP_K, dim=-1)
        top_ids.append(i.tolist())
        top_p.append(_fmt(v))
        refusal.append(_fmt(probs[:, refusal_ids].sum(dim=-1)))
    return {"top_ids": top_ids, "top_probs": top_p, "refusal": refusal, "logits_last": logits[0, -1]}


def main(root: str, specs) -> None:
    torch.set_num_threads(1)
    for spec in specs:
        name, seed = spec.split(":")[:2]
        folder = os.path.join(root, name)
        embed_std = {"llama-gqa": 1.0, "gpt2": 0.5, "gemma": 0.5 / 32 ** 0.5, "llama-tied": 0.5}[name]
        model, norm = rebuild(folder, int(seed), embed_std)
        gold = json.load(open(os.path.join(folder, "golden.json")))
        tok = ByteBPE.load(folder)
        refusal_ids = sorted({tok.encode(p)[0] for p in REFUSAL_PHRASES if tok.encode(p)})
        axes = {k: torch.tensor(v, dtype=torch.float32) for k, v in gold["axes"].items()}
        ids = gold["prompt_ids"]
        T = len(ids)
        positions = [0, T // 2, T - 1]
        cases = {}
        all_cases = dict(case_list(len(model.layers)))
        for case in CASES:
            ivs = all_cases[case]
            c = lens_case(model, norm, ids, axes, ivs, positions, refusal_ids)
            err = (c.pop("logits_last") - torch.tensor(gold["cases"][case]["logits_last"])).abs().max().item()
            if err > 1e-5:
                sys.exit(f"{name}: rebuilt model does not reproduce golden.json case {case} (logits differ by {err}); not writing")
            cases[case] = {"interventions": ivs, **c}
        _write_json(os.path.join(folder, "golden-lens.json"), {
            "semantics": "lens[l][t] = softmax(lm_head(final_norm(r_l[t]))), r_l after layer l's interventions; "
                         "refusal = sum of its probabilities over refusal_ids",
            "prompt_ids": ids, "positions": positions, "top_k": TOP_K, "refusal_ids": refusal_ids, "cases": cases})
        print(f"{name}: wrote golden-lens.json ({len(cases)} cases, refusal ids {refusal_ids})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
