"""The plain Python executor of stateless steps: one execution = the steps of a list of batches.

`execute(state, batches) -> (outputs, state)`: for train and test steps, outputs are the last
step's logs; for predict steps, the list of every batch's outputs. JAX replaces this with a
compiled `lax.scan`; the numpy reference uses it as is.
"""

from __future__ import annotations


def python_loop(step_fn, step: str):
    if step == "predict_step":

        def execute(state, batches):
            trainable, non_trainable = state
            outputs = []
            for batch in batches:
                y_pred, non_trainable = step_fn((trainable, non_trainable), batch)
                outputs.append(y_pred)
            return outputs, (trainable, non_trainable)

        return execute

    def execute(state, batches):
        logs = {}
        for batch in batches:
            logs, state = step_fn(state, batch)
        return logs, state

    return execute
