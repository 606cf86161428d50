"""Model configs and custom objects (docs/SPEC.md 2.6-2.10): the Keras 3 config round trip of random Functional
graphs, custom objects through save / load_model on every backend and across backends, and the functional idioms."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fitspec import backend_registry

INSTALLED_BACKENDS = backend_registry.names()


# -- random Functional graphs ------------------------------------------------------------------------------
def build_graph(fs, draw, features):
    """A Functional model from a drawn program: Dense layers, branches joined by Concatenate, a layer shared by
    two calls, a nested Functional model, normalization, activation and reshaping layers; one or two inputs and
    outputs."""
    lay = fs.layers
    inputs = [fs.Input(shape=(features,), name=f"in_{i}") for i in range(draw(st.integers(1, 2)))]
    pool = list(inputs)
    steps = draw(st.lists(st.sampled_from(["dense", "concat", "shared", "nested", "norm", "act", "reshape"]),
                          min_size=1, max_size=6))
    for step in steps:
        x = pool[draw(st.integers(0, len(pool) - 1))]
        width = x.shape[-1]
        if step == "dense":
            y = lay.Dense(draw(st.integers(1, 4)), activation=draw(st.sampled_from([None, "relu", "tanh"])))(x)
        elif step == "concat":
            y = lay.Concatenate()([x, pool[draw(st.integers(0, len(pool) - 1))]])
        elif step == "shared":
            layer = lay.Dense(draw(st.integers(1, 3)), activation="sigmoid")
            same = [t for t in pool if t.shape[-1] == width]
            y = lay.Concatenate()([layer(x), layer(same[draw(st.integers(0, len(same) - 1))])])
        elif step == "nested":
            inner_in = fs.Input(shape=(width,))
            a = lay.Dense(3, activation="relu")(inner_in)
            b = lay.Dense(2)(inner_in)
            y = fs.Model(inner_in, lay.Concatenate()([a, b]))(x)
        elif step == "norm":
            y = draw(st.sampled_from([lay.LayerNormalization, lay.BatchNormalization]))()(x)
        elif step == "act":
            y = draw(st.sampled_from([lay.ReLU(), lay.LeakyReLU(negative_slope=0.1), lay.Activation("tanh")]))(x)
        else:
            y = lay.Flatten()(lay.Reshape((width, 1))(x))
        pool.append(y)
    outputs = pool[-1] if draw(st.booleans()) or len(pool) < 3 else [pool[-1], pool[-2]]
    if all(o is i for o in (outputs if isinstance(outputs, list) else [outputs]) for i in inputs):
        outputs = lay.Dense(2)(inputs[0])
    return fs.Model(inputs if len(inputs) > 1 else inputs[0], outputs)


def data_for(model, features, rows=5):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((rows, features)) for _ in model.inputs]
    return arrays if len(arrays) > 1 else arrays[0]


def predictions(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


def assert_same(a, b, **tolerance):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        if tolerance:
            np.testing.assert_allclose(u, v, **tolerance)
        else:
            np.testing.assert_array_equal(u, v)


@settings(max_examples=8, deadline=None)
@given(data=st.data(), features=st.integers(1, 4))
def test_random_functional_graphs_survive_from_config_of_get_config(fs, data, features):
    model = build_graph(fs, data.draw, features)
    config = json.loads(json.dumps(model.get_config()))  # JSON all the way
    rebuilt = fs.Model.from_config(config)
    assert [type(layer).__name__ for layer in rebuilt.layers] == [type(layer).__name__ for layer in model.layers]
    assert [v.shape for v in rebuilt.weights] == [v.shape for v in model.weights]
    rebuilt.set_weights(model.get_weights())
    x = data_for(model, features)
    assert_same(predictions(model, x), predictions(rebuilt, x))
    assert rebuilt.get_config() == config


@settings(max_examples=4, deadline=None)
@given(data=st.data(), features=st.integers(1, 4), other=st.sampled_from(INSTALLED_BACKENDS))
def test_random_functional_graphs_save_and_load_across_backends(fs, tmp_path_factory, device, data, features, other):
    from conformance.tolerances import tolerance

    other_fs = backend_registry.load(other)
    model = build_graph(fs, data.draw, features)
    path = tmp_path_factory.mktemp("graphs") / "m.keras"
    model.save(path)
    loaded = other_fs.models.load_model(path)
    x = data_for(model, features)
    rtol, atol = tolerance("float32", device)  # the other backend runs at its own default precision
    assert_same(predictions(model, x), predictions(loaded, x), rtol=rtol, atol=atol)
    loaded.save(path)
    back = fs.models.load_model(path)
    assert back.get_config() == model.get_config()


# -- custom objects ------------------------------------------------------------------------------------------
def custom_objects_of(fs):
    """A custom layer class, an activation, a loss and a metric function of `fs` (unregistered)."""

    class Scale(fs.layers.Layer):
        def __init__(self, factor=1.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.offset = self.add_weight((input_shape[-1],), "ones", name="offset")

        def call(self, inputs):
            return inputs * self.factor + self.offset.value

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    def cubed(x):
        return x * x * x * 0.1

    def twice_mse(y_true, y_pred):
        return 2.0 * fs.ops.mean(fs.ops.square(y_true - y_pred), axis=-1)

    def max_error(y_true, y_pred):
        return fs.ops.max(fs.ops.abs(y_true - y_pred), axis=-1)

    return {"Scale": Scale, "cubed": cubed, "twice_mse": twice_mse, "max_error": max_error}


def custom_model(fs, objects):
    inputs = fs.Input(shape=(3,), name="features")
    x = fs.layers.Dense(4, activation=objects["cubed"], name="hidden")(inputs)
    x = objects["Scale"](factor=0.5, name="scale")(x)
    model = fs.Model(inputs, fs.layers.Dense(2, name="head")(x))
    model.compile(optimizer="adam", loss=objects["twice_mse"], metrics=[objects["max_error"]])
    return model


def trained(model):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    return x, y


def registered_objects(fs, package):
    objects = custom_objects_of(fs)
    register = fs.saving.register_keras_serializable(package=package)
    return {name: register(obj) for name, obj in objects.items()}


def test_registered_custom_layer_activation_loss_and_metric_round_trip_exactly(fs, tmp_path):
    objects = registered_objects(fs, "conformance_registered")
    model = custom_model(fs, objects)
    x, y = trained(model)
    activation = model.get_layer("hidden").get_config()["activation"]
    assert activation["config"] == "conformance_registered>cubed"  # a name, never None
    model.save(tmp_path / "m.keras")
    loaded = fs.models.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("scale")) is objects["Scale"]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == model.evaluate(x, y, verbose=0, return_dict=True)
    assert fs.saving.get_custom_objects()["conformance_registered>Scale"] is objects["Scale"]


@pytest.mark.parametrize("how", ["custom_objects", "custom_object_scope"])
def test_unregistered_custom_objects_load_by_custom_objects_or_in_a_scope_and_fail_without(fs, tmp_path, how):
    objects = custom_objects_of(fs)
    model = custom_model(fs, objects)
    x, y = trained(model)
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"argument `custom_objects` expected the (class|function) "
                                         r"'(Scale|cubed)'"):
        fs.models.load_model(tmp_path / "m.keras")
    if how == "custom_objects":
        loaded = fs.models.load_model(tmp_path / "m.keras", custom_objects=objects)
    else:
        with fs.saving.custom_object_scope(objects):
            loaded = fs.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


@pytest.mark.parametrize("other", INSTALLED_BACKENDS)
def test_custom_objects_registered_on_two_backends_load_across_them(fs, device, tmp_path, other):
    from conformance.tolerances import tolerance

    other_fs = backend_registry.load(other)
    mine = registered_objects(fs, "conformance_across")
    theirs = registered_objects(other_fs, "conformance_across")
    model = custom_model(fs, mine)
    x, _ = trained(model)
    model.save(tmp_path / "m.keras")
    loaded = other_fs.models.load_model(tmp_path / "m.keras")
    assert type(loaded.get_layer("scale")) is theirs["Scale"]
    rtol, atol = tolerance("float32", device)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=rtol, atol=atol)


def test_a_config_that_leaves_out_a_constructor_argument_is_refused(fs):
    class Forgetful(fs.layers.Layer):
        def __init__(self, factor=1.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return super().get_config()  # forgets `factor`

    class Automatic(fs.layers.Layer):  # no get_config: Keras's automatic config of the constructor's arguments
        def __init__(self, factor=1.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

    inputs = fs.Input(shape=(2,))
    with pytest.raises(ValueError, match=r"get_config: argument `config` expected every constructor argument.*"
                                         r"\['factor'\]"):
        fs.Model(inputs, Forgetful(factor=3.0)(inputs)).get_config()
    automatic = Automatic(factor=3.0)
    assert automatic.get_config()["factor"] == 3.0
    assert Automatic.from_config(automatic.get_config()).factor == 3.0


def test_an_unknown_function_or_a_lambda_is_an_error_naming_it(fs):
    def mystery(x):
        return x

    inputs = fs.Input(shape=(2,))
    config = fs.Model(inputs, fs.layers.Dense(1, activation=mystery)(inputs)).get_config()
    with pytest.raises(ValueError, match=r"the function 'mystery'.*custom_objects"):
        fs.Model.from_config(config)
    with pytest.raises(ValueError, match=r"a named function"):
        fs.layers.serialize(fs.layers.Dense(1, activation=lambda x: x))
    with pytest.raises(ValueError, match=r"Dense.from_config: argument `quantization_config` expected only the "
                                         r"arguments Dense takes"):
        fs.layers.Dense.from_config({"units": 1, "quantization_config": {"class_name": "Int8QuantizationConfig",
                                                                         "config": {}}})


# -- Keras 3's keys ------------------------------------------------------------------------------------------
def test_configs_have_keras_3_keys(fs):
    inputs = fs.Input(shape=(3,), name="x")
    hidden = fs.layers.Dense(2, name="hidden")
    model = fs.Model(inputs, fs.layers.Concatenate(name="both")([hidden(inputs), hidden(inputs)]))
    config = model.get_config()
    assert set(config) == {"name", "trainable", "layers", "input_layers", "output_layers"}
    assert config["input_layers"] == ["x", 0, 0] and config["output_layers"] == ["both", 0, 0]
    layer = config["layers"][1]
    assert set(layer) == {"module", "class_name", "config", "registered_name", "build_config", "name",
                          "inbound_nodes"}
    assert (layer["module"], layer["class_name"], layer["registered_name"]) == ("keras.layers", "Dense", None)
    assert [node["args"][0]["config"]["keras_history"] for node in layer["inbound_nodes"]] == [["x", 0, 0]] * 2
    both = config["layers"][2]["inbound_nodes"][0]["args"][0]
    assert [t["config"]["keras_history"] for t in both] == [["hidden", 0, 0], ["hidden", 1, 0]]
    serialized = json.loads(model.to_json())
    assert (serialized["class_name"], serialized["registered_name"]) == ("Functional", "Functional")
    sequential = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(1)])
    seq_config = sequential.get_config()
    assert set(seq_config) == {"name", "trainable", "dtype", "layers", "build_input_shape"}
    assert [entry["class_name"] for entry in seq_config["layers"]] == ["InputLayer", "Dense"]


# -- the functional idioms -------------------------------------------------------------------------------------
def pretrained(fs):
    inputs = fs.Input(shape=(4,), name="pixels")
    x = fs.layers.Dense(5, activation="relu", name="hidden")(inputs)
    return fs.Model(inputs, fs.layers.Dense(3, name="logits")(x))


def test_feature_extraction_with_get_layer_output(fs):
    model = pretrained(fs)
    assert isinstance(model.inputs, list) and model.input is model.inputs[0]
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense"]
    features = fs.Model(model.inputs, model.get_layer("hidden").output)
    x = np.random.default_rng(0).standard_normal((3, 4))
    hidden = model.get_layer("hidden")
    expected = np.maximum(x @ hidden.get_weights()[0] + hidden.get_weights()[1], 0)
    np.testing.assert_allclose(features.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert hidden.input is model.input and model.output is model.get_layer("logits").output


def test_sequential_from_a_pretrained_models_layers_is_built_and_shares_them(fs):
    model = pretrained(fs)
    head = fs.layers.Dense(2)
    stacked = fs.Sequential(model.layers[:-1] + [head])
    assert stacked.built and stacked.count_params() == 4 * 5 + 5 + 5 * 2 + 2
    assert stacked.layers[0] is model.get_layer("hidden")
    lines = []
    stacked.summary(print_fn=lines.append)
    assert "?" not in "\n".join(lines)


def test_nested_models_and_shared_layers_are_layers(fs):
    inner = pretrained(fs)
    a, b = fs.Input(shape=(4,), name="a"), fs.Input(shape=(4,), name="b")
    outer = fs.Model([a, b], fs.layers.Concatenate()([inner(a), inner(b)]))
    assert outer.count_params() == inner.count_params()
    x, z = np.ones((2, 4)), np.zeros((2, 4))
    y = outer.predict([x, z], verbose=0)
    np.testing.assert_allclose(y[:, :3], inner.predict(x, verbose=0), rtol=1e-6)
    rebuilt = fs.Model.from_config(outer.get_config())
    rebuilt.set_weights(outer.get_weights())
    np.testing.assert_array_equal(rebuilt.predict([x, z], verbose=0), y)


def test_clone_model_makes_new_layers_of_the_same_architecture(fs):
    model = pretrained(fs)
    clone = fs.models.clone_model(model)
    assert clone.get_config()["layers"][1]["config"] == model.get_config()["layers"][1]["config"]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    clone.set_weights(model.get_weights())
    x = np.ones((2, 4))
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    shared = fs.models.clone_model(model, clone_function=lambda layer: layer)
    assert [v is w for v, w in zip(shared.weights, model.weights)] == [True] * 4
    sequential = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(2, kernel_initializer="ones")])
    np.testing.assert_array_equal(fs.models.clone_model(sequential).get_weights()[0], np.ones((3, 2)))


def test_layers_serialize_deserialize_and_model_from_json(fs):
    dense = fs.layers.Dense(3, activation="tanh", kernel_initializer="he_normal")
    dense(fs.Input(shape=(2,)))
    config = fs.layers.serialize(dense)
    again = fs.layers.deserialize(config)
    assert type(again) is type(dense) and again.built and again.get_config() == dense.get_config()
    model = pretrained(fs)
    from_json = fs.models.model_from_json(model.to_json())
    assert from_json.get_config() == model.get_config()


def test_summary_takes_keras_arguments(fs):
    model = pretrained(fs)
    lines = []
    model.summary(print_fn=lines.append, line_length=60, show_trainable=True, layer_range=("hidden", "logits"))
    text = "\n".join(lines)
    assert "Trainable" in text and "pixels" not in text and "hidden (Dense)" in text
    assert max(len(line) for line in lines) == 60
    with pytest.raises(ValueError, match=r"summary: argument `layer_range`"):
        model.summary(layer_range=("nothing", "here"))


def test_load_weights_skip_mismatch_skips_only_the_layers_that_differ(fs, tmp_path):
    model = pretrained(fs)
    model.save_weights(tmp_path / "w.safetensors")
    inputs = fs.Input(shape=(4,))
    other = fs.Model(inputs, fs.layers.Dense(7)(fs.layers.Dense(5, activation="relu")(inputs)))
    with pytest.raises(ValueError, match=r"shape"):
        other.load_weights(tmp_path / "w.safetensors")
    before = other.get_weights()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        other.load_weights(tmp_path / "w.safetensors", skip_mismatch=True)
    assert any("skipped the weights of layer" in str(w.message) for w in caught)
    after = other.get_weights()
    np.testing.assert_array_equal(after[0], model.get_weights()[0])
    np.testing.assert_array_equal(after[2], before[2])


def test_top_level_names(fs):
    assert fs.Layer is fs.layers.Layer and fs.Loss is fs.losses.Loss and fs.Metric is fs.metrics.Metric
    assert fs.Optimizer is fs.optimizers.Optimizer and fs.Initializer is fs.initializers.Initializer
    assert isinstance(fs.Input(shape=(2,)), fs.KerasTensor)


def test_a_file_written_in_the_legacy_config_form_still_loads(fs, tmp_path):
    from fitspec.saving import file_format

    legacy = {  # the architecture as fitspec 0.1 wrote it
        "class_name": "Model", "functional": True, "name": "old", "inputs": {"__tensor__": [-1, 0]},
        "input_specs": [{"shape": [3], "dtype": None, "name": "x"}],
        "layers": [{"class_name": "Dense", "config": {"name": "d", "trainable": True, "dtype": None, "units": 2,
                                                      "activation": "relu", "use_bias": True}}],
        "nodes": [{"layer": 0, "args": [{"__tensor__": [-1, 0]}], "kwargs": {}}],
        "outputs": {"__tensor__": [0, 0]},
    }
    kernel, bias = np.arange(6.0).reshape(3, 2) - 2, np.array([0.5, -0.5])
    file_format.write(tmp_path / "old.keras", "model", {"model.0000": kernel, "model.0001": bias},
                      {"model": legacy, "weights": [["d/kernel", [3, 2]], ["d/bias", [2]]]})
    model = fs.models.load_model(tmp_path / "old.keras")
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(model.predict(x, verbose=0), np.maximum(x @ kernel + bias, 0), rtol=1e-6)


def test_input_spec_is_checked_on_symbolic_and_real_calls(fs):
    class Pairs(fs.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = fs.InputSpec(ndim=2, axes={-1: 2})

        def call(self, inputs):
            return inputs * 2.0

    layer = Pairs(name="pairs")
    assert layer(fs.Input(shape=(2,))).shape == (None, 2)  # a None batch matches
    np.testing.assert_array_equal(fs.ops.convert_to_numpy(layer(np.ones((3, 2)))), np.full((3, 2), 2.0))
    with pytest.raises(ValueError, match=r"pairs: argument `inputs` expected axes \{-1: 2\}.*\(None, 3\)"):
        Pairs(name="pairs")(fs.Input(shape=(3,)))
    with pytest.raises(ValueError, match=r"pairs: argument `inputs` expected ndim=2 .*\(1, 2, 2\)"):
        layer(np.ones((1, 2, 2)))
    assert fs.layers.InputSpec is fs.InputSpec and fs.InputSpec(shape=(None, 4)).ndim == 2


# -- the order of a Functional model's layers and weights (docs/SPEC.md 2.12) -------------------------------------
def two_branches(fs):
    lay = fs.layers
    a, b = fs.Input((3,), name="a"), fs.Input((2,), name="b")
    deep = lay.Dense(4, name="da2")(lay.Dense(4, name="da1")(a))
    joined = lay.Concatenate(name="cat")([lay.Dense(4, name="db")(b), deep])
    return fs.Model([a, b], lay.Dense(1, name="out")(joined))


def shared_layer_at_two_depths(fs):
    lay = fs.layers
    x = fs.Input((4,), name="x")
    shared, h = lay.Dense(4, name="shared"), lay.Dense(4, name="h")(x)
    a, b = shared(h), shared(lay.Dense(4, name="deep")(lay.Dense(4, name="deeper")(x)))
    skip = lay.Add(name="add")([a, x])
    return fs.Model(x, [lay.Dense(2, name="o1")(skip), lay.Dense(3, name="o2")(lay.Concatenate(name="c")([b, h]))])


#: model -> Keras 3.15's `[layer.name for layer in model.layers]` of the same graph (printed by Keras on JAX)
KERAS_LAYER_ORDER = {
    two_branches: ["a", "b", "da1", "db", "da2", "cat", "out"],
    shared_layer_at_two_depths: ["x", "deeper", "h", "deep", "shared", "add", "c", "o1", "o2"],
}


@pytest.mark.parametrize("build", list(KERAS_LAYER_ORDER), ids=lambda build: build.__name__)
def test_a_branched_model_lists_layers_and_weights_in_keras_order(fs, build):
    model = build(fs)
    expected = KERAS_LAYER_ORDER[build]
    assert [layer.name for layer in model.layers] == expected
    with_weights = [name for name in expected if model.get_layer(name).weights]
    assert [v.path.split("/")[0] for v in model.weights] == [name for name in with_weights for _ in range(2)]
    assert [layer["name"] for layer in model.get_config()["layers"]] == expected


def test_a_file_holding_a_branched_model_in_the_former_order_loads_by_weight_path(fs, tmp_path):
    model = two_branches(fs)
    model.set_weights([np.full(v.shape, i, dtype=v.dtype) for i, v in enumerate(model.weights)])
    path = str(tmp_path / "old.weights.h5")
    model.save_weights(path)
    from fitspec.saving import file_format

    contents = file_format.Contents(path, "test")
    group = contents.group("model", True)
    former = [2, 3, 0, 1, 4, 5, 6, 7]  # db before da1: the order fitspec wrote before SPEC 2.12
    metadata = {"weights": [[group[i][0], list(group[i][1].shape)] for i in former]}
    file_format.write(path, "weights", file_format.numbered("model", [group[i][1] for i in former]), metadata)
    fresh = two_branches(fs)
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
