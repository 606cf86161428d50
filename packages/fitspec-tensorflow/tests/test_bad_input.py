"""Bad train_step outputs raise errors that name the step, what was expected and what was received."""

import numpy as np
import pytest

import fitspec_tensorflow as fs


class NonDictLogs(fs.Model):
    def train_step(self, data):
        return 1.0


class NonScalarLogs(fs.Model):
    def train_step(self, data):
        return {"loss": fs.ops.ones((2, 3))}


def model_of(cls, steps_per_execution):
    inputs = fs.Input(shape=(3,))
    model = cls(inputs, fs.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=steps_per_execution)
    return model


XY = (np.ones((16, 3)), np.ones((16, 1)))


@pytest.mark.parametrize("steps_per_execution", [1, 2])  # 2: the logs come out of the in-graph loop
def test_train_step_returning_a_non_dict(steps_per_execution):
    model = model_of(NonDictLogs, steps_per_execution)
    with pytest.raises(TypeError, match=r"train_step must return a dict mapping metric names to scalars; received"):
        model.fit(*XY, batch_size=4, verbose=0)


@pytest.mark.parametrize("steps_per_execution", [1, 2])
def test_train_step_returning_non_scalar_values(steps_per_execution):
    model = model_of(NonScalarLogs, steps_per_execution)
    with pytest.raises(TypeError, match=r"dict of scalars; received logs\['loss'\] with shape \(2, 3\)"):
        model.fit(*XY, batch_size=4, verbose=0)
