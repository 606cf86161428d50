"""One stateful execution (TensorFlow, PyTorch): the user's step on each batch of a list, Variables updated in place.

The backend compiles it (`Backend.compile`: a tf.function with an in-graph loop; `train()` /
`eval()`, `no_grad` and `torch.compile` on torch) from `run_one`, the user's step on one batch,
and `run_many`, the Python loop over the batches.
"""

from __future__ import annotations


class StatefulExecution:
    """`execution(batches) -> outputs`: the logs of the last step, or every step's outputs (`kind.collects_outputs`)."""

    def __init__(self, model, kind):
        self.model, self.kind = model, kind
        self.backend = model.backend
        self.run_one = getattr(model, kind.method)
        self._run = self.backend.compile(kind, self.run_one, self.run_many, model)

    def __call__(self, batches):
        convert = self.backend.convert_batch
        return self._run([convert(self.model, batch) for batch in batches])

    def run_many(self, batches):
        step = self.run_one
        group = self.backend.replica_group() if self.kind.trains else None
        if group is not None:  # the rows of each step's batch weigh its gradients (fitspec.replicas)
            return self._run_many_replicated(batches, group)
        if self.kind.collects_outputs:
            return [step(batch) for batch in batches]
        logs = {}
        for batch in batches:
            logs = step(batch)
        return logs

    def _run_many_replicated(self, batches, group):
        logs = {}
        for batch in batches:
            group.begin_step(batch)
            logs = self.run_one(batch)
        return logs
