"""Dequantize GPTQ, AWQ and FP8 Hugging Face checkpoints to float32, for hf_logits.py.

Independent of r1stream's Java loader: written from the storage formats as AutoGPTQ/GPTQModel, AutoAWQ and
DeepSeek's FP8 release write them (pack = 32 // bits codes per int32, code k of a word at bits k*bits):

  GPTQ  (quant_method "gptq", bits 4|8, group_size (-1 = whole row), desc_act, sym,
         checkpoint_format "gptq" = v1 (stored zero = zero - 1) | "gptq_v2")
        PREFIX.qweight I32 [in // pack, out]   packed along the inputs
        PREFIX.qzeros  I32 [groups, out // pack] packed along the outputs
        PREFIX.scales  F16 [groups, out]
        PREFIX.g_idx   I32 [in] (optional; default i // group_size)
        W[o, i] = scales[g, o] * (q[i, o] - zero[g, o]),  g = g_idx[i]
  AWQ   (quant_method "awq", bits 4, version "gemm")
        PREFIX.qweight I32 [in, out // 8], PREFIX.qzeros I32 [groups, out // 8]: packed along the outputs,
        nibble k of word j holds column 8*j + [0, 2, 4, 6, 1, 3, 5, 7][k]; zeros stored as is
        PREFIX.scales  F16 [groups, out];  W[o, i] = scales[i // g, o] * (q[i, o] - zero[i // g, o])
  FP8   (quant_method "fp8", weight_block_size [br, bc])
        PREFIX.weight F8_E4M3 [out, in] (e4m3fn: bias 7, no infinities, S.1111.111 = NaN)
        PREFIX.weight_scale_inv F32 [ceil(out / br), ceil(in / bc)];  W = fp8 * scale_inv[block]

Every product is one float32 multiply of an exactly representable integer (or fp8 value) by a float32 scale.
"""

import numpy as np

AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]


def _e4m3_table():
    t = np.zeros(256, dtype=np.float32)
    for b in range(256):
        s = -1.0 if b & 0x80 else 1.0
        e = (b >> 3) & 0xF
        m = b & 0x7
        if e == 0xF and m == 0x7:
            t[b] = np.nan
        elif e == 0:
            t[b] = s * (m / 8.0) * 2.0 ** -6
        else:
            t[b] = s * (1 + m / 8.0) * 2.0 ** (e - 7)
    return t


E4M3 = _e4m3_table()


def unpack_rows(words, bits):
    """int32 [n, k] packed along axis 0 -> codes [n * pack, k]: row n*pack + j = bits j*bits.. of row n."""
    pack = 32 // bits
    w = words.astype(np.uint32)
    shifts = (np.arange(pack, dtype=np.uint32) * bits)[None, :, None]
    codes = (w[:, None, :] >> shifts) & np.uint32((1 << bits) - 1)
    return codes.reshape(w.shape[0] * pack, w.shape[1])


def unpack_cols(words, bits):
    """int32 [n, k] packed along axis 1 -> codes [n, k * pack] (plain order)."""
    pack = 32 // bits
    w = words.astype(np.uint32)
    shifts = (np.arange(pack, dtype=np.uint32) * bits)[None, None, :]
    codes = (w[:, :, None] >> shifts) & np.uint32((1 << bits) - 1)
    return codes.reshape(w.shape[0], w.shape[1] * pack)


def awq_cols(words):
    """AWQ gemm int32 [n, k] -> codes [n, 8k] in column order (undo the [0,2,4,6,1,3,5,7] interleave)."""
    packed = unpack_cols(words, 4).reshape(words.shape[0], words.shape[1], 8)
    out = np.empty_like(packed)
    for k, col in enumerate(AWQ_ORDER):
        out[:, :, col] = packed[:, :, k]
    return out.reshape(words.shape[0], words.shape[1] * 8)


class DequantizingWeights:
    """Wraps hf_logits.Weights: PREFIX.weight of a GPTQ/AWQ/FP8 matrix reads as its float32 dequantization."""

    def __init__(self, weights, qcfg, error):
        self.w = weights
        self.q = qcfg
        self.error = error
        self.method = qcfg.get("quant_method")
        if self.method not in ("gptq", "awq", "fp8"):
            raise error(f"quantization_config.quant_method {self.method!r} is not gptq, awq or fp8")

    def has(self, name):
        return self.w.has(name) or (name.endswith(".weight") and self.w.has(name[:-7] + ".qweight"))

    def raw(self, name):
        if name.endswith(".weight"):
            p = name[:-7]
            if not self.w.has(name) and self.w.has(p + ".qweight"):
                return (self._gptq(p) if self.method == "gptq" else self._awq(p)), "F32"
            if self.w.has(name) and self.w.raw(name)[1] == "F8_E4M3":
                return self._fp8(p), "F32"
        return self.w.raw(name)

    def shape(self, name):
        return self.raw(name)[0].shape

    def get(self, name, shape=None):
        raw, st = self.raw(name)
        if shape is not None and tuple(raw.shape) != tuple(shape):
            raise self.error(f"tensor {name}: shape {list(raw.shape)}, expected {list(shape)}")
        return self._f32(raw, st)

    def rows(self, name, ids):
        raw, st = self.raw(name)
        return self._f32(raw[np.asarray(ids, dtype=np.int64)], st)

    def _f32(self, raw, st):
        if st == "F32":
            return np.asarray(raw, dtype=np.float32).copy()
        if st == "BF16":
            return (np.asarray(raw, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)
        return np.asarray(raw).astype(np.float32)

    def _scales(self, p):
        raw, st = self.w.raw(p + ".scales")
        return self._f32(raw, st)

    def _gptq(self, p):
        bits = int(self.q.get("bits", 4))
        qw = np.asarray(self.w.raw(p + ".qweight")[0])
        q = unpack_rows(qw, bits).astype(np.float32)  # [in, out]
        n_in, out = q.shape
        group = int(self.q.get("group_size", 128))
        if group <= 0 or group > n_in:
            group = n_in
        z = unpack_cols(np.asarray(self.w.raw(p + ".qzeros")[0]), bits).astype(np.float32)  # [groups, out]
        if self.q.get("checkpoint_format", "gptq") == "gptq":
            z = z + np.float32(1)
        s = self._scales(p)
        if self.w.has(p + ".g_idx"):
            g = np.asarray(self.w.raw(p + ".g_idx")[0]).astype(np.int64)
        else:
            g = np.arange(n_in) // group
        W = s[g, :] * (q - z[g, :])  # [in, out], float32
        return np.ascontiguousarray(W.T.astype(np.float32))

    def _awq(self, p):
        q = awq_cols(np.asarray(self.w.raw(p + ".qweight")[0])).astype(np.float32)  # [in, out]
        n_in = q.shape[0]
        group = int(self.q.get("group_size", 128))
        if group <= 0 or group > n_in:
            group = n_in
        z = awq_cols(np.asarray(self.w.raw(p + ".qzeros")[0])).astype(np.float32)
        s = self._scales(p)
        g = np.arange(n_in) // group
        W = s[g, :] * (q - z[g, :])
        return np.ascontiguousarray(W.T.astype(np.float32))

    def _fp8(self, p):
        br, bc = (int(v) for v in self.q["weight_block_size"])
        raw = np.asarray(self.w.raw(p + ".weight")[0])
        v = E4M3[raw.astype(np.uint8)]
        sc = self._f32(*self.w.raw(p + ".weight_scale_inv"))
        rows, cols = v.shape
        full = np.repeat(np.repeat(sc, br, axis=0), bc, axis=1)[:rows, :cols]
        return (v * full).astype(np.float32)
