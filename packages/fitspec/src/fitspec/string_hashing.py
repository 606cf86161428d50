"""The string hashes TensorFlow's hashing ops use, on the host in pure Python (docs/SPEC.md 8d.L).

`fingerprint64` is FarmHash's Fingerprint64 (farmhashna Hash64: `tf.strings.to_hash_bucket_fast`), `siphash24`
is SipHash-2-4 under a 128-bit key (`tf.strings.to_hash_bucket_strong`), `fingerprint_cat64` combines two
fingerprints (`tf.sparse.cross_hashed`). Every value is an unsigned 64-bit integer held in a Python int.
"""

from __future__ import annotations

MASK = (1 << 64) - 1
K0, K1, K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F
#: FingerprintCat64's multiplier (MurmurHash's)
CAT_MULTIPLIER = 0xC6A4A7935BD1E995


def _fetch64(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 8], "little")


def _fetch32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 4], "little")


def _rotate(value: int, shift: int) -> int:
    return ((value >> shift) | (value << (64 - shift))) & MASK


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _hash_len16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & MASK
    b ^= b >> 47
    return (b * mul) & MASK


def _hash_len0to16(data: bytes) -> int:
    n = len(data)
    if n >= 8:
        mul = K2 + n * 2
        a = (_fetch64(data, 0) + K2) & MASK
        b = _fetch64(data, n - 8)
        c = (_rotate(b, 37) * mul + a) & MASK
        d = ((_rotate(a, 25) + b) * mul) & MASK
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = K2 + n * 2
        return _hash_len16((n + (_fetch32(data, 0) << 3)) & MASK, _fetch32(data, n - 4), mul)
    if n > 0:
        y = (data[0] + (data[n >> 1] << 8)) & 0xFFFFFFFF
        z = (n + (data[n - 1] << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * K2) ^ (z * K0)) & MASK) * K2) & MASK
    return K2


def _first_and_last_16(data: bytes, first_multiplier: int) -> tuple[int, int, int, int]:
    """(mul, a, y, x) of the 17-64 byte hashes: y and x mix the first and last 16 bytes."""
    n = len(data)
    mul = K2 + n * 2
    a = (_fetch64(data, 0) * first_multiplier) & MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, n - 8) * mul) & MASK
    d = (_fetch64(data, n - 16) * K2) & MASK
    y = (_rotate((a + b) & MASK, 43) + _rotate(c, 30) + d) & MASK
    return mul, a, y, (a + _rotate((b + K2) & MASK, 18) + c) & MASK


def _hash_len17to32(data: bytes) -> int:
    mul, _, y, x = _first_and_last_16(data, K1)
    return _hash_len16(y, x, mul)


def _hash_len33to64(data: bytes) -> int:
    n = len(data)
    mul, a, y, x = _first_and_last_16(data, K2)
    z = _hash_len16(y, x, mul)
    e = (_fetch64(data, 16) * mul) & MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, n - 32)) * mul) & MASK
    h = ((z + _fetch64(data, n - 24)) * mul) & MASK
    return _hash_len16((_rotate((e + f) & MASK, 43) + _rotate(g, 30) + h) & MASK,
                       (e + _rotate((f + a) & MASK, 18) + g) & MASK, mul)


def _weak_hash_len32_with_seeds(data: bytes, at: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = (_fetch64(data, at + 8 * i) for i in range(4))
    a = (a + w) & MASK
    b = _rotate((b + a + z) & MASK, 21)
    c = a
    a = (a + x + y) & MASK
    b = (b + _rotate(a, 44)) & MASK
    return (a + z) & MASK, (b + c) & MASK


def fingerprint64(data: bytes) -> int:
    """FarmHash Fingerprint64 of `data` (TensorFlow's `Fingerprint64`)."""
    n = len(data)
    if n <= 16:
        return _hash_len0to16(data)
    if n <= 32:
        return _hash_len17to32(data)
    if n <= 64:
        return _hash_len33to64(data)
    seed = 81
    x = seed
    y = (seed * K1 + 113) & MASK
    z = (_shift_mix((y * K2 + 113) & MASK) * K2) & MASK
    v, w = (0, 0), (0, 0)
    x = (x * K2 + _fetch64(data, 0)) & MASK
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    at = 0
    while True:
        x = (_rotate((x + y + v[0] + _fetch64(data, at + 8)) & MASK, 37) * K1) & MASK
        y = (_rotate((y + v[1] + _fetch64(data, at + 48)) & MASK, 42) * K1) & MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(data, at + 40)) & MASK
        z = (_rotate((z + w[0]) & MASK, 33) * K1) & MASK
        v = _weak_hash_len32_with_seeds(data, at, (v[1] * K1) & MASK, (x + w[0]) & MASK)
        w = _weak_hash_len32_with_seeds(data, at + 32, (z + w[1]) & MASK, (y + _fetch64(data, at + 16)) & MASK)
        z, x = x, z
        at += 64
        if at == end:
            break
    mul = K1 + ((z & 0xFF) << 1)
    at = last64
    w = ((w[0] + ((n - 1) & 63)) & MASK, w[1])
    v = ((v[0] + w[0]) & MASK, v[1])
    w = ((w[0] + v[0]) & MASK, w[1])
    x = (_rotate((x + y + v[0] + _fetch64(data, at + 8)) & MASK, 37) * mul) & MASK
    y = (_rotate((y + v[1] + _fetch64(data, at + 48)) & MASK, 42) * mul) & MASK
    x ^= (w[1] * 9) & MASK
    y = (y + v[0] * 9 + _fetch64(data, at + 40)) & MASK
    z = (_rotate((z + w[0]) & MASK, 33) * mul) & MASK
    v = _weak_hash_len32_with_seeds(data, at, (v[1] * mul) & MASK, (x + w[0]) & MASK)
    w = _weak_hash_len32_with_seeds(data, at + 32, (z + w[1]) & MASK, (y + _fetch64(data, at + 16)) & MASK)
    z, x = x, z
    return _hash_len16((_hash_len16(v[0], w[0], mul) + _shift_mix(y) * K0 + z) & MASK,
                       (_hash_len16(v[1], w[1], mul) + x) & MASK, mul)


def fingerprint_cat64(first: int, second: int) -> int:
    """TensorFlow's FingerprintCat64: two fingerprints combined (not commutative)."""
    result = first ^ CAT_MULTIPLIER
    result ^= (_shift_mix((second * CAT_MULTIPLIER) & MASK) * CAT_MULTIPLIER) & MASK
    result = (result * CAT_MULTIPLIER) & MASK
    result = (_shift_mix(result) * CAT_MULTIPLIER) & MASK
    return _shift_mix(result)


def _sip_round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0 = (v0 + v1) & MASK
    v1 = _rotate(v1, 51) ^ v0  # rotl 13
    v0 = _rotate(v0, 32)
    v2 = (v2 + v3) & MASK
    v3 = _rotate(v3, 48) ^ v2  # rotl 16
    v0 = (v0 + v3) & MASK
    v3 = _rotate(v3, 43) ^ v0  # rotl 21
    v2 = (v2 + v1) & MASK
    v1 = _rotate(v1, 47) ^ v2  # rotl 17
    v2 = _rotate(v2, 32)
    return v0, v1, v2, v3


def siphash24(key: tuple[int, int], data: bytes) -> int:
    """SipHash-2-4 of `data` under the key (k0, k1), two unsigned 64-bit ints (TensorFlow's StrongKeyedHash)."""
    k0, k1 = key[0] & MASK, key[1] & MASK
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573
    n = len(data)
    whole = n - n % 8
    for at in range(0, whole, 8):
        m = _fetch64(data, at)
        v3 ^= m
        for _ in range(2):
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0 ^= m
    m = ((n & 0xFF) << 56) | int.from_bytes(data[whole:], "little")
    v3 ^= m
    for _ in range(2):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    v0 ^= m
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3
