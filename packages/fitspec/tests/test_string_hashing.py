"""FarmHash Fingerprint64, SipHash-2-4 and FingerprintCat64 against the numbers TensorFlow 2.21 gives
(tf.fingerprint(method="farmhash64"), tf.strings.to_hash_bucket_strong, tf.sparse.cross_hashed), docs/SPEC.md 8d.L."""

from __future__ import annotations

from fitspec.string_hashing import MASK, fingerprint64, fingerprint_cat64, siphash24

#: one string per branch of Fingerprint64 (0, 1-3, 4-7, 8-16, 17-32, 33-64, more than 64 bytes)
STRINGS = [b"", b"a", b"abc", b"hello", b"12345678", b"-1", "Stra\u00dfe".encode(), b"x" * 17, b"y" * 33, b"z" * 64,
           b"The quick brown fox jumps over the lazy dog, twice: the quick brown fox.", bytes(range(200))]
#: tf.fingerprint(STRINGS, method="farmhash64"), each read as a little-endian uint64
FINGERPRINTS = [11160318154034397263, 12917804110809363939, 2640714258260161385, 13009744463427800296,
                3430003927990384362, 7333874265151076430, 11233591462477025491, 11306081951414300581,
                8610735037765521150, 294799756062990872, 9635176966850117208, 525935771297148851]
#: tf.strings.to_hash_bucket_strong(STRINGS, 2**63 - 1, key=[7, 2**40 + 3])
STRONG = [412738600555778447, 4572192982629610292, 3404931563118014083, 9010602611888352330, 2306026622787848506,
          9211927539467960318, 1764872974817721811, 896771052881388737, 6989191274411612684, 2007068065776787389,
          4047582682888445547, 184497992950071060]
INT64_MAX = 2**63 - 1


def test_fingerprint64_is_tensorflows_farmhash64():
    assert [fingerprint64(s) for s in STRINGS] == FINGERPRINTS


def test_siphash24_is_tensorflows_strong_keyed_hash():
    assert [siphash24((7, 2**40 + 3), s) % INT64_MAX for s in STRINGS] == STRONG


def test_fingerprint_cat64_folds_as_tensorflows_cross_hashed():
    """cross_hashed(num_buckets=0) of ("a", "b") and of (3, 22): from 0xDECAFCAFFE, strings by their fingerprint,
    integers by their own bits, modulo the largest int64."""
    def crossed(*fingerprints):
        value = 0xDECAFCAFFE
        for f in fingerprints:
            value = fingerprint_cat64(value, f)
        return value % INT64_MAX

    assert crossed(fingerprint64(b"a"), fingerprint64(b"b")) == 5527121959452899179
    assert crossed(3, 22) == 6231734471535452910
    assert crossed(-5 & MASK, fingerprint64(b"x")) == 8909221655474295601
