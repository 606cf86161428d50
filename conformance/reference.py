"""Plain numpy float64 formulas the suite checks against, written independently of the core."""

from __future__ import annotations

import numpy as np

EPS = 1e-7


def mse(y, p):
    return np.mean((y - p) ** 2, axis=-1)


def mae(y, p):
    return np.mean(np.abs(y - p), axis=-1)


def binary_crossentropy(y, p, from_logits=False):
    if from_logits:
        p = 1.0 / (1.0 + np.exp(-p))
        return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def categorical_crossentropy(y, p, from_logits=False):
    p = softmax(p) if from_logits else np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return -np.sum(y * np.log(p), axis=-1)


def sparse_categorical_crossentropy(labels, p, from_logits=False):
    onehot = np.eye(p.shape[-1])[labels.astype(int).reshape(-1)]
    return categorical_crossentropy(onehot, p, from_logits)


def reduce_sum_over_batch_size(values, sample_weight=None):
    """sum(values * w) / number of values."""
    weighted = values if sample_weight is None else values * sample_weight
    return weighted.sum() / weighted.size


def weighted_mean(values, sample_weight=None):
    """Mean's result: sum(v * w) / sum(w)."""
    w = np.ones_like(values) if sample_weight is None else sample_weight
    return (values * w).sum() / w.sum() if w.sum() != 0 else 0.0


def sgd_step(var, g, lr, momentum=0.0, nesterov=False, m=None):
    if momentum == 0:
        return var - lr * g, None
    m = momentum * m - lr * g
    return (var + momentum * m - lr * g if nesterov else var + m), m


def rmsprop_step(var, g, lr, rho=0.9, eps=1e-7, v=None):
    v = rho * v + (1 - rho) * g**2
    return var - lr * g / np.sqrt(v + eps), v


def adam_step(var, g, lr, t, b1=0.9, b2=0.999, eps=1e-7, m=None, v=None):
    m = m + (g - m) * (1 - b1)
    v = v + (g**2 - v) * (1 - b2)
    alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
    return var - alpha * m / (np.sqrt(v) + eps), m, v


def early_stopping(values, patience, min_delta, mode, baseline=None, start_from_epoch=0):
    """(epoch training stops after or None, best epoch or None): Keras 3's EarlyStopping, restated."""
    better = (lambda a, b: a < b - min_delta) if mode == "min" else (lambda a, b: a > b + min_delta)
    best = best_epoch = None
    epochs_without_reset = 0
    for epoch, value in enumerate(values):
        if epoch < start_from_epoch:
            continue
        epochs_without_reset += 1
        if best is None or better(value, best):
            best, best_epoch = value, epoch
            if baseline is None or better(value, baseline):
                epochs_without_reset = 0
        elif epochs_without_reset >= patience and epoch > 0:
            return epoch, best_epoch
    return None, best_epoch


def reduce_lr_on_plateau(values, lr, factor, patience, min_delta, cooldown, min_lr, mode="min"):
    """The learning rate in force after each epoch: Keras 3's ReduceLROnPlateau, restated."""
    better = (lambda a, b: a < b - min_delta) if mode == "min" else (lambda a, b: a > b + min_delta)
    best, waited, cooling, rates = None, 0, 0, []
    for value in values:
        if cooling > 0:
            cooling -= 1
            waited = 0
        if best is None or better(value, best):
            best, waited = value, 0
        elif cooling == 0:
            waited += 1
            if waited >= patience and lr > np.float32(min_lr):
                lr = max(lr * factor, min_lr)
                cooling, waited = cooldown, 0
        rates.append(lr)
    return rates


def schedule(name, step, **k):
    """Keras 3's learning-rate schedules at integer `step`, in plain Python."""
    import math

    if name == "ExponentialDecay":
        p = step / k["decay_steps"]
        return k["initial_learning_rate"] * k["decay_rate"] ** (math.floor(p) if k.get("staircase") else p)
    if name == "PiecewiseConstantDecay":
        for boundary, value in zip(k["boundaries"], k["values"]):
            if step <= boundary:
                return value
        return k["values"][-1]
    if name == "PolynomialDecay":
        decay_steps = k["decay_steps"]
        if k.get("cycle"):
            decay_steps = decay_steps * max(math.ceil(step / decay_steps), 1)
        else:
            step = min(step, decay_steps)
        end = k.get("end_learning_rate", 0.0001)
        return (k["initial_learning_rate"] - end) * (1 - step / decay_steps) ** k.get("power", 1.0) + end
    if name == "InverseTimeDecay":
        p = step / k["decay_steps"]
        return k["initial_learning_rate"] / (1 + k["decay_rate"] * (math.floor(p) if k.get("staircase") else p))
    if name == "CosineDecay":
        step = min(step, k["decay_steps"])
        cosine = 0.5 * (1 + math.cos(math.pi * step / k["decay_steps"]))
        return k["initial_learning_rate"] * ((1 - k.get("alpha", 0.0)) * cosine + k.get("alpha", 0.0))
    raise ValueError(name)


def l2_normalize(x):
    return x / np.sqrt(np.maximum(np.sum(x**2, axis=-1, keepdims=True), 1e-12))


NEW_LOSSES = {
    "KLDivergence": lambda y, p: np.sum(np.clip(y, EPS, 1) * np.log(np.clip(y, EPS, 1) / np.clip(p, EPS, 1)), -1),
    "CosineSimilarity": lambda y, p: -np.sum(l2_normalize(y) * l2_normalize(p), axis=-1),
    "Huber": lambda y, p: np.mean(np.where(np.abs(p - y) <= 1, 0.5 * (p - y) ** 2, np.abs(p - y) - 0.5), axis=-1),
    "LogCosh": lambda y, p: np.mean(np.log(np.cosh(p - y)), axis=-1),
    "Poisson": lambda y, p: np.mean(p - y * np.log(p + EPS), axis=-1),
    "Hinge": lambda y, p: np.mean(np.maximum(1 - (2 * y - 1 if np.isin(y, [0, 1]).all() else y) * p, 0), axis=-1),
    "MeanAbsolutePercentageError": lambda y, p: 100 * np.mean(np.abs((y - p) / np.maximum(np.abs(y), EPS)), -1),
    "MeanSquaredLogarithmicError": lambda y, p: np.mean(
        (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2, axis=-1),
}


def confusion(y, p, w, threshold):
    """Weighted (tp, fp, fn) with prediction > threshold positive."""
    positive, actual = p > threshold, y > 0.5
    return (np.sum(w * (positive & actual)), np.sum(w * (positive & ~actual)), np.sum(w * (~positive & actual)))


def roc_auc(y, p, w, num_thresholds=200):
    """Keras's ROC AUC: trapezoids over tpr/fpr at its thresholds."""
    thresholds = [-1e-7] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1 + 1e-7]
    tpr, fpr = [], []
    for t in thresholds:
        positive, actual = p > t, y > 0.5
        tp, fp = np.sum(w * (positive & actual)), np.sum(w * (positive & ~actual))
        fn, tn = np.sum(w * (~positive & actual)), np.sum(w * (~positive & ~actual))
        tpr.append(tp / (tp + fn) if tp + fn else 0.0)
        fpr.append(fp / (fp + tn) if fp + tn else 0.0)
    tpr, fpr = np.array(tpr), np.array(fpr)
    return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))
