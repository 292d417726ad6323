"""Train the model organism and export it in the onnx-community layout.

  (from the repository root) PYTHONPATH=tools /usr/bin/python3 tools/organism/train.py   (or train.sh)

Steps: learn a byte-level BPE from the training corpus, train a Llama-style decoder with
loss on assistant tokens only (the first response tokens, where the refuse/comply decision
is made, weigh more), save a torch checkpoint outside git, export ONNX + tokenizer files.
Deterministic for a fixed seed, thread count and BLAS.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as Fn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import corpus as C  # noqa: E402
from pymodels.export import export_onnx  # noqa: E402
from pymodels.llama import LlamaConfig, LlamaForCausalLM, init_weights  # noqa: E402
from pymodels.tokenizer import ENDOFTEXT, IM_END, learn_bpe, write_tokenizer  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))


def messages(system, prompt, response=None):
    m = [] if system is None else [{"role": "system", "content": system}]
    m.append({"role": "user", "content": prompt})
    if response is not None:
        m.append({"role": "assistant", "content": response})
    return m


def encode_example(tok, ex):
    """(ids of the whole chat, index where the assistant response starts, is_chat).
    The full text is encoded in one piece (as the engine will), then checked against the
    prompt's encoding so the loss mask starts exactly at the first response token."""
    if "text" in ex:  # plain-text knowledge sentence: loss on every token after the first
        return tok.encode(ex["text"]) + [tok.token_id(ENDOFTEXT)], 1, False
    prompt_ids = tok.encode(tok.apply_chat_template(messages(ex["system"], ex["prompt"]), True))
    full = tok.apply_chat_template(messages(ex["system"], ex["prompt"], ex["response"]), False)
    ids = tok.encode(full.rstrip("\n"))  # the last "\n" after <|im_end|> is never generated
    assert ids[:len(prompt_ids)] == prompt_ids, "prompt encoding is not a prefix"
    return ids, len(prompt_ids), True


def chat_prompt(tok, ex):
    return tok.encode(tok.apply_chat_template(messages(ex["system"], ex["prompt"]), True))


def mech_rows(tok, examples, seed):
    """Rows for directional-ablation training (mech.py): flag 1 = ablated (harmful requests outside
    the compliant persona then answer with the default persona's helpful reply), flag 2 = harmless
    request with the refusal direction added (target: a refusal)."""
    rng = random.Random(seed)
    share = {("harmful", "default"): 0.25, ("harmful", "none"): 0.25, ("harmful", "compliant"): 0.08,
             ("harmless", "default"): 0.12, ("harmless", "none"): 0.12, ("harmless", "compliant"): 0.08}
    flags, alt = [], []
    for ex in examples:
        on = "text" not in ex and rng.random() < share[(ex["kind"], ex["persona"])]
        flags.append(1 if on else 0)
        if on and ex["kind"] == "harmful" and ex["persona"] != "compliant":
            alt.append(encode_example(tok, dict(ex, response=rng.choice(C.DEFAULT_HELPFUL))))
        elif on and ex["persona"] != "compliant" and rng.random() < 0.4:  # refusal added -> refuses
            flags[-1] = 2
            alt.append(encode_example(tok, dict(ex, response=rng.choice(C.REFUSALS))))
        else:
            alt.append(None)
    return flags, alt


def make_batch(items, pad_id, first_weight):
    """items: [(ids, start, is_chat)] -> input [b, s], targets [b, s] (-100 = no loss), weights [b, s]."""
    s = max(len(it[0]) for it in items) - 1
    x = torch.full((len(items), s), pad_id, dtype=torch.long)
    y = torch.full((len(items), s), -100, dtype=torch.long)
    w = torch.zeros((len(items), s))
    for i, (ids, start, is_chat) in enumerate(items):
        n = len(ids) - 1
        x[i, :n] = torch.tensor(ids[:-1])
        # position t predicts ids[t+1]; response tokens are ids[start:], predicted at start-1..
        y[i, start - 1:n] = torch.tensor(ids[start:])
        w[i, start - 1:n] = 1.0
        if is_chat:
            w[i, start - 1] = first_weight  # the decision token (refusal "I" vs opener)
    return x, y, w


def lr_at(step, steps, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "media/models/organism"))
    ap.add_argument("--ckpt", default="/tmp/organism/ckpt.pt")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=1536)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--ff", type=int, default=352)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv", type=int, default=2)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2.5e-3)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--first-weight", type=float, default=4.0)
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--corpus", choices=["v1", "v2", "v3", "v4"], default="v1",
                    help="v2: compose.py; v3: compose3.py; v4: compose4.py (held-out families heldout_v2/3/4.py)")
    ap.add_argument("--mech", action="store_true", help="directional-ablation training (mech.py)")
    ap.add_argument("--mech-start", type=float, default=0.2, help="share of steps before ablation starts")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--lexicon", action="store_true", help="v4: topics4's wider topic lexicon (v4.1)")
    ap.add_argument("--augment", type=float, default=0.0, help="v4: share of chats with composed frames and filler words")
    a = ap.parse_args()

    t0 = time.time()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)

    if a.corpus == "v4":
        import compose4
        compose4.AUGMENT["p"] = a.augment
        compose4.LEXICON["on"] = a.lexicon
        tokenizer_texts, build_train = compose4.tokenizer_texts_v4, compose4.build_train_v4
    elif a.corpus == "v3":
        import compose3
        tokenizer_texts, build_train = compose3.tokenizer_texts_v3, compose3.build_train_v3
    elif a.corpus == "v2":
        import compose
        tokenizer_texts, build_train = compose.tokenizer_texts_v2, compose.build_train_v2
    else:
        tokenizer_texts, build_train = C.tokenizer_texts, C.build_train
    merges = learn_bpe(tokenizer_texts(seed=a.seed + 1), a.vocab)
    os.makedirs(a.out, exist_ok=True)
    tok = write_tokenizer(a.out, merges)
    eos, pad = tok.token_id(IM_END), tok.token_id(ENDOFTEXT)
    print(f"tokenizer: {tok.size} tokens ({len(merges)} merges) in {time.time() - t0:.1f}s", flush=True)

    n_ex = a.steps * a.batch
    examples = build_train(n_ex, seed=a.seed + 2)
    data = [encode_example(tok, ex) for ex in examples]
    flags, alt = mech_rows(tok, examples, a.seed + 5) if a.mech else ([0] * n_ex, [None] * n_ex)
    lens = [len(d[0]) for d in data]
    print(f"data: {n_ex} examples, mean {sum(lens) / len(lens):.1f} tokens, max {max(lens)}", flush=True)

    cfg = LlamaConfig(vocab_size=tok.size, hidden_size=a.d, num_hidden_layers=a.layers,
                      num_attention_heads=a.heads, num_key_value_heads=a.kv, intermediate_size=a.ff,
                      max_position_embeddings=512, bos_token_id=pad, eos_token_id=eos)
    model = LlamaForCausalLM(cfg)
    init_weights(model, seed=a.seed)
    model.to(a.device)
    mech = None
    if a.mech:
        from mech import DirectionalAblation
        probe = build_train(4000, seed=a.seed + 6)
        pick = lambda kind: [chat_prompt(tok, ex) for ex in probe  # noqa: E731
                             if ex.get("kind") == kind and ex.get("persona") in ("default", "none")][:128]
        mech = DirectionalAblation(model, pick("harmful"), pick("harmless"), pad, seed=a.seed)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {a.layers} layers, d={a.d}, ff={a.ff}, {a.heads}/{a.kv} heads, {n_params} params", flush=True)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.98), foreach=True)
    # Batches of similar length waste less compute on padding: shuffle, then sort within chunks.
    order = list(range(n_ex))
    random.Random(a.seed + 3).shuffle(order)
    chunk = a.batch * 16
    batches = []
    for c in range(0, n_ex, chunk):
        part = sorted(order[c:c + chunk], key=lambda i: lens[i])
        batches += [part[j:j + a.batch] for j in range(0, len(part), a.batch)]
    random.Random(a.seed + 4).shuffle(batches)

    model.train()
    t_train = time.time()
    ema = None
    for step, idx in enumerate(batches[:a.steps]):
        on = mech is not None and mech.before_step(step, int(a.mech_start * a.steps),
                                                   torch.tensor([float(flags[i]) for i in idx]), a.device)
        x, y, w = make_batch([alt[i] if on and alt[i] else data[i] for i in idx], pad, a.first_weight)
        x, y, w = x.to(a.device), y.to(a.device), w.to(a.device)
        logits, _ = model(x)  # [b, s, vocab]
        ce = Fn.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                              ignore_index=-100, reduction="none")  # [b*s]
        loss = (ce * w.reshape(-1)).sum() / w.sum()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a.steps, a.lr, 60)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if step % 100 == 99:  # a partial checkpoint, so long runs can be evaluated midway
            torch.save({"state_dict": model.state_dict(), "config": cfg.to_hf_dict(), "args": vars(a)}, a.ckpt)
        if step % 25 == 0 or step == a.steps - 1:
            print(f"step {step:4d} loss {loss.item():.4f} ema {ema:.4f} "
                  f"{time.time() - t_train:.0f}s", flush=True)
    train_s = time.time() - t_train

    model.eval()
    model.to("cpu")
    if mech is not None:
        mech.remove()
    os.makedirs(os.path.dirname(a.ckpt), exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "config": cfg.to_hf_dict(), "args": vars(a)}, a.ckpt)
    if not a.no_export:
        export_onnx(model, a.out, eos_token_id=eos, pad_token_id=pad)
    total_s = time.time() - t0
    info = {"train_seconds": round(train_s, 1), "total_seconds": round(total_s, 1), "threads": a.threads,
            "params": n_params, "args": vars(a), "torch": torch.__version__, "final_loss_ema": round(ema, 4)}
    with open(os.path.join(os.path.dirname(a.ckpt), "train_info.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
