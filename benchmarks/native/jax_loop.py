"""The JAX loop a user writes by hand: one jax.jit step (donated state), optimizer math in jax.numpy, no optax.

The state is (params, optimizer slots, step count, loss total, metric total, sample count, dropout key);
the running means stay on the device and come back to the host when `logs()` asks. Dropout draws
`jax.random.bernoulli` with a key split off at every step and folded with the layer's index, as flax does.
A mixed-precision model casts its float32 weights and inputs to the compute dtype by hand (bfloat16 or float16),
takes the loss of float32 outputs, and under float16 scales the loss dynamically (benchmarks.native.mixed).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.native import array_math, mixed
from benchmarks.native.loop import NativeLoop


def _conv2d(xp, x, kernel):
    return jax.lax.conv_general_dilated(x, kernel, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def _max_pool(xp, h):
    """lax.reduce_window, as flax, Keras and fitspec_jax pool."""
    return jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def _forward(spec, params, x, key=None):
    dropout = None
    if key is not None:
        keep = 1.0 - spec.dropout

        def dropout(h, i):
            return jnp.where(jax.random.bernoulli(jax.random.fold_in(key, i), keep, h.shape), h / keep, 0.0)

    return array_math.forward(jnp, spec, params, x, conv2d=_conv2d, max_pool=_max_pool, dropout=dropout)


def _mixed_forward(spec, params, x, key=None):
    """The forward pass in the compute dtype, its outputs back in the weights' dtype."""
    compute = mixed.compute_dtype(spec)
    if compute is None:
        return _forward(spec, params, x, key)
    p = _forward(spec, [w.astype(compute) for w in params], x.astype(compute), key)
    return p.astype(params[0].dtype)


def _train_step(spec, state, x, y):
    params, slots, t, loss_total, metric_total, count, key, (scale, good_steps) = state
    key, step_key = jax.random.split(key)

    def loss_fn(params):
        p = _mixed_forward(spec, params, x, step_key)
        loss = array_math.loss(jnp, spec, y, p)
        return (loss * scale if mixed.loss_scaled(spec) else loss), (loss, p)

    (_, (loss, p)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
    if mixed.loss_scaled(spec):
        grads = [g / scale for g in grads]
        finite = jnp.all(jnp.array([jnp.all(jnp.isfinite(g)) for g in grads]))
        stepped = array_math.apply_gradients(jnp, spec, params, grads, slots, (t + 1).astype(x.dtype))
        params, slots = jax.tree.map(lambda new, old: jnp.where(finite, new, old), stepped, (params, slots))
        t = t + finite.astype(t.dtype)
        scale, good_steps = mixed.next_scale(jnp, scale, good_steps, finite)
    else:
        t = t + 1
        params, slots = array_math.apply_gradients(jnp, spec, params, grads, slots, t.astype(x.dtype))
    n = x.shape[0]
    state = (params, slots, t, loss_total + loss * n, metric_total + array_math.metric(jnp, spec, y, p) * n, count + n,
             key, (scale, good_steps))
    return state, (state[3] / state[5], state[4] / state[5])


class JaxLoop(NativeLoop):
    def __init__(self, spec, weights, device):
        super().__init__(spec, weights, device)
        params = [jnp.asarray(w) for w in weights]
        dtype = params[0].dtype
        scale = mixed.INITIAL_SCALE if mixed.loss_scaled(spec) else 1.0
        self.state = (params, array_math.optimizer_slots(jnp, spec, params), jnp.zeros((), jnp.int32),
                      *(jnp.zeros((), dtype) for _ in range(3)), jax.random.key(0),
                      (jnp.asarray(scale, dtype), jnp.zeros((), jnp.int32)))
        self._step = jax.jit(functools.partial(_train_step, spec), donate_argnums=0)
        self._forward = jax.jit(functools.partial(_mixed_forward, spec))
        self._logs = None

    def step(self, x, y):
        self.state, self._logs = self._step(self.state, x, y)

    def logs(self):
        loss, metric = jax.device_get(self._logs)
        return {"loss": float(loss), self.spec.metric: float(metric)}

    def reset_metrics(self):
        dtype = self.state[3].dtype
        self.state = (*self.state[:3], *(jnp.zeros((), dtype) for _ in range(3)), *self.state[6:])  # distinct: donated

    def predict_batch(self, x):
        return np.asarray(self._forward(self.state[0], x))

    def sync(self):
        jax.block_until_ready(self.state)


LOOPS = {"native": JaxLoop}
