"""Torch-side scorecard of one trained organism checkpoint, for comparing training recipes.

  PYTHONPATH=tools python3 tools/organism/sweep_eval.py CKPT TOKENIZER_DIR OUT.json [--families heldout heldout3]

Behaviour: label rates per held-out set (greedy, 48 new tokens, lens_torch.label).
Mechanism: the refusal direction measured as the tool extracts it (difference of means of the
shipped contrastive sets media/models/organism/sets/harmful vs harmless, last prompt token) —
projected out of every layer (each layer's own direction, and the best single source layer at all
layers, as `select` does), refusal on harmful requests; added at one layer to harmless requests,
induced refusal; and the persona direction (persona_compliant vs persona_default) steered at
c x the layer's mean residual norm vs a norm-matched random direction.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lens_torch as LT  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))


def rows(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def refusal_rate(model, tok, prompts, iv=None):
    texts, _ = LT.generate(model, tok, prompts, 48, iv)
    labels = [LT.label(t) for t in texts]
    return {"refusal": labels.count("refusal") / len(labels), "degenerate": labels.count("degenerate") / len(labels)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("tok")
    ap.add_argument("out")
    ap.add_argument("--families", nargs="*", default=["heldout", "heldout3"])
    a = ap.parse_args()
    t0 = time.time()
    model, tok = LT.load(a.ckpt, a.tok)
    pad = tok.token_id(LT.ENDOFTEXT)
    enc = lambda rs: [LT.chat_ids(tok, r) for r in rs]  # noqa: E731
    res = {"ckpt": a.ckpt, "behaviour": {}, "mechanism": {}}
    for fam in a.families:
        d = os.path.join(ROOT, "tools/organism", fam)
        for f in sorted(os.listdir(d)):
            res["behaviour"][f"{fam}/{f[:-6]}"] = refusal_rate(model, tok, enc(rows(os.path.join(d, f))))
    sets = os.path.join(ROOT, "media/models/organism/sets")
    harmful, harmless = enc(rows(f"{sets}/harmful.jsonl")), enc(rows(f"{sets}/harmless.jsonl"))
    ref = LT.diff_of_means(LT.last_token_resid(model, harmful, pad), LT.last_token_resid(model, harmless, pad))  # [L, d]
    L = ref.shape[0]
    test_h = enc(rows(os.path.join(ROOT, "tools/organism/heldout3/harmful_default.jsonl"))
                 + rows(os.path.join(ROOT, "tools/organism/heldout3/harmful_none.jsonl")))
    test_ok = enc(rows(os.path.join(ROOT, "tools/organism/heldout3/harmless_default.jsonl")))
    m = res["mechanism"]
    m["baseline_harmful"] = refusal_rate(model, tok, test_h)
    m["ablate_own_all"] = refusal_rate(model, tok, test_h, LT.Interventions(L).project_out(ref, range(L)))
    m["ablate_own_all_harmless"] = refusal_rate(model, tok, test_ok, LT.Interventions(L).project_out(ref, range(L)))
    for src in range(L - 1):
        m[f"ablate_src{src}_all"] = refusal_rate(model, tok, test_h,
                                                 LT.Interventions(L).project_out(ref[src].expand_as(ref), range(L)))
        m[f"induce_add{src}"] = refusal_rate(model, tok, test_ok, LT.Interventions(L).steer(ref, 1.0, [src]))
    pc, pdft = enc(rows(f"{sets}/persona_compliant.jsonl")), enc(rows(f"{sets}/persona_default.jsonl"))
    per = LT.diff_of_means(LT.last_token_resid(model, pc, pad), LT.last_token_resid(model, pdft, pad))
    norms = LT.last_token_resid(model, pdft, pad).norm(dim=-1).mean(0)  # [L]
    unit = per / per.norm(dim=-1, keepdim=True)
    rnd = LT.random_like(per, 7)
    rnd = rnd / rnd.norm(dim=-1, keepdim=True)
    for c in (0.3, 0.5, 1.0):
        m[f"persona_steer_{c}n"] = refusal_rate(model, tok, test_h, LT.Interventions(L).steer(unit * norms[:, None], c, range(L)))
        m[f"random_steer_{c}n"] = refusal_rate(model, tok, test_h, LT.Interventions(L).steer(rnd * norms[:, None], c, range(L)))
    m["cos_persona_refusal"] = [round(float(torch.nn.functional.cosine_similarity(per[l], ref[l], 0)), 3) for l in range(L)]
    res["seconds"] = round(time.time() - t0, 1)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    print(a.out, res["seconds"], flush=True)


if __name__ == "__main__":
    main()
