"""The portable draws: Threefry bits (fitspec.threefry) turned into uniforms, normals, integers and permutations.

Written once against `Words` and the Ops protocol, in jax.random's algorithms, so every backend gives
the same values. Float work beyond the exact bits-to-uniform step is done in float64 with correctly
rounded operations only, and each product that feeds a sum is rounded on its own (`_rounded`): a
compiler that fuses a*b+c into one multiply-add (XLA) would otherwise round differently.
"""

from __future__ import annotations

import math

import numpy as np

from fitspec import threefry
from fitspec.threefry import Words

#: (random bits drawn, mantissa bits kept) per float dtype, as jax.random.uniform draws them
UNIFORM_BITS = {"float16": (16, 10), "bfloat16": (8, 7), "float32": (32, 23), "float64": (64, 52)}
#: erf(2 / sqrt(2)): the uniform range whose normal quantiles are [-2, 2]
ERF_SQRT2 = math.erf(math.sqrt(2.0))


def _float_info(dtype: str):
    if dtype == "bfloat16":
        return {"tiny": 2.0**-126, "eps_below_one": 2.0**-8}
    info = np.finfo(dtype)
    return {"tiny": float(info.tiny), "eps_below_one": float(info.epsneg)}


def below_one(dtype: str) -> float:
    """The largest float of `dtype` below 1."""
    return 1.0 - _float_info(dtype)["eps_below_one"]


class PortableDraws:
    """Every draw of the portable generator for one backend: its `Words` and its `ops`.

    A backend overrides a method only with a native kernel that gives the same values (JAX: jax.random).
    """

    def __init__(self, words: Words, ops, fuses_multiply_add: bool = False):
        self.words, self.ops = words, ops
        self.fuses_multiply_add = fuses_multiply_add

    # -- float arithmetic that rounds alike everywhere -------------------------------------------------------
    def _rounded(self, product):
        """`product` rounded on its own even where a compiler would fuse it into the sum that follows."""
        if not self.fuses_multiply_add:
            return product
        ops = self.ops
        # A select keeps the product out of a fused multiply-add, if the compiler cannot tell which way it goes:
        # a product of finite floats may be infinite (overflow) for all it knows, though never NaN.
        overflowed = ops.greater(ops.abs(product), _FLOAT64_MAX)
        return ops.where(overflowed, ops.zeros_like(product), product)

    def _multiply_add(self, a, b, c):
        return self.ops.add(self._rounded(self.ops.multiply(a, b)), c)

    def _polynomial(self, x, coefficients):
        """Horner's rule, highest degree first."""
        p = _filled(self.ops, x, coefficients[0])
        for c in coefficients[1:]:
            p = self._multiply_add(p, x, c)
        return p

    def _half_in_float32(self, x32, dtype: str):
        """A float32 tensor rounded to the half type `dtype`, held in float32: a rounding the formula needs in
        the middle of a computation. JAX overrides it: XLA may keep such a half intermediate in float32 (its
        excess-precision rule) and skip the rounding, as its CPU code does for float16 on some hosts."""
        return self.ops.cast(self.ops.cast(x32, dtype), "float32")

    def _cast(self, x64, dtype: str):
        """A float64 tensor as `dtype`, through float32 for the half types (one rounding rule on every backend)."""
        ops = self.ops
        if dtype == "float64":
            return x64
        x32 = ops.cast(x64, "float32")
        # the half types: rounded in float32 first, so a compiler that skips a half cast (XLA) still holds the value
        return x32 if dtype == "float32" else ops.cast(self._half_in_float32(x32, dtype), dtype)

    # -- bits and uniforms -----------------------------------------------------------------------------------
    def hashed_counters(self, key, shape):
        """The two hash words of every entry's counter (fitspec.threefry); a backend may fuse them into one kernel."""
        return threefry.hashed_counters(self.words, key, shape)

    def bits(self, key, shape):
        """`jax.random.bits(key, shape)`: uint32 words, the xor of the two hash words."""
        return self.words.xor(*self.hashed_counters(key, shape))

    def uniform01(self, key, shape, dtype: str):
        """`jax.random.uniform(key, shape, dtype)`: random bits as the mantissa of a float in [1, 2), less 1.

        float64 draws 64 bits (the two hash words, high first), float32 32, float16 the low 16 and
        bfloat16 the low 8 of the xor-ed words; u = (bits >> (width - mantissa)) * 2**-mantissa, exactly.
        """
        words, ops = self.words, self.ops
        width, mantissa = UNIFORM_BITS[dtype]
        if width == 64:
            high, low = self.hashed_counters(key, shape)
            return ops.add(ops.multiply(words.to_float(high, "float64"), 2.0**-32),
                           ops.multiply(words.to_float(words.shift_right(low, 12), "float64"), 2.0**-52))
        bits = self.bits(key, shape)
        if width < 32:
            bits = words.bitwise_and(bits, (1 << width) - 1)
        u = ops.multiply(words.to_float(words.shift_right(bits, width - mantissa), "float32"), 2.0**-mantissa)
        return u if dtype == "float32" else ops.cast(u, dtype)

    def uniform(self, key, shape, dtype: str, minval: float, maxval: float):
        """max(minval, minval + (maxval - minval) * u), as jax.random.uniform (minval, maxval and their difference
        rounded to `dtype` first).

        Half types round the product and the sum each to `dtype` (as XLA does); float32 rounds once, from
        the exact float64 value (XLA's fused multiply-add, up to a double rounding); float64 rounds the
        product, then the sum.
        """
        ops = self.ops
        u = self.uniform01(key, shape, dtype)
        if (minval, maxval) == (0.0, 1.0):
            return u
        low, high = _as_dtype(minval, dtype), _as_dtype(maxval, dtype)
        span = _as_dtype(high - low, dtype)
        if dtype in ("float16", "bfloat16"):  # float32 holds each exact product and sum of two halves
            product = self._half_in_float32(ops.multiply(ops.cast(u, "float32"), span), dtype)
            scaled = ops.cast(ops.add(product, low), dtype)
        else:
            scaled = self._cast(self._multiply_add(ops.cast(u, "float64"), span, low), dtype)
        return ops.maximum(scaled, low)

    def bernoulli(self, key, p: float, shape):
        """`jax.random.bernoulli(key, float32(p), shape)`: True with probability p (a float32 uniform below p)."""
        return self.ops.less(self.uniform01(key, shape, "float32"), float(np.float32(p)))

    # -- normals ---------------------------------------------------------------------------------------------
    def _normal_quantiles(self, key, shape, dtype: str, low: float, high: float):
        """sqrt(2) erfinv(u) for u = jax's uniform(low, high) of `dtype`, in float64: ndtri((u + 1) / 2)."""
        ops = self.ops
        u = ops.cast(self.uniform(key, shape, dtype, low, high), "float64")
        return self.ndtri(ops.multiply(ops.add(u, 1.0), 0.5))

    def normal(self, key, shape, dtype: str, mean: float, stddev: float):
        """mean + stddev * sqrt(2) erfinv(u), u uniform in (-1, 1) as jax.random.normal draws it."""
        z = self._normal_quantiles(key, shape, dtype, -below_one(dtype), 1.0)
        return self._cast(self._scale(z, mean, stddev), dtype)

    def truncated_normal(self, key, shape, dtype: str, mean: float, stddev: float):
        """jax.random.truncated_normal(key, -2, 2): quantiles of a uniform in (erf(-sqrt 2), erf(sqrt 2)),
        clipped inside (-2, 2); then mean + stddev * z."""
        ops = self.ops
        z = self._normal_quantiles(key, shape, dtype, -ERF_SQRT2, ERF_SQRT2)
        inside = float(np.nextafter(_as_dtype(2.0, dtype), 0.0)) if dtype != "bfloat16" else 2.0 - 2.0**-7
        z = ops.clip(self._cast(z, dtype), -inside, inside)
        return self._cast(self._scale(ops.cast(z, "float64"), mean, stddev), dtype)

    def _scale(self, z64, mean: float, stddev: float):
        if (mean, stddev) == (0.0, 1.0):
            return z64
        return self._multiply_add(z64, float(stddev), float(mean))

    def ndtri(self, p):
        """The standard normal quantile of p in (0, 1), float64 (Cephes' ndtri, as in Eigen)."""
        ops = self.ops
        lower = ops.less_equal(p, 1.0 - _NDTRI_EXP_NEG_TWO)  # the result is negative
        b = ops.where(lower, p, ops.subtract(1.0, p))
        central = ops.greater(b, _NDTRI_EXP_NEG_TWO)
        # central: b in (exp(-2), 1 - exp(-2)): w + w^3 R(w^2) / S(w^2), w = b - 1/2
        c = ops.subtract(ops.where(central, b, _filled(ops, b, 0.5)), 0.5)
        c2 = self._rounded(ops.multiply(c, c))
        ratio = ops.divide(self._polynomial(c2, _NDTRI_P0), self._polynomial(c2, _NDTRI_Q0))
        middle = ops.multiply(self._multiply_add(c, self._rounded(ops.multiply(c2, ratio)), c), _NDTRI_SQRT_2PI)
        # tails: x = sqrt(-2 log b), x - log(x) / x - (1/x) P(1/x) / Q(1/x)
        tail_b = ops.where(central, _filled(ops, b, 0.01), b)
        x = ops.sqrt(ops.multiply(self.log(tail_b), -2.0))
        x0 = ops.subtract(x, ops.divide(self.log(x), x))
        z = ops.divide(1.0, x)
        near = ops.less(x, 8.0)
        ratio = ops.where(near, ops.divide(self._polynomial(z, _NDTRI_P1), self._polynomial(z, _NDTRI_Q1)),
                          ops.divide(self._polynomial(z, _NDTRI_P2), self._polynomial(z, _NDTRI_Q2)))
        tail = ops.subtract(x0, self._rounded(ops.multiply(z, ratio)))
        tail = ops.where(lower, ops.negative(tail), tail)
        return ops.where(central, middle, tail)

    def log(self, x):
        """The natural logarithm of x in [2**-1022, 2**31), float64: x = m 2**e with m in [sqrt(1/2), sqrt(2)),
        log m = 2 atanh(s), s = (m - 1) / (m + 1), by its series; log x = e log 2 + log m."""
        ops = self.ops
        m, e = x, ops.zeros_like(x)
        for step in (512, 256, 128, 64, 32, 16, 8, 4, 2, 1):  # scalings by powers of two are exact
            small = ops.less(m, _SQRT2 * 2.0**-step)
            m = ops.where(small, ops.multiply(m, 2.0**step), m)
            e = ops.where(small, ops.subtract(e, float(step)), e)
        for step in (16, 8, 4, 2, 1):
            large = ops.greater_equal(m, _SQRT_HALF * 2.0**step)
            m = ops.where(large, ops.multiply(m, 2.0**-step), m)
            e = ops.where(large, ops.add(e, float(step)), e)
        f = ops.subtract(m, 1.0)
        s = ops.divide(f, ops.add(f, 2.0))
        s2 = self._rounded(ops.multiply(s, s))
        series = self._rounded(ops.multiply(s2, self._polynomial(s2, _ATANH_SERIES)))
        twice_s = ops.multiply(s, 2.0)
        log_m = ops.add(twice_s, self._rounded(ops.multiply(twice_s, series)))
        return ops.add(self._rounded(ops.multiply(e, _LN2_HIGH)), self._multiply_add(e, _LN2_LOW, log_m))

    # -- integers and permutations ---------------------------------------------------------------------------
    def randint(self, key, shape, minval: int, maxval: int, dtype: str):
        """`jax.random.randint(key, shape, minval, maxval, "int32")` cast to `dtype`: two 32-bit draws h and l
        (from the two keys of `split(key)`) give minval + ((h mod n) m + l mod n) mod n, n = maxval - minval,
        m = (2**16 mod n)**2 mod n, in uint32 arithmetic (so m = 0 for n > 2**16)."""
        words = self.words
        span = (maxval - minval) % 2**32
        multiplier = (2**16 % span) ** 2 % 2**32 % span  # the square wraps in uint32, as in jax
        k1, k2 = threefry.split(words, key)
        higher, lower = self.bits(k1, shape), self.bits(k2, shape)
        n = words.constant(span)
        offset = words.add(words.multiply(words.remainder(higher, n), words.constant(multiplier)),
                           words.remainder(lower, n))
        values = self.ops.add(words.to_int(words.remainder(offset, n), "int64"), int(minval))
        return self.ops.cast(values, dtype)

    def permutation(self, key, n: int):
        """`jax.random.permutation(key, n)`: rounds of a stable sort of range(n) by fresh 32-bit keys, each round
        keyed by the second key of a split (three rounds' worth of key bits, jax's count)."""
        ops, words = self.ops, self.words
        rounds = int(np.ceil(3 * np.log(max(1, n)) / np.log(np.iinfo(np.uint32).max)))
        order = ops.arange(n, dtype="int64")
        for _ in range(rounds):
            key, subkey = threefry.split(words, key)
            order = ops.take(order, words.argsort(self.bits(subkey, (n,))), axis=0)
        return order

    def categorical(self, key, logits, num_samples: int, dtype: str):
        """`jax.random.categorical(key, logits[..., None], shape=(batch, num_samples), axis=1)`: the argmax over
        classes of logits + Gumbel noise -log(-log(u)), u uniform in [tiny, 1) of the logits' dtype."""
        ops = self.ops
        logits_dtype = ops.dtype(logits)
        batch, classes = ops.shape(logits)
        u = ops.cast(self.uniform(key, (batch, classes, num_samples), logits_dtype,
                                  _float_info(logits_dtype)["tiny"], 1.0), "float64")
        gumbel = self._cast(ops.negative(self.log(ops.negative(self.log(u)))), logits_dtype)
        scores = ops.add(gumbel, ops.expand_dims(logits, -1))
        return ops.cast(ops.argmax(scores, axis=1), dtype)


def _filled(ops, like, value: float):
    return ops.add(ops.zeros_like(like), value)


def _as_dtype(value: float, dtype: str) -> float:
    """`value` rounded to `dtype` (bfloat16: to 8 significant bits, nearest even), as a Python float."""
    if dtype == "bfloat16":
        bits = np.array(value, dtype=np.float32).view(np.uint32)
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
        return float(np.array(bits, dtype=np.uint32).view(np.float32))
    return float(np.array(value, dtype=dtype))


_FLOAT64_MAX = float(np.finfo(np.float64).max)
_SQRT2, _SQRT_HALF = math.sqrt(2.0), math.sqrt(0.5)
_LN2_HIGH, _LN2_LOW = 6.93147180369123816490e-01, 1.90821492927058770002e-10  # fdlibm: e * _LN2_HIGH is exact
_ATANH_SERIES = [1.0 / k for k in range(23, 2, -2)]  # 1/23, ..., 1/5, 1/3 (highest degree first)

# Cephes ndtri (Moshier, 1992; Eigen's generic_ndtri): central range, then the tails below and above z = 8
_NDTRI_EXP_NEG_TWO = 0.13533528323661269189
_NDTRI_SQRT_2PI = 2.50662827463100050242e0
_NDTRI_P0 = [-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
             1.39312609387279679503e1, -1.23916583867381258016e0]
_NDTRI_Q0 = [1.0, 1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
             -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
             1.59056225126211695515e1, -1.18331621121330003142e0]
_NDTRI_P1 = [4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
             4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
             -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4]
_NDTRI_Q1 = [1.0, 1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
             1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
             -3.80806407691578277194e-2, -9.33259480895457427372e-4]
_NDTRI_P2 = [3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
             1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
             3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9]
_NDTRI_Q2 = [1.0, 6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
             2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
             2.89247864745380683936e-6, 6.79019408009981274425e-9]
