"""Torch goldens for the cap intervention on the llama-gqa fixture (its weights rebuilt exactly as
fixtures.py builds them), written to test/fixtures/models/llama-gqa/golden-cap.json without touching
the fixture's model or golden.json. Checks first that the rebuilt model reproduces golden.json's
`none` case, so a drift in the builder cannot produce goldens for another model.

  cd tools && /usr/bin/python3 -m pymodels.cap_golden ../test/fixtures/models/llama-gqa
"""
from __future__ import annotations

import json
import os
import sys

import torch

from .fixtures import _fmt, _write_json, scale_init
from .golden import run_case
from .llama import LlamaConfig, LlamaForCausalLM


def cap_cases(n_layers: int):
    return [
        ("cap_A_hi0_l1", [{"kind": "cap", "axis": "A", "hi": 0, "layers": [1]}]),
        ("cap_A_lo1_hi2_l12", [{"kind": "cap", "axis": "A", "lo": 1, "hi": 2, "layers": [1, 2]}]),
        ("steer_A_l12_cap_A_hi1_l2", [
            {"kind": "steer", "axis": "A", "coefficient": 2.5, "layers": [1, 2]},
            {"kind": "cap", "axis": "A", "hi": 1, "layers": [2]}]),
        ("project_out_B_cap_A_lo0_cap_B_hi-1_l1", [
            {"kind": "project_out", "axes": ["B"], "layers": [1]},
            {"kind": "cap", "axis": "A", "lo": 0, "layers": [1]},
            {"kind": "cap", "axis": "B", "hi": -1, "layers": [1]}]),
    ]


def main(folder: str) -> None:
    torch.set_num_threads(1)
    cfg_json = json.load(open(os.path.join(folder, "config.json")))
    gold = json.load(open(os.path.join(folder, "golden.json")))
    keys = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
            "intermediate_size", "bos_token_id", "eos_token_id")
    m = LlamaForCausalLM(LlamaConfig(**{k: cfg_json[k] for k in keys}))
    scale_init(m, 1)  # fixtures.py: llama-gqa is seed 1
    m.eval()
    axes = {k: torch.tensor(v, dtype=torch.float32) for k, v in gold["axes"].items()}
    ids = gold["prompt_ids"]
    none = run_case(m, ids, axes, [])
    err = (none["logits_last"] - torch.tensor(gold["cases"]["none"]["logits_last"])).abs().max().item()
    if err > 1e-5:
        sys.exit(f"rebuilt model does not reproduce golden.json (logits differ by {err}); not writing")
    cases = {}
    for name, ivs in cap_cases(len(m.layers)):
        c = run_case(m, ids, axes, ivs)
        cases[name] = {"interventions": ivs, "resid": _fmt(c["resid"]),
                       "readouts": {k: _fmt(v) for k, v in c["readouts"].items()},
                       "logits_last": _fmt(c["logits_last"])}
    _write_json(os.path.join(folder, "golden-cap.json"), {
        "semantics": "per block output l: steers, then project-outs, then r += (clamp(r.u, lo, hi) - r.u) u "
                     "for each cap (u = unit(axis[l]), all caps from the same r); readout = r . unit(axis[l])",
        "prompt_ids": ids, "cases": cases})
    print(f"wrote golden-cap.json ({len(cases)} cases; rebuilt model matches golden.json to {err:.1e})")


if __name__ == "__main__":
    main(sys.argv[1])
