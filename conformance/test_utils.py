"""`fs.utils`' array helpers and `fs.config`'s options (docs/SPEC.md 12): Keras 3's results, errors where Keras
would compute a silent wrong answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


# -- to_categorical --------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(ids=hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=st.integers(0, 5)),
       extra=st.integers(0, 2))
def test_to_categorical_of_host_ids_is_keras_one_hot_in_float64(fs, ids, extra):
    num_classes = int(ids.max()) + 1 + extra
    out = fs.utils.to_categorical(ids, num_classes)
    kept = ids.shape[:-1] if ids.ndim > 1 and ids.shape[-1] == 1 else ids.shape  # a trailing 1 is dropped
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (*kept, num_classes)
    np.testing.assert_array_equal(out, np.eye(num_classes)[ids.reshape(kept)])
    np.testing.assert_array_equal(fs.utils.to_categorical(ids.tolist()), np.eye(int(ids.max()) + 1)[ids.reshape(kept)])


def test_to_categorical_of_a_tensor_is_a_floatx_tensor(fs):
    ids = fs.ops.convert_to_tensor(np.array([[2], [0], [1]], dtype="int32"))
    out = fs.utils.to_categorical(ids, 4)
    host = isinstance(ids, np.ndarray)  # the numpy backend's tensors are host data: Keras's numpy result
    assert fs.ops.dtype(out) == ("float64" if host else fs.config.floatx())
    np.testing.assert_array_equal(fs.ops.convert_to_numpy(out), np.eye(4)[[2, 0, 1]])


@pytest.mark.parametrize("ids, num_classes, argument", [
    ([0, 3], 3, "x"), ([-1, 1], None, "x"), ([0.5, 1.0], None, "x"), ([0, 1], 0, "num_classes"),
    ([0, 1], 2.0, "num_classes"), ([], None, "num_classes"),
])
def test_to_categorical_refuses_what_keras_would_index_or_truncate(fs, ids, num_classes, argument):
    with pytest.raises(ValueError, match=f"utils.to_categorical.*{argument}"):
        fs.utils.to_categorical(np.array(ids), num_classes)


# -- normalize -------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", [1, 2, np.inf])
def test_normalize_divides_by_the_norm_on_host_data_and_on_tensors(fs, order):
    x = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1e-3, 2.0, -2.0]])
    norm = np.linalg.norm(x, order, axis=-1, keepdims=True)
    host = fs.utils.normalize(x, order=order)
    np.testing.assert_array_equal(host, x / np.where(norm == 0, 1, norm))  # Keras's numpy rule, exactly
    tensor = fs.ops.convert_to_numpy(fs.utils.normalize(fs.ops.convert_to_tensor(x, fs.config.floatx()),
                                                        order=order))
    rtol = 1e-6 if fs.config.floatx() == "float32" else 1e-14
    np.testing.assert_allclose(tensor, x / np.maximum(norm, 1e-7), rtol=rtol, atol=1e-30)


def test_normalize_divides_along_the_axis_asked_for(fs):
    x = np.array([[3.0, 1.0], [4.0, 0.0]])  # square: dividing rows by the column norms would go unnoticed
    np.testing.assert_array_equal(fs.utils.normalize(x, axis=0), x / np.array([[5.0, 1.0]]))


def test_normalize_refuses_an_order_it_does_not_compute(fs):
    with pytest.raises(ValueError, match="order"):
        fs.utils.normalize(np.ones((2, 2)), order=3)
    with pytest.raises(ValueError, match="axis"):
        fs.utils.normalize(np.ones((2, 2)), axis=None)


# -- pad_sequences ---------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(lengths=st.lists(st.integers(0, 6), min_size=1, max_size=5), maxlen=st.none() | st.integers(1, 7),
       padding=st.sampled_from(["pre", "post"]), truncating=st.sampled_from(["pre", "post"]),
       value=st.integers(-3, 3))
def test_pad_sequences_cuts_and_fills_at_the_ends_asked_for(fs, lengths, maxlen, padding, truncating, value):
    sequences = [list(range(10 * i + 1, 10 * i + 1 + n)) for i, n in enumerate(lengths)]
    out = fs.utils.pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating, value=value)
    width = maxlen if maxlen is not None else max(lengths)
    assert out.shape == (len(sequences), width) and out.dtype == np.int32
    for row, sequence in zip(out, sequences):
        kept = (sequence[-width:] if truncating == "pre" else sequence[:width]) if sequence else []
        fill = [value] * (width - len(kept))
        assert row.tolist() == (fill + kept if padding == "pre" else kept + fill)


def test_pad_sequences_keeps_the_sample_shape_and_dtype():
    import fitspec_numpy as fs

    out = fs.utils.pad_sequences([np.ones((2, 3)), np.zeros((1, 3))], dtype="float32", padding="post", value=-1)
    assert out.shape == (2, 2, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[1, 1], [-1, -1, -1])


@pytest.mark.parametrize("kwargs, argument", [
    ({"sequences": [[1.5, 2.0]]}, "dtype"), ({"sequences": [[1], [1, 2]], "padding": "middle"}, "padding"),
    ({"sequences": [[1]], "truncating": None}, "truncating"), ({"sequences": [[1]], "maxlen": 0}, "maxlen"),
    ({"sequences": [np.ones((1, 2)), np.ones((1, 3))]}, r"sequences\[1\]"), ({"sequences": "abc"}, "sequences"),
    ({"sequences": [[1]], "value": "x"}, "value"),
])
def test_pad_sequences_refuses_bad_arguments_by_name(fs, kwargs, argument):
    with pytest.raises(ValueError, match=f"utils.pad_sequences.*{argument}"):
        fs.utils.pad_sequences(**kwargs)


# -- config and session ----------------------------------------------------------------------------
def test_config_names_the_backend_and_its_image_data_format(fs):
    assert fs.config.backend() == fs.backend.name
    assert fs.config.image_data_format() == "channels_last"
    fs.config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="data_format"):
        fs.config.set_image_data_format("channels_first")
    assert fs.config.image_data_format() == "channels_last"


def test_clear_session_starts_the_automatic_names_again(fs):
    fs.utils.clear_session()
    first = fs.layers.Dense(1).name
    fs.layers.Dense(1)
    fs.utils.clear_session()
    assert fs.layers.Dense(1).name == first == "dense"
    assert fs.utils.Sequence is fs.utils.PyDataset
