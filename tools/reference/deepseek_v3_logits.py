#!/usr/bin/env python3
"""Independent numpy reference for Hugging Face ``DeepseekV3ForCausalLM`` logits (DeepSeek-V3, DeepSeek-R1).

Written from the behaviour of transformers' ``models/deepseek_v3/modeling_deepseek_v3.py`` (eager path, no
KV cache, batch size 1), ``modeling_rope_utils.py`` (``_compute_yarn_parameters``) and DeepSeek-V3's
``inference/model.py`` (expert routing, FP8 block dequantization).  It shares no code with r1stream and
needs only numpy.  Everything is computed in float32, weights upcast to float32.

Input: a Hugging Face model directory.
  * config.json keys read: hidden_size, num_hidden_layers, num_attention_heads, vocab_size, rms_norm_eps,
    rope_theta (10000), max_position_embeddings, q_lora_rank (null = q_proj), kv_lora_rank,
    qk_nope_head_dim, qk_rope_head_dim, v_head_dim, intermediate_size, moe_intermediate_size,
    n_routed_experts, num_experts_per_tok, n_shared_experts, first_k_dense_replace, moe_layer_freq (1),
    n_group, topk_group, norm_topk_prob, routed_scaling_factor, scoring_func (must be sigmoid),
    topk_method (must be noaux_tc), rope_interleave (default true), rope_scaling (null | type yarn),
    tie_word_embeddings (false), quantization_config (fp8, weight_block_size).
  * weights: model.safetensors or model.safetensors.index.json + shards; dtypes F32, F16, BF16, F8_E4M3
    (e4m3fn: bias 7, 3 mantissa bits, no infinities, 0x7f/0xff NaN, subnormals m * 2^-9).  An F8_E4M3
    matrix W (rows, cols) is dequantized as W[i, j] * S[i // br, j // bc] with S = ``<name>_scale_inv``
    (any shard) and (br, bc) = weight_block_size; ``--fp8-dequant-dtype bf16`` then rounds the result to
    bfloat16 (round to nearest even), as DeepSeek's fp8_cast_bf16.py conversion does.

Mirrored behaviour:
  * RMSNorm: w * x / sqrt(mean(x^2) + eps); q_a_layernorm / kv_a_layernorm use eps 1e-6 always.
  * MLA, expanded form: q = q_b(norm(q_a(x))) (or q_proj(x)), per head [q_nope (dn), q_pe (dr)];
    ckv = kv_a_proj_with_mqa(x) = [c (R), k_pe (dr)]; kv = kv_b_proj(norm(c)) per head [k_nope (dn), v (dv)];
    k_pe is one head shared by all; key = [k_nope, rope(k_pe)], query = [q_nope, rope(q_pe)];
    scores * softmax_scale, causal, softmax in float32, @ v, o_proj.
  * softmax_scale = (dn + dr)^-0.5, times yarn_get_mscale(factor, mscale_all_dim)^2 when rope_scaling has
    mscale_all_dim (yarn_get_mscale(s, m) = 0.1 m ln(s) + 1 for s > 1, else 1).
  * RoPE with rope_interleave: the head vector is de-interleaved ([x0, x2, ..., x1, x3, ...]) then
    x * cos + rotate_half(x) * sin, cos/sin = cat(freqs, freqs) with freqs = pos * inv_freq (float32),
    multiplied by the yarn attention_factor.  YaRN inverse frequencies (dim = qk_rope_head_dim):
    pos_freqs = theta^(arange(0, dim, 2) / dim); extrapolation 1/pos_freqs, interpolation 1/(factor pos_freqs);
    correction range low = max(floor(d(beta_fast)), 0), high = min(ceil(d(beta_slow)), dim - 1) with
    d(r) = dim ln(orig / (r 2 pi)) / (2 ln theta); ramp = clip((i - low) / (high - low), 0, 1);
    inv_freq = interp * ramp + extrap * (1 - ramp); attention_factor = m(factor, mscale) / m(factor, mscale_all_dim)
    when both are set, else m(factor, 1).  ``factor`` is rope_scaling.factor (configs written with
    max_position_embeddings = factor * original give the same factor in every transformers version).
  * MoE (layer >= first_k_dense_replace and layer % moe_layer_freq == 0): scores = sigmoid(x @ gate.T) in
    float32; choice = scores + e_score_correction_bias; group score = sum of the group's top-2 choices;
    keep the topk_group best groups, other experts masked to -inf (DeepSeek's inference code; transformers
    masks with 0.0, which agrees whenever choice scores are positive, as in generated models); top-k experts
    by choice; weights = unbiased scores of those, / their sum when norm_topk_prob, * routed_scaling_factor;
    out = sum_k w_k expert_k(x) + shared_experts(x) (one MLP of n_shared_experts * moe_intermediate_size).
  * MLP: down(silu(gate(x)) * up(x)).  Decoder layer: x += attn(norm1(x)); x += mlp(norm2(x)).
  * Layers at index >= num_hidden_layers (multi-token prediction) are ignored, as transformers does.

CLI
  python3 tools/reference/deepseek_v3_logits.py --model DIR --token-ids 1,2,3 [--all-positions]
      [--fp8-dequant-dtype f32|bf16]
  prints one JSON line {"token_ids": [...], "logits": [...]} (last position, or one list per position).
  Errors go to stderr with exit status 2.
"""

import argparse
import json
import math
import os
import struct
import sys

import numpy as np


class RefError(Exception):
    pass


# ----------------------------------------------------------------------------- dtypes

def _e4m3fn_table():
    """All 256 e4m3fn codes as float32, from the bit layout."""
    t = np.zeros(256, dtype=np.float32)
    for code in range(256):
        s = -1.0 if code & 0x80 else 1.0
        e = (code >> 3) & 0xF
        m = code & 0x7
        if e == 0xF and m == 0x7:
            t[code] = np.nan
        elif e == 0:
            t[code] = s * m * 2.0 ** -9
        else:
            t[code] = s * (1.0 + m / 8.0) * 2.0 ** (e - 7)
    return t


E4M3FN = _e4m3fn_table()

_SIZES = {"F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F64": 8}


def bf16_bits_to_f32(bits):
    return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)


def f32_to_bf16_rne(x):
    """float32 -> bfloat16 (round to nearest even) -> float32."""
    b = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
    return (rounded.astype(np.uint32) << np.uint32(16)).view(np.float32)


# ----------------------------------------------------------------------------- safetensors

class Tensors:
    """Tensor lookup across model.safetensors or an index + shards."""

    def __init__(self, model_dir):
        index = os.path.join(model_dir, "model.safetensors.index.json")
        single = os.path.join(model_dir, "model.safetensors")
        self.where = {}
        self.headers = {}
        if os.path.isfile(index):
            with open(index) as f:
                wm = json.load(f).get("weight_map")
            if not isinstance(wm, dict):
                raise RefError(f"{index}: no weight_map")
            for name, shard in wm.items():
                self.where[name] = os.path.join(model_dir, shard)
        elif os.path.isfile(single):
            for name in self._header(single):
                self.where[name] = single
        else:
            raise RefError(f"no safetensors in {model_dir}")

    def _header(self, path):
        if path not in self.headers:
            with open(path, "rb") as f:
                (n,) = struct.unpack("<Q", f.read(8))
                h = json.loads(f.read(n))
            h.pop("__metadata__", None)
            self.headers[path] = (8 + n, h)
        return self.headers[path][1]

    def has(self, name):
        return name in self.where

    def raw(self, name):
        if name not in self.where:
            raise RefError(f"tensor {name} is missing")
        path = self.where[name]
        h = self._header(path)
        start = self.headers[path][0]
        info = h[name]
        dt = info["dtype"]
        shape = tuple(info["shape"])
        b, e = info["data_offsets"]
        with open(path, "rb") as f:
            f.seek(start + b)
            data = f.read(e - b)
        count = int(np.prod(shape, dtype=np.int64))
        if dt not in _SIZES or len(data) != count * _SIZES[dt]:
            raise RefError(f"{name}: dtype {dt} / size mismatch")
        return data, dt, shape

    def f32(self, name, fp8_dequant="f32", block=None):
        data, dt, shape = self.raw(name)
        if dt == "F32":
            return np.frombuffer(data, dtype="<f4").reshape(shape).astype(np.float32)
        if dt == "F16":
            return np.frombuffer(data, dtype="<f2").reshape(shape).astype(np.float32)
        if dt == "BF16":
            return bf16_bits_to_f32(np.frombuffer(data, dtype="<u2")).reshape(shape)
        if dt == "F64":
            return np.frombuffer(data, dtype="<f8").reshape(shape).astype(np.float32)
        # F8_E4M3: block-scaled
        if block is None:
            raise RefError(f"{name} is F8_E4M3 but config.json has no quantization_config.weight_block_size")
        w = E4M3FN[np.frombuffer(data, dtype=np.uint8)].reshape(shape)
        s = self.f32(name + "_scale_inv")
        br, bc = block
        rows, cols = shape
        if s.shape != (-(-rows // br), -(-cols // bc)):
            raise RefError(f"{name}_scale_inv shape {s.shape} does not fit {shape} in {br}x{bc} blocks")
        full = np.repeat(np.repeat(s, br, axis=0), bc, axis=1)[:rows, :cols]
        out = (w * full).astype(np.float32)
        return f32_to_bf16_rne(out) if fp8_dequant == "bf16" else out


# ----------------------------------------------------------------------------- math

def rms_norm(x, w, eps):
    var = np.mean(x * x, axis=-1, keepdims=True, dtype=np.float32)
    return (w * (x / np.sqrt(var + np.float32(eps)))).astype(np.float32)


def silu(x):
    return x / (np.float32(1) + np.exp(-x))


def softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def yarn_get_mscale(scale, mscale):
    return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0


def rope_tables(cfg, positions):
    """cos/sin (T, dim) for the rope parts, as transformers' DeepseekV3RotaryEmbedding computes them."""
    dim = cfg["qk_rope_head_dim"]
    base = float(cfg.get("rope_theta", 10000.0))
    exps = np.arange(0, dim, 2, dtype=np.float32) / np.float32(dim)
    pos_freqs = np.power(np.float32(base), exps).astype(np.float32)
    rs = cfg.get("rope_scaling")
    attention_factor = 1.0
    if rs:
        kind = rs.get("type", rs.get("rope_type"))
        if kind != "yarn":
            raise RefError(f"rope_scaling type {kind} not supported")
        factor = float(rs["factor"])
        orig = rs["original_max_position_embeddings"]
        mscale, mscale_all = rs.get("mscale"), rs.get("mscale_all_dim")
        if mscale and mscale_all:
            attention_factor = yarn_get_mscale(factor, mscale) / yarn_get_mscale(factor, mscale_all)
        else:
            attention_factor = yarn_get_mscale(factor, 1.0)
        beta_fast = rs.get("beta_fast") or 32
        beta_slow = rs.get("beta_slow") or 1

        def corr(rot):
            return dim * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(base))

        low = max(math.floor(corr(beta_fast)), 0)
        high = min(math.ceil(corr(beta_slow)), dim - 1)
        if low == high:
            high += 0.001
        ramp = np.clip((np.arange(dim // 2, dtype=np.float32) - low) / (high - low), 0, 1).astype(np.float32)
        extrap_factor = np.float32(1) - ramp
        extrap = np.float32(1) / pos_freqs
        interp = np.float32(1) / (np.float32(factor) * pos_freqs)
        inv_freq = (interp * (np.float32(1) - extrap_factor) + extrap * extrap_factor).astype(np.float32)
    else:
        inv_freq = (np.float32(1) / pos_freqs).astype(np.float32)
    freqs = np.asarray(positions, dtype=np.float32)[:, None] * inv_freq[None, :]
    emb = np.concatenate([freqs, freqs], axis=-1)
    return (np.cos(emb) * np.float32(attention_factor)).astype(np.float32), \
           (np.sin(emb) * np.float32(attention_factor)).astype(np.float32)


def apply_rope(x, cos, sin, interleave):
    """x (..., T, d); cos/sin (T, d)."""
    d = x.shape[-1]
    if interleave:
        x = x.reshape(*x.shape[:-1], d // 2, 2).swapaxes(-1, -2).reshape(x.shape)
    half = d // 2
    rot = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return (x * cos + rot * sin).astype(np.float32)


# ----------------------------------------------------------------------------- model

class Model:
    def __init__(self, model_dir, fp8_dequant="f32"):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = cfg = json.load(f)
        arch = (cfg.get("architectures") or [cfg.get("model_type")])[0]
        if arch not in ("DeepseekV3ForCausalLM", "deepseek_v3"):
            raise RefError(f"architecture {arch} is not DeepseekV3ForCausalLM")
        if cfg.get("scoring_func", "sigmoid") != "sigmoid" or cfg.get("topk_method", "noaux_tc") != "noaux_tc":
            raise RefError("only scoring_func sigmoid / topk_method noaux_tc is implemented")
        self.t = Tensors(model_dir)
        qc = cfg.get("quantization_config")
        self.block = tuple(qc["weight_block_size"]) if qc else None
        self.fp8_dequant = fp8_dequant

    def w(self, name):
        return self.t.f32(name, self.fp8_dequant, self.block)

    def mlp(self, p, x):
        g = x @ self.w(p + "gate_proj.weight").T
        u = x @ self.w(p + "up_proj.weight").T
        return (silu(g) * u) @ self.w(p + "down_proj.weight").T

    def moe(self, p, x):
        c = self.cfg
        E, k = c["n_routed_experts"], c["num_experts_per_tok"]
        G, TG = c["n_group"], c["topk_group"]
        scores = np.float32(1) / (np.float32(1) + np.exp(-(x @ self.w(p + "gate.weight").T)))  # (T, E)
        choice = scores + self.w(p + "gate.e_score_correction_bias")[None, :]
        T = x.shape[0]
        grouped = choice.reshape(T, G, E // G)
        top2 = np.sort(grouped, axis=-1)[..., ::-1][..., :2].sum(-1) if E // G > 1 else grouped[..., 0]
        out = np.zeros_like(x)
        for t in range(T):
            groups = np.argsort(-top2[t], kind="stable")[:TG]
            masked = np.full(E, -np.inf, dtype=np.float32)
            for g in groups:
                masked[g * (E // G):(g + 1) * (E // G)] = choice[t, g * (E // G):(g + 1) * (E // G)]
            chosen = np.argsort(-masked, kind="stable")[:k]
            wts = scores[t, chosen]
            if c.get("norm_topk_prob", False):
                wts = wts / (wts.sum() + np.float32(1e-20))
            wts = wts * np.float32(c.get("routed_scaling_factor", 1.0))
            for e, wt in zip(chosen, wts):
                out[t] += wt * self.mlp(p + f"experts.{e}.", x[t:t + 1])[0]
        if c.get("n_shared_experts"):
            out = out + self.mlp(p + "shared_experts.", x)
        return out.astype(np.float32)

    def attention(self, p, x, cos, sin):
        c = self.cfg
        T = x.shape[0]
        H, dn, dr, dv, R = c["num_attention_heads"], c["qk_nope_head_dim"], c["qk_rope_head_dim"], \
            c["v_head_dim"], c["kv_lora_rank"]
        if c.get("q_lora_rank"):
            qa = rms_norm(x @ self.w(p + "q_a_proj.weight").T, self.w(p + "q_a_layernorm.weight"), 1e-6)
            q = qa @ self.w(p + "q_b_proj.weight").T
        else:
            q = x @ self.w(p + "q_proj.weight").T
        q = q.reshape(T, H, dn + dr).transpose(1, 0, 2)  # (H, T, dn + dr)
        q_nope, q_pe = q[..., :dn], q[..., dn:]
        ckv = x @ self.w(p + "kv_a_proj_with_mqa.weight").T
        latent, k_pe = ckv[:, :R], ckv[:, R:]
        kv = rms_norm(latent, self.w(p + "kv_a_layernorm.weight"), 1e-6) @ self.w(p + "kv_b_proj.weight").T
        kv = kv.reshape(T, H, dn + dv).transpose(1, 0, 2)  # (H, T, dn + dv)
        k_nope, v = kv[..., :dn], kv[..., dn:]
        interleave = c.get("rope_interleave", True)
        q_pe = apply_rope(q_pe, cos, sin, interleave)
        k_pe = apply_rope(k_pe[None], cos, sin, interleave)  # (1, T, dr)
        query = np.concatenate([q_nope, q_pe], axis=-1)
        key = np.concatenate([k_nope, np.broadcast_to(k_pe, (H, T, dr))], axis=-1)
        scale = (dn + dr) ** -0.5
        rs = c.get("rope_scaling")
        if rs and rs.get("mscale_all_dim"):
            m = yarn_get_mscale(float(rs["factor"]), float(rs["mscale_all_dim"]))
            scale = scale * m * m
        s = (query @ key.transpose(0, 2, 1)) * np.float32(scale)
        s = s + np.triu(np.full((T, T), -np.inf, dtype=np.float32), 1)[None]
        o = softmax(s.astype(np.float32)) @ v  # (H, T, dv)
        o = o.transpose(1, 0, 2).reshape(T, H * dv)
        return o @ self.w(p + "o_proj.weight").T

    def logits(self, ids, all_positions=False):
        c = self.cfg
        V = c["vocab_size"]
        if any(i < 0 or i >= V for i in ids):
            raise RefError(f"token id out of range [0, {V})")
        eps = c["rms_norm_eps"]
        x = self.w("model.embed_tokens.weight")[ids]
        cos, sin = rope_tables(c, range(len(ids)))
        for layer in range(c["num_hidden_layers"]):
            p = f"model.layers.{layer}."
            x = x + self.attention(p + "self_attn.", rms_norm(x, self.w(p + "input_layernorm.weight"), eps), cos, sin)
            hn = rms_norm(x, self.w(p + "post_attention_layernorm.weight"), eps)
            moe = (c.get("n_routed_experts") and layer >= c.get("first_k_dense_replace", 0)
                   and layer % c.get("moe_layer_freq", 1) == 0)
            x = x + (self.moe(p + "mlp.", hn) if moe else self.mlp(p + "mlp.", hn))
        x = rms_norm(x, self.w("model.norm.weight"), eps)
        if not all_positions:
            x = x[-1:]
        head = self.w("model.embed_tokens.weight" if c.get("tie_word_embeddings") else "lm_head.weight")
        out = (x @ head.T).astype(np.float32)
        return out if all_positions else out[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description="numpy reference logits for HF DeepseekV3ForCausalLM models")
    ap.add_argument("--model", required=True)
    ap.add_argument("--token-ids", required=True, help="comma-separated token ids")
    ap.add_argument("--all-positions", action="store_true")
    ap.add_argument("--fp8-dequant-dtype", choices=["f32", "bf16"], default="f32",
                    help="dtype FP8 weights are dequantized to (bf16 = DeepSeek's fp8_cast_bf16 conversion)")
    args = ap.parse_args(argv)
    try:
        ids = [int(t) for t in args.token_ids.split(",") if t.strip()]
        logits = Model(args.model, args.fp8_dequant_dtype).logits(ids, args.all_positions)
    except (RefError, ValueError, KeyError, OSError) as e:
        print(f"deepseek_v3_logits.py: error: {e}", file=sys.stderr)
        return 2
    out = {"token_ids": ids, "logits": logits.astype(np.float64).tolist()}
    sys.stdout.write(json.dumps(out, separators=(",", ":"), allow_nan=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
