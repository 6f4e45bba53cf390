#!/usr/bin/env python3
"""Write a tiny random Hugging Face-style Qwen2 or Llama model directory (numpy only).

  python3 tools/reference/make_test_model.py OUT_DIR [--arch qwen2|llama] [--dtype F32|BF16|F16]
      [--shards N] [--seed S] [--layers L] [--tie] [--no-llama3]

Writes OUT_DIR/config.json and either OUT_DIR/model.safetensors or
model-0000i-of-0000N.safetensors + model.safetensors.index.json.  The Llama config uses
rope_scaling {"rope_type": "llama3", ...} chosen so that, with head_dim 8, the frequencies
fall in all three llama3 bands (kept / smoothed / divided by factor).

Weights are random float32 rounded to values exactly representable in the chosen dtype
(``representable`` = "BF16"/"F16"/None), so the same seed written as F32 and as BF16
decodes to identical float32 tensors.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, intermediate_size=48, vocab_size=97)


def make_config(arch, layers=2, tie=False, llama3=True):
    c = dict(TINY, num_hidden_layers=layers, rms_norm_eps=1e-6, hidden_act="silu",
             max_position_embeddings=512, tie_word_embeddings=tie, torch_dtype="float32")
    if arch == "qwen2":
        c.update(architectures=["Qwen2ForCausalLM"], model_type="qwen2", rope_theta=10000.0,
                 use_sliding_window=False, sliding_window=4096, max_window_layers=layers)
    elif arch == "llama":
        c.update(architectures=["LlamaForCausalLM"], model_type="llama", rope_theta=10000.0,
                 attention_bias=False, mlp_bias=False)
        if llama3:
            # head_dim 8, theta 1e4: wavelengths 6.3, 63, 628, 6283; bands split at
            # 64/4 = 16 and 64/1 = 64 -> high (kept), medium (smoothed), low, low.
            c["rope_scaling"] = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": 64}
    else:
        raise ValueError(arch)
    return c


def round_to(x, representable):
    x = np.asarray(x, dtype=np.float32)
    if representable == "BF16":  # round-to-nearest-even into the top 16 bits
        u = x.view(np.uint32).astype(np.uint64)
        u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
        return u.astype(np.uint32).view(np.float32)
    if representable == "F16":
        return x.astype(np.float16).astype(np.float32)
    return x


def make_tensors(config, seed=0, representable=None):
    """name -> float32 array, HF tensor names and shapes."""
    rng = np.random.default_rng(seed)
    H, I, V = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    nh, nkv = config["num_attention_heads"], config["num_key_value_heads"]
    hd = config.get("head_dim") or H // nh
    qwen = config["model_type"] == "qwen2"

    def mat(o, i, scale=None):
        return rng.standard_normal((o, i)).astype(np.float32) * np.float32(scale or i ** -0.5)

    def vec(n, base=0.0, scale=0.1):
        return (np.float32(base) + rng.standard_normal(n).astype(np.float32) * np.float32(scale))

    t = {"model.embed_tokens.weight": mat(V, H, 1.0)}
    for l in range(config["num_hidden_layers"]):
        p = f"model.layers.{l}."
        t[p + "input_layernorm.weight"] = vec(H, 1.0)
        t[p + "self_attn.q_proj.weight"] = mat(nh * hd, H)
        t[p + "self_attn.k_proj.weight"] = mat(nkv * hd, H)
        t[p + "self_attn.v_proj.weight"] = mat(nkv * hd, H)
        if qwen or config.get("attention_bias"):
            t[p + "self_attn.q_proj.bias"] = vec(nh * hd, scale=0.5)
            t[p + "self_attn.k_proj.bias"] = vec(nkv * hd, scale=0.5)
            t[p + "self_attn.v_proj.bias"] = vec(nkv * hd, scale=0.5)
        t[p + "self_attn.o_proj.weight"] = mat(H, nh * hd)
        t[p + "post_attention_layernorm.weight"] = vec(H, 1.0)
        t[p + "mlp.gate_proj.weight"] = mat(I, H)
        t[p + "mlp.up_proj.weight"] = mat(I, H)
        t[p + "mlp.down_proj.weight"] = mat(H, I)
    t["model.norm.weight"] = vec(H, 1.0)
    if not config.get("tie_word_embeddings"):
        t["lm_head.weight"] = mat(V, H)
    return {k: round_to(v, representable) for k, v in t.items()}


def encode(arr, dtype):
    a = np.ascontiguousarray(arr, dtype=np.float32)
    if dtype == "F32":
        return a.astype("<f4").tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    if dtype == "BF16":  # truncation; exact for bf16-representable inputs
        return (a.view(np.uint32) >> np.uint32(16)).astype("<u2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, dtype, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, arr in tensors.items():
        b = encode(arr, dtype)
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)  # pad like the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_model(out_dir, arch="qwen2", dtype="F32", shards=1, seed=0, layers=2, tie=False,
                llama3=True, representable="auto", config_overrides=None):
    """Create the model directory; returns (config dict, {name: float32 tensor as stored})."""
    os.makedirs(out_dir, exist_ok=True)
    config = make_config(arch, layers=layers, tie=tie, llama3=llama3)
    config.update(config_overrides or {})
    if representable == "auto":
        representable = None if dtype == "F32" else dtype
    tensors = make_tensors(config, seed=seed, representable=representable)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    names = list(tensors)
    if shards <= 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, dtype,
                          {"format": "pt"})
    else:
        wmap, total = {}, 0
        for s in range(shards):
            part = names[s::shards]  # interleaved, so shards are not contiguous layer ranges
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            write_safetensors(os.path.join(out_dir, fname), {n: tensors[n] for n in part}, dtype,
                              {"format": "pt"})
            for n in part:
                wmap[n] = fname
                total += len(encode(tensors[n], dtype))
        with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": wmap}, f, indent=2)
    return config, tensors


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--arch", choices=["qwen2", "llama"], default="qwen2")
    ap.add_argument("--dtype", choices=["F32", "BF16", "F16"], default="F32")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--tie", action="store_true")
    ap.add_argument("--no-llama3", action="store_true")
    a = ap.parse_args(argv)
    write_model(a.out_dir, a.arch, a.dtype, a.shards, a.seed, a.layers, a.tie, not a.no_llama3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
