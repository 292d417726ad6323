"""The benchmark model's weights as GGUF files for llama.cpp (the peer in `npm run bench`):
F32, Q8_0 and Q4_0, from the bf16 checkpoint tools/bench/checkpoint_from_export.py writes (the same
values Refusal Lens builds its graph from).

GGUF v3 (llama.cpp docs/gguf.md, gguf-py): header, metadata key/values (llama.* hyperparameters,
tokenizer.ggml.* as a GPT-2 style byte-level BPE: tokens, token types, merges), tensor infos
(dims innermost first, so a torch [out, in] weight is ne = [in, out]), data aligned to 32 bytes.
q_proj/k_proj rows are permuted as convert_hf_to_gguf.py does: llama.cpp's llama rope rotates
adjacent pairs, transformers' rotate_half the two halves of each head.
Q8_0 block (32 values): fp16 d = amax/127, 32 int8 round(x/d). Q4_0 block: fp16 d = m/-8 where m
is the value of largest magnitude, 16 bytes, element j in the low nibble and j+16 in the high
nibble of byte j, q = min(15, floor(x/d + 8.5)) (ggml's quantize_row_*_ref). Every 2-D matrix is
quantised (embedding and output included), norms stay F32.

Usage: /usr/bin/python3 tools/bench/make_gguf.py CHECKPOINT_FOLDER OUT_DIR [f32 q8_0 q4_0]
writes OUT_DIR/model-<type>.gguf
"""
import json
import os
import struct
import sys

import numpy as np

GGUF_MAGIC = 0x46554747
ALIGN = 32
# metadata value types
U32, I32, F32V, BOOL, STR, ARR = 4, 5, 6, 7, 8, 9
# ggml tensor types and general.file_type values
TYPES = {"f32": (0, 0), "q8_0": (8, 7), "q4_0": (2, 2)}


def read_safetensors(folder: str) -> dict:
    out = {}
    files = [f for f in os.listdir(folder) if f.endswith(".safetensors")]
    for fn in files:
        with open(os.path.join(folder, fn), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            base = 8 + n
            for name, t in header.items():
                if name == "__metadata__":
                    continue
                a, b = t["data_offsets"]
                f.seek(base + a)
                raw = f.read(b - a)
                if t["dtype"] == "BF16":
                    arr = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
                elif t["dtype"] == "F16":
                    arr = np.frombuffer(raw, dtype=np.float16).astype(np.float32)
                else:
                    arr = np.frombuffer(raw, dtype=np.float32)
                out[name] = arr.reshape(t["shape"])
    return out


def permute(w: np.ndarray, n_head: int) -> np.ndarray:
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def q8_0(w: np.ndarray) -> bytes:
    x = w.reshape(-1, 32).astype(np.float32)
    d = np.abs(x).max(axis=1) / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0).astype(np.float32)
    v = x * inv[:, None]
    q = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int8)
    blocks = np.empty(x.shape[0], dtype=[("d", "<f2"), ("qs", "i1", 32)])
    blocks["d"], blocks["qs"] = d.astype(np.float16), q
    return blocks.tobytes()


def q4_0(w: np.ndarray) -> bytes:
    x = w.reshape(-1, 32).astype(np.float32)
    idx = np.abs(x).argmax(axis=1)
    m = x[np.arange(x.shape[0]), idx]
    d = (m / -8.0).astype(np.float32)
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0).astype(np.float32)
    q = np.minimum(15, np.floor(x * inv[:, None] + 8.5)).astype(np.uint8)
    qs = q[:, :16] | (q[:, 16:] << 4)
    blocks = np.empty(x.shape[0], dtype=[("d", "<f2"), ("qs", "u1", 16)])
    blocks["d"], blocks["qs"] = d.astype(np.float16), qs
    return blocks.tobytes()


def gstr(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv(key: str, vtype: int, value) -> bytes:
    out = gstr(key) + struct.pack("<I", vtype)
    if vtype == STR:
        return out + gstr(value)
    if vtype == U32:
        return out + struct.pack("<I", value)
    if vtype == I32:
        return out + struct.pack("<i", value)
    if vtype == F32V:
        return out + struct.pack("<f", value)
    if vtype == ARR:
        etype, items = value
        out += struct.pack("<IQ", etype, len(items))
        if etype == STR:
            return out + b"".join(gstr(s) for s in items)
        return out + np.asarray(items, dtype={I32: "<i4", U32: "<u4", F32V: "<f4"}[etype]).tobytes()
    raise ValueError(vtype)


def write(ckpt: str, out_path: str, kind: str) -> None:
    cfg = json.load(open(os.path.join(ckpt, "config.json")))
    tok = json.load(open(os.path.join(ckpt, "tokenizer.json")))
    st = read_safetensors(ckpt)
    L, H, KVH = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    dh = cfg.get("head_dim") or cfg["hidden_size"] // H
    gtype, ftype = TYPES[kind]

    vocab = dict(tok["model"]["vocab"])
    for a in tok["added_tokens"]:
        vocab[a["content"]] = a["id"]
    n_vocab = cfg["vocab_size"]
    tokens = [""] * n_vocab
    for t, i in vocab.items():
        tokens[i] = t
    specials = {a["id"] for a in tok["added_tokens"]}
    types = [3 if i in specials else 1 for i in range(n_vocab)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]

    meta = [
        kv("general.architecture", STR, "llama"),
        kv("general.name", STR, "refusal-lens-bench-llama12-d768"),
        kv("general.file_type", U32, ftype),
        kv("general.alignment", U32, ALIGN),
        kv("llama.context_length", U32, cfg["max_position_embeddings"]),
        kv("llama.embedding_length", U32, cfg["hidden_size"]),
        kv("llama.block_count", U32, L),
        kv("llama.feed_forward_length", U32, cfg["intermediate_size"]),
        kv("llama.rope.dimension_count", U32, dh),
        kv("llama.attention.head_count", U32, H),
        kv("llama.attention.head_count_kv", U32, KVH),
        kv("llama.attention.layer_norm_rms_epsilon", F32V, float(cfg["rms_norm_eps"])),
        kv("llama.rope.freq_base", F32V, float(cfg.get("rope_theta", 10000.0))),
        kv("llama.vocab_size", U32, n_vocab),
        kv("tokenizer.ggml.model", STR, "gpt2"),
        kv("tokenizer.ggml.pre", STR, "default"),
        kv("tokenizer.ggml.tokens", ARR, (STR, tokens)),
        kv("tokenizer.ggml.token_type", ARR, (I32, types)),
        kv("tokenizer.ggml.merges", ARR, (STR, merges)),
        kv("tokenizer.ggml.bos_token_id", U32, cfg["bos_token_id"]),
        kv("tokenizer.ggml.eos_token_id", U32, cfg["eos_token_id"]),
        gstr("tokenizer.ggml.add_bos_token") + struct.pack("<IB", BOOL, 0),
    ]

    names = [("token_embd.weight", "model.embed_tokens.weight")]
    for i in range(L):
        p = f"model.layers.{i}."
        names += [(f"blk.{i}.attn_norm.weight", p + "input_layernorm.weight"),
                  (f"blk.{i}.attn_q.weight", p + "self_attn.q_proj.weight"),
                  (f"blk.{i}.attn_k.weight", p + "self_attn.k_proj.weight"),
                  (f"blk.{i}.attn_v.weight", p + "self_attn.v_proj.weight"),
                  (f"blk.{i}.attn_output.weight", p + "self_attn.o_proj.weight"),
                  (f"blk.{i}.ffn_norm.weight", p + "post_attention_layernorm.weight"),
                  (f"blk.{i}.ffn_gate.weight", p + "mlp.gate_proj.weight"),
                  (f"blk.{i}.ffn_up.weight", p + "mlp.up_proj.weight"),
                  (f"blk.{i}.ffn_down.weight", p + "mlp.down_proj.weight")]
    names.append(("output_norm.weight", "model.norm.weight"))
    names.append(("output.weight", "lm_head.weight" if "lm_head.weight" in st else "model.embed_tokens.weight"))

    infos, blobs, off = [], [], 0
    for gname, hname in names:
        w = st[hname]
        if gname.endswith("attn_q.weight"):
            w = permute(w, H)
        elif gname.endswith("attn_k.weight"):
            w = permute(w, KVH)
        t = gtype if w.ndim == 2 else 0
        data = {0: lambda a: np.ascontiguousarray(a, dtype=np.float32).tobytes(), 8: q8_0, 2: q4_0}[t](w)
        ne = list(reversed(w.shape))
        infos.append(gstr(gname) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne) + struct.pack("<IQ", t, off))
        pad = -len(data) % ALIGN
        blobs.append(data + b"\0" * pad)
        off += len(data) + pad

    head = struct.pack("<IIQQ", GGUF_MAGIC, 3, len(infos), len(meta)) + b"".join(meta) + b"".join(infos)
    head += b"\0" * (-len(head) % ALIGN)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(head)
        for b in blobs:
            f.write(b)
    os.replace(tmp, out_path)
    print(json.dumps({"out": out_path, "type": kind, "bytes": os.path.getsize(out_path)}))


def main() -> None:
    ckpt, out = sys.argv[1], sys.argv[2]
    kinds = sys.argv[3:] or ["f32", "q8_0", "q4_0"]
    os.makedirs(out, exist_ok=True)
    for k in kinds:
        write(ckpt, os.path.join(out, f"model-{k}.gguf"), k)


if __name__ == "__main__":
    main()
