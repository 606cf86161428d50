"""The layer gradient check shared by the test_gradients_* files: autograd against central differences in float64."""

from __future__ import annotations

import numpy as np
from test_gradients import central_differences

import fitspec_numpy as fs


def check_layer_gradients(layer, args, seed=0, training=False, as_list=False, **kwargs):
    """d/d(each input, each trainable weight) of sum(output * r) + the layer's losses, the output being the first
    output of `layer(*args, **kwargs)` (with `as_list`, of `layer(args, **kwargs)`, as a merging layer or Attention
    takes its inputs): autograd against central differences. The seed states are fixed (stateless_call), so a noise
    or dropout layer draws the same noise at every evaluation."""
    fs.config.set_floatx("float64")
    args = [np.asarray(a, dtype="float64") for a in args]
    layer(*([args] if as_list else args), training=training, **kwargs)  # build
    trainable = [v.numpy() for v in layer.trainable_variables]
    non_trainable = [v.numpy() for v in layer.non_trainable_variables]
    count = len(args)
    projection = None

    def objective(values):
        nonlocal projection
        inputs = list(values[:count])
        out, _, losses = layer.stateless_call(list(values[count:]), non_trainable, *([inputs] if as_list else inputs),
                                              training=training, return_losses=True, **kwargs)
        out = out[0] if isinstance(out, tuple) else out
        if projection is None:
            projection = np.random.default_rng(seed).normal(size=np.shape(out))
        return fs.ops.sum(out * projection) + sum(losses, 0.0)

    values = [*args, *trainable]
    _, grads = fs.value_and_grad(objective)(values)
    expected = central_differences(lambda v: float(objective(v)), values)
    names = [f"input {i}" for i in range(count)] + [v.path for v in layer.trainable_variables]
    for g, e, name in zip(grads, expected, names):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7, err_msg=f"{layer.name}: d objective / d {name}")
