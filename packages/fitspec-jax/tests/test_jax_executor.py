"""The jitted executor: fused steps, partial executions, caching, eager mode, donation, bad state."""

import jax
import numpy as np
import pytest

from fitspec.execution import LazyLogs
from fitspec_jax.executor import PackedLogs

MODES = {"jit": {}, "jit_fused": {"steps_per_execution": 4}, "eager": {"run_eagerly": True}}


def fit_weights(fs, dense_model, data, **compile_kwargs):
    fs.utils.set_random_seed(3)
    model = dense_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"], **compile_kwargs)
    history = model.fit(*data, batch_size=16, epochs=2, verbose=0)
    return model, history.history


def test_steps_per_execution_8_gives_the_weights_and_history_of_1(fs, dense_model, data):
    one, history_one = fit_weights(fs, dense_model, data)
    eight, history_eight = fit_weights(fs, dense_model, data, steps_per_execution=8)
    for a, b in zip(one.get_weights(), eight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for key in history_one:
        np.testing.assert_allclose(history_one[key], history_eight[key], rtol=1e-6)


def test_run_eagerly_and_jit_compile_false_give_the_weights_of_jit(fs, dense_model, data):
    jitted, _ = fit_weights(fs, dense_model, data)
    for flags in ({"run_eagerly": True}, {"jit_compile": False}):
        eager, _ = fit_weights(fs, dense_model, data, **flags)
        for a, b in zip(jitted.get_weights(), eager.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("convolves", [True, False])
def test_on_the_cpu_a_convolving_step_runs_its_batches_one_compiled_step_at_a_time(fs, data, monkeypatch, convolves):
    """XLA:CPU runs a convolution under lax.scan slower than at a program's top level (jax-ml/jax#12868)."""
    scans = []
    real_scan = jax.lax.scan
    monkeypatch.setattr(jax.lax, "scan", lambda *args, **kwargs: scans.append(1) or real_scan(*args, **kwargs))
    x, y = data[0].reshape(100, 4, 1), data[1]

    def fit(**compile_kwargs):
        fs.utils.set_random_seed(3)
        inputs = fs.Input(shape=(4, 1))
        hidden = (fs.layers.Conv1D(2, 2) if convolves else fs.layers.Dense(2))(inputs)
        model = fs.Model(inputs, fs.layers.Dense(1)(fs.layers.Flatten()(hidden)))
        model.compile(optimizer="adam", loss="mse", metrics=["mae"], **compile_kwargs)
        return model, model.fit(x, y, batch_size=16, epochs=2, verbose=0).history

    one, history_one = fit()
    assert not scans
    four, history_four = fit(steps_per_execution=4)
    assert bool(scans) is not convolves
    for a, b in zip(one.get_weights(), four.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for key in history_one:
        np.testing.assert_allclose(history_one[key], history_four[key], rtol=1e-6)
    np.testing.assert_allclose(one.predict(x, batch_size=16, verbose=0), four.predict(x, batch_size=16, verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("flags,traced", [({}, True), ({"run_eagerly": True}, False), ({"jit_compile": False}, False)])
def test_the_step_is_traced_unless_run_eagerly_or_jit_compile_false(fs, dense_model, data, flags, traced):
    seen = []

    class Probe(fs.Model):
        def train_step(self, state, data):
            seen.append(isinstance(data[0], jax.core.Tracer))
            return super().train_step(state, data)

    model = dense_model(Probe)
    model.compile(optimizer="sgd", loss="mse", **flags)
    model.fit(*data, batch_size=50, epochs=1, verbose=0)
    assert seen and set(seen) == {traced}


def test_no_recompilation_after_the_first_epoch_with_a_partial_last_execution(fs, dense_model, data):
    traces, per_epoch = [], []

    class Counting(fs.Model):
        def train_step(self, state, data):
            traces.append(tuple(data[0].shape))
            return super().train_step(state, data)

    class AtEpochEnd(fs.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            per_epoch.append(len(traces))

    model = dense_model(Counting)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=4)
    # 100 samples, batch 16: 6 full batches and one of 4; executions of 4 and of 2 + 1.
    model.fit(*data, batch_size=16, epochs=3, verbose=0, callbacks=[AtEpochEnd()])
    assert per_epoch[0] == per_epoch[1] == per_epoch[2]
    assert (4, 4) in traces and (16, 4) in traces


def test_callbacks_run_once_per_execution(fs, dense_model, data):
    ends = []

    class Recorder(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            ends.append((batch, sorted(logs)))

    model = dense_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], steps_per_execution=4)
    model.fit(*data, batch_size=16, epochs=1, verbose=0, callbacks=[Recorder()])
    assert ends == [(3, ["loss", "mae"]), (6, ["loss", "mae"])]


def test_fused_predict_with_a_partial_last_batch_matches_a_plain_call(fs, dense_model, data):
    model = dense_model()
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=3)
    x = data[0]
    fused = model.predict(x, batch_size=16, verbose=0)
    assert fused.shape == (100, 1)
    np.testing.assert_allclose(fused, np.asarray(model(x)), rtol=1e-6, atol=1e-7)


def test_fused_evaluate_matches_unfused(fs, dense_model, data):
    model = dense_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    plain = model.evaluate(*data, batch_size=16, verbose=0)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], steps_per_execution=5)
    fused = model.evaluate(*data, batch_size=16, verbose=0)
    np.testing.assert_allclose(plain, fused, rtol=1e-6)


def test_the_state_is_donated_to_the_compiled_execution(fs, dense_model, data):
    model = dense_model()
    model.compile(optimizer="adam", loss="mse")
    model.fit(*data, epochs=1, verbose=0)
    kernel = model.trainable_variables[0]
    before = kernel.value
    model.fit(*data, epochs=1, verbose=0)
    assert before.is_deleted(), "the old kernel buffer should have been donated to the step"
    assert not kernel.value.is_deleted() and np.isfinite(kernel.numpy()).all()


def test_a_state_value_shared_by_two_variables_is_copied_before_donation(fs, dense_model, data):
    model = dense_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(*data, epochs=1, verbose=0)
    shared = fs.ops.zeros(())
    for variable in model.metrics_variables:
        variable.assign(shared)
    model.fit(*data, epochs=1, verbose=0)
    assert np.isfinite(model.get_weights()[0]).all()


def test_logs_come_back_as_one_vector_and_reach_the_host_as_floats(fs, dense_model, data):
    model = dense_model()
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=2)
    model.fit(*data, epochs=1, verbose=0)
    for batches in (1, 2):  # the single-step and the fused program
        logs = model.make_train_function()([(data[0][:8], data[1][:8])] * batches)
        assert type(logs) is PackedLogs and logs.vector.shape == (1,)
        host = fs.backend.fetch_logs(logs)
        assert set(host) == {"loss"} and all(type(v) is float for v in host.values())


def test_fit_reads_no_logs_during_an_epoch_when_no_callback_reads_them(fs, dense_model, data, monkeypatch):
    """Dispatch runs ahead of the device: the only fetches of an epoch are at its end, the last execution's logs
    (their names) and the metrics' results (one compiled program's vector, fitspec.execution.results)."""
    model = dense_model()
    model.compile(optimizer="sgd", loss="mse")
    fetches = []
    fetch = PackedLogs.fetch
    monkeypatch.setattr(PackedLogs, "fetch", lambda self: fetches.append(1) or fetch(self))
    model.fit(*data, batch_size=10, epochs=2, verbose=0)  # 10 steps an epoch
    assert len(fetches) == 4
    seen = []

    class Reader(fs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(type(logs))
            assert type(logs["loss"]) is float

    fetches.clear()
    model.fit(*data, batch_size=10, epochs=1, verbose=0, callbacks=[Reader()])
    assert len(fetches) == 10 + 1 and set(seen) == {LazyLogs}


@pytest.mark.parametrize("mode", MODES)
def test_logs_of_mixed_dtypes_and_nested_dicts_come_back_whole(fs, dense_model, data, mode):
    """Logs of scalars of one dtype travel as one vector; any others as they are, with the same values."""

    class MixedLogs(fs.Model):
        def train_step(self, state, data):
            logs, state = super().train_step(state, data)
            return {**logs, "steps": state[2][0], "nested": {"twice": 2 * logs["loss"]}}, state

    model = dense_model(MixedLogs)
    model.compile(optimizer="sgd", loss="mse", **MODES[mode])
    history = model.fit(*data, batch_size=50, epochs=2, verbose=0).history
    assert set(history) == {"loss", "steps", "twice"}
    np.testing.assert_allclose(history["twice"], 2 * np.asarray(history["loss"]), rtol=1e-6)
    assert history["steps"] == [2.0, 4.0]


# -- optimizers besides model.optimizer (the GAN's compile) -------------------------------------------
def two_optimizer_model(fs, **compile_kwargs):
    """Two Dense sub-models, each trained by its own Adam in a JAX-guide-style train_step that reads the
    optimizers' variables and assigns them back, as the guides' GAN does."""

    class TwoOptimizers(fs.Model):
        def __init__(self):
            super().__init__()
            self.first = fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(1)])
            self.second = fs.Sequential([fs.Input(shape=(4,)), fs.layers.Dense(1)])
            self.built = True

        def compile(self, first_optimizer, second_optimizer, **kwargs):
            super().compile(**kwargs)
            self.first_optimizer, self.second_optimizer = first_optimizer, second_optimizer
            first_optimizer.build(self.first.trainable_variables)
            second_optimizer.build(self.second.trainable_variables)

        def train_step(self, state, data):
            trainable, non_trainable, optimizer_variables, metrics_variables = state
            x, y = data
            logs, new_trainable = {}, []
            for name, sub, optimizer in (("first", self.first, self.first_optimizer),
                                         ("second", self.second, self.second_optimizer)):
                slots = [next(i for i, v in enumerate(self.trainable_variables) if v is w)
                         for w in sub.trainable_variables]
                weights = [trainable[i] for i in slots]

                def loss_fn(weights, sub=sub):
                    y_pred, _ = sub.stateless_call(weights, [], x)
                    return fs.ops.mean((y_pred - y) ** 2)

                loss, grads = jax.value_and_grad(loss_fn)(weights)
                opt_values = [v.value for v in optimizer.variables]
                weights, opt_values = optimizer.stateless_apply(opt_values, grads, weights)
                for variable, value in zip(optimizer.variables, opt_values):
                    variable.assign(value)
                new_trainable.extend(zip(slots, weights))
                logs[f"{name}_loss"] = loss
            trainable = list(trainable)
            for i, value in new_trainable:
                trainable[i] = value
            return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)

    fs.utils.set_random_seed(5)
    model = TwoOptimizers()
    model.compile(fs.optimizers.Adam(0.01), fs.optimizers.Adam(0.02), **compile_kwargs)
    return model


@pytest.mark.parametrize("mode", MODES)
def test_optimizers_besides_model_optimizer_are_carried_through_the_compiled_step(fs, data, mode):
    eager = two_optimizer_model(fs, run_eagerly=True)
    eager.fit(*data, batch_size=25, epochs=2, verbose=0)
    model = two_optimizer_model(fs, **MODES[mode])
    model.fit(*data, batch_size=25, epochs=2, verbose=0)
    # 8 steps: each optimizer counted every one, and its moments are the eager run's (not the traced constants)
    for optimizer in (model.first_optimizer, model.second_optimizer):
        assert int(optimizer.iterations.numpy()) == 8
    for a, b in zip(eager.get_weights() + [v.numpy() for v in eager.first_optimizer.variables],
                    model.get_weights() + [v.numpy() for v in model.first_optimizer.variables]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# -- bad state returned by a custom train_step -------------------------------------------------------
def _custom(fs, dense_model, train_step, mode):
    cls = type("Custom", (fs.Model,), {"train_step": train_step})
    model = dense_model(cls)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"], **MODES[mode])
    return model


@pytest.mark.parametrize("mode", MODES)
def test_a_state_of_the_wrong_structure_names_expected_and_received(fs, dense_model, data, mode):
    def train_step(self, state, data):
        logs, (trainable, non_trainable, optimizer_vars, _) = fs.Model.train_step(self, state, data)
        return logs, (trainable, non_trainable, optimizer_vars)

    model = _custom(fs, dense_model, train_step, mode)
    with pytest.raises(TypeError) as error:
        model.fit(*data, epochs=1, verbose=0)
    message = str(error.value)
    assert "Custom.train_step must return (logs, state) with state = (trainable_variables, " in message
    assert "metrics_variables); received a state of (" in message


@pytest.mark.parametrize("mode", MODES)
def test_a_state_whose_shape_changed_names_expected_and_received(fs, dense_model, data, mode):
    def train_step(self, state, data):
        logs, (trainable, *rest) = fs.Model.train_step(self, state, data)
        return logs, (trainable[:1] + [fs.ops.transpose(trainable[1][None])], *rest)

    model = _custom(fs, dense_model, train_step, mode)
    with pytest.raises(ValueError, match=r"`trainable_variables\[1\]` of shape \(1, 1\); expected \(1,\)"):
        model.fit(*data, epochs=1, verbose=0)


@pytest.mark.parametrize("mode", MODES)
def test_a_metric_variable_list_of_the_wrong_length_names_expected_and_received(fs, dense_model, data, mode):
    def train_step(self, state, data):
        *_, metrics_variables = state
        self.metrics[1].stateless_update_state(metrics_variables, data[1], data[1])
        return fs.Model.train_step(self, state, data)

    model = _custom(fs, dense_model, train_step, mode)
    with pytest.raises(ValueError, match=r"argument `metric_variables` expected a list of 2 values .*; "
                                         r"received <a sequence of 4 values>"):
        model.fit(*data, epochs=1, verbose=0)


@pytest.mark.parametrize("mode", MODES)
def test_a_state_entry_that_is_not_an_array_names_the_entry(fs, dense_model, data, mode):
    def train_step(self, state, data):
        logs, (trainable, non_trainable, optimizer_vars, metrics_vars) = fs.Model.train_step(self, state, data)
        return logs, (trainable, non_trainable, optimizer_vars, metrics_vars[:-1] + [None])

    model = _custom(fs, dense_model, train_step, mode)
    with pytest.raises(TypeError, match=r"`metrics_variables\[3\]` of None; expected an array of shape \(\) "):
        model.fit(*data, epochs=1, verbose=0)


def test_logs_with_vectors_come_back_as_one_vector_and_reach_the_host_as_arrays(fs, dense_model, data):
    """A metric whose result is a vector (docs/SPEC.md 6.10): the step's values of one dtype, raveled, in one vector."""
    x, y = data[0], np.hstack([data[1], 1 - data[1]])
    model = dense_model(units=2)
    model.compile(optimizer="sgd", loss="mse", metrics=[fs.metrics.R2Score(class_aggregation=None)],
                  steps_per_execution=2)
    model.fit(x, y, epochs=1, verbose=0)
    for batches in (1, 2):
        logs = model.make_train_function()([(x[:8], y[:8])] * batches)
        assert type(logs) is PackedLogs and logs.vector.shape == (3,)
        host = fs.backend.fetch_logs(logs)
        assert type(host["loss"]) is float and host["r2_score"].shape == (2,)


def test_the_epoch_end_results_compile_once_per_kind_of_metric(fs, dense_model, data, monkeypatch):
    """One compiled result per metric class, config and variable shapes, shared by every model (module docs of
    fitspec.execution.results): a second model with the same metrics compiles nothing at its epoch ends."""
    calls = []
    compile_results = type(fs.backend).compile_results
    monkeypatch.setattr(type(fs.backend), "compile_results", lambda self, f: calls.append(1) or
                        compile_results(self, f))

    def fit_one():
        model = dense_model(units=2)
        model.compile(optimizer="sgd", loss="mse", metrics=[fs.metrics.R2Score(class_aggregation=None, name="r2x"),
                                                            fs.metrics.MeanSquaredError(name="mse_7")])
        y = np.hstack([data[1], data[1] ** 2])
        model.fit(data[0], y, batch_size=10, epochs=2, verbose=0)
        return model.evaluate(data[0], y, verbose=0, return_dict=True)

    first = fit_one()
    compiled = len(calls)
    assert compiled <= 3  # the loss tracker (unless an earlier test compiled its kind), R2Score, MSE
    second = fit_one()
    assert len(calls) == compiled
    assert sorted(first) == sorted(second)
