"""The hand-written loops train the model fit() trains: same start, same batches, same losses, same predictions.

Without this, a ratio fit/native could compare two different computations. These are numbers, not times.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from benchmarks.models import MODELS
from benchmarks.native.loop import load

STEPS = 8
#: rtol of the epoch's logs and of the predictions after it: float64 (numpy) and float32.
RTOL = {"numpy": 1e-10}
#: model -> why it is compared in float64 only: the model that covers it in float32, and what differs there
FLOAT64_ONLY = {
    "wide": "mlp's agreement covers its layers and steps in float32; at 784x256 the order of float32 additions, "
            "which differs between the libraries' matmuls, becomes steps of lr through Adam's m / sqrt(v) on the "
            "weights whose gradients are near zero, and the predictions part by ~5% after 8 steps",
}
#: a mixed-precision model (its loops compute in the compute dtype by their own means): the logs only, within 16
#: roundings of the compute dtype (the conformance tolerance table's mixed rows, docs/SPEC.md 10.4), the accuracy
#: within 1/32 (a sample whose two largest outputs round to one value takes either argmax); not the predictions:
#: RMSprop's g / sqrt(v) turns the compute dtype's rounding of near-zero gradients into steps of lr, as for "wide"
MIXED_RTOL = {"mixed_bfloat16": 16 * 2.0**-8, "mixed_float16": 16 * 2.0**-11}
MIXED_ACCURACY_ATOL = 1 / 32
#: (backend, optimizer) -> (rtol of the logs, reason) where only the logs can agree, and only roughly.
LOGS_ONLY = {
    ("torch", "rmsprop"): (5e-2, "torch.optim.RMSprop adds eps outside the square root (Keras: inside), which moves "
                                 "the weights whose gradients are near zero: the same work, other numbers"),
}


@pytest.mark.parametrize("model_name", list(MODELS))
def test_native_loop_matches_fit(fs, backend_name, device, model_name):
    spec = MODELS[model_name]
    if load(backend_name) is None:
        pytest.skip(f"no hand-written loop for {backend_name} yet (benchmarks/native/{backend_name}_loop.py)")
    if spec.dropout:
        spec = dataclasses.replace(spec, dropout=0.0)  # the loops draw other masks than fit(): the rest must agree
    if spec.missing_layer(fs):
        pytest.skip(f"fitspec_{backend_name} has no fs.layers.{spec.missing_layer(fs)} yet")
    if model_name in FLOAT64_ONLY and fs.backend.floatx() != "float64":
        pytest.skip(FLOAT64_ONLY[model_name])
    if spec.dtype_policy == "mixed_bfloat16" and backend_name == "numpy":
        pytest.skip("numpy has no bfloat16 (docs/SPEC.md 3.4)")
    x, y = spec.data(STEPS, fs.backend.floatx(), seed=1)
    model = spec.build(fs)
    initial = [np.array(w) for w in model.get_weights()]
    fit_logs = {k: v[-1] for k, v in model.fit(x, y, batch_size=spec.batch_size, shuffle=False, verbose=0)
                .history.items()}
    fit_predictions = model.predict(x, batch_size=spec.batch_size, verbose=0)
    logs_only = (backend_name, spec.optimizer) in LOGS_ONLY or spec.dtype_policy is not None
    rtol = LOGS_ONLY.get((backend_name, spec.optimizer), (RTOL.get(backend_name, 1e-4),))[0]
    rtol = max(rtol, MIXED_RTOL.get(spec.dtype_policy, 0.0))
    for name, loop_class in load(backend_name).LOOPS.items():
        try:
            loop = loop_class(spec, [w.copy() for w in initial], device)
        except NotImplementedError as error:
            pytest.skip(str(error))
        logs = loop.train_epoch(x, y, epoch=0, shuffle=False)
        for key, value in fit_logs.items():
            atol = MIXED_ACCURACY_ATOL if spec.dtype_policy and key == "accuracy" else 0.0
            np.testing.assert_allclose(logs[key], value, rtol=rtol, atol=atol, err_msg=f"{name}: logs[{key!r}]")
        if not logs_only:
            np.testing.assert_allclose(loop.predict(x), fit_predictions, rtol=rtol, atol=rtol * 1e-2,
                                       err_msg=f"{name}: predictions after one epoch")
