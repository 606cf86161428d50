"""Names are unique and snake_case; errors name the argument, the expected and the received value."""

import numpy as np

from fitspec import naming
from fitspec.errors import describe, invalid_argument


def test_unique_names_count_up_from_the_bare_prefix():
    prefix = "a_prefix_only_this_test_uses"
    assert [naming.unique_name(prefix) for _ in range(3)] == [prefix, f"{prefix}_1", f"{prefix}_2"]


def test_snake_case_of_class_names():
    assert naming.to_snake_case("SparseCategoricalAccuracy") == "sparse_categorical_accuracy"
    assert naming.to_snake_case("ReLU") == "re_lu"
    # as Keras names them: a digit does not start a word
    assert naming.to_snake_case("Conv2D") == "conv2d"
    assert naming.to_snake_case("GlobalMaxPooling2D") == "global_max_pooling2d"
    assert naming.to_snake_case("Conv2DTranspose") == "conv2d_transpose"


def test_error_messages_quote_the_received_value():
    error = invalid_argument("fit", "epochs", "a non-negative int", -1)
    assert str(error) == "fit: argument `epochs` expected a non-negative int; received -1."
    assert describe(np.zeros((2, 3))) == "ndarray of shape (2, 3)"
