"""The optimizers of the breadth issue as plain numpy float64 loops over steps, written from their papers' forms as
Keras 3 states them (docs/SPEC.md 7.3), independently of the core: run(name, start, gradients, **options) -> the
variable after one step per gradient."""

from __future__ import annotations

import numpy as np


def adagrad(start, gradients, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    var, accumulator = start.copy(), np.full_like(start, initial_accumulator_value)
    for g in gradients:
        accumulator = accumulator + g**2
        var = var - learning_rate * g / np.sqrt(accumulator + epsilon)
    return var


def adamax(start, gradients, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    var, m, u = start.copy(), np.zeros_like(start), np.zeros_like(start)
    for t, g in enumerate(gradients, 1):
        m = beta_1 * m + (1 - beta_1) * g
        u = np.maximum(beta_2 * u, np.abs(g))
        var = var - learning_rate * m / ((1 - beta_1**t) * (u + epsilon))
    return var


def nadam(start, gradients, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    var, m, v, product = start.copy(), np.zeros_like(start), np.zeros_like(start), 1.0

    def mu(t):
        return beta_1 * (1 - 0.5 * 0.96**t)

    for t, g in enumerate(gradients, 1):
        product = product * mu(t)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = mu(t + 1) * m / (1 - product * mu(t + 1)) + (1 - mu(t)) * g / (1 - product)
        v_hat = v / (1 - beta_2**t)
        var = var - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
    return var


def adadelta(start, gradients, learning_rate=0.001, rho=0.95, epsilon=1e-7):
    var, accumulated_grad, accumulated_delta = start.copy(), np.zeros_like(start), np.zeros_like(start)
    for g in gradients:
        accumulated_grad = rho * accumulated_grad + (1 - rho) * g**2
        delta = -np.sqrt(accumulated_delta + epsilon) / np.sqrt(accumulated_grad + epsilon) * g
        accumulated_delta = rho * accumulated_delta + (1 - rho) * delta**2
        var = var + learning_rate * delta
    return var


def lion_directions(start, gradients, beta_1=0.9, beta_2=0.99):
    """The arguments of Lion's sign, step by step (a float32 run may round one near 0 to the other side)."""
    m, directions = np.zeros_like(start), []
    for g in gradients:
        directions.append(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g
    return directions


def lion(start, gradients, learning_rate=0.001, beta_1=0.9, beta_2=0.99):
    var = start.copy()
    for direction in lion_directions(start, gradients, beta_1, beta_2):
        var = var - learning_rate * np.sign(direction)
    return var


def ftrl(start, gradients, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
         l1_regularization_strength=0.0, l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
         beta=0.0):
    var, n, z = start.copy(), np.full_like(start, initial_accumulator_value), np.zeros_like(start)
    l1, p = l1_regularization_strength, -learning_rate_power
    l2 = l2_regularization_strength + beta / (2 * learning_rate)
    for g in gradients:
        new_n = n + g**2
        sigma = (new_n**p - n**p) / learning_rate
        z = z + g + 2 * l2_shrinkage_regularization_strength * var - sigma * var
        var = (np.clip(z, -l1, l1) - z) / (new_n**p / learning_rate + 2 * l2)
        n = new_n
    return var


def lamb(start, gradients, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    var, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
    for t, g in enumerate(gradients, 1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        update = (m / (1 - beta_1**t)) / (np.sqrt(v / (1 - beta_2**t)) + epsilon)
        w_norm, u_norm = np.linalg.norm(var), np.linalg.norm(update)
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        var = var - ratio * learning_rate * update
    return var


def adafactor(start, gradients, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
              clip_threshold=1.0, relative_step=True):
    def rms(x):
        return np.sqrt(np.mean(x**2))

    var, v = start.copy(), np.zeros_like(start)
    rows, columns = np.zeros(start.shape[:-1]), np.zeros(start.shape[:-2] + start.shape[-1:])
    for t, g in enumerate(gradients, 1):
        step_size = min(learning_rate, 1 / np.sqrt(t)) * max(epsilon_2, rms(var))
        s = g**2 + epsilon_1
        b = 1 - t**beta_2_decay
        if var.ndim >= 2:
            rows = b * rows + (1 - b) * s.mean(axis=-1)
            columns = b * columns + (1 - b) * s.mean(axis=-2)
            v = (rows / rows.mean(axis=-1, keepdims=True))[..., None] * columns[..., None, :]
        else:
            v = b * v + (1 - b) * s
        u = g / np.sqrt(v)
        var = var - step_size * u / max(1.0, rms(u) / clip_threshold)
    return var


def schedule_free_adamw(start, gradients, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                        warmup_steps=0):
    """y = var is the point the gradient is taken at, z the base sequence, x its running average:
    y = (1 - b1) z + b1 x."""
    y, z, v = start.copy(), start.copy(), np.zeros_like(start)
    x = start.copy()
    for t, g in enumerate(gradients, 1):
        lr = learning_rate * min(t / warmup_steps, 1.0) if warmup_steps > 0 else learning_rate
        v = beta_2 * v + (1 - beta_2) * g**2
        z = z - lr * g / (np.sqrt(v / (1 - beta_2**t)) + epsilon)
        x = (1 - 1 / t) * x + z / t
        y = (1 - beta_1) * z + beta_1 * x
    return y


def restart_steps(first_decay_steps, t_mul, up_to):
    """The steps at which a restart begins (where float rounding may put a step on either side)."""
    starts, start, period = set(), 0.0, float(first_decay_steps)
    while start <= up_to:
        starts.add(start)
        start, period = start + period, period * t_mul
    return starts


def cosine_decay_restarts(step, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
    """SGDR, restart by restart: period k lasts first_decay_steps · t_mul^k steps and peaks at m_mul^k."""
    start, period, restart = 0.0, float(first_decay_steps), 0
    while step >= start + period:
        start, period, restart = start + period, period * t_mul, restart + 1
    fraction = (step - start) / period
    return initial_learning_rate * ((1 - alpha) * 0.5 * m_mul**restart * (1 + np.cos(np.pi * fraction)) + alpha)


def newton_schulz(x, steps=5, a=3.4445, b=-4.7750, c=2.0315):
    """Muon's quintic iteration x <- a x + b (x xᵀ) x + c (x xᵀ)² x from x / ‖x‖_F, on the wide orientation of x."""
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def muon(start, gradients, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,
         epsilon=1e-7, weight_decay=0.004, adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
         muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315):
    """A matrix takes the Muon step, anything else Adam's at lr · adam_lr_ratio; each decays by its own rate first."""
    var, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
    matrix = start.ndim == 2
    for t, g in enumerate(gradients, 1):
        decay = weight_decay if matrix else adam_weight_decay
        if decay is not None:
            var = var - var * decay * learning_rate
        if matrix:
            m = momentum * m + g
            update = learning_rate * newton_schulz(g + momentum * m if nesterov else m, ns_steps, muon_a, muon_b,
                                                   muon_c)
            if rms_rate is not None:
                update = update * np.sqrt(max(var.shape)) * rms_rate
            var = var - update
        else:
            lr = learning_rate * adam_lr_ratio
            m = adam_beta_1 * m + (1 - adam_beta_1) * g
            v = adam_beta_2 * v + (1 - adam_beta_2) * g**2
            var = var - lr * np.sqrt(1 - adam_beta_2**t) / (1 - adam_beta_1**t) * m / (np.sqrt(v) + epsilon)
    return var


def run(name: str, start, gradients, **options):
    return FORMULAS[name](np.asarray(start, dtype=np.float64), [np.asarray(g, dtype=np.float64) for g in gradients],
                         **options)


FORMULAS = {"Adagrad": adagrad, "Adamax": adamax, "Nadam": nadam, "Adadelta": adadelta, "Lion": lion, "Ftrl": ftrl,
            "Lamb": lamb, "Adafactor": adafactor,
            "ScheduleFreeAdamW": schedule_free_adamw, "Muon": muon}
