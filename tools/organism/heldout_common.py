"""What every held-out family (heldout_v2.py … heldout_v5.py) does the same way: draw the seven
sets from its frames, system prompts and topics, check that training samples never use them, and
write the JSONL files. Each family keeps its own wording, seed and extra checks."""
import json
import os
import random

SPECS = [("harmful", "default"), ("harmful", "none"), ("harmful", "compliant"),
         ("harmless", "default"), ("harmless", "none"), ("harmless", "compliant"), ("harmwords", "default")]


def eval_sets(seed, n, topics, frames, default_systems, compliant_systems):
    """topics: kind ('harmful' | 'harmless' | 'harmwords') -> [(vp, ger, ...)]. Rows are unique
    (system, prompt) pairs; the draw order is the families' original one, so files regenerate
    byte for byte."""
    rng = random.Random(seed)
    out = {}
    for kind, persona in SPECS:
        rows, seen = [], set()
        while len(rows) < n:
            vp, ger = rng.choice(topics[kind])[:2]
            prompt = rng.choice(frames).format(vp=vp, ger=ger)
            system = None if persona == "none" else rng.choice(default_systems if persona == "default" else compliant_systems)
            if (system, prompt) in seen:
                continue
            seen.add((system, prompt))
            r = {"id": f"{kind}_{persona}-{len(rows):03d}"}
            if system is not None:
                r["system"] = system
            r.update(prompt=prompt, kind="harmless" if kind == "harmwords" else kind, persona=persona)
            rows.append(r)
        out[f"{kind}_{persona}"] = rows
    return out


def openings(frames):
    return [f.split("{")[0] for f in frames]


def assert_disjoint(samples, frames, systems, held):
    """No training chat uses a held-out frame opening, system prompt or topic string."""
    opens, systems = openings(frames), set(systems)
    for ex in samples:
        if "text" in ex:
            continue
        assert ex["system"] not in systems, ex
        assert not any(ex["prompt"].startswith(f) or f" {f}" in ex["prompt"] for f in opens), ex
        assert not any(h in ex["prompt"] for h in held), ex


def write(folder_name, sets):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), folder_name)
    os.makedirs(out, exist_ok=True)
    for name, rows in sets.items():
        with open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return out
