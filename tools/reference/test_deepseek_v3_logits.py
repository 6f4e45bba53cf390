"""Tests for deepseek_v3_logits.py on tiny random models written here.  Run from the repo root:

    python3 -m unittest discover -s tools/reference -p 'test_*.py'

The second computation is written from the math in the *absorbed* form DeepSeek's inference code uses for decode
(the key part of kv_b_proj folded into the query, scores against the normalized latent, the value part applied
after attention), with rope as complex rotations of consecutive pairs and python loops in float64, so it shares
neither the expanded MLA nor the de-interleave trick with the reference.
"""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import deepseek_v3_logits as ref  # noqa: E402

SCRIPT = os.path.join(HERE, "deepseek_v3_logits.py")
IDS = [5, 17, 3, 96, 0, 42, 42, 8, 61, 23, 77, 1, 30, 90, 12, 64, 2, 55, 19, 40]


def config(q_lora=24, yarn=True, fp8_block=None):
    c = {
        "architectures": ["DeepseekV3ForCausalLM"], "hidden_size": 32, "intermediate_size": 48,
        "moe_intermediate_size": 16, "num_hidden_layers": 3, "num_attention_heads": 2, "vocab_size": 100,
        "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "q_lora_rank": q_lora, "kv_lora_rank": 16,
        "qk_nope_head_dim": 8, "qk_rope_head_dim": 8, "v_head_dim": 8, "n_routed_experts": 8,
        "num_experts_per_tok": 2, "n_shared_experts": 1, "first_k_dense_replace": 1, "moe_layer_freq": 1,
        "n_group": 4, "topk_group": 2, "norm_topk_prob": True, "routed_scaling_factor": 2.5,
        "scoring_func": "sigmoid", "topk_method": "noaux_tc", "tie_word_embeddings": False,
        "max_position_embeddings": 64 * 4 if yarn else 64,
        "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64, "beta_fast": 32,
                         "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0} if yarn else None,
    }
    if fp8_block:
        c["quantization_config"] = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                    "weight_block_size": [fp8_block, fp8_block]}
    return c


def tensors(c, seed=0):
    r = np.random.default_rng(seed)
    h, H, R, dn, dr, dv = c["hidden_size"], c["num_attention_heads"], c["kv_lora_rank"], c["qk_nope_head_dim"], \
        c["qk_rope_head_dim"], c["v_head_dim"]
    t = {}

    def mat(name, o, i):
        t[name] = (r.standard_normal((o, i)) / math.sqrt(i)).astype(np.float32)

    def vec(name, n):
        t[name] = (1 + 0.1 * r.standard_normal(n)).astype(np.float32)

    def mlp(p, inter):
        mat(p + "gate_proj.weight", inter, h)
        mat(p + "up_proj.weight", inter, h)
        mat(p + "down_proj.weight", h, inter)

    t["model.embed_tokens.weight"] = r.standard_normal((c["vocab_size"], h)).astype(np.float32)
    for l in range(c["num_hidden_layers"] + 1):  # + one multi-token-prediction layer the readers must skip
        p = f"model.layers.{l}."
        vec(p + "input_layernorm.weight", h)
        vec(p + "post_attention_layernorm.weight", h)
        if c["q_lora_rank"]:
            mat(p + "self_attn.q_a_proj.weight", c["q_lora_rank"], h)
            vec(p + "self_attn.q_a_layernorm.weight", c["q_lora_rank"])
            mat(p + "self_attn.q_b_proj.weight", H * (dn + dr), c["q_lora_rank"])
        else:
            mat(p + "self_attn.q_proj.weight", H * (dn + dr), h)
        mat(p + "self_attn.kv_a_proj_with_mqa.weight", R + dr, h)
        vec(p + "self_attn.kv_a_layernorm.weight", R)
        mat(p + "self_attn.kv_b_proj.weight", H * (dn + dv), R)
        mat(p + "self_attn.o_proj.weight", h, H * dv)
        if l >= c["first_k_dense_replace"]:
            E = c["n_routed_experts"]
            mat(p + "mlp.gate.weight", E, h)
            t[p + "mlp.gate.e_score_correction_bias"] = (0.05 + np.abs(0.1 * r.standard_normal(E))).astype(np.float32)
            for e in range(E):
                mlp(p + f"mlp.experts.{e}.", c["moe_intermediate_size"])
            mlp(p + "mlp.shared_experts.", c["moe_intermediate_size"] * c["n_shared_experts"])
        else:
            mlp(p + "mlp.", c["intermediate_size"])
    vec("model.norm.weight", h)
    mat("lm_head.weight", c["vocab_size"], h)
    return t


def fp8_encode(x):
    """float32 -> nearest e4m3fn code (finite codes only; inputs are pre-scaled into range)."""
    finite = np.array([i for i in range(256) if (i & 0x7F) != 0x7F])
    vals = ref.E4M3FN[finite].astype(np.float64)
    idx = np.abs(x.astype(np.float64).reshape(-1, 1) - vals[None, :]).argmin(axis=1)
    return finite[idx].astype(np.uint8).reshape(x.shape)


def write(d, c, t, fp8_block=None):
    """Writes config.json + model.safetensors; with fp8_block, 2-D projections become F8_E4M3 + _scale_inv."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f)
    header, blobs, off = {}, [], 0
    dequantized = {}
    for name, a in t.items():
        proj = fp8_block and a.ndim == 2 and name.endswith("proj.weight") or (fp8_block and "proj_with_mqa" in name)
        if proj:
            b = fp8_block
            rows, cols = a.shape
            sr, sc = -(-rows // b), -(-cols // b)
            scale = np.ones((sr, sc), dtype=np.float32)
            for i in range(sr):
                for j in range(sc):
                    m = np.abs(a[i * b:(i + 1) * b, j * b:(j + 1) * b]).max()
                    scale[i, j] = m / 448.0 if m > 0 else 1.0
            full = np.repeat(np.repeat(scale, b, 0), b, 1)[:rows, :cols]
            codes = fp8_encode(a / full)
            dequantized[name] = (ref.E4M3FN[codes] * full).astype(np.float32)
            entries = [(name, "F8_E4M3", a.shape, codes.tobytes()), (name + "_scale_inv", "F32", scale.shape, scale.tobytes())]
        else:
            dequantized[name] = a
            entries = [(name, "F32", a.shape, a.astype("<f4").tobytes())]
        for n, dt, shape, data in entries:
            header[n] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(data)]}
            blobs.append(data)
            off += len(data)
    hb = json.dumps(header).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))
    return dequantized


# ---------------------------------------------------------------------------------------- naive absorbed form

def naive_logits(c, t):
    W = {k: v.astype(np.float64) for k, v in t.items()}
    h, H, R, dn, dr, dv = c["hidden_size"], c["num_attention_heads"], c["kv_lora_rank"], c["qk_nope_head_dim"], \
        c["qk_rope_head_dim"], c["v_head_dim"]
    eps = c["rms_norm_eps"]
    rs = c["rope_scaling"]
    # DeepSeek inference/model.py precompute_freqs_cis: YaRN by wavelength-derived correction range
    freqs = [1.0 / c["rope_theta"] ** (2 * i / dr) for i in range(dr // 2)]
    scale = 1 / math.sqrt(dn + dr)
    if rs:
        factor, orig = rs["factor"], rs["original_max_position_embeddings"]

        def dim_for(rot):
            return dr * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(c["rope_theta"]))
        lo, hi = max(math.floor(dim_for(rs["beta_fast"])), 0), min(math.ceil(dim_for(rs["beta_slow"])), dr - 1)
        for i in range(dr // 2):
            smooth = 1 - min(1.0, max(0.0, (i - lo) / (hi - lo if hi != lo else 0.001)))
            freqs[i] = freqs[i] / factor * (1 - smooth) + freqs[i] * smooth
        m = 0.1 * rs["mscale_all_dim"] * math.log(factor) + 1
        scale *= m * m

    def norm(x, w, e):
        return w * x / math.sqrt(float(np.mean(x * x)) + e)

    def rope(v, pos):  # consecutive pairs as complex numbers times e^(i pos f)
        out = v.copy()
        for i in range(dr // 2):
            z = complex(v[2 * i], v[2 * i + 1]) * complex(math.cos(pos * freqs[i]), math.sin(pos * freqs[i]))
            out[2 * i], out[2 * i + 1] = z.real, z.imag
        return out

    def mlp(p, x):
        g, u = W[p + "gate_proj.weight"] @ x, W[p + "up_proj.weight"] @ x
        return W[p + "down_proj.weight"] @ np.array([a / (1 + math.exp(-a)) * b for a, b in zip(g, u)])

    xs = [W["model.embed_tokens.weight"][i].copy() for i in IDS]
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        wkv_b = W[p + "self_attn.kv_b_proj.weight"].reshape(H, dn + dv, R)
        lat, kpe, qs = [], [], []
        for pos, x in enumerate(xs):
            hn = norm(x, W[p + "input_layernorm.weight"], eps)
            if c["q_lora_rank"]:
                q = W[p + "self_attn.q_b_proj.weight"] @ norm(W[p + "self_attn.q_a_proj.weight"] @ hn,
                                                              W[p + "self_attn.q_a_layernorm.weight"], 1e-6)
            else:
                q = W[p + "self_attn.q_proj.weight"] @ hn
            kv = W[p + "self_attn.kv_a_proj_with_mqa.weight"] @ hn
            lat.append(norm(kv[:R], W[p + "self_attn.kv_a_layernorm.weight"], 1e-6))
            kpe.append(rope(kv[R:], pos))
            qs.append([(q[j * (dn + dr):j * (dn + dr) + dn], rope(q[j * (dn + dr) + dn:(j + 1) * (dn + dr)], pos)) for j in range(H)])
        new = []
        for i, x in enumerate(xs):
            heads = []
            for j in range(H):
                q_nope, q_pe = qs[i][j]
                q_lat = wkv_b[j, :dn].T @ q_nope  # (R): absorbed key projection
                sc = [(q_lat @ lat[s] + q_pe @ kpe[s]) * scale for s in range(i + 1)]
                mx = max(sc)
                ex = [math.exp(z - mx) for z in sc]
                o_lat = sum((ex[s] / sum(ex)) * lat[s] for s in range(i + 1))
                heads.append(wkv_b[j, dn:] @ o_lat)
            x = x + W[p + "self_attn.o_proj.weight"] @ np.concatenate(heads)
            hn = norm(x, W[p + "post_attention_layernorm.weight"], eps)
            if l >= c["first_k_dense_replace"]:
                E, k, G, TG = c["n_routed_experts"], c["num_experts_per_tok"], c["n_group"], c["topk_group"]
                s = [1 / (1 + math.exp(-v)) for v in W[p + "mlp.gate.weight"] @ hn]
                choice = [s[e] + W[p + "mlp.gate.e_score_correction_bias"][e] for e in range(E)]
                per = E // G
                gscore = [sum(sorted(choice[g * per:(g + 1) * per], reverse=True)[:2]) for g in range(G)]
                keep = sorted(range(G), key=lambda g: -gscore[g])[:TG]
                allowed = [e for e in range(E) if e // per in keep]
                chosen = sorted(allowed, key=lambda e: -choice[e])[:k]
                tot = sum(s[e] for e in chosen)
                y = mlp(p + "mlp.shared_experts.", hn)
                for e in chosen:
                    y = y + (s[e] / tot * c["routed_scaling_factor"]) * mlp(p + f"mlp.experts.{e}.", hn)
            else:
                y = mlp(p + "mlp.", hn)
            new.append(x + y)
        xs = new
    return np.array([W["lm_head.weight"] @ norm(x, W["model.norm.weight"], eps) for x in xs])


class DeepseekV3ReferenceTest(unittest.TestCase):
    def check(self, c, t, fp8_block=None, seed_note=""):
        with tempfile.TemporaryDirectory() as d:
            deq = write(d, c, t, fp8_block)
            got = ref.Model(d).logits(IDS, all_positions=True)
        want = naive_logits(c, deq)
        scale = max(1.0, float(np.abs(want).max()))
        err = float(np.abs(got - want).max())
        self.assertLess(err, 2e-5 * scale, f"max |ref - naive| = {err} {seed_note}")

    def test_matches_the_absorbed_float64_form_with_q_lora_and_yarn(self):
        c = config()
        self.check(c, tensors(c, 1))

    def test_matches_without_q_lora_or_yarn(self):
        c = config(q_lora=None, yarn=False)
        self.check(c, tensors(c, 2))

    def test_fp8_block_scaled_weights_dequantize_with_partial_blocks(self):
        c = config(fp8_block=16)  # 32x24, 40x32 ... matrices: partial edge blocks
        self.check(c, tensors(c, 3), fp8_block=16)

    def test_e4m3fn_codes_and_yarn_constants(self):
        self.assertEqual(ref.E4M3FN[0x7E], 448.0)
        self.assertEqual(ref.E4M3FN[0x01], 2.0 ** -9)
        self.assertEqual(ref.E4M3FN[0x38], 1.0)
        self.assertTrue(np.isnan(ref.E4M3FN[0x7F]) and np.isnan(ref.E4M3FN[0xFF]))
        self.assertAlmostEqual(ref.yarn_get_mscale(40, 1.0) ** 2, 1.8738, places=3)  # DeepSeek-R1
        self.assertEqual(float(ref.f32_to_bf16_rne(np.array([1 + 2 ** -8], dtype=np.float32))[0]), 1.0)  # tie to even

    def test_cli_refuses_other_architectures(self):
        with tempfile.TemporaryDirectory() as d:
            c = config()
            c["architectures"] = ["DeepseekV2ForCausalLM"]
            write(d, c, {"lm_head.weight": np.zeros((1, 1), dtype=np.float32)})
            p = subprocess.run([sys.executable, SCRIPT, "--model", d, "--token-ids", "1"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 2)
            self.assertIn("DeepseekV2ForCausalLM", p.stderr)


if __name__ == "__main__":
    unittest.main()
