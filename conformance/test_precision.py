"""Muon, MultiOptimizer / OptimizerMap (docs/SPEC.md 7.7, 7.8): steps against closed forms, routing, state, configs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conformance import optimizer_reference as optimizer_ref
from conformance.assertions import assert_close
from conformance.strategies import floats
from conformance.tolerances import tolerance


def tensor(fs, values):
    return fs.ops.convert_to_tensor(np.asarray(values, dtype=fs.config.floatx()))


def variable(fs, values, path):
    return fs.Variable(np.asarray(values, dtype=fs.config.floatx()), name=path.rpartition("/")[2], path=path)


# -- Muon (7.7) ------------------------------------------------------------------------------------------------------
#: gradients far enough from 0 that ‖g‖_F >> 1e-7 (the normalisation's epsilon)
muon_data = st.one_of(
    st.tuples(st.integers(1, 4), st.integers(1, 4)).map(tuple),
    st.integers(1, 5).map(lambda n: (n,)),
).flatmap(lambda shape: st.tuples(
    hnp.arrays(np.float64, shape, elements=floats(-2, 2)),
    st.lists(hnp.arrays(np.float64, shape, elements=floats(0.1, 2) | floats(-2, -0.1)), min_size=1, max_size=3),
))


@given(data=muon_data, lr=st.floats(1e-3, 0.1), momentum=st.sampled_from([0.95, 0.5]), nesterov=st.booleans(),
       ns_steps=st.sampled_from([1, 5]), rms_rate=st.sampled_from([0.2, None]),
       weight_decay=st.sampled_from([0.004, None]), adam_lr_ratio=st.sampled_from([1, 0.1]))
def test_muon_matches_closed_form(fs, precision, device, data, lr, momentum, nesterov, ns_steps, rms_rate,
                                  weight_decay, adam_lr_ratio):
    """A matrix takes the Newton-Schulz step, a vector Adam's (optimizer_reference.muon). In float32 the quintic
    iteration amplifies rounding (its slope at 0 is a = 3.4445, five times): rtol 1e-3, atol 1e-4 there."""
    start, gradients = data
    options = {"learning_rate": lr, "momentum": momentum, "nesterov": nesterov, "ns_steps": ns_steps,
               "rms_rate": rms_rate, "weight_decay": weight_decay, "adam_weight_decay": weight_decay,
               "adam_lr_ratio": adam_lr_ratio}
    expected = optimizer_ref.run("Muon", start, gradients, **options)
    optimizer = fs.optimizers.Muon(**options)
    var = variable(fs, start, "dense/kernel")
    for g in gradients:
        optimizer.apply([tensor(fs, g)], [var])
    rtol, atol = tolerance(precision, device, {"float32": (1e-3, 1e-4, "Newton-Schulz amplifies float32 rounding")})
    assert_close(var.numpy(), expected, rtol, atol, f"Muon({options}) on shape {start.shape}")


def test_muon_takes_the_adamw_step_for_vectors_embeddings_and_excluded_layers(fs, precision, device):
    """Keras's rule: not 2-D, "embedding" in the path (any case) with exclude_embeddings, or a path an
    exclude_layers pattern finds: a velocity slot, and Adam's step; other matrices only a momentum."""
    paths = ["dense/kernel", "dense/bias", "token_Embedding/embeddings", "output_head/kernel"]
    values = [np.ones((2, 3)), np.ones(3), np.ones((4, 2)), np.ones((3, 2))]
    for options, adamw in (({}, [False, True, True, False]),
                           ({"exclude_layers": ["head"]}, [False, True, True, True]),
                           ({"exclude_embeddings": False, "exclude_layers": ["^dense/k"]}, [True, True, False, False])):
        optimizer = fs.optimizers.Muon(**options)
        variables = [variable(fs, v, p) for v, p in zip(values, paths)]
        optimizer.build(variables)
        assert [v is not None for v in optimizer.adam_velocities] == adamw, options
        slots = [v.path.partition("/")[2] for v in optimizer.variables[2:]]
        expected = [f"{p.replace('/', '_')}_{slot}" for p, a in zip(paths, adamw)
                    for slot in (("momentum", "velocity") if a else ("momentum",))]
        assert slots == expected, options


def test_muon_decays_each_kind_of_variable_by_its_own_rate(fs, precision, device):
    """Zero gradients leave only weight decay: var (1 - wd lr), wd = weight_decay for the Muon step's matrices and
    adam_weight_decay for the others (the learning rate without adam_lr_ratio, as Keras)."""
    optimizer = fs.optimizers.Muon(learning_rate=0.5, weight_decay=0.2, adam_weight_decay=0.1, adam_lr_ratio=0.1)
    kernel, bias = variable(fs, np.ones((2, 2)), "d/kernel"), variable(fs, np.ones(2), "d/bias")
    optimizer.apply([tensor(fs, np.zeros((2, 2))), tensor(fs, np.zeros(2))], [kernel, bias])
    np.testing.assert_allclose(kernel.numpy(), np.full((2, 2), 0.9), rtol=1e-6)
    np.testing.assert_allclose(bias.numpy(), np.full(2, 0.95), rtol=1e-6)


def test_muon_refuses_bad_options_by_name(fs):
    with pytest.raises(ValueError, match=r"Muon: argument `ns_steps` expected an int >= 0; received 2.5"):
        fs.optimizers.Muon(ns_steps=2.5)
    with pytest.raises(ValueError, match=r"Muon: argument `exclude_layers` expected None or a list"):
        fs.optimizers.Muon(exclude_layers="head")
    assert type(fs.optimizers.get("muon")) is fs.optimizers.Muon


# -- MultiOptimizer and OptimizerMap (7.8) ----------------------------------------------------------------------
def test_optimizer_map_finds_an_exact_key_then_one_full_pattern_match_then_the_default(fs):
    adam, sgd, rmsprop = fs.optimizers.Adam(), fs.optimizers.SGD(), fs.optimizers.RMSprop()
    optimizer_map = fs.optimizers.OptimizerMap(default_optimizer=rmsprop)
    optimizer_map["encoder/layer_0/dense"] = adam
    optimizer_map["encoder/.*"] = sgd
    optimizer_map["decoder"] = adam
    assert optimizer_map["decoder"] is adam and optimizer_map["encoder/layer_0/dense"] is adam
    assert optimizer_map["encoder/layer_0/attention/query"] is sgd
    assert optimizer_map["decoder/layer_0/dense"] is rmsprop  # "decoder" must match the whole path
    assert len(optimizer_map) == 3 and list(optimizer_map) == ["encoder/layer_0/dense", "encoder/.*", "decoder"]
    optimizer_map[".*/query"] = adam
    with pytest.raises(ValueError, match=r"OptimizerMap: argument `key` expected a path that at most one pattern"):
        optimizer_map["encoder/attention/query"]
    with pytest.raises(ValueError, match=r"OptimizerMap: argument `key` expected a key not yet in the map"):
        optimizer_map["decoder"] = sgd
    with pytest.raises(ValueError, match=r"`optimizer` expected an Optimizer other than a LossScaleOptimizer"):
        optimizer_map["other"] = fs.optimizers.LossScaleOptimizer(fs.optimizers.SGD())
    with pytest.raises(ValueError, match=r"OptimizerMap: argument `default_optimizer` expected an Optimizer"):
        fs.optimizers.OptimizerMap("sgd")
    with pytest.raises(ValueError, match=r"MultiOptimizer: argument `optimizer_map` expected an OptimizerMap or a"):
        fs.optimizers.MultiOptimizer({"a": sgd})


def three_variables(fs):
    return [variable(fs, [[1.0, -1.0], [0.5, 2.0]], "encoder/kernel"), variable(fs, [0.5, -0.5], "encoder/bias"),
            variable(fs, [[2.0], [1.0]], "head/kernel")]


GRADIENTS = [[[[0.5, 1.0], [-1.0, 0.25]], [1.0, -2.0], [[0.5], [-0.5]]],
             [[[1.0, 0.5], [0.25, -1.0]], [-0.5, 0.5], [[1.5], [0.5]]]]


def test_multi_optimizer_applies_each_inner_optimizer_to_its_variables_as_alone(fs, precision, device):
    def make():
        return fs.optimizers.Adam(learning_rate=0.1), fs.optimizers.SGD(learning_rate=0.2, momentum=0.5)

    adam, sgd = make()
    multi = fs.optimizers.MultiOptimizer(fs.optimizers.OptimizerMap(sgd, {"encoder/.*": adam}), name="multi")
    routed = three_variables(fs)
    alone_adam, alone_sgd = make()
    alone = three_variables(fs)
    for gradients in GRADIENTS:
        multi.apply([tensor(fs, g) for g in gradients], routed)
        alone_adam.apply([tensor(fs, g) for g in gradients[:2]], alone[:2])
        alone_sgd.apply([tensor(fs, gradients[2])], alone[2:])
    for a, b in zip(routed, alone):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    assert multi.optimizers == [adam, sgd]
    assert int(fs.ops.convert_to_numpy(multi.iterations)) == 2 == int(fs.ops.convert_to_numpy(adam.iterations))
    assert [v.path for v in multi.variables] == [
        "multi/iterations", "multi/learning_rate", *(v.path for v in adam.variables), *(v.path for v in sgd.variables)]
    with pytest.raises(AttributeError, match="MultiOptimizer has no learning rate of its own"):
        multi.learning_rate  # noqa: B018
    with pytest.raises(ValueError, match=r"MultiOptimizer.apply: argument `grads` expected 3 gradients"):
        multi.apply([tensor(fs, [1.0, 1.0])], routed[1:2])


def test_multi_optimizer_takes_a_function_and_sets_its_loss_scale_factor_on_every_inner_optimizer(fs):
    adam, sgd = fs.optimizers.Adam(), fs.optimizers.SGD(learning_rate=1.0)
    multi = fs.optimizers.MultiOptimizer(lambda v: adam if "encoder" in v.path else sgd, loss_scale_factor=4.0)
    routed = three_variables(fs)
    multi.apply([tensor(fs, g) for g in GRADIENTS[0]], routed)
    assert multi.optimizers == [adam, sgd] and adam.loss_scale_factor == 4.0 == sgd.loss_scale_factor
    np.testing.assert_allclose(routed[2].numpy(), [[2.0 - 0.125], [1.0 + 0.125]], rtol=1e-6)  # g / 4
    assert float(fs.ops.convert_to_numpy(multi.scale_loss(tensor(fs, 0.5)))) == 2.0
    with pytest.raises(ValueError, match=r"MultiOptimizer.get_config: argument `optimizer_map` expected an "
                                         r"OptimizerMap \(a function cannot be saved"):
        multi.get_config()
    nested = fs.optimizers.MultiOptimizer(lambda v: multi)
    with pytest.raises(ValueError, match=r"argument `optimizer_map\('encoder/kernel'\)` expected an Optimizer other"):
        nested.build(three_variables(fs))


@pytest.mark.backends("numpy", "jax", reason="the stateless API's home: the JAX-style backends")
def test_multi_optimizer_applies_statelessly_as_statefully(fs, precision, device):
    def make():
        return fs.optimizers.MultiOptimizer(fs.optimizers.OptimizerMap(
            fs.optimizers.SGD(learning_rate=0.2, momentum=0.5), {"encoder/.*": fs.optimizers.Muon(learning_rate=0.1)}))

    stateful, stateless = make(), make()
    a, b = three_variables(fs), three_variables(fs)
    stateless.build(b)
    state, trainable = [v.value for v in stateless.variables], [v.value for v in b]
    for gradients in GRADIENTS:
        stateful.apply([tensor(fs, g) for g in gradients], a)
        trainable, state = stateless.stateless_apply(state, [tensor(fs, g) for g in gradients], trainable)
    for mine, theirs in zip([*trainable, *state], [*a, *stateful.variables]):
        np.testing.assert_array_equal(fs.ops.convert_to_numpy(mine), theirs.numpy(), err_msg=theirs.path)


def routed_model(fs):
    from conformance.models import routed_mlp

    fs.utils.set_random_seed(3)
    model = routed_mlp(fs)
    model.compile(optimizer=fs.optimizers.MultiOptimizer(fs.optimizers.OptimizerMap(
        fs.optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5),
        {".*hidden/.*": fs.optimizers.Muon(learning_rate=0.05), ".*wide/.*": fs.optimizers.Adam(learning_rate=0.05)})),
        loss="categorical_crossentropy")
    return model


def routed_data():
    rng = np.random.default_rng(5)
    return rng.random((16, 6)), np.eye(3)[rng.integers(0, 3, 16)]


def test_multi_optimizer_saves_and_loads_with_its_state_and_config(fs, precision, device, tmp_path):
    x, y = routed_data()
    model = routed_model(fs)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    config = fs.optimizers.serialize(model.optimizer)
    assert config["class_name"] == "MultiOptimizer" and config["config"]["optimizer_map"]["class_name"] == \
        "OptimizerMap"
    rebuilt = fs.optimizers.deserialize(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == model.optimizer.get_config()
    assert [type(o).__name__ for o in rebuilt.optimizers] == ["Muon", "Adam", "SGD"]
    model.save(tmp_path / "routed.keras")
    loaded = fs.models.load_model(tmp_path / "routed.keras")
    assert [v.path for v in loaded.optimizer.variables] == [v.path for v in model.optimizer.variables]
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    for a, b in ((loaded, x), (model, x)):
        a.fit(b, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_swap_ema_weights_swaps_the_inner_optimizers_with_moving_averages(fs, precision, device):
    """Only the head's SGD keeps averages: evaluate sees them on the head and the other layers' weights as they are,
    and the weights are back after it."""
    x, y = routed_data()
    model = routed_model(fs)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    trained = model.get_weights()
    sgd = model.optimizer.optimizers[-1]
    averages = {id(v): a.numpy() for v, a in zip(sgd._trainable_variables, sgd._model_variables_moving_average)}
    seen = []

    class Record(fs.callbacks.Callback):
        def on_test_begin(self, logs=None):
            seen.extend(v.numpy() for v in self.model.weights)

    model.evaluate(x, y, verbose=0, callbacks=[fs.callbacks.SwapEMAWeights(), Record()])
    for v, during, after in zip(model.weights, seen, trained):
        np.testing.assert_array_equal(during, averages.get(id(v), after), err_msg=v.path)
    for a, b in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(a, b)
    plain = fs.Sequential([fs.Input(shape=(6,)), fs.layers.Dense(3)])
    plain.compile(optimizer=fs.optimizers.MultiOptimizer(fs.optimizers.OptimizerMap(fs.optimizers.SGD())), loss="mse")
    with pytest.raises(ValueError, match=r"SwapEMAWeights: argument `model.optimizer` expected an optimizer created "
                                         r"with use_ema=True"):
        plain.evaluate(x, y, verbose=0, callbacks=[fs.callbacks.SwapEMAWeights()])


# -- dtype policies and mixed precision (3.4) ---------------------------------------------------------------------
@pytest.fixture
def policy(fs):
    """The backend's global dtype policy, restored (to floatx's) after the test."""
    yield fs.mixed_precision
    fs.config.set_dtype_policy(None)


def mixed_policies(fs):
    """The mixed policies the backend computes in (numpy has no bfloat16: docs/SPEC.md 3.4)."""
    return ["mixed_float16"] + ([] if fs.backend.name == "numpy" else ["mixed_bfloat16"])


#: float16 keeps 11 significant bits, bfloat16 8: the relative rounding of one op, and what a few ops accumulate
ROUNDING = {"mixed_float16": 2.0**-11, "mixed_bfloat16": 2.0**-8}


def test_a_policy_names_its_compute_and_variable_dtypes(fs, policy):
    for name, compute, variables in (("mixed_float16", "float16", "float32"), ("mixed_bfloat16", "bfloat16", "float32"),
                                     ("float32", "float32", "float32"), ("float64", "float64", "float64"),
                                     ("int32", "int32", "int32")):
        p = fs.dtype_policies.DTypePolicy(name)
        assert (p.name, p.compute_dtype, p.variable_dtype, p.quantization_mode) == (name, compute, variables, None)
        assert repr(p) == f'<DTypePolicy "{name}">' and p == fs.dtype_policies.FloatDTypePolicy(name)
        config = fs.dtype_policies.serialize(p)
        assert config == {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
                          "registered_name": None}
        assert fs.dtype_policies.deserialize(json.loads(json.dumps(config))) == p == fs.dtype_policies.get(name)
    assert fs.mixed_precision.Policy is fs.mixed_precision.DTypePolicy is fs.dtype_policies.DTypePolicy
    assert fs.mixed_precision.LossScaleOptimizer is fs.optimizers.LossScaleOptimizer
    assert fs.mixed_precision.global_policy().name == fs.config.floatx() == fs.dtype_policies.get(None).name
    fs.mixed_precision.set_global_policy("mixed_float16")
    assert fs.config.dtype_policy() == fs.dtype_policies.DTypePolicy() == fs.DTypePolicy("mixed_float16")
    with pytest.raises(ValueError, match=r"DTypePolicy: argument `name` expected 'mixed_float16', 'mixed_bfloat16' "
                                         r"or a dtype name .*; received 'mixed_float8'"):
        fs.dtype_policies.DTypePolicy("mixed_float8")
    with pytest.raises(ValueError, match=r"config.set_dtype_policy: argument `policy` expected a DTypePolicy or"):
        fs.config.set_dtype_policy(16)
    with pytest.raises(ValueError, match=r"Dense: argument `dtype` expected a DTypePolicy, its config or"):
        fs.layers.Dense(2, dtype="half_float")
    if fs.backend.name == "numpy":
        with pytest.raises(ValueError, match=r"Dense: argument `dtype` expected a policy whose compute dtype the "
                                             r"numpy backend has; received 'mixed_bfloat16'"):
            fs.layers.Dense(2, dtype="mixed_bfloat16")


def test_a_mixed_layer_keeps_float32_variables_and_computes_in_the_compute_dtype(fs, policy):
    """Variables in float32, read in the compute dtype inside the call; float inputs cast to it, integer ones kept;
    the output in it, equal to the float32 layer's within the compute dtype's rounding."""
    x = np.random.default_rng(0).random((5, 4))
    plain = fs.layers.Dense(3, activation="tanh", dtype="float32")
    wanted = fs.ops.convert_to_numpy(plain(x.astype("float32")))
    for name in mixed_policies(fs):
        for dtype in (name, fs.dtype_policies.DTypePolicy(name), fs.dtype_policies.serialize(
                fs.dtype_policies.DTypePolicy(name))):
            layer = fs.layers.Dense(3, activation="tanh", dtype=dtype)
            y = layer(x)
            layer.set_weights(plain.get_weights())
            y = layer(x)
            compute = fs.DTypePolicy(name).compute_dtype
            assert (layer.dtype, layer.variable_dtype, layer.compute_dtype) == ("float32", "float32", compute)
            assert layer.dtype_policy == fs.DTypePolicy(name) and layer.input_dtype == compute
            assert {v.dtype for v in layer.weights} == {"float32"} and fs.ops.dtype(y) == compute
            assert_close(fs.ops.convert_to_numpy(fs.ops.cast(y, "float32")), wanted, 8 * ROUNDING[name],
                         8 * ROUNDING[name], f"Dense under {name}")
            config = layer.get_config()
            assert config["dtype"] == fs.dtype_policies.serialize(fs.DTypePolicy(name))
            assert type(layer).from_config(config).dtype_policy == layer.dtype_policy
    assert fs.ops.dtype(fs.layers.Embedding(4, 2, dtype="mixed_float16")(np.array([[1, 2]]))) == "float16"


def test_layers_take_the_global_policy_of_their_creation_and_a_float32_layer_computes_in_float32(fs, policy):
    fs.mixed_precision.set_global_policy("mixed_float16")
    model = fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(3), fs.layers.Activation("softmax", dtype="float32")])
    fs.mixed_precision.set_global_policy(None)
    later = fs.layers.Dense(3)
    assert model.dtype_policy.name == "mixed_float16" == model.layers[0].dtype_policy.name
    assert later.dtype_policy.name == fs.config.floatx() and later.get_config()["dtype"] is None
    y = model(np.ones((2, 4)))
    assert fs.ops.dtype(y) == "float32" and fs.ops.dtype(model.layers[0](np.ones((2, 4)))) == "float16"
    assert model.predict(np.ones((2, 4)), verbose=0).dtype == np.float32


def mixed_twins(fs, policy, name, optimizer):
    """The same model (seeded) compiled under `name` and under floatx, each with `optimizer()`; returns both."""
    x = np.random.default_rng(1).random((16, 4))
    y = np.eye(3)[np.random.default_rng(2).integers(0, 3, 16)]
    models = []
    for global_policy in (name, None):
        fs.mixed_precision.set_global_policy(global_policy)
        fs.utils.set_random_seed(4)
        model = fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(8, activation="relu"),
                               fs.layers.Dense(3, activation="softmax")])
        fs.mixed_precision.set_global_policy(None)
        model.compile(optimizer=optimizer(), loss="categorical_crossentropy")
        models.append(model)
    return models, x, y


def test_compile_wraps_the_optimizer_in_a_loss_scale_optimizer_under_mixed_float16_only(fs, policy):
    for name in mixed_policies(fs):
        (mixed, plain), _, _ = mixed_twins(fs, policy, name, lambda: fs.optimizers.SGD(learning_rate=0.5))
        wrapped = isinstance(mixed.optimizer, fs.optimizers.LossScaleOptimizer)
        assert wrapped == (name == "mixed_float16")
        assert not isinstance(plain.optimizer, fs.optimizers.LossScaleOptimizer)
        if wrapped:
            assert mixed.optimizer.name == "loss_scale_optimizer"
    fs.mixed_precision.set_global_policy("mixed_float16")
    model = fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert type(model.optimizer) is fs.optimizers.SGD


def test_fit_under_a_mixed_policy_steps_as_in_float32_within_the_compute_rounding(fs, precision, device, policy):
    """Float32 variables, gradients unscaled by the LossScaleOptimizer (mixed_float16): after 2 epochs of SGD the
    weights are the float32 run's within the compute dtype's rounding, and the loss is logged in floatx."""
    for name in mixed_policies(fs):
        (mixed, plain), x, y = mixed_twins(fs, policy, name, lambda: fs.optimizers.SGD(learning_rate=0.5))
        start = plain.get_weights()
        mixed.set_weights(start)
        runs = [m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"] for m in (mixed, plain)]
        assert {v.dtype for v in mixed.trainable_variables} == {"float32"}
        for a, b, s in zip(mixed.get_weights(), plain.get_weights(), start):
            # the step (b - s) carries the compute dtype's rounding of the gradient
            assert_close(a - s, b - s, 16 * ROUNDING[name], 16 * ROUNDING[name] * max(1.0, np.abs(b - s).max()),
                         f"weights after fit under {name}")
        assert_close(runs[0], runs[1], 16 * ROUNDING[name], 0.0, f"losses under {name}")
        if name == "mixed_float16":
            assert float(mixed.optimizer.dynamic_scale.numpy()) == 2.0**15  # 4 finite steps of 2000


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_the_dynamic_loss_scale_halves_on_float16_overflow_and_grows_after_its_growth_steps(fs, policy):
    """Under mixed_float16 a scale of 2^40 overflows the float16 gradients (max 65504): those steps change no
    weight and halve the scale; once finite, the scale doubles after every dynamic_growth_steps steps."""
    fs.mixed_precision.set_global_policy("mixed_float16")
    fs.utils.set_random_seed(4)
    model = fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(3, activation="softmax")])
    fs.mixed_precision.set_global_policy(None)
    optimizer = fs.optimizers.LossScaleOptimizer(fs.optimizers.SGD(learning_rate=0.5), initial_scale=2.0**40,
                                                 dynamic_growth_steps=2)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    x = np.random.default_rng(1).random((4, 4))
    y = np.eye(3)[[0, 1, 2, 0]]
    start, scales, moved = model.get_weights(), [], []
    for _ in range(40):
        before = model.get_weights()
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        scales.append(float(optimizer.dynamic_scale.numpy()))
        moved.append(any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights())))
    first = moved.index(True)
    assert first > 0 and scales[:first] == [2.0**(39 - i) for i in range(first)]
    assert all(np.array_equal(a, b) for a, b in zip(start, model.get_weights())) is False
    # after the first finite step: doubled after each 2 finite steps in a row, halved on each overflow
    assert scales[first] == scales[first - 1] and scales[first + 1] in (scales[first] * 2, scales[first] / 2)


def test_a_mixed_float16_model_saves_and_loads_with_its_policies_and_loss_scale_on_numpy_too(fs, policy, tmp_path):
    import fitspec_numpy

    (model, _), x, y = mixed_twins(fs, policy, "mixed_float16", lambda: fs.optimizers.SGD(learning_rate=0.5))
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "mixed.keras")
    before = fitspec_numpy.config.floatx()
    fitspec_numpy.config.set_floatx(fs.config.floatx())
    try:
        for library in (fs, fitspec_numpy):
            loaded = library.models.load_model(tmp_path / "mixed.keras")
            assert [layer.dtype_policy.name for layer in loaded.layers] == ["mixed_float16"] * 2, library.__name__
            assert type(loaded.optimizer).__name__ == "LossScaleOptimizer"
            assert float(loaded.optimizer.dynamic_scale.numpy()) == float(model.optimizer.dynamic_scale.numpy())
            for a, b in zip(loaded.get_weights(), model.get_weights()):
                np.testing.assert_array_equal(a, b)
            assert loaded.predict(x[:4], verbose=0).dtype == np.float16
    finally:
        fitspec_numpy.config.set_floatx(before)
