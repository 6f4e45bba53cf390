#!/usr/bin/env python3
"""Write a Hugging Face Qwen2 / Llama model directory as a GGUF file for llama.cpp (the peer figures).

The same tensors r1stream loads, so both engines run identical weights:
  python3 tools/peer/write_gguf.py --model DIR --out FILE.gguf [--type f16|f32]
then llama.cpp's own quantizer for the 8- and 4-bit files (--pure: every matrix, embeddings included, in
that type, like r1stream's int8/q4):
  llama-quantize --pure FILE-f16.gguf FILE-q8_0.gguf Q8_0
  llama-quantize --pure FILE-f16.gguf FILE-q4_0.gguf Q4_0

Needs numpy and llama.cpp's gguf-py (PYTHONPATH=<llama.cpp>/gguf-py). The vocabulary is padded to
vocab_size with unused placeholder tokens (llama.cpp requires one token per embedding row).
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import hf_logits  # noqa: E402  (safetensors reader, bf16 -> f32)

import gguf  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--type", default="f16", choices=["f16", "f32"])
    a = ap.parse_args()
    cfg = hf_logits.Config(a.model)
    c = cfg.raw
    w = hf_logits.Weights(a.model)
    arch = cfg.arch  # qwen2 | llama
    out = gguf.GGUFWriter(a.out, arch)
    out.add_name(os.path.basename(os.path.normpath(a.model)))
    out.add_context_length(int(c.get("max_position_embeddings", 4096)))
    out.add_embedding_length(cfg.hidden)
    out.add_block_count(cfg.layers)
    out.add_feed_forward_length(cfg.inter)
    out.add_head_count(cfg.heads)
    out.add_head_count_kv(cfg.kv_heads)
    out.add_rope_freq_base(float(c.get("rope_theta", 10000.0)))
    out.add_layer_norm_rms_eps(float(c.get("rms_norm_eps", 1e-6)))
    out.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if a.type == "f16" else gguf.LlamaFileType.ALL_F32)

    tok = json.load(open(os.path.join(a.model, "tokenizer.json"), encoding="utf-8"))
    vocab = cfg.vocab
    tokens = ["[PAD%d]" % i for i in range(vocab)]
    types = [gguf.TokenType.UNUSED] * vocab
    for t, i in tok["model"]["vocab"].items():
        tokens[i] = t
        types[i] = gguf.TokenType.NORMAL
    for t in tok.get("added_tokens", []):
        tokens[t["id"]] = t["content"]
        types[t["id"]] = gguf.TokenType.CONTROL if t.get("special") else gguf.TokenType.USER_DEFINED
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
    out.add_tokenizer_model("gpt2")
    out.add_tokenizer_pre("qwen2" if arch == "qwen2" else "llama-bpe")
    out.add_token_list(tokens)
    out.add_token_types(types)
    out.add_token_merges(merges)
    if c.get("bos_token_id") is not None:
        out.add_bos_token_id(int(c["bos_token_id"]))
    if c.get("eos_token_id") is not None:
        out.add_eos_token_id(int(c["eos_token_id"]))

    mat = np.float16 if a.type == "f16" else np.float32

    def put(name, hf, matrix=True):
        v = w.get(hf)
        out.add_tensor(name, v.astype(mat) if matrix and v.ndim == 2 else v.astype(np.float32))

    put("token_embd.weight", "model.embed_tokens.weight")
    for l in range(cfg.layers):
        p = f"model.layers.{l}."
        b = f"blk.{l}."
        put(b + "attn_norm.weight", p + "input_layernorm.weight")
        for x, y in (("q", "q_proj"), ("k", "k_proj"), ("v", "v_proj")):
            put(b + f"attn_{x}.weight", p + f"self_attn.{y}.weight")
            if w.has(p + f"self_attn.{y}.bias"):
                put(b + f"attn_{x}.bias", p + f"self_attn.{y}.bias")
        put(b + "attn_output.weight", p + "self_attn.o_proj.weight")
        put(b + "ffn_norm.weight", p + "post_attention_layernorm.weight")
        put(b + "ffn_gate.weight", p + "mlp.gate_proj.weight")
        put(b + "ffn_up.weight", p + "mlp.up_proj.weight")
        put(b + "ffn_down.weight", p + "mlp.down_proj.weight")
    put("output_norm.weight", "model.norm.weight")
    if not cfg.tie:
        put("output.weight", "lm_head.weight")
    out.write_header_to_file()
    out.write_kv_data_to_file()
    out.write_tensors_to_file()
    out.close()
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
