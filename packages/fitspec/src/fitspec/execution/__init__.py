"""The execution layer: how the trainer loop runs a kind of step on a list of batches, on any backend."""

from fitspec.execution.logs import LazyLogs, host_logs
from fitspec.execution.results import EpochResults
from fitspec.execution.stateful import StatefulExecution
from fitspec.execution.stateless import StatelessExecution, StepScope
from fitspec.execution.step_kind import KINDS, PREDICT, TEST, TRAIN, StepKind

__all__ = ["KINDS", "PREDICT", "TEST", "TRAIN", "EpochResults", "LazyLogs", "StatefulExecution",
           "StatelessExecution", "StepKind", "StepScope", "host_logs"]
