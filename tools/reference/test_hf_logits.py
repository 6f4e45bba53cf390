"""Tests for hf_logits.py on tiny random models.  Run from the repo root:

    python3 -m unittest discover -s tools/reference -p 'test_*.py'
    (or: cd tools/reference && python3 -m unittest test_hf_logits)
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hf_logits  # noqa: E402
import make_test_model as mtm  # noqa: E402

SCRIPT = os.path.join(HERE, "hf_logits.py")
IDS = [5, 17, 3, 96, 0, 42, 42, 8, 61, 23, 77, 1, 30, 90, 12, 64, 2, 55, 19, 40, 71, 9, 33, 88]


def run_cli(*args):
    p = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


# ---------------------------------------------------------------------------------------
# Independent second computation: plain float64 loops, written from the math, not from
# hf_logits.  RoPE is done as an explicit rotation of the pair (x[i], x[i + d/2]).

def naive_inv_freq(cfg):
    d = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    theta = cfg.get("rope_theta", 10000.0)
    out = []
    rs = cfg.get("rope_scaling")
    for i in range(d // 2):
        f = 1.0 / theta ** (2 * i / d)
        if rs and rs.get("rope_type") == "llama3":
            factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
            ctx = rs["original_max_position_embeddings"]
            wl = 2 * math.pi / f
            if wl < ctx / hi:          # high frequency: unchanged
                pass
            elif wl > ctx / lo:        # low frequency: interpolated by factor
                f = f / factor
            else:                      # medium: blend between the two
                s = (ctx / wl - lo) / (hi - lo)
                f = (1 - s) * f / factor + s * f
        out.append(f)
    return out


def naive_logits(cfg, t, ids):
    """All-position logits [T][V] with python loops + float64 numpy dot products."""
    H = cfg["hidden_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg.get("head_dim") or H // nh
    eps = cfg["rms_norm_eps"]
    W = {k: v.astype(np.float64) for k, v in t.items()}
    inv = naive_inv_freq(cfg)
    T = len(ids)

    def norm(x, w):
        ms = sum(float(v) * float(v) for v in x) / len(x)
        return np.array([w[i] * x[i] / math.sqrt(ms + eps) for i in range(len(x))])

    def rot(vec, pos):  # vec: head vector of length d
        out = np.array(vec, dtype=np.float64)
        for i in range(d // 2):
            a = pos * inv[i]
            c, s = math.cos(a), math.sin(a)
            x1, x2 = vec[i], vec[i + d // 2]
            out[i] = x1 * c - x2 * s
            out[i + d // 2] = x2 * c + x1 * s
        return out

    def lin(name, x):
        y = W[name + ".weight"] @ x
        if name + ".bias" in W:
            y = y + W[name + ".bias"]
        return y

    xs = [W["model.embed_tokens.weight"][tok].copy() for tok in ids]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        Q, K, V = [], [], []
        for pos in range(T):
            h = norm(xs[pos], W[p + "input_layernorm.weight"])
            q = lin(p + "self_attn.q_proj", h)
            k = lin(p + "self_attn.k_proj", h)
            v = lin(p + "self_attn.v_proj", h)
            Q.append([rot(q[j * d:(j + 1) * d], pos) for j in range(nh)])
            K.append([rot(k[j * d:(j + 1) * d], pos) for j in range(nkv)])
            V.append([v[j * d:(j + 1) * d] for j in range(nkv)])
        new = []
        for i in range(T):
            heads = []
            for j in range(nh):
                kvh = j // (nh // nkv)
                sc = [sum(Q[i][j][e] * K[s][kvh][e] for e in range(d)) / math.sqrt(d)
                      for s in range(i + 1)]  # causal: keys 0..i only
                m = max(sc)
                ex = [math.exp(z - m) for z in sc]
                tot = sum(ex)
                o = np.zeros(d)
                for s in range(i + 1):
                    o += (ex[s] / tot) * V[s][kvh]
                heads.append(o)
            x = xs[i] + lin(p + "self_attn.o_proj", np.concatenate(heads))
            h = norm(x, W[p + "post_attention_layernorm.weight"])
            g = lin(p + "mlp.gate_proj", h)
            u = lin(p + "mlp.up_proj", h)
            act = np.array([gv / (1 + math.exp(-gv)) * uv for gv, uv in zip(g, u)])
            new.append(x + lin(p + "mlp.down_proj", act))
        xs = new
    head = W["lm_head.weight"] if "lm_head.weight" in W else W["model.embed_tokens.weight"]
    return np.array([head @ norm(x, W["model.norm.weight"]) for x in xs])


class HfLogitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hf_logits_test_")
        cls.dirs = {}

        def mk(key, **kw):
            d = os.path.join(cls.tmp, key)
            cls.dirs[key] = (d,) + mtm.write_model(d, **kw)

        for arch in ("qwen2", "llama"):
            mk(f"{arch}_f32", arch=arch, dtype="F32", representable="BF16", seed=1)
            mk(f"{arch}_bf16", arch=arch, dtype="BF16", seed=1)
            mk(f"{arch}_bf16_sharded", arch=arch, dtype="BF16", shards=2, seed=1)
            mk(f"{arch}_1layer", arch=arch, dtype="F32", layers=1, seed=2)
        mk("qwen2_f16", arch="qwen2", dtype="F16", seed=3)
        mk("qwen2_f16as32", arch="qwen2", dtype="F32", representable="F16", seed=3)
        mk("qwen2_tied_1layer", arch="qwen2", dtype="F32", layers=1, tie=True, seed=4)
        mk("llama_norope3", arch="llama", dtype="F32", representable="BF16", seed=1,
           llama3=False)
        cls.models = {}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def model(self, key):
        if key not in self.models:
            self.models[key] = hf_logits.Model(self.dirs[key][0])
        return self.models[key]

    # (a) incremental self-consistency
    def test_prefix_consistency(self):
        for arch in ("qwen2", "llama"):
            m = self.model(f"{arch}_bf16")
            full = m.logits(IDS, all_positions=True)
            self.assertEqual(full.shape, (len(IDS), 97))
            self.assertEqual(full.dtype, np.float32)
            for k in (1, 2, 7, len(IDS)):
                last = m.logits(IDS[:k])
                np.testing.assert_allclose(full[k - 1], last, rtol=1e-5, atol=1e-6,
                                           err_msg=f"{arch} prefix {k}")
                np.testing.assert_allclose(full[:k], m.logits(IDS[:k], all_positions=True),
                                           rtol=1e-5, atol=1e-6)

    # (b) BF16 file == F32 file holding the same (bf16-representable) values; also F16
    def test_bf16_equals_f32(self):
        for arch in ("qwen2", "llama"):
            a = self.model(f"{arch}_bf16").logits(IDS, all_positions=True)
            b = self.model(f"{arch}_f32").logits(IDS, all_positions=True)
            np.testing.assert_array_equal(a, b)
        a = self.model("qwen2_f16").logits(IDS, all_positions=True)
        b = self.model("qwen2_f16as32").logits(IDS, all_positions=True)
        np.testing.assert_array_equal(a, b)

    def test_bf16_decode(self):
        bits = np.array([0x3F80, 0xC000, 0x0000, 0x8000, 0x7F80, 0x3E20], dtype=np.uint16)
        got = hf_logits.bf16_to_f32(bits)
        np.testing.assert_array_equal(got, np.array([1.0, -2.0, 0.0, -0.0, np.inf, 0.15625],
                                                    dtype=np.float32))
        self.assertTrue(np.signbit(got[3]))
        # tensors read back equal what the generator stored
        d, cfg, tensors = self.dirs["llama_bf16_sharded"]
        w = hf_logits.Weights(d)
        for name, arr in tensors.items():
            np.testing.assert_array_equal(w.get(name), arr, err_msg=name)

    # (c) sharded == single file
    def test_sharded_equals_single(self):
        for arch in ("qwen2", "llama"):
            self.assertTrue(os.path.exists(os.path.join(self.dirs[f"{arch}_bf16_sharded"][0],
                                                        "model.safetensors.index.json")))
            a = self.model(f"{arch}_bf16_sharded").logits(IDS, all_positions=True)
            b = self.model(f"{arch}_bf16").logits(IDS, all_positions=True)
            np.testing.assert_array_equal(a, b)

    # (d) hand-computed 1-layer model with explicit attention loops
    def test_one_layer_against_loops(self):
        ids = IDS[:20]  # positions up to 19: past the llama3 high/medium boundary (16)
        for key in ("qwen2_1layer", "llama_1layer", "qwen2_tied_1layer"):
            d, cfg, tensors = self.dirs[key]
            want = naive_logits(cfg, tensors, ids)
            got = self.model(key).logits(ids, all_positions=True)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=key)

    def test_two_layer_against_loops(self):
        d, cfg, tensors = self.dirs["llama_f32"]
        ids = IDS[:10]
        np.testing.assert_allclose(self.model("llama_f32").logits(ids, all_positions=True),
                                   naive_logits(cfg, tensors, ids), rtol=1e-5, atol=1e-5)

    def test_llama3_scaling_matters(self):
        # all three bands are exercised and the scaled model differs from the unscaled one
        cfg = self.dirs["llama_f32"][1]
        inv = hf_logits.rope_inv_freq(self.model("llama_f32").cfg)
        base = hf_logits.rope_inv_freq(self.model("llama_norope3").cfg)
        np.testing.assert_allclose(inv, naive_inv_freq(cfg), rtol=1e-6)
        self.assertEqual(inv[0], base[0])                       # high freq kept
        self.assertTrue(base[1] / 8 < inv[1] < base[1])         # medium smoothed
        np.testing.assert_allclose(inv[2:], base[2:] / 8, rtol=1e-6)  # low divided
        a = self.model("llama_f32").logits(IDS)
        b = self.model("llama_norope3").logits(IDS)
        self.assertGreater(np.max(np.abs(a - b)), 1e-3)

    # CLI: output format, exact float32 round trip, error exits
    def test_cli_roundtrip(self):
        d = self.dirs["qwen2_bf16_sharded"][0]
        m = self.model("qwen2_bf16_sharded")
        rc, out, err = run_cli("--model", d, "--token-ids", "5,17,3,96")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.count("\n"), 1)
        j = json.loads(out)
        self.assertEqual(j["token_ids"], [5, 17, 3, 96])
        np.testing.assert_array_equal(np.array(j["logits"], dtype=np.float32),
                                      m.logits([5, 17, 3, 96]))
        self.assertEqual(len(j["logits"]), 97)
        rc, out, err = run_cli("--model", d, "--token-ids", "5,17,3", "--all-positions")
        self.assertEqual(rc, 0, err)
        j = json.loads(out)
        np.testing.assert_array_equal(np.array(j["logits"], dtype=np.float32),
                                      m.logits([5, 17, 3], all_positions=True))

    def test_cli_errors(self):
        good = self.dirs["qwen2_f32"][0]
        rc, out, err = run_cli("--model", os.path.join(self.tmp, "nope"), "--token-ids", "1")
        self.assertNotEqual(rc, 0)
        self.assertIn("not a directory", err)
        rc, out, err = run_cli("--model", good, "--token-ids", "1,97")
        self.assertNotEqual(rc, 0)
        self.assertIn("out of range", err)
        rc, out, err = run_cli("--model", good, "--token-ids", "1,-1")
        self.assertNotEqual(rc, 0)
        rc, out, err = run_cli("--model", good, "--token-ids", "1,x")
        self.assertNotEqual(rc, 0)
        bad = os.path.join(self.tmp, "mistral")
        shutil.copytree(good, bad)
        with open(os.path.join(bad, "config.json")) as f:
            c = json.load(f)
        c["architectures"], c["model_type"] = ["MistralForCausalLM"], "mistral"
        with open(os.path.join(bad, "config.json"), "w") as f:
            json.dump(c, f)
        rc, out, err = run_cli("--model", bad, "--token-ids", "1")
        self.assertNotEqual(rc, 0)
        self.assertIn("unknown architecture", err)
        empty = os.path.join(self.tmp, "noweights")
        os.makedirs(empty)
        shutil.copy(os.path.join(good, "config.json"), empty)
        rc, out, err = run_cli("--model", empty, "--token-ids", "1")
        self.assertNotEqual(rc, 0)
        self.assertIn("model.safetensors", err)
        self.assertEqual(out, "")


if __name__ == "__main__":
    unittest.main()
