"""The models' math as NumPy-API functions, for the loops whose framework speaks it (jax.numpy, autograd.numpy).

Formulas (the Keras defaults fitspec implements, docs/SPEC.md):
    mse = mean((y - p)^2); mae = mean(|y - p|)
    sparse CE = -mean(log(clip(p / sum(p), eps, 1 - eps))[y]); accuracy = mean(argmax(p) == y)
    Adam:    m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); alpha = lr sqrt(1 - b2^t) / (1 - b1^t);
             w -= alpha m / (sqrt(v) + eps)
    RMSprop: v = rho v + (1 - rho) g^2; w -= lr g / sqrt(v + eps)
"""

from __future__ import annotations

from benchmarks.models import ADAM, EPSILON, RMSPROP


def forward(xp, spec, params, x):
    """The Dense stack; `params` is [kernel, bias, kernel, bias, ...]."""
    h = x
    for i, (_, activation) in enumerate(spec.layers):
        h = h @ params[2 * i] + params[2 * i + 1]
        if activation == "relu":
            h = xp.maximum(h, 0.0)
        elif activation == "softmax":
            e = xp.exp(h - xp.max(h, axis=-1, keepdims=True))
            h = e / xp.sum(e, axis=-1, keepdims=True)
    return h


def loss(xp, spec, y, p):
    if spec.loss == "mse":
        return xp.mean((y - p) ** 2)
    p = xp.clip(p / xp.sum(p, axis=-1, keepdims=True), EPSILON, 1.0 - EPSILON)
    one_hot = y[:, None] == xp.arange(p.shape[-1])
    return -xp.mean(xp.sum(xp.where(one_hot, xp.log(p), 0.0), axis=-1))


def metric(xp, spec, y, p):
    if spec.metric == "mae":
        return xp.mean(xp.abs(y - p))
    return xp.mean((xp.argmax(p, axis=-1) == y).astype(p.dtype))


def optimizer_slots(xp, spec, params) -> list:
    """Adam: m and v per weight; RMSprop: v per weight."""
    per_weight = 2 if spec.optimizer == "adam" else 1
    return [xp.zeros_like(w) for _ in range(per_weight) for w in params]


def apply_gradients(xp, spec, params, grads, slots, t):
    """(new params, new slots) after step `t` (counted from 1)."""
    n = len(params)
    if spec.optimizer == "adam":
        lr, b1, b2, eps = ADAM["learning_rate"], ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]
        alpha = lr * xp.sqrt(1 - b2**t) / (1 - b1**t)
        m = [m + (g - m) * (1 - b1) for m, g in zip(slots[:n], grads)]
        v = [v + (g * g - v) * (1 - b2) for v, g in zip(slots[n:], grads)]
        params = [w - alpha * m_ / (xp.sqrt(v_) + eps) for w, m_, v_ in zip(params, m, v)]
        return params, m + v
    lr, rho, eps = RMSPROP["learning_rate"], RMSPROP["rho"], RMSPROP["epsilon"]
    v = [rho * v + (1 - rho) * g * g for v, g in zip(slots, grads)]
    params = [w - lr * g / xp.sqrt(v_ + eps) for w, g, v_ in zip(params, grads, v)]
    return params, v
