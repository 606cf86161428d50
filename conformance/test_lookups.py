"""The lookup, hashing and text layers (docs/SPEC.md 8d.L): Keras 3's numbers (written down from Keras 3.15 with
TensorFlow 2.21), vocabularies and their order, the output modes, the host rule inside a model, config and save round
trips, and bad arguments. These layers have no gradient (their outputs are integers or counts of a lookup)."""

from __future__ import annotations

import collections
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.test_layers_merging_reshaping_noise_normalization import numpy_of

WORDS = np.array([["b", "a", "c"], ["a", "d", "b"]])
INTS = np.array([[3, 7, 7, 1], [9, 3, 3, 0]])
TEXTS = np.array(["The cat sat on the mat.", "A DOG, a cat; and THE bird!", "Ünïcode Straße"])


def values(fs, outputs):
    return outputs.tolist() if isinstance(outputs, np.ndarray) else numpy_of(fs, outputs).tolist()


# -- Hashing and HashedCrossing ---------------------------------------------------------------------------------------
def test_hashing_gives_kerass_farmhash_and_salted_siphash_buckets(fs):
    assert values(fs, fs.layers.Hashing(7)(WORDS)) == [[2, 5, 5], [5, 2, 2]]
    assert values(fs, fs.layers.Hashing(5)(INTS)) == [[1, 3, 3, 4], [0, 1, 1, 0]]  # integers as decimal digits
    assert values(fs, fs.layers.Hashing(11, salt=133)(WORDS)) == [[9, 6, 1], [6, 9, 9]]
    assert values(fs, fs.layers.Hashing(4, mask_value="a")(WORDS)) == [[2, 0, 2], [0, 3, 2]]
    assert values(fs, fs.layers.HashedCrossing(9)([WORDS[:, 0], INTS[:, 0]])) == [7, 8]


def test_hashing_encodes_its_buckets_as_category_encoding(fs):
    buckets = np.array([[2, 5, 5], [5, 2, 2]])
    counts = values(fs, fs.layers.Hashing(7, output_mode="count")(WORDS))
    assert counts == [[float(np.sum(row == k)) for k in range(7)] for row in buckets]
    multi_hot = values(fs, fs.layers.Hashing(7, output_mode="multi_hot")(WORDS))
    assert multi_hot == [[float(k in row) for k in range(7)] for row in buckets]
    one_hot = fs.layers.Hashing(7, output_mode="one_hot")(WORDS[:, :1])
    assert values(fs, one_hot) == np.eye(7)[[2, 5]].tolist()


# -- IntegerLookup and StringLookup -----------------------------------------------------------------------------------
def test_adapt_orders_tokens_by_count_then_by_the_token_high_to_low(fs):
    layer = fs.layers.IntegerLookup()
    layer.adapt(INTS)
    assert layer.get_vocabulary() == [-1, 3, 7, 9, 1, 0]
    assert values(fs, layer(INTS)) == [[1, 2, 2, 4], [3, 1, 1, 5]]
    assert layer.vocabulary_size() == 6 and layer.get_vocabulary(include_special_tokens=False) == [3, 7, 9, 1, 0]
    strings = fs.layers.StringLookup(max_tokens=3)
    strings.adapt(iter([WORDS[:1], WORDS[1:]]))  # batches: each a document
    assert strings.get_vocabulary() == ["[UNK]", "b", "a"]


@settings(max_examples=20, deadline=None)  # host arithmetic only: nothing compiles
@given(tokens=st.lists(st.integers(-3, 6), min_size=1, max_size=30), max_tokens=st.none() | st.integers(2, 8))
def test_adapted_vocabulary_is_the_counts_sorted_high_to_low_then_the_tokens_high_to_low(fs, tokens, max_tokens):
    layer = fs.layers.IntegerLookup(max_tokens=max_tokens)
    layer.adapt(np.array(tokens))
    counts = collections.Counter(t for t in tokens if t != -1)  # -1 is the OOV token: never in the vocabulary
    expected = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
    assert layer.get_vocabulary(include_special_tokens=False) == expected[:None if max_tokens is None else
                                                                          max_tokens - 1]


def test_several_oov_indices_take_floormod_or_the_farmhash_bucket(fs):
    assert values(fs, fs.layers.IntegerLookup(num_oov_indices=3, vocabulary=[7, 3])(INTS)) == [[4, 3, 3, 1],
                                                                                              [0, 4, 4, 0]]
    assert values(fs, fs.layers.StringLookup(num_oov_indices=2, vocabulary=["a"])(WORDS)) == [[0, 2, 0], [2, 1, 0]]


def test_the_mask_token_takes_index_0_and_invert_maps_indices_back(fs):
    layer = fs.layers.StringLookup(vocabulary=["a", "b"], mask_token="_")
    assert values(fs, layer(np.array(["_", "a", "b", "z"]))) == [0, 2, 3, 1]
    inverse = fs.layers.StringLookup(vocabulary=["a", "b"], mask_token="_", invert=True)
    assert inverse(np.array([[0, 1, 2, 3, 9]])).tolist() == [["_", "[UNK]", "a", "b", "[UNK]"]]
    assert values(fs, fs.layers.IntegerLookup(vocabulary=[7, 3], invert=True)(np.array([2, 1, 0, 5]))) == [3, 7, -1, -1]


def test_output_modes_encode_the_indices_and_tf_idf_weighs_the_counts(fs):
    layer = fs.layers.IntegerLookup(vocabulary=[7, 3], output_mode="count", max_tokens=5, pad_to_max_tokens=True)
    assert values(fs, layer(INTS)) == [[1, 2, 1, 0, 0], [2, 0, 2, 0, 0]]
    tf_idf = fs.layers.StringLookup(output_mode="tf_idf")
    tf_idf.adapt(WORDS)
    assert tf_idf.get_vocabulary() == ["[UNK]", "b", "a", "d", "c"]
    log = np.log(1 + 2 / (1 + np.array([2, 2, 1, 1])))  # log(1 + documents / (1 + documents with the token))
    np.testing.assert_allclose(numpy_of(fs, tf_idf(WORDS)), [[0, log[0], log[1], 0, log[3]],
                                                             [0, log[0], log[1], log[2], 0]], rtol=1e-6)


def test_a_vocabulary_file_and_set_vocabulary_give_the_same_lookup(fs, tmp_path):
    path = tmp_path / "vocabulary.txt"
    path.write_text("c\nb\na\n", encoding="utf-8")
    from_file = fs.layers.StringLookup(vocabulary=str(path))
    given = fs.layers.StringLookup()
    given.set_vocabulary(["[UNK]", "c", "b", "a"])  # special tokens at the front are recognised
    assert from_file.get_vocabulary() == given.get_vocabulary() == ["[UNK]", "c", "b", "a"]
    assert values(fs, from_file(WORDS)) == values(fs, given(WORDS)) == [[2, 3, 1], [3, 0, 2]]


# -- TextVectorization -------------------------------------------------------------------------------------------------
def test_text_vectorization_tokenizes_and_orders_its_vocabulary_as_keras(fs):
    layer = fs.layers.TextVectorization()
    layer.adapt(TEXTS)
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "cat", "a", "Ünïcode", "straße", "sat", "on", "mat", "dog",
                                      "bird", "and"]  # ASCII lower case only, as tf.strings.lower
    assert values(fs, layer(TEXTS)) == [[2, 3, 7, 8, 2, 9, 0], [4, 10, 4, 3, 12, 2, 11], [5, 6, 0, 0, 0, 0, 0]]
    bigrams = fs.layers.TextVectorization(ngrams=2, output_mode="count", max_tokens=6)
    bigrams.adapt(TEXTS)
    assert bigrams.get_vocabulary() == ["[UNK]", "the", "cat", "a", "Ünïcode straße", "Ünïcode"]
    assert values(fs, bigrams(TEXTS)) == [[8, 2, 1, 0, 0, 0], [9, 1, 1, 2, 0, 0], [1, 0, 0, 0, 1, 1]]


def test_text_vectorization_pads_or_cuts_to_output_sequence_length(fs):
    layer = fs.layers.TextVectorization(vocabulary=["the", "cat"], output_sequence_length=3, split="whitespace",
                                        standardize="lower")
    assert values(fs, layer(np.array(["the cat.", "THE CAT THE CAT", ""]))) == [[2, 1, 0], [2, 3, 2], [0, 0, 0]]


# -- inside a model ----------------------------------------------------------------------------------------------------
def lookup_model(fs):
    vocabulary = fs.layers.IntegerLookup(max_tokens=5)
    vocabulary.adapt(np.array([3, 3, 1, 0, 2, 2, 2]))
    inputs = fs.Input(shape=(3,), dtype="int32")
    embedded = fs.layers.Flatten()(fs.layers.Embedding(5, 2)(vocabulary(inputs)))
    hashed = fs.layers.Hashing(4, output_mode="count")(inputs)
    return fs.Model(inputs, fs.layers.Dense(1)(fs.layers.Concatenate()([embedded, hashed])))


def test_lookups_inside_a_model_fit_with_run_eagerly_and_save_with_their_vocabulary(fs, tmp_path):
    x = np.array([[3, 1, 0], [2, 2, 9], [0, 3, 3], [1, 1, 2]], dtype="int32")
    y = np.arange(4.0).reshape(4, 1)
    model = lookup_model(fs)
    model.compile("sgd", "mse", run_eagerly=True)
    history = model.fit(x, y, epochs=2, batch_size=2, verbose=0).history
    assert np.all(np.isfinite(history["loss"]))
    model.save(tmp_path / "lookups.keras")
    loaded = fs.models.load_model(tmp_path / "lookups.keras")
    assert loaded.layers[1].get_vocabulary() == model.layers[1].get_vocabulary() == [-1, 2, 3, 1, 0]
    np.testing.assert_array_equal(numpy_of(fs, loaded(x)), numpy_of(fs, model(x)))


def test_a_traced_step_refuses_the_host_layers_naming_run_eagerly(fs):
    x, y = np.array([[3, 1, 0], [2, 2, 9]], dtype="int32"), np.zeros((2, 1))
    model = lookup_model(fs)
    model.compile("sgd", "mse")
    if fs.backend.name in ("jax", "tensorflow"):  # jax.jit and tf.function trace the step
        with pytest.raises(ValueError, match=r"read on the host.*run_eagerly=True"):
            model.fit(x, y, epochs=1, verbose=0)
    else:  # numpy's and torch's steps run eagerly: the batch is on the host
        assert np.isfinite(model.fit(x, y, epochs=1, verbose=0).history["loss"][0])


def test_strings_go_through_the_layers_in_the_data_pipeline_and_the_numbers_fit_compiled(fs):
    """TextVectorization adapted on a PyDataset of texts, then applied batch by batch in a PyDataset that feeds a
    compiled fit() (no run_eagerly): the model sees int64 (JAX: int32) indices, never strings."""
    texts = np.array(["the cat sat", "a dog ran", "the dog sat down", "a cat", "cats and dogs", "the end"])
    vectorize = fs.layers.TextVectorization(max_tokens=10, output_sequence_length=4)

    class Texts(fs.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            batch = texts[2 * index:2 * index + 2]
            if vectorize.vocabulary_size() == 2:  # "" and "[UNK]" alone: adapt() is reading the raw texts
                return (batch,)
            return vectorize(batch), np.arange(2.0).reshape(2, 1) + index

    with pytest.raises(ValueError, match=r"argument `vocabulary` expected tokens"):  # Keras's empty table raises
        vectorize(texts[:1])
    vectorize.adapt(Texts())
    assert vectorize.get_vocabulary()[:4] == ["", "[UNK]", "the", "sat"]
    model = fs.Sequential([fs.Input(shape=(4,), dtype="int32"), fs.layers.Embedding(10, 3),
                           fs.layers.GlobalAveragePooling1D(), fs.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(Texts(), epochs=2, verbose=0).history
    assert len(history["loss"]) == 2 and np.all(np.isfinite(history["loss"]))


def test_configs_round_trip_with_the_adapted_vocabulary(fs):
    layer = fs.layers.TextVectorization(output_mode="tf_idf", max_tokens=8, pad_to_max_tokens=True)
    layer.adapt(TEXTS)
    twin = fs.layers.TextVectorization.from_config(layer.get_config())
    assert twin.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(numpy_of(fs, twin(TEXTS)), numpy_of(fs, layer(TEXTS)))
    shout = fs.saving.register_keras_serializable(package="test_lookups")(shout_text)
    custom = fs.layers.TextVectorization(standardize=shout, vocabulary=["A", "CAT"])
    rebuilt = fs.saving.deserialize_keras_object(json.loads(json.dumps(fs.saving.serialize_keras_object(custom))))
    assert rebuilt.standardize is shout and values(fs, rebuilt(np.array(["a cat"]))) == [[2, 3]]
    lookup = fs.layers.IntegerLookup(mask_token=0, num_oov_indices=2)
    lookup.adapt(INTS)
    assert fs.layers.IntegerLookup.from_config(lookup.get_config()).get_vocabulary() == lookup.get_vocabulary()


def shout_text(texts):
    """A standardize function: upper case."""
    return np.char.upper(texts)


# -- bad input ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "kwargs", "argument"), [
    ("Hashing", {"num_bins": 0}, "num_bins"), ("Hashing", {"num_bins": 3, "salt": "x"}, "salt"),
    ("Hashing", {"num_bins": 3, "sparse": True}, "sparse"), ("Hashing", {"num_bins": 3, "dtype": "float32"}, "dtype"),
    ("HashedCrossing", {"num_bins": 3, "output_mode": "count"}, "output_mode"),
    ("StringLookup", {"invert": True, "output_mode": "multi_hot"}, "output_mode"),
    ("StringLookup", {"output_mode": "tf_idf", "vocabulary": ["a"]}, "idf_weights"),
    ("StringLookup", {"vocabulary": ["a", "a"]}, "vocabulary"),
    ("StringLookup", {"vocabulary": ["a", "b", "c"], "max_tokens": 3}, "vocabulary"),
    ("StringLookup", {"encoding": "latin-1"}, "encoding"), ("IntegerLookup", {"num_oov_indices": -1},
                                                            "num_oov_indices"),
    ("IntegerLookup", {"salt": 3}, "salt"), ("TextVectorization", {"ragged": True}, "ragged"),
    ("TextVectorization", {"output_mode": "count", "output_sequence_length": 3}, "output_sequence_length"),
    ("TextVectorization", {"split": "comma"}, "split"), ("TextVectorization", {"ngrams": 0}, "ngrams"),
    ("TextVectorization", {"output_mode": "one_hot"}, "output_mode"),
])
def test_bad_arguments_are_refused_by_name(fs, name, kwargs, argument):
    with pytest.raises(ValueError, match=rf"argument `{argument}`"):
        getattr(fs.layers, name)(**kwargs)


def test_bad_calls_and_adapts_are_refused_by_name(fs):
    with pytest.raises(ValueError, match=r"num_oov_indices=0.*received \['z'\]"):
        fs.layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["a", "z"]))
    with pytest.raises(ValueError, match=r"argument `inputs` expected int64 tokens"):
        fs.layers.IntegerLookup(vocabulary=[1])(np.array(["a"]))
    with pytest.raises(ValueError, match=r"adapt: argument `self` expected a layer without a given vocabulary"):
        fs.layers.StringLookup(vocabulary=["a"]).adapt(WORDS)
    with pytest.raises(ValueError, match=r"argument `inputs` expected arrays of shape \(\), \(batch,\)"):
        fs.layers.HashedCrossing(3)([INTS, INTS])
    with pytest.raises(ValueError, match=r"argument `inputs` expected numeric symbolic inputs.*data pipeline"):
        fs.layers.StringLookup(vocabulary=["a"])(fs.Input(shape=(1,), dtype="string"))
