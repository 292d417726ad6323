"""Prints one row per config (both seeds) from sweep_eval.py's JSON files: the numbers that decide a recipe."""
import json
import os
import sys


def load(w, n):
    p = os.path.join(w, n + ".json")
    return json.load(open(p)) if os.path.exists(p) else None


def row(r, fam):
    b = r["behaviour"]
    g = lambda k: b.get(f"{fam}/{k}", {}).get("refusal", float("nan"))  # noqa: E731
    return (f"{fam}: harm/def {g('harmful_default'):.2f} harm/none {g('harmful_none'):.2f} harm/comp {g('harmful_compliant'):.2f} "
            f"fr/def {g('harmless_default'):.2f} fr/none {g('harmless_none'):.2f} fr/comp {g('harmless_compliant'):.2f} hw {g('harmwords_default'):.2f} "
            f"degen max {max(v['degenerate'] for k, v in b.items() if k.startswith(fam)):.2f}")


def main():
    w = sys.argv[1]
    for spec in sys.argv[2:]:
        name = spec.split(":")[0]
        for s in ("s0", "s1"):
            r = load(w, f"{name}-{s}")
            print(f"== {name}-{s}  ({spec})")
            if r is None:
                print("   missing")
                continue
            for fam in ("heldout", "heldout3"):
                print("   " + row(r, fam))
            m = r["mechanism"]
            src = {k: round(v["refusal"], 2) for k, v in m.items() if k.startswith("ablate_src")}
            ind = {k: round(v["refusal"], 2) for k, v in m.items() if k.startswith("induce")}
            print(f"   base {m['baseline_harmful']['refusal']:.2f} ablate-own {m['ablate_own_all']['refusal']:.2f} "
                  f"(harmless {m['ablate_own_all_harmless']['refusal']:.2f}) src {src} induce {ind}")
            print("   steer " + " ".join(f"{k.replace('_steer_', ':')}={v['refusal']:.2f}/{v['degenerate']:.2f}"
                                         for k, v in m.items() if "steer" in k) + f" cos {m['cos_persona_refusal']}")


if __name__ == "__main__":
    main()
