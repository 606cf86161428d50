"""The models' math as NumPy-API functions, for the loops whose framework speaks it (jax.numpy, autograd.numpy).

Formulas (the Keras defaults fitspec implements, docs/SPEC.md):
    conv (valid, channels last): y[n, i, j, o] = sum_{a, b, c} x[n, i + a, j + b, c] k[a, b, c, o] + bias[o]
    max pool 2x2: y[n, i, j, c] = max_{a, b < 2} x[n, 2i + a, 2j + b, c]
    mse = mean((y - p)^2); mae = mean(|y - p|)
    sparse CE = -mean(log(clip(p / sum(p), eps, 1 - eps))[y]); accuracy = mean(argmax(p) == y)
    Adam:    m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); alpha = lr sqrt(1 - b2^t) / (1 - b1^t);
             w -= alpha m / (sqrt(v) + eps)
    RMSprop: v = rho v + (1 - rho) g^2; w -= lr g / sqrt(v + eps)
"""

from __future__ import annotations

from benchmarks.models import ADAM, EPSILON, RMSPROP


def conv2d_valid(xp, x, kernel):
    """The convolution as one matmul per kernel offset: the NumPy API has no convolution op."""
    kh, kw = kernel.shape[:2]
    oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    return sum(x[:, a : a + oh, b : b + ow, :] @ kernel[a, b] for a in range(kh) for b in range(kw))


def max_pool_2x2(xp, h):
    n, height, width, channels = h.shape
    h = h[:, : height - height % 2, : width - width % 2, :]
    return xp.max(xp.reshape(h, (n, height // 2, 2, width // 2, 2, channels)), axis=(2, 4))


def forward(xp, spec, params, x, conv2d=conv2d_valid, max_pool=max_pool_2x2, dropout=None):
    """The model; `params` is [conv kernel, conv bias (with spec.conv), kernel, bias, kernel, bias, ...].

    `dropout(h, i)`, in training, drops entries of hidden layer i's output (spec.dropout); None: inference.
    """
    h = x
    if spec.conv is not None:
        h = xp.maximum(conv2d(xp, h, params[0]) + params[1], 0.0)
        h = max_pool(xp, h)
        h = xp.reshape(h, (h.shape[0], -1))
        params = params[2:]
    for i, (_, activation) in enumerate(spec.layers):
        h = h @ params[2 * i] + params[2 * i + 1]
        if activation == "relu":
            h = xp.maximum(h, 0.0)
        elif activation == "softmax":
            e = xp.exp(h - xp.max(h, axis=-1, keepdims=True))
            h = e / xp.sum(e, axis=-1, keepdims=True)
        if dropout is not None and spec.dropout and i < len(spec.layers) - 1:
            h = dropout(h, i)
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
