"""The optimizers' list math: ops map over each variable of a group, and an intermediate result is used once."""

import types

import numpy as np
import pytest

from fitspec import Variable
from fitspec.optimizers.leaves import Group, Leaves, VariableLeaves

OPS = types.SimpleNamespace(cast=lambda x, dtype: np.asarray(x, dtype=dtype), sqrt=np.sqrt, square=np.square,
                            maximum=np.maximum, minimum=np.minimum, power=np.power, negative=np.negative,
                            abs=np.abs, sign=np.sign)


class ArrayVariable(Variable):
    backend = types.SimpleNamespace(ops=OPS)

    def _make_storage(self, array):
        return array.copy()

    def _write(self, value):
        self._storage = np.asarray(value)

    def _to_numpy(self):
        return self._storage


def group_of(*arrays):
    group = Group(OPS, "float64", list(range(len(arrays))))
    return group, VariableLeaves(group, [ArrayVariable(a) for a in arrays])


def test_ops_map_over_each_variable_of_the_group():
    group, v = group_of(np.array([1.0, 4.0]), np.array([9.0]))
    g = Leaves(group, [np.array([2.0, 2.0]), np.array([-1.0])])
    v.assign_sub(group.sqrt(v) * 0.5 - (1 - g) / 2)
    np.testing.assert_array_equal(v.variables[0].numpy(), [1.0 - (0.5 - (-1.0) / 2), 4.0 - (1.0 - (-1.0) / 2)])
    np.testing.assert_array_equal(v.variables[1].numpy(), [9.0 - (1.5 - 2.0 / 2)])
    np.testing.assert_array_equal(group.maximum(g, 0.0).tensors[1], [0.0])


def test_an_intermediate_result_used_twice_raises_and_keep_makes_it_reusable():
    group, v = group_of(np.array([1.0]))
    twice = v * 2
    v.assign_add(twice)
    with pytest.raises(RuntimeError, match=r"used twice; make it reusable with `group.keep\(value\)`"):
        v.assign_add(twice)
    kept = group.keep(v * 2)
    v.assign_add(kept)
    v.assign_add(kept)
    np.testing.assert_array_equal(v.variables[0].numpy(), [3.0 + 6.0 + 6.0])


def test_variables_and_gradients_are_read_as_often_as_needed():
    group, v = group_of(np.array([2.0]))
    g = Leaves(group, [np.array([1.0])])
    v.assign(v * g + v * g)
    np.testing.assert_array_equal(v.variables[0].numpy(), [4.0])
    np.testing.assert_array_equal((v - g).tensors[0], [3.0])  # reads the assigned value
