#!/usr/bin/env python3
"""Independent numpy reference for Hugging Face ``Qwen2ForCausalLM`` / ``LlamaForCausalLM`` logits.

Written from the behaviour of transformers' ``models/qwen2/modeling_qwen2.py`` and
``models/llama/modeling_llama.py`` (eager attention path, no KV cache, batch size 1),
plus ``modeling_rope_utils.py`` for the RoPE frequencies.  It shares no code with
r1stream and needs only numpy.

Input (a Hugging Face model directory)
  * ``config.json``: ``architectures[0]`` (or ``model_type``) must be Qwen2ForCausalLM/qwen2
    or LlamaForCausalLM/llama.  Read keys: hidden_size, num_hidden_layers,
    num_attention_heads, num_key_value_heads (default = num_attention_heads),
    head_dim (default hidden_size // num_attention_heads), intermediate_size,
    vocab_size, rms_norm_eps (default 1e-6), rope_theta (default 10000),
    rope_scaling (None | {"rope_type"/"type": "default"|"linear"|"llama3", ...}),
    tie_word_embeddings (default False for both architectures), hidden_act (must be
    "silu"), attention_bias / mlp_bias (Llama only, default False),
    use_sliding_window (Qwen2; must be false -- sliding window is not implemented).
    transformers-v5 style ``rope_parameters`` (rope_theta/rope_type inside) is accepted too.
  * weights: ``model.safetensors`` or ``model.safetensors.index.json`` (``weight_map``:
    tensor name -> shard file).  safetensors is parsed here: 8-byte little-endian
    header length, JSON header {name: {dtype, shape, data_offsets}} (``__metadata__``
    ignored), then the raw little-endian bytes, relative to the end of the header.
    dtypes F32, F16, BF16 (bf16 -> f32 by ``uint32(u16) << 16``), F64.

Tensor names (HF checkpoint layout, ``N`` = layer index):
  model.embed_tokens.weight                       [vocab, hidden]
  model.layers.N.input_layernorm.weight           [hidden]
  model.layers.N.self_attn.q_proj.weight|bias     [heads*head_dim, hidden] (+bias Qwen2 always;
  model.layers.N.self_attn.k_proj.weight|bias     [kv_heads*head_dim, hidden]  Llama only when
  model.layers.N.self_attn.v_proj.weight|bias     [kv_heads*head_dim, hidden]  attention_bias)
  model.layers.N.self_attn.o_proj.weight(|bias)   [hidden, heads*head_dim] (bias: Llama+attention_bias)
  model.layers.N.post_attention_layernorm.weight  [hidden]
  model.layers.N.mlp.gate_proj.weight(|bias)      [inter, hidden]   (bias: Llama+mlp_bias)
  model.layers.N.mlp.up_proj.weight(|bias)        [inter, hidden]
  model.layers.N.mlp.down_proj.weight(|bias)      [hidden, inter]
  model.norm.weight                               [hidden]
  lm_head.weight                                  [vocab, hidden]  (embed_tokens if tied)

Mirrored behaviour (everything in float32; weights upcast to float32):
  * nn.Linear: y = x @ W.T (+ b).
  * Qwen2RMSNorm / LlamaRMSNorm: x * rsqrt(mean(x^2, -1) + eps), then weight * (that).
  * RoPE (default init): inv_freq = 1 / theta ** (arange(0, head_dim, 2) / head_dim) in f32;
    "linear": inv_freq / factor; "llama3": ``_compute_llama3_parameters`` (factor,
    low_freq_factor, high_freq_factor, original_max_position_embeddings; wavelengths above
    old_ctx/low_freq_factor divided by factor, below old_ctx/high_freq_factor kept, the
    band in between smoothly interpolated).  freqs = pos * inv_freq, emb = cat(freqs, freqs),
    q' = q*cos + rotate_half(q)*sin with rotate_half(x) = cat(-x[half:], x[:half]).
    Positions are 0..T-1 (no cache).
  * Attention: repeat_kv (each kv head serves num_heads/num_kv_heads consecutive q heads),
    scores = q @ k^T * head_dim**-0.5, additive causal mask (-inf above the diagonal),
    softmax in float32, @ v, heads concatenated, o_proj.
  * Decoder layer: x += attn(norm1(x)); x += down(silu(gate(h)) * up(h)), h = norm2(x).
  * Final model.norm, then lm_head (or embed_tokens when tie_word_embeddings is true).
  Not mirrored: sliding-window attention, dropout (inference), torch's exact cos/sin/exp
  ulps and BLAS summation order (expect ~1e-5 relative agreement with torch float32).

CLI
  python3 tools/reference/hf_logits.py --model DIR --token-ids 1,2,3 [--all-positions]
  prints one JSON line {"token_ids":[...],"logits":[...]} -- logits of the last position
  (vocab_size floats) or, with --all-positions, one list per position.  Each float is the
  exact float32 value written as the shortest float64 repr, so np.float32(v) round-trips.
  Errors (bad directory/config/weights, unknown architecture, token id out of range)
  go to stderr, exit status 2.
"""

import argparse
import json
import math
import os
import struct
import sys

import numpy as np


class RefError(Exception):
    """A user-facing error: printed and turned into exit status 2."""


# ----------------------------------------------------------------------------- safetensors

_ST_DTYPES = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # raw bits, converted by bf16_to_f32
    "F64": np.dtype("<f8"),
    "I32": np.dtype("<i4"),      # GPTQ/AWQ packed codes (see quantized.py)
    "F8_E4M3": np.dtype("<u1"),  # FP8 bytes, decoded by quantized.py
}


def bf16_to_f32(bits):
    """bfloat16 bit patterns (uint16) -> float32: put the 16 bits in the high half."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


def to_f32(raw, st_dtype):
    if st_dtype == "BF16":
        return bf16_to_f32(raw)
    return np.asarray(raw).astype(np.float32)  # always a copy (not tied to the memmap)


class SafetensorsFile:
    def __init__(self, path):
        self.path = path
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                head = f.read(8)
                if len(head) != 8:
                    raise RefError(f"{path}: too short to be a safetensors file")
                (n,) = struct.unpack("<Q", head)
                if n > size - 8:
                    raise RefError(f"{path}: header length {n} exceeds file size {size}")
                header = json.loads(f.read(n).decode("utf-8"))
        except OSError as e:
            raise RefError(f"cannot read {path}: {e}") from e
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise RefError(f"{path}: bad safetensors JSON header: {e}") from e
        header.pop("__metadata__", None)
        self.data_start = 8 + n
        self.data_len = size - self.data_start
        self.tensors = header
        self._mm = np.memmap(path, dtype=np.uint8, mode="r") if size > 0 else None

    def raw(self, name):
        """(array view on the mapped bytes, safetensors dtype string)."""
        info = self.tensors[name]
        st_dtype = info["dtype"]
        if st_dtype not in _ST_DTYPES:
            raise RefError(f"{self.path}: tensor {name}: unsupported dtype {st_dtype}")
        dt = _ST_DTYPES[st_dtype]
        shape = tuple(int(s) for s in info["shape"])
        begin, end = (int(o) for o in info["data_offsets"])
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * dt.itemsize or begin < 0 or end > self.data_len:
            raise RefError(f"{self.path}: tensor {name}: data_offsets {begin}..{end} do not "
                           f"match shape {list(shape)} x {st_dtype} (data size {self.data_len})")
        arr = np.frombuffer(self._mm, dtype=dt, count=count, offset=self.data_start + begin)
        return arr.reshape(shape), st_dtype


class Weights:
    """Tensor lookup across model.safetensors or an index + shards; float32 on demand."""

    def __init__(self, model_dir):
        single = os.path.join(model_dir, "model.safetensors")
        index = os.path.join(model_dir, "model.safetensors.index.json")
        self.files = {}
        self.where = {}
        if os.path.isfile(index):
            try:
                with open(index, "r", encoding="utf-8") as f:
                    wmap = json.load(f)["weight_map"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise RefError(f"{index}: cannot read weight_map: {e}") from e
            for name, fname in wmap.items():
                if fname not in self.files:
                    p = os.path.join(model_dir, fname)
                    if not os.path.isfile(p):
                        raise RefError(f"{index}: shard {fname} (for {name}) not found")
                    self.files[fname] = SafetensorsFile(p)
                if name not in self.files[fname].tensors:
                    raise RefError(f"{index}: {name} is not in shard {fname}")
                self.where[name] = self.files[fname]
        elif os.path.isfile(single):
            st = SafetensorsFile(single)
            self.files["model.safetensors"] = st
            for name in st.tensors:
                self.where[name] = st
        else:
            raise RefError(f"{model_dir}: neither model.safetensors nor "
                           f"model.safetensors.index.json found")

    def has(self, name):
        return name in self.where

    def raw(self, name):
        if name not in self.where:
            raise RefError(f"missing tensor {name}")
        return self.where[name].raw(name)

    def shape(self, name):
        return self.raw(name)[0].shape

    def get(self, name, shape=None):
        raw, st_dtype = self.raw(name)
        if shape is not None and tuple(raw.shape) != tuple(shape):
            raise RefError(f"tensor {name}: shape {list(raw.shape)}, expected {list(shape)}")
        return to_f32(raw, st_dtype)

    def rows(self, name, ids):
        raw, st_dtype = self.raw(name)
        return to_f32(raw[np.asarray(ids, dtype=np.int64)], st_dtype)


# ----------------------------------------------------------------------------- config

_ARCHS = {"Qwen2ForCausalLM": "qwen2", "LlamaForCausalLM": "llama"}


class Config:
    def __init__(self, model_dir):
        path = os.path.join(model_dir, "config.json")
        if not os.path.isdir(model_dir):
            raise RefError(f"{model_dir}: not a directory")
        if not os.path.isfile(path):
            raise RefError(f"{model_dir}: no config.json")
        try:
            with open(path, "r", encoding="utf-8") as f:
                c = json.load(f)
        except (OSError, ValueError) as e:
            raise RefError(f"{path}: {e}") from e
        self.raw = c
        archs = c.get("architectures") or []
        arch = None
        for a in archs:
            if a in _ARCHS:
                arch = _ARCHS[a]
                break
        if arch is None and not archs and c.get("model_type") in ("qwen2", "llama"):
            arch = c["model_type"]
        if arch is None:
            raise RefError(f"unknown architecture {archs or c.get('model_type')!r}; "
                           f"supported: Qwen2ForCausalLM, LlamaForCausalLM")
        self.arch = arch
        try:
            self.hidden = int(c["hidden_size"])
            self.layers = int(c["num_hidden_layers"])
            self.heads = int(c["num_attention_heads"])
            self.kv_heads = int(c.get("num_key_value_heads") or self.heads)
            self.inter = int(c["intermediate_size"])
            self.vocab = int(c["vocab_size"])
        except (KeyError, TypeError, ValueError) as e:
            raise RefError(f"config.json: missing/invalid key {e}") from e
        self.head_dim = int(c.get("head_dim") or self.hidden // self.heads)
        self.eps = float(c.get("rms_norm_eps", 1e-6))
        rp = c.get("rope_parameters") if isinstance(c.get("rope_parameters"), dict) else None
        self.rope_theta = float(c.get("rope_theta", (rp or {}).get("rope_theta", 10000.0)))
        rs = c.get("rope_scaling")
        if rs is None and rp is not None and rp.get("rope_type", "default") != "default":
            rs = rp
        self.rope_scaling = rs
        self.tie = bool(c.get("tie_word_embeddings", False))
        if c.get("hidden_act", "silu") != "silu":
            raise RefError(f"hidden_act {c.get('hidden_act')!r} not supported (only silu)")
        if self.heads % self.kv_heads:
            raise RefError("num_attention_heads must be a multiple of num_key_value_heads")
        if float(c.get("partial_rotary_factor", 1.0)) != 1.0:
            raise RefError("partial_rotary_factor != 1 not supported")
        if arch == "qwen2":
            if c.get("use_sliding_window", False):
                raise RefError("use_sliding_window=true not supported")
            self.qkv_bias, self.o_bias, self.mlp_bias = True, False, False
        else:
            ab = bool(c.get("attention_bias", False))
            self.qkv_bias, self.o_bias = ab, ab
            self.mlp_bias = bool(c.get("mlp_bias", False))


# ----------------------------------------------------------------------------- math

def rope_inv_freq(cfg):
    """transformers modeling_rope_utils: default / linear / llama3 inverse frequencies (f32)."""
    dim = cfg.head_dim
    exps = np.arange(0, dim, 2, dtype=np.int64).astype(np.float32) / np.float32(dim)
    inv_freq = (np.float32(1.0) / (np.float32(cfg.rope_theta) ** exps)).astype(np.float32)
    rs = cfg.rope_scaling
    if not rs:
        return inv_freq
    rtype = rs.get("rope_type", rs.get("type", "default"))
    if rtype == "default":
        return inv_freq
    if rtype == "linear":
        return (inv_freq / np.float32(rs["factor"])).astype(np.float32)
    if rtype == "llama3":
        factor = float(rs["factor"])
        low_ff = float(rs["low_freq_factor"])
        high_ff = float(rs["high_freq_factor"])
        old_ctx = float(rs["original_max_position_embeddings"])
        low_freq_wavelen = old_ctx / low_ff
        high_freq_wavelen = old_ctx / high_ff
        wavelen = np.float32(2 * math.pi) / inv_freq
        inv_l = np.where(wavelen > low_freq_wavelen, inv_freq / np.float32(factor), inv_freq)
        smooth = (np.float32(old_ctx) / wavelen - np.float32(low_ff)) / np.float32(high_ff - low_ff)
        smoothed = (np.float32(1) - smooth) * inv_l / np.float32(factor) + smooth * inv_l
        medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
        return np.where(medium, smoothed, inv_l).astype(np.float32)
    raise RefError(f"rope_scaling type {rtype!r} not supported (default, linear, llama3)")


def rope_cos_sin(cfg, n):
    inv_freq = rope_inv_freq(cfg)
    pos = np.arange(n, dtype=np.float32)
    freqs = (pos[:, None] * inv_freq[None, :]).astype(np.float32)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb).astype(np.float32), np.sin(emb).astype(np.float32)


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def apply_rope(x, cos, sin):  # x [heads, T, head_dim], cos/sin [T, head_dim]
    return (x * cos[None] + rotate_half(x) * sin[None]).astype(np.float32)


def rms_norm(x, w, eps):
    var = np.mean(x * x, axis=-1, keepdims=True, dtype=np.float32)
    return (w * (x * (np.float32(1.0) / np.sqrt(var + np.float32(eps))))).astype(np.float32)


def linear(x, w, b=None):
    y = x @ w.T
    if b is not None:
        y = y + b
    return y.astype(np.float32)


def silu(x):
    with np.errstate(over="ignore"):
        return (x / (np.float32(1.0) + np.exp(-x))).astype(np.float32)


def softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return (e / np.sum(e, axis=-1, keepdims=True)).astype(np.float32)


# ----------------------------------------------------------------------------- model

class Model:
    def __init__(self, model_dir):
        self.cfg = Config(model_dir)
        self.w = Weights(model_dir)
        if self.cfg.raw.get("quantization_config"):  # GPTQ / AWQ / FP8: dequantize, then the same forward
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import quantized
            self.w = quantized.DequantizingWeights(self.w, self.cfg.raw["quantization_config"], RefError)
        c = self.cfg
        es = self.w.shape("model.embed_tokens.weight")
        if len(es) != 2 or es[1] != c.hidden:
            raise RefError(f"model.embed_tokens.weight shape {list(es)} != [*, {c.hidden}]")
        self.embed_rows = es[0]
        if c.tie:
            self.head_name = "model.embed_tokens.weight"
        elif self.w.has("lm_head.weight"):
            self.head_name = "lm_head.weight"
        else:
            raise RefError("tie_word_embeddings is false but lm_head.weight is missing")

    def check_ids(self, ids):
        limit = min(self.cfg.vocab, self.embed_rows)
        if not ids:
            raise RefError("no token ids given")
        for t in ids:
            if t < 0 or t >= limit:
                raise RefError(f"token id {t} out of range [0, {limit})")

    def _lin(self, prefix, out_f, in_f, bias):
        W = self.w.get(prefix + ".weight", (out_f, in_f))
        b = self.w.get(prefix + ".bias", (out_f,)) if bias else None
        return W, b

    def hidden_states(self, ids):
        """Final-normed hidden states [T, hidden] (float32)."""
        c = self.cfg
        self.check_ids(ids)
        T = len(ids)
        H, nh, nkv, hd = c.hidden, c.heads, c.kv_heads, c.head_dim
        x = self.w.rows("model.embed_tokens.weight", ids)
        cos, sin = rope_cos_sin(c, T)
        mask = np.triu(np.full((T, T), -np.inf, dtype=np.float32), k=1)
        scaling = np.float32(hd ** -0.5)
        n_rep = nh // nkv
        for l in range(c.layers):
            p = f"model.layers.{l}."
            h = rms_norm(x, self.w.get(p + "input_layernorm.weight", (H,)), c.eps)
            q = linear(h, *self._lin(p + "self_attn.q_proj", nh * hd, H, c.qkv_bias))
            k = linear(h, *self._lin(p + "self_attn.k_proj", nkv * hd, H, c.qkv_bias))
            v = linear(h, *self._lin(p + "self_attn.v_proj", nkv * hd, H, c.qkv_bias))
            q = q.reshape(T, nh, hd).transpose(1, 0, 2)
            k = k.reshape(T, nkv, hd).transpose(1, 0, 2)
            v = v.reshape(T, nkv, hd).transpose(1, 0, 2)
            q = apply_rope(q, cos, sin)
            k = apply_rope(k, cos, sin)
            k = np.repeat(k, n_rep, axis=0)  # repeat_kv: kv head j -> q heads j*n_rep..
            v = np.repeat(v, n_rep, axis=0)
            scores = (q @ k.transpose(0, 2, 1)).astype(np.float32) * scaling + mask[None]
            probs = softmax(scores)
            attn = (probs @ v).astype(np.float32).transpose(1, 0, 2).reshape(T, nh * hd)
            x = (x + linear(attn, *self._lin(p + "self_attn.o_proj", H, nh * hd, c.o_bias)))
            h = rms_norm(x, self.w.get(p + "post_attention_layernorm.weight", (H,)), c.eps)
            g = linear(h, *self._lin(p + "mlp.gate_proj", c.inter, H, c.mlp_bias))
            u = linear(h, *self._lin(p + "mlp.up_proj", c.inter, H, c.mlp_bias))
            x = (x + linear(silu(g) * u, *self._lin(p + "mlp.down_proj", H, c.inter, c.mlp_bias)))
            x = x.astype(np.float32)
        return rms_norm(x, self.w.get("model.norm.weight", (H,)), c.eps)

    def lm_head(self, h, chunk=16384):
        raw, st_dtype = self.w.raw(self.head_name)
        if len(raw.shape) != 2 or raw.shape[1] != self.cfg.hidden:
            raise RefError(f"{self.head_name} shape {list(raw.shape)} != [*, {self.cfg.hidden}]")
        V = raw.shape[0]
        out = np.empty((h.shape[0], V), dtype=np.float32)
        for s in range(0, V, chunk):  # chunked to bound memory on big vocabularies
            out[:, s:s + chunk] = h @ to_f32(raw[s:s + chunk], st_dtype).T
        return out

    def logits(self, ids, all_positions=False):
        h = self.hidden_states(ids)
        if not all_positions:
            h = h[-1:]
        out = self.lm_head(h)
        return out if all_positions else out[0]


def parse_ids(s):
    try:
        ids = [int(t) for t in s.replace(" ", "").split(",") if t != ""]
    except ValueError as e:
        raise RefError(f"--token-ids: expected comma-separated integers, got {s!r}") from e
    if not ids:
        raise RefError("--token-ids: no token ids given")
    return ids


def main(argv=None):
    ap = argparse.ArgumentParser(description="numpy reference logits for HF Qwen2/Llama models")
    ap.add_argument("--model", required=True, help="Hugging Face model directory")
    ap.add_argument("--token-ids", required=True, help="comma-separated token ids, e.g. 1,2,3")
    ap.add_argument("--all-positions", action="store_true",
                    help="print logits of every position (list of lists)")
    args = ap.parse_args(argv)
    try:
        ids = parse_ids(args.token_ids)
        model = Model(args.model)
        logits = model.logits(ids, args.all_positions)
    except RefError as e:
        print(f"hf_logits.py: error: {e}", file=sys.stderr)
        return 2
    # float32 -> float64 is exact; json writes the shortest repr, which round-trips.
    out = {"token_ids": ids, "logits": logits.astype(np.float64).tolist()}
    sys.stdout.write(json.dumps(out, separators=(",", ":"), allow_nan=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
