"""The lookup, hashing and text layers against Keras 3, one layer at a time (docs/SPEC.md 8d.L): every case's
outputs (bucket numbers and indices exactly, tf_idf to float32 rounding), vocabularies, vocabulary sizes and configs.

Keras computes these layers in TensorFlow whatever its backend; it is given TensorFlow tensors (its JAX backend
cannot hold the strings an inverted StringLookup returns). `check()` prints one line per comparison and returns how
many differ; registered in `conformance.crosscheck`.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

#: config entries an adapted layer (or one given a vocabulary file) writes where Keras keeps them in the saved file's
#: assets (docs/SPEC.md 8d.L)
ADAPTED_ONLY = ("vocabulary", "idf_weights", "vocabulary_size")

TEXTS = np.array(["The cat sat on the mat.", "A DOG, a cat; and THE bird!", "the end", "Ünïcode Straße: naïve café",
                  "  tabs\tand\nnewlines  ", "it's dog-friendly (isn't it?)", "no\u00a0break em\u2003space\x0bv\x0cf"])
WORDS = np.array([["b", "a", "c"], ["a", "d", "b"], ["a", "e", "zz"], ["c", "a", "b"]])
INTS = np.array([[3, 7, 7, 1], [9, 3, 3, 0], [7, 42, -5, 3]])
LONG = np.array(["x" * n + "y" for n in (15, 31, 63, 64, 65, 127, 128, 200)])


def _cases(vocabulary_file):
    """(label, layer name, kwargs, inputs, adapt data or None)."""
    words_batches = [WORDS[:2], WORDS[2:]]
    return [
        ("Hashing strings", "Hashing", {"num_bins": 7}, WORDS, None),
        ("Hashing long strings", "Hashing", {"num_bins": 1000003}, LONG, None),
        ("Hashing integers", "Hashing", {"num_bins": 5}, INTS, None),
        ("Hashing floats", "Hashing", {"num_bins": 5}, INTS * 1.5, None),
        ("Hashing salt int", "Hashing", {"num_bins": 11, "salt": 133}, WORDS, None),
        ("Hashing salt pair", "Hashing", {"num_bins": 11, "salt": [5, 2**40 + 9]}, INTS, None),
        ("Hashing mask_value string", "Hashing", {"num_bins": 4, "mask_value": "a"}, WORDS, None),
        ("Hashing mask_value int", "Hashing", {"num_bins": 4, "mask_value": 7}, INTS, None),
        ("Hashing one_hot", "Hashing", {"num_bins": 6, "output_mode": "one_hot"}, WORDS[:, :1], None),
        ("Hashing multi_hot", "Hashing", {"num_bins": 6, "output_mode": "multi_hot"}, WORDS, None),
        ("Hashing count", "Hashing", {"num_bins": 6, "output_mode": "count"}, INTS, None),
        ("HashedCrossing strings x ints", "HashedCrossing", {"num_bins": 9}, [WORDS[:, 0], INTS[0]], None),
        ("HashedCrossing ints one_hot", "HashedCrossing", {"num_bins": 5, "output_mode": "one_hot"},
         [INTS[:, :1], INTS[:, 1:2]], None),
        ("IntegerLookup vocabulary", "IntegerLookup", {"vocabulary": [7, 3, 9]}, INTS, None),
        ("IntegerLookup adapt", "IntegerLookup", {}, INTS, INTS),
        ("IntegerLookup adapt max_tokens", "IntegerLookup", {"max_tokens": 4}, INTS, INTS),
        ("IntegerLookup mask_token", "IntegerLookup", {"mask_token": 0, "vocabulary": [7, 3]}, INTS, None),
        ("IntegerLookup three OOV floormod", "IntegerLookup", {"num_oov_indices": 3, "vocabulary": [7, 3]}, INTS,
         None),
        ("IntegerLookup three OOV farmhash", "IntegerLookup", {"num_oov_indices": 3, "vocabulary": [7, 3],
                                                               "oov_method": "farmhash"}, INTS, None),
        ("IntegerLookup invert", "IntegerLookup", {"vocabulary": [7, 3, 9], "invert": True},
         np.array([[0, 1, 2, 3, 4]]), None),
        ("IntegerLookup multi_hot", "IntegerLookup", {"output_mode": "multi_hot"}, INTS, INTS),
        ("IntegerLookup count pad_to_max_tokens", "IntegerLookup",
         {"output_mode": "count", "max_tokens": 8, "pad_to_max_tokens": True}, INTS, INTS),
        ("IntegerLookup one_hot", "IntegerLookup", {"output_mode": "one_hot", "vocabulary": [7, 3]}, INTS[:, :1],
         None),
        ("IntegerLookup tf_idf adapt", "IntegerLookup", {"output_mode": "tf_idf"}, INTS, INTS),
        ("StringLookup vocabulary", "StringLookup", {"vocabulary": ["a", "b", "c"]}, WORDS, None),
        ("StringLookup vocabulary file", "StringLookup", {"vocabulary": vocabulary_file}, WORDS, None),
        ("StringLookup adapt batches", "StringLookup", {}, WORDS, words_batches),
        ("StringLookup adapt mask and max_tokens", "StringLookup", {"mask_token": "zz", "max_tokens": 4}, WORDS,
         WORDS),
        ("StringLookup two OOV salt", "StringLookup", {"num_oov_indices": 2, "salt": 17, "vocabulary": ["a"]},
         WORDS, None),
        ("StringLookup two OOV farmhash", "StringLookup", {"num_oov_indices": 2, "vocabulary": ["a"]}, WORDS, None),
        ("StringLookup zero OOV", "StringLookup", {"num_oov_indices": 0, "vocabulary": ["a", "b", "c", "d"]},
         WORDS[[0, 1, 3]], None),
        ("StringLookup invert mask", "StringLookup", {"vocabulary": ["a", "b"], "invert": True, "mask_token": "_"},
         np.array([[0, 1, 2, 3, 9]]), None),
        ("StringLookup tf_idf given", "StringLookup", {"output_mode": "tf_idf", "vocabulary": ["a", "b", "c"],
                                                       "idf_weights": [0.5, 0.25, 2.0]}, WORDS, None),
        ("StringLookup tf_idf adapt padded", "StringLookup", {"output_mode": "tf_idf", "max_tokens": 9,
                                                              "pad_to_max_tokens": True}, WORDS, WORDS),
        ("TextVectorization adapt", "TextVectorization", {}, TEXTS, TEXTS),
        ("TextVectorization output_sequence_length", "TextVectorization", {"output_sequence_length": 4}, TEXTS,
         TEXTS),
        ("TextVectorization max_tokens ngrams", "TextVectorization", {"max_tokens": 12, "ngrams": 2}, TEXTS, TEXTS),
        ("TextVectorization ngrams (2, 3)", "TextVectorization", {"ngrams": (2, 3)}, TEXTS, TEXTS),
        ("TextVectorization character", "TextVectorization", {"split": "character", "standardize": "lower"}, TEXTS,
         TEXTS),
        ("TextVectorization split None", "TextVectorization", {"split": None}, WORDS, WORDS),
        ("TextVectorization one_hot split None", "TextVectorization", {"split": None, "output_mode": "one_hot"},
         WORDS[:, :1], WORDS),
        ("TextVectorization strip_punctuation", "TextVectorization", {"standardize": "strip_punctuation"}, TEXTS,
         TEXTS),
        ("TextVectorization standardize None", "TextVectorization", {"standardize": None}, TEXTS, TEXTS),
        ("TextVectorization multi_hot", "TextVectorization", {"output_mode": "multi_hot"}, TEXTS, TEXTS),
        ("TextVectorization count", "TextVectorization", {"output_mode": "count", "max_tokens": 10}, TEXTS, TEXTS),
        ("TextVectorization tf_idf", "TextVectorization", {"output_mode": "tf_idf"}, TEXTS, TEXTS),
        ("TextVectorization vocabulary", "TextVectorization", {"vocabulary": ["the", "cat", "dog"],
                                                               "output_sequence_length": 6}, TEXTS, None),
        ("TextVectorization callables", "TextVectorization", {"standardize": np.char.upper}, TEXTS, TEXTS),
    ]


def _numpy(value) -> np.ndarray:
    value = value.numpy() if hasattr(value, "numpy") else value
    array = np.asarray(value)
    if array.dtype.kind in "SO":
        array = np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else v, otypes=[str])(array)
    return array


def _problems(label, ours_layer, ours, theirs_layer, theirs, adapted) -> list[str]:
    problems = []
    if ours.shape != theirs.shape or (ours.dtype.kind in "iu") != (theirs.dtype.kind in "iu"):
        problems.append(f"shape/dtype {ours.shape} {ours.dtype} vs {theirs.shape} {theirs.dtype}")
    elif ours.dtype.kind in "iuUS" and not np.array_equal(ours, theirs):
        problems.append(f"values {ours.tolist()} vs {theirs.tolist()}")
    elif ours.dtype.kind == "f" and not np.allclose(ours, theirs, rtol=1e-6, atol=1e-6):
        problems.append(f"max |diff| {np.max(np.abs(ours - theirs)):.3e}")
    if hasattr(theirs_layer, "get_vocabulary"):
        want = [str(v) if isinstance(v, (str, np.str_)) else int(v) for v in theirs_layer.get_vocabulary()]
        if ours_layer.get_vocabulary() != want:
            problems.append(f"vocabulary {ours_layer.get_vocabulary()} vs {want}")
        if ours_layer.vocabulary_size() != theirs_layer.vocabulary_size():
            problems.append(f"vocabulary_size {ours_layer.vocabulary_size()} vs {theirs_layer.vocabulary_size()}")
    ours_config, theirs_config = ours_layer.get_config(), theirs_layer.get_config()
    for key, value in theirs_config.items():
        if key in ("dtype", "name") or (adapted and key in ADAPTED_ONLY):
            continue
        if key not in ours_config:
            problems.append(f"config lacks {key}")
        elif np.asarray(ours_config[key], dtype=object).tolist() != np.asarray(value, dtype=object).tolist():
            problems.append(f"config {key}: {ours_config[key]!r} vs {value!r}")
    return problems


def check() -> int:
    import keras
    import tensorflow as tf

    import fitspec_numpy as fs
    from conformance.crosscheck_common import verdict

    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        vocabulary_file = os.path.join(folder, "vocabulary.txt")
        with open(vocabulary_file, "w", encoding="utf-8") as file:
            file.write("c\nb\na\n")
        for label, name, kwargs, inputs, adapt in _cases(vocabulary_file):
            ours_layer = getattr(fs.layers, name)(**kwargs)
            theirs_layer = getattr(keras.layers, name)(**kwargs)
            if adapt is not None:
                ours_layer.adapt(adapt)
                theirs_layer.adapt(adapt if not isinstance(adapt, list) else iter(adapt))
            ours = _numpy(fs.ops.convert_to_numpy(ours_layer(inputs)) if not isinstance(ours_layer(inputs), np.ndarray)
                          else ours_layer(inputs))
            as_tf = [tf.constant(x) for x in inputs] if isinstance(inputs, list) else tf.constant(inputs)
            theirs = _numpy(keras.ops.convert_to_numpy(theirs_layer(as_tf)) if name != "StringLookup" or not
                            kwargs.get("invert") else theirs_layer(as_tf))
            failures += verdict(f"lookups/{label}",
                                _problems(label, ours_layer, ours, theirs_layer, theirs,
                                          adapt is not None or kwargs.get("vocabulary") == vocabulary_file))
    return failures


if __name__ == "__main__":
    raise SystemExit(1 if check() else 0)
