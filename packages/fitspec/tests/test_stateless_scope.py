"""The stateless scope: reads see the mapped values, writes are recorded, Variables keep theirs."""

import numpy as np

from fitspec import StatelessScope, Variable


class FakeOps:
    @staticmethod
    def cast(x, dtype):
        return np.asarray(x, dtype=dtype)


class Backend:
    ops = FakeOps()


class ArrayVariable(Variable):
    backend = Backend()

    def _make_storage(self, array):
        return array

    def _write(self, value):
        self._storage = np.asarray(value)

    def _to_numpy(self):
        return np.array(self._storage)


def test_reads_inside_a_scope_see_the_mapped_value_and_writes_stay_in_the_scope():
    v = ArrayVariable(np.array([1.0, 2.0]))
    with StatelessScope([(v, np.array([5.0, 6.0]))]) as scope:
        np.testing.assert_array_equal(v.value, [5.0, 6.0])
        v.assign(v.value * 2)
        np.testing.assert_array_equal(v.value, [10.0, 12.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(scope.get_current_value(v), [10.0, 12.0])


def test_nested_scopes_read_through_to_the_outer_mapping():
    v = ArrayVariable(np.array(1.0))
    with StatelessScope([(v, np.array(3.0))]):
        with StatelessScope() as inner:
            assert float(v.value) == 3.0
            v.assign(np.array(4.0))
        assert float(inner.get_current_value(v)) == 4.0
        assert float(v.value) == 3.0


def test_assign_rejects_a_shape_change():
    v = ArrayVariable(np.zeros(2), name="w")
    try:
        v.assign(np.zeros(3))
    except ValueError as error:
        assert "shape (2,)" in str(error) and "(3,)" in str(error)
    else:
        raise AssertionError("assign accepted a shape change")
