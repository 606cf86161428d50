"""Bad train_step outputs raise errors that name the step, what was expected and what was received."""

import numpy as np
import pytest

import fitspec_tensorflow as fs


class NonDictLogs(fs.Model):
    def train_step(self, data):
        return 1.0


class VectorLogs(fs.Model):
    def train_step(self, data):
        return {"score": fs.ops.ones((2, 3))}


class TextLogs(fs.Model):
    def train_step(self, data):
        return {"score": fs.ops.convert_to_tensor("high")}


def model_of(cls, steps_per_execution):
    inputs = fs.Input(shape=(3,))
    model = cls(inputs, fs.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=steps_per_execution)
    return model


XY = (np.ones((16, 3)), np.ones((16, 1)))


@pytest.mark.parametrize("steps_per_execution", [1, 2])  # 2: the logs come out of the in-graph loop
def test_train_step_returning_a_non_dict(steps_per_execution):
    model = model_of(NonDictLogs, steps_per_execution)
    with pytest.raises(TypeError, match=r"NonDictLogs.train_step must return a dict mapping metric names to values; "
                                        r"received"):
        model.fit(*XY, batch_size=4, verbose=0)


@pytest.mark.parametrize("steps_per_execution", [1, 2])
def test_train_step_returning_an_array_logs_it_as_an_array(steps_per_execution):  # SPEC 6.10
    history = model_of(VectorLogs, steps_per_execution).fit(*XY, batch_size=4, verbose=0)
    np.testing.assert_array_equal(history.history["score"][0], np.ones((2, 3)))


@pytest.mark.parametrize("steps_per_execution", [1, 2])
def test_train_step_returning_text_names_the_log(steps_per_execution):
    with pytest.raises(TypeError, match=r"TextLogs.train_step must return a dict of numbers or arrays of numbers; "
                                        r"received logs\['score'\]"):
        model_of(TextLogs, steps_per_execution).fit(*XY, batch_size=4, verbose=0)
