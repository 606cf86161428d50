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


def run(name: str, start, gradients, **options):
    return FORMULAS[name](np.asarray(start, dtype=np.float64), [np.asarray(g, dtype=np.float64) for g in gradients],
                         **options)


FORMULAS = {"Adagrad": adagrad, "Adamax": adamax, "Nadam": nadam, "Adadelta": adadelta, "Lion": lion}
