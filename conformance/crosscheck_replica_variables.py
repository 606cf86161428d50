"""Cross-check against Keras 3: a Variable's `aggregation` and `synchronization` (how data-parallel replicas combine
it, SPEC 13.7) take Keras's values and defaults, and a metric's variables are Keras's ("sum", "on_read")."""

from __future__ import annotations

import numpy as np

VALUES = {"aggregation": (None, "none", "mean", "sum", "only_first_replica", "max", "SUM"),
          "synchronization": (None, "none", "on_read", "on_write", "auto", "on_sync", "ON_READ")}


def check() -> int:
    import keras

    import fitspec_numpy as fs

    problems = []
    for argument, values in VALUES.items():
        for value in values:
            outcomes = []
            for make in (keras.Variable, fs.Variable):
                try:
                    outcomes.append(getattr(make(np.zeros(2), **{argument: value}), argument))
                except ValueError:
                    outcomes.append("ValueError")
            line = f"Variable({argument}={value!r}): Keras {outcomes[0]!r}, fitspec {outcomes[1]!r}"
            print(("  agrees " if outcomes[0] == outcomes[1] else "  DIFFERS ") + line)
            problems += [line] if outcomes[0] != outcomes[1] else []
    for argument in VALUES:
        got = [getattr(make(np.zeros(2)), argument) for make in (keras.Variable, fs.Variable)]
        print(("  agrees " if got[0] == got[1] else "  DIFFERS ") + f"Variable() default {argument}: {got}")
        problems += [argument] if got[0] != got[1] else []
    metric = [m.Mean() for m in (keras.metrics, fs.metrics)]
    got = [[(v.aggregation, v.synchronization) for v in m.variables] for m in metric]
    print(("  agrees " if got[0] == got[1] else "  DIFFERS ") + f"Mean()'s variables (aggregation, synchronization): "
          f"Keras {got[0]}, fitspec {got[1]}")
    problems += ["Mean"] if got[0] != got[1] else []
    verdict = "DIFFERS from" if problems else "agrees with"
    print(f"{verdict} Keras {keras.__version__}: replica_variables ({len(problems)} of "
          f"{sum(map(len, VALUES.values())) + len(VALUES) + 1} differ)")
    return len(problems)
