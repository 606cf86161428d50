"""`StepKind`: train, test or predict, and everything that differs between them, defined once.

Every part of the execution layer asks the kind, never compares a method name: which method runs
a step, whether it trains, which parts of the state the stateless step reads and returns, and
whether an execution yields its last step's logs or every step's outputs.
"""

from __future__ import annotations

import dataclasses

TRAINABLE, NON_TRAINABLE = "trainable_variables", "non_trainable_variables"
OPTIMIZER, METRICS = "optimizer_variables", "metrics_variables"


@dataclasses.dataclass(frozen=True, eq=False)  # compared and hashed by identity: three values, each defined once
class StepKind:
    """One kind of step.

    name: "train", "test" or "predict" (the callbacks' `on_<name>_batch_begin` and `_end`)
    method: the Model method that runs one step
    trains: whether the step updates weights (torch: `train()` mode and autograd on)
    state_parts: the parts of the state a stateless step receives, in order
    returned_parts: the parts it returns with its outputs (predict: the non-trainable values alone)
    collects_outputs: an execution yields every step's outputs (predict) instead of the last step's logs
    accepts_scalar_logs: a scalar instead of a logs dict stands for "every metric's result" (the JAX
        guide's `test_step` returns one metric's result)
    """

    name: str
    method: str
    trains: bool
    state_parts: tuple[str, ...]
    returned_parts: tuple[str, ...]
    collects_outputs: bool = False
    accepts_scalar_logs: bool = False

    def __repr__(self) -> str:
        return f"StepKind.{self.name.upper()}"

    def returned(self, new_state) -> tuple:
        """What the step returned besides its outputs, as a tuple aligned with `returned_parts`."""
        return (new_state,) if len(self.returned_parts) == 1 else tuple(new_state)


TRAIN = StepKind("train", "train_step", trains=True, state_parts=(TRAINABLE, NON_TRAINABLE, OPTIMIZER, METRICS),
                 returned_parts=(TRAINABLE, NON_TRAINABLE, OPTIMIZER, METRICS))
TEST = StepKind("test", "test_step", trains=False, state_parts=(TRAINABLE, NON_TRAINABLE, METRICS),
                returned_parts=(TRAINABLE, NON_TRAINABLE, METRICS), accepts_scalar_logs=True)
PREDICT = StepKind("predict", "predict_step", trains=False, state_parts=(TRAINABLE, NON_TRAINABLE),
                   returned_parts=(NON_TRAINABLE,), collects_outputs=True)
KINDS = (TRAIN, TEST, PREDICT)
