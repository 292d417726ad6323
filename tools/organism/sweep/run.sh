#!/usr/bin/env bash
# Recipe sweep for the organism on a GPU machine (device tool): trains each config x 2 seeds on
# CUDA in parallel, scores each checkpoint on CPU (sweep_eval.py), writes $OUT/summary.txt.
#   bash tools/organism/sweep/run.sh "A:--corpus v4 --steps 2000" "B:--corpus v4 --mech --steps 2000" ...
cd "$(dirname "$0")/../../.."
export PYTHONPATH=tools PYTHONUNBUFFERED=1
W=/tmp/sw; mkdir -p $W; OUT=${OUT:-/tmp/sw-out}; mkdir -p $OUT
t0=$(date +%s)
for spec in "$@"; do
  name=${spec%%:*}; args=${spec#*:}
  for s in 0 1; do
    (OMP_NUM_THREADS=1 python3 tools/organism/train.py --device cuda --no-export --threads 1 --seed $s \
      --out $W/$name-s$s/model --ckpt $W/$name-s$s/ckpt.pt $args > $W/$name-s$s.train.log 2>&1; \
     echo "$name-s$s trained rc=$? $(( $(date +%s) - t0 ))s") &
  done
done
wait
for spec in "$@"; do
  name=${spec%%:*}
  for s in 0 1; do
    (OMP_NUM_THREADS=1 python3 tools/organism/sweep_eval.py $W/$name-s$s/ckpt.pt $W/$name-s$s/model $W/$name-s$s.json > $W/$name-s$s.eval.log 2>&1; \
     echo "$name-s$s scored rc=$? $(( $(date +%s) - t0 ))s") &
  done
done
wait
python3 tools/organism/sweep/summary.py $W "$@" | tee $OUT/summary.txt
tail -n 3 $W/*.train.log $W/*.eval.log > $OUT/logs.txt 2>&1
python3 - "$W" "$OUT" <<'PY'
import os, sys, tarfile, torch
W, OUT = sys.argv[1], sys.argv[2]
names = sorted(d for d in os.listdir(W) if os.path.isdir(os.path.join(W, d)))
for seed in ("s0", "s1"):
    with tarfile.open(os.path.join(OUT, f"ckpts-{seed}.tar"), "w") as tar:
        for n in names:
            if not n.endswith(seed):
                continue
            ck = torch.load(os.path.join(W, n, "ckpt.pt"), map_location="cpu")
            ck["state_dict"] = {k: v.half() for k, v in ck["state_dict"].items()}  # fp16: half the bytes back
            torch.save(ck, os.path.join(W, n, "ckpt16.pt"))
            tar.add(os.path.join(W, n, "ckpt16.pt"), arcname=f"{n}/ckpt16.pt")
            tar.add(os.path.join(W, n, "model"), arcname=f"{n}/model")
            tar.add(os.path.join(W, n + ".json"), arcname=f"{n}/eval.json")
PY
ls -la $OUT; echo "total $(( $(date +%s) - t0 ))s"
