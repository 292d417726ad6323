"""Reference interventions in torch, via forward hooks on the decoder blocks (never onnxruntime).

Semantics at each block output r_l (positions 'all'), in this order:
  r <- r + sum over steers active at l of c * v      (v = axis[sourceLayer] or axis[l], raw)
  r <- r - Q Q^T r, Q an orthonormal basis of span{unit(axis[src or l])} over project-outs at l
  r <- r + (clamp(p, lo, hi) - p) u, p = r.u, u = unit(axis[src or l]), for each cap at l (from the same r)
Readouts after all three: resid . unit(axis[l]) for every axis.
Interventions are dicts in the JSON shape of src/protocol/types.ts `Intervention`.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Dict, List

import torch

from .llama import greedy_full


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm()


def layer_edit(axes: Dict[str, torch.Tensor], interventions: List[dict], layer: int):
    """(add [d], Q [d, k] or None, caps [(u [d], lo, hi)]) for block output `layer`; axes[name]: [L, d]."""
    add = torch.zeros((), dtype=torch.float64)  # broadcasts; becomes [d] on the first steer
    basis = []
    caps = []
    for iv in interventions:
        if layer not in iv["layers"]:
            continue
        src = iv.get("sourceLayer", layer)
        if iv["kind"] == "steer":
            add = add + iv["coefficient"] * axes[iv["axis"]][src].double()
        elif iv["kind"] == "project_out":
            basis += [_unit(axes[a][src].double()) for a in iv["axes"]]
        elif iv["kind"] == "cap":
            caps.append((_unit(axes[iv["axis"]][src].double()), iv.get("lo", -math.inf), iv.get("hi", math.inf)))
        else:
            raise ValueError(f"unknown intervention kind {iv['kind']!r}")
    if not basis:
        return add, None, caps
    q, r = torch.linalg.qr(torch.stack(basis, dim=1))  # q: [d, k]
    keep = r.diagonal().abs() > 1e-6 * r.diagonal().abs().max()  # drop dependent directions
    return add, q[:, keep], caps


@contextmanager
def hooked(model, axes: Dict[str, torch.Tensor], interventions: List[dict], record: List = None):
    """Apply the interventions at every block output; append (layer, resid [b, s, d]) to record."""
    handles = []
    for l, block in enumerate(model.layers):
        add, q, caps = layer_edit(axes, interventions, l)

        def hook(_mod, _inp, out, l=l, add=add, q=q, caps=caps):
            r = out.double() + add  # [b, s, d]
            if q is not None:
                r = r - (r @ q) @ q.T
            shift = torch.zeros_like(r)
            for u, lo, hi in caps:  # every cap sees the same r
                p = r @ u  # [b, s]
                shift = shift + (p.clamp(lo, hi) - p).unsqueeze(-1) * u
            r = r + shift
            r = r.to(out.dtype)
            if record is not None:
                record.append((l, r.detach().clone()))
            return r

        handles.append(block.register_forward_hook(hook))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


@torch.no_grad()
def run_case(model, ids: List[int], axes: Dict[str, torch.Tensor], interventions: List[dict]) -> dict:
    """resid [L][T][d], readouts {axis: [L][T]}, logits_last [vocab] for one prompt."""
    rec: List = []
    with hooked(model, axes, interventions, rec):
        logits, _ = model(torch.tensor([ids], dtype=torch.long))
    resid = torch.stack([r[0] for _, r in sorted(rec, key=lambda x: x[0])])  # [L, T, d]
    readouts = {}
    for name, a in axes.items():
        u = a / a.norm(dim=1, keepdim=True)  # [L, d]
        readouts[name] = torch.einsum("ltd,ld->lt", resid, u)  # [L, T]
    return {"resid": resid, "readouts": readouts, "logits_last": logits[0, -1]}


@torch.no_grad()
def greedy_case(model, ids: List[int], n: int, axes, interventions) -> List[int]:
    with hooked(model, axes, interventions):
        return greedy_full(model, ids, n)
