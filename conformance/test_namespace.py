"""The backend as a package: declared in the registry, its namespace built from the core and its declarations,
and one floatx that everything creating a float follows."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

from fitspec import backend_registry, binding


def test_the_backend_is_declared_in_the_registry_and_loads_as_its_namespace(fs):
    assert fs.backend.name in backend_registry.names()
    assert backend_registry.load(fs.backend.name) is fs


# -- the namespace ---------------------------------------------------------------------------------
def test_every_module_imports_by_name_and_is_the_namespace(fs):
    for module in ("layers", "losses", "metrics", "optimizers", "optimizers.schedules", "activations",
                   "initializers", "callbacks", "models", "saving", "config", "utils", "datasets"):
        imported = importlib.import_module(f"{fs.__name__}.{module}")
        namespace = fs
        for part in module.split("."):
            namespace = getattr(namespace, part)
        assert imported is namespace, module
        assert set(imported.__all__) <= set(vars(imported)), module
    from_import = importlib.import_module(f"{fs.__name__}.layers").Dense
    assert from_import is fs.layers.Dense and issubclass(fs.layers.Dense, fs.layers.Layer)


def test_the_core_classes_are_bound_to_this_backend_above_one_base_per_module(fs):
    for module, (base_name, _) in binding.BOUND_MODULES.items():
        namespace = importlib.import_module(f"{fs.__name__}.{module}")
        base = getattr(namespace, base_name)
        assert base.backend is fs.backend, module
        classes = [c for c in vars(namespace).values() if inspect.isclass(c) and c is not base]
        assert classes and all(issubclass(c, base) for c in classes if c.__module__ == namespace.__name__), module
    assert issubclass(fs.Model, fs.layers.Layer) and issubclass(fs.Sequential, fs.Model)
    assert fs.config.available_devices() == fs.backend.available_devices()


def test_what_the_backend_declares_is_in_its_namespace_bound_like_the_core(fs):
    for module, declaration in binding.declarations(fs.backend).items():
        namespace = importlib.import_module(f"{fs.__name__}.{module}")
        if callable(declaration):  # classes built on the bound ones: the names stay the core's
            continue
        for name, entry in declaration.items():
            assert name in namespace.__all__, f"{module}.{name}"
            found = getattr(namespace, name)
            if inspect.isclass(entry) and module in binding.BOUND_MODULES:
                assert issubclass(found, entry) and found.backend is fs.backend, f"{module}.{name}"
            else:
                assert found is entry, f"{module}.{name}"


def test_a_user_subclass_of_a_namespace_class_is_a_class_of_this_backend(fs):
    class Doubling(fs.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    class Twice(fs.metrics.Mean):
        pass

    outputs = Doubling()(fs.ops.ones((2, 3)))
    np.testing.assert_array_equal(fs.ops.convert_to_numpy(outputs), np.full((2, 3), 2.0))
    metric = Twice()
    metric.update_state(fs.ops.convert_to_tensor([1.0, 3.0]))
    assert float(fs.ops.convert_to_numpy(metric.result())) == 2.0 and Doubling.backend is fs.backend


# -- floatx ------------------------------------------------------------------------------------------
def test_every_op_that_creates_a_float_without_a_dtype_follows_floatx(fs, precision):
    ops = fs.ops
    assert fs.config.floatx() == precision
    ints = ops.convert_to_tensor(np.array([1, 2], "int32"))
    created = {
        "zeros": ops.zeros((2,)),
        "ones": ops.ones((2, 1)),
        "full of an int": ops.full((2,), 3),
        "full of a float": ops.full((2,), 0.5),
        "one_hot": ops.one_hot(np.array([0, 2]), 3),
        "arange of floats": ops.arange(0.0, 2.0, 0.5),
        "convert_to_tensor of a Python float": ops.convert_to_tensor(1.5),
        "convert_to_tensor of a list of Python numbers": ops.convert_to_tensor([1, 2.5]),
        "convert_to_tensor of nested lists": ops.convert_to_tensor([[1.0], [2.0]]),
        "an int tensor times a Python float": ops.multiply(ints, 0.5),
        "a Python float plus an int tensor": ops.add(0.5, ints),
        "the division of ints": ops.divide(ints, ints),
        "divide_no_nan of ints": ops.divide_no_nan(ints, ints),
        "the mean of ints": ops.mean(ints),
        "sqrt of ints": ops.sqrt(ints),
        "exp of ints": ops.exp(ints),
        "floor of ints": ops.floor(ints),
        "sigmoid of ints": ops.sigmoid(ints),
        "softmax of ints": ops.softmax(ints),
        "random.normal": fs.random.normal((3,), seed=1),
        "random.uniform": fs.random.uniform((3,), seed=1),
        "Variable of a Python float": fs.Variable(1.5).value,
    }
    wrong = {what: ops.dtype(value) for what, value in created.items() if ops.dtype(value) != precision}
    assert wrong == {}, f"not in floatx={precision}: {wrong}"


def test_what_has_its_own_dtype_keeps_it_whatever_floatx_is(fs, precision):
    ops = fs.ops
    other = "float16"  # a dtype every framework holds whatever floatx is (JAX holds float64 only under float64)
    kept = {
        "convert_to_tensor of a numpy array": (ops.convert_to_tensor(np.zeros(2, other)), other),
        "zeros with a dtype": (ops.zeros((2,), dtype=other), other),
        "full with an int dtype": (ops.full((2,), 3, dtype="int32"), "int32"),
        "zeros_like": (ops.zeros_like(np.zeros(2, other)), other),
        "random.randint": (fs.random.randint((2,), 0, 3, seed=1), "int32"),
        "Variable of a numpy array": (fs.Variable(np.zeros(2, other)).value, other),
    }
    wrong = {what: ops.dtype(value) for what, (value, dtype) in kept.items() if ops.dtype(value) != dtype}
    assert wrong == {}, f"changed by floatx={precision}: {wrong}"


def test_layers_metrics_losses_and_optimizers_are_built_in_floatx(fs, precision):
    model = fs.Sequential([fs.Input(shape=(3,)), fs.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    dtypes = {v.path: v.dtype for v in [*model.weights, *model.optimizer.variables, *model.metrics_variables]
              if "iteration" not in v.path}
    assert set(dtypes.values()) == {precision}, dtypes
    assert model.predict(np.ones((2, 3)), verbose=0).dtype == np.dtype(precision)


def test_set_floatx_changes_this_backend_only_and_refuses_a_non_float_dtype(fs, precision):
    import fitspec_numpy

    before = fitspec_numpy.config.floatx()
    other = "float32" if precision == "float64" else "float64"
    fs.config.set_floatx(other)
    try:
        assert fs.ops.dtype(fs.ops.zeros((1,))) == other
        if fs is not fitspec_numpy:
            assert fitspec_numpy.config.floatx() == before
    finally:
        fs.config.set_floatx(precision)
    with pytest.raises(ValueError, match=r"set_floatx: argument `dtype` expected one of .*; received 'int32'"):
        fs.config.set_floatx("int32")
    assert fs.config.floatx() == precision


# -- the optimizers and schedules of Keras 3 (issue 16) ---------------------------------------------------------------
#: Keras 3's `keras.optimizers` names that fitspec exports (docs/SPEC.md 7.3), each with its string name
OPTIMIZER_NAMES = {"Adadelta": "adadelta", "Adafactor": "adafactor", "Adagrad": "adagrad", "Adamax": "adamax",
                   "Ftrl": "ftrl", "Lamb": "lamb", "Lion": "lion", "Nadam": "nadam",
                   "ScheduleFreeAdamW": "schedulefreeadamw"}
#: exported without a string name (it wraps an inner optimizer)
WRAPPERS = ("LossScaleOptimizer",)


def test_every_keras_optimizer_fitspec_builds_is_exported_with_its_string_name(fs):
    for name, alias in OPTIMIZER_NAMES.items():
        cls = getattr(fs.optimizers, name)
        assert name in fs.optimizers.__all__ and issubclass(cls, fs.optimizers.Optimizer), name
        assert type(fs.optimizers.get(alias)) is cls and type(fs.optimizers.get(name)) is cls, alias
    for name in WRAPPERS:
        assert name in fs.optimizers.__all__ and issubclass(getattr(fs.optimizers, name), fs.optimizers.Optimizer)


def test_optimizer_and_schedule_functions_and_the_ema_callback_are_exported(fs):
    for module, names in ((fs.optimizers, ("get", "serialize", "deserialize")),
                          (fs.optimizers.schedules, ("serialize", "deserialize", "CosineDecayRestarts")),
                          (fs.callbacks, ("SwapEMAWeights",))):
        for name in names:
            assert name in module.__all__ and callable(getattr(module, name)), f"{module.__name__}.{name}"
