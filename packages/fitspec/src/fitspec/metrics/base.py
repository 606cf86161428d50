"""The Metric base class: streaming state in Variables, updated by `update_state` and read by `result`.

`stateless_update_state` and `stateless_result` run the same stateful code inside a `StatelessScope`
(fitspec.variables).
"""

from __future__ import annotations

from typing import ClassVar

from fitspec import initializers
from fitspec.backend_bound import BackendBound
from fitspec.errors import invalid_argument
from fitspec.naming import to_snake_case
from fitspec.variables import StatelessScope


class Metric(BackendBound):
    """Base class. Subclasses create state with `add_variable` and implement `update_state`, `result`."""

    #: "up" or "down" when a better model moves the result that way; callbacks read it in mode "auto".
    direction: ClassVar[str | None] = None
    #: what fit() checks of the targets on the host, as fitspec.losses.Loss.targets (None: no rule)
    targets: ClassVar[str | None] = None

    def __init__(self, name=None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self._dtype = dtype
        self._variables = []
        self._initial_values = []

    @property
    def variables(self) -> list:
        return list(self._variables)

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A state variable; as Keras's, summed over data-parallel replicas when read (synchronization "on_read")."""
        init = initializers.get(initializer)
        value = init(tuple(shape), dtype=dtype or self.dtype)
        variable = self.backend.Variable(
            value, dtype=dtype or self.dtype, trainable=False, name=name, path=f"{self.name}/{name}",
            aggregation=aggregation, synchronization="on_read",
        )
        self._variables.append(variable)
        self._initial_values.append(value)
        return variable

    add_weight = add_variable

    def build(self, y_true_shape, y_pred_shape) -> None:
        """Create the state whose shape follows the data (a class per column): compile() calls it with the first
        batch's shapes, before any step is compiled, and `update_state` on its first call otherwise."""

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        for variable, value in zip(self._variables, self._initial_values):
            variable.assign(value)

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    # -- the stateless API ----------------------------------------------------------------------
    def _check_state(self, metric_variables, where):
        if len(metric_variables) != len(self._variables):
            raise invalid_argument(
                f"{type(self).__name__}('{self.name}').{where}",
                "metric_variables",
                f"a list of {len(self._variables)} values (one per entry of `metric.variables`)",
                f"<a sequence of {len(metric_variables)} values>",
            )

    def stateless_update_state(self, metric_variables, *args, **kwargs) -> list:
        self._check_state(metric_variables, "stateless_update_state")
        with StatelessScope(zip(self._variables, metric_variables)) as scope:
            self.update_state(*args, **kwargs)
        return [scope.get_current_value(v) for v in self._variables]

    def stateless_result(self, metric_variables):
        self._check_state(metric_variables, "stateless_result")
        with StatelessScope(zip(self._variables, metric_variables)):
            return self.result()

    def stateless_reset_state(self) -> list:
        with StatelessScope() as scope:
            self.reset_state()
        return [scope.get_current_value(v) for v in self._variables]

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
