"""Numeric preprocessing layers: Rescaling, Normalization, Discretization, CategoryEncoding (docs/SPEC.md 8d.P).

Each works on arrays and inside a model in fit(); `adapt(data)` computes a layer's state on the host, in numpy,
from an array, a backend tensor, a `PyDataset` or an iterable of batches (a batch `(x, y[, w])` gives its x).
"""

from __future__ import annotations

import numbers

import numpy as np

from fitspec import foreign_arrays
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer

#: Keras's backend.epsilon(): Normalization divides by max(sqrt(variance), EPSILON)
EPSILON = 1e-7


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _host(layer, batch) -> np.ndarray:
    """A batch as a numpy array: `(x, y[, w])` gives x; backend tensors and other frameworks' arrays are read."""
    if isinstance(batch, tuple):
        batch = batch[0]
    if isinstance(batch, np.ndarray):
        return batch
    if foreign_arrays.is_foreign(batch, layer.backend.name):
        return foreign_arrays.to_numpy(batch)
    if hasattr(batch, "shape") and hasattr(batch, "dtype"):
        return np.asarray(layer.ops.convert_to_numpy(batch))
    return np.asarray(batch)


def adapt_batches(layer, data) -> tuple[bool, list]:
    """(whether `data` is one array, its batches as numpy arrays) for `adapt`; anything else is refused."""
    from fitspec.py_dataset import PyDataset

    where = f"{layer.name}.adapt"
    if isinstance(data, np.ndarray) or (hasattr(data, "shape") and hasattr(data, "dtype")):
        return True, [_host(layer, data)]
    if isinstance(data, PyDataset):
        batches = [_host(layer, data[i]) for i in range(len(data))]
    elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
        batches = [_host(layer, batch) for batch in data]
    else:
        raise invalid_argument(where, "data", "an array, a backend tensor, a PyDataset or an iterable of batches",
                               data)
    if not batches:
        raise invalid_argument(where, "data", "at least one batch", "<no batches>")
    return False, batches


class Rescaling(Layer):
    """y = cast(x) * scale + offset, in the layer's dtype; a list `scale` / `offset` runs along the last axis."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for argument, value in (("scale", scale), ("offset", offset)):
            array = np.asarray(value) if not isinstance(value, str) else None
            if array is None or array.dtype.kind not in "iuf" or not np.all(np.isfinite(array)):
                raise invalid_argument("Rescaling", argument, "a finite number or a list of them", value)
        self.scale, self.offset = scale, offset
        self.built = True

    def call(self, inputs):
        ops, dtype = self.ops, self.dtype
        scale = ops.convert_to_tensor(np.asarray(self.scale, dtype=dtype))
        offset = ops.convert_to_tensor(np.asarray(self.offset, dtype=dtype))
        return ops.cast(inputs, dtype) * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        def plain(value):
            return np.asarray(value).tolist()

        return {**super().get_config(), "scale": plain(self.scale), "offset": plain(self.offset)}


class Normalization(Layer):
    """y = (x - mean) / max(sqrt(variance), 1e-7); `invert=True`: y = mean + x * max(sqrt(variance), 1e-7).

    mean and variance are per position of the kept `axis` (an int, a tuple, or None for one scalar pair), given as
    `mean=` / `variance=` (broadcast onto the kept axes from the last one: no weights) or computed by `adapt(data)`:
    numpy's mean and biased variance over the other axes of an array; over batches, Keras's running merge
    m' = m (1 - b) + m_b b, v' = (v + (m - m')^2)(1 - b) + (v_b + (m_b - m')^2) b, b = n_b / n_total. Adapted
    statistics are the non-trainable weights `mean`, `variance` (zeros, ones before adapt) and `count` (int32,
    always 0, as Keras's).
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axes = ()
        elif isinstance(axis, int) and not isinstance(axis, bool):
            axes = (axis,)
        elif isinstance(axis, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            axes = tuple(axis)
        else:
            raise invalid_argument("Normalization", "axis", "an int, a tuple of ints or None", axis)
        if (mean is None) != (variance is None):
            raise invalid_argument("Normalization", "variance" if variance is None else "mean",
                                   "both `mean` and `variance`, or neither", f"<mean={mean!r}, variance={variance!r}>")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise invalid_argument("Normalization", "variance", f"the shape of `mean`, {np.shape(mean)}",
                                       f"<shape {np.shape(variance)}>")
            if len(np.shape(mean)) > len(axes):
                raise invalid_argument("Normalization", "mean", f"a rank of at most {len(axes)} (the number of "
                                       "axes)", f"<shape {np.shape(mean)}>")
            for argument, value in (("mean", mean), ("variance", variance)):
                array = np.asarray(value)
                if array.dtype.kind not in "iuf" or not np.all(np.isfinite(array)):
                    raise invalid_argument("Normalization", argument, "finite numbers", value)
        if not isinstance(invert, bool):
            raise invalid_argument("Normalization", "invert", "a bool", invert)
        self.axis, self.input_mean, self.input_variance, self.invert = axes, mean, variance, invert

    def build(self, input_shape):
        rank = len(input_shape)
        if any(a < -rank or a >= rank for a in self.axis):
            raise invalid_argument(self.name, "axis", f"axes within inputs of rank {rank}", self.axis)
        keep = tuple(sorted(a % rank for a in self.axis))
        if any(input_shape[a] is None for a in keep):
            raise invalid_argument(self.name, "inputs", f"known dimensions on the kept axes {keep}",
                                   f"<shape {tuple(input_shape)}>")
        self._build_shape = tuple(input_shape)
        self._keep_axes = keep
        self._reduce_axes = tuple(a for a in range(rank) if a not in keep)
        self._broadcast_shape = tuple(input_shape[a] if a in keep else 1 for a in range(rank))
        statistics_shape = tuple(input_shape[a] for a in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(statistics_shape, "zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(statistics_shape, "ones", trainable=False, name="variance")
            self.count = self.add_weight((), "zeros", dtype="int32", trainable=False, name="count")
        else:
            self._given = tuple(self._broadcast_given(value) for value in (self.input_mean, self.input_variance))
        self.built = True

    def _broadcast_given(self, value) -> np.ndarray:
        """A given mean or variance on the broadcast shape: a scalar everywhere, else its axes on the last kept
        axes."""
        array = np.asarray(value, dtype="float64")
        expanded = [1] * len(self._broadcast_shape)
        for i in range(1, array.ndim + 1):
            expanded[self._keep_axes[-i]] = array.shape[-i]
        try:
            return np.broadcast_to(array.reshape(expanded), self._broadcast_shape)
        except ValueError:
            raise invalid_argument(self.name, "mean", f"a shape that broadcasts onto {self._broadcast_shape}",
                                   f"<shape {array.shape}>") from None

    def adapt(self, data):
        """Set mean and variance from `data` (see the class docstring)."""
        if self.input_mean is not None:
            raise invalid_argument(f"{self.name}.adapt", "self", "a Normalization built without `mean` and "
                                   "`variance`", "<a layer given mean and variance>")
        single, batches = adapt_batches(self, data)
        if not self.built:
            self.build(batches[0].shape)
            self.built = True
        for batch in batches:
            if batch.ndim != len(self._build_shape) or any(batch.shape[a] != self._build_shape[a]
                                                            for a in self._keep_axes):
                raise invalid_argument(f"{self.name}.adapt", "data", f"batches of shape {self._build_shape} on "
                                       f"the kept axes {self._keep_axes}", f"<shape {batch.shape}>")
        if single:
            mean = np.mean(batches[0], axis=self._reduce_axes)
            variance = np.var(batches[0], axis=self._reduce_axes)
        else:
            mean = variance = np.zeros(self.adapt_mean.shape)
            total = 0
            for batch in batches:
                batch = batch.astype(self.dtype)
                batch_mean = np.mean(batch, axis=self._reduce_axes)
                batch_variance = np.var(batch, axis=self._reduce_axes)
                count = int(np.prod([batch.shape[a] for a in self._reduce_axes]))
                total += count
                weight = float(count) / total
                new_mean = mean * (1.0 - weight) + batch_mean * weight
                variance = ((variance + (mean - new_mean) ** 2) * (1.0 - weight)
                            + (batch_variance + (batch_mean - new_mean) ** 2) * weight)
                mean = new_mean
        self.adapt_mean.assign(self.ops.convert_to_tensor(np.asarray(mean, dtype=self.dtype)))
        self.adapt_variance.assign(self.ops.convert_to_tensor(np.asarray(variance, dtype=self.dtype)))

    def call(self, inputs):
        ops = self.ops
        inputs = ops.cast(inputs, self.dtype)
        if self.input_mean is None:
            mean = ops.reshape(self.adapt_mean.value, self._broadcast_shape)
            variance = ops.reshape(self.adapt_variance.value, self._broadcast_shape)
        else:
            mean, variance = (ops.convert_to_tensor(np.asarray(v, dtype=self.dtype)) for v in self._given)
        scale = ops.maximum(ops.sqrt(variance), ops.convert_to_tensor(np.asarray(EPSILON, dtype=self.dtype)))
        if self.invert:
            return mean + inputs * scale
        return (inputs - mean) / scale

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(), "variance": np.array(self.input_variance).tolist()}


# -- Discretization's quantile summary (Keras's, on the host in float32) -----------------------------------------
def summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """[values, weights] of every step-th sorted value (step = max(n * epsilon, 1), from index step - 1), each
    weighing step."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size * epsilon, 1)
    taken = values[int(step - 1)::int(step)]
    return np.stack([taken, np.ones_like(taken) * step])


def compress_summary(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """At the quantiles epsilon, 2 epsilon, ..., 1 of the cumulative weights: the interpolated values and the
    weights between them (float32); a summary of fewer than 1/epsilon points is kept as it is."""
    if summary.shape[1] * epsilon < 1:
        return summary
    quantiles = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    fractions = cumulative / cumulative[-1]
    values = np.interp(quantiles, fractions, summary[0])
    cumulative = np.interp(quantiles, fractions, cumulative)
    weights = cumulative - np.concatenate((np.array([0]), cumulative[:-1]))
    return np.stack((values, weights)).astype("float32")


def merge_summaries(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((first, second), axis=1)
    return compress_summary(np.take(merged, np.argsort(merged[0]), axis=1), epsilon)


OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def encode_categories(ops, indices, output_mode: str, depth: int, dtype: str):
    """Keras's categorical encoding of integer `indices`: "int" casts; "one_hot" (a trailing axis of 1 squeezed
    first) appends an axis of `depth`; "multi_hot" / "count" take the maximum / sum of the one-hot encodings over
    axis 1 (axis 0 for a vector). Indices outside [0, depth) encode as zeros."""
    if output_mode == "int":
        return ops.cast(indices, dtype)
    shape = tuple(ops.shape(indices))
    if not shape:
        indices, shape = ops.reshape(indices, (1,)), (1,)
    indices = ops.cast(indices, "int32")
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            indices = ops.reshape(indices, shape[:-1])
        return ops.one_hot(indices, depth, dtype=dtype)
    encoded = ops.one_hot(indices, depth, dtype=dtype)
    axis = 1 if len(shape) > 1 else 0
    return ops.max(encoded, axis=axis) if output_mode == "multi_hot" else ops.sum(encoded, axis=axis)


def _check_output_mode(where: str, output_mode, modes=OUTPUT_MODES) -> str:
    if output_mode not in modes:
        raise invalid_argument(where, "output_mode", f"one of {modes}", output_mode)
    return output_mode


def _check_sparse(where: str, sparse):
    if sparse:
        raise invalid_argument(where, "sparse", "False (fitspec has no sparse tensors)", sparse)


class Discretization(Layer):
    """The bucket of each input: the number of `bin_boundaries` b with b <= x (numpy.digitize, right=False),
    compared in the inputs' float dtype, then encoded by `output_mode` (int32 for "int", else the layer's dtype)
    with depth len(bin_boundaries) + 1.

    With `num_bins`, `adapt(data)` sets the boundaries from Keras's approximate quantile summary (computed on the
    host in float32, `epsilon` its precision): num_bins - 1 boundaries.
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        _check_sparse("Discretization", sparse)
        self.output_mode = _check_output_mode("Discretization", output_mode)
        if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 0):
            raise invalid_argument("Discretization", "num_bins", "an int >= 0", num_bins)
        if num_bins is not None and bin_boundaries is not None:
            raise invalid_argument("Discretization", "bin_boundaries", "None when `num_bins` is set",
                                   bin_boundaries)
        if num_bins is None and bin_boundaries is None:
            raise invalid_argument("Discretization", "bin_boundaries", "a list of numbers (or `num_bins` set)",
                                   None)
        if bin_boundaries is not None:
            array = np.asarray(bin_boundaries)
            if array.ndim != 1 or array.dtype.kind not in "iuf" or not np.all(np.isfinite(array)) or np.any(
                    np.diff(array) < 0):
                raise invalid_argument("Discretization", "bin_boundaries", "a sorted list of finite numbers",
                                       bin_boundaries)
            bin_boundaries = [float(b) for b in array]
        if not _is_number(epsilon) or not 0 < epsilon < 1:
            raise invalid_argument("Discretization", "epsilon", "a float in (0, 1)", epsilon)
        self.bin_boundaries, self.num_bins, self.epsilon, self.sparse = bin_boundaries, num_bins, epsilon, sparse
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    def adapt(self, data, steps=None):
        if self.num_bins is None:
            raise invalid_argument(f"{self.name}.adapt", "num_bins", "an int (a layer given `bin_boundaries` "
                                   "cannot adapt)", None)
        if steps is not None:
            raise invalid_argument(f"{self.name}.adapt", "steps", "None (every batch of `data` is read)", steps)
        summary = np.array([[], []], dtype="float32")
        for batch in adapt_batches(self, data)[1]:
            summary = merge_summaries(summarize(batch.astype("float32"), self.epsilon), summary, self.epsilon)
        self.summary = summary
        self.bin_boundaries = compress_summary(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise invalid_argument(self.name, "bin_boundaries", "boundaries given or computed by `adapt` before "
                                   "the layer is called", None)
        ops = self.ops
        dtype = ops.dtype(inputs)
        if not dtype.startswith("float"):
            dtype = self.dtype
            inputs = ops.cast(inputs, dtype)
        indices = ops.zeros(tuple(ops.shape(inputs)), dtype="int32")
        for boundary in self.bin_boundaries:
            above = ops.greater_equal(inputs, ops.convert_to_tensor(np.asarray(boundary, dtype=dtype)))
            indices = indices + ops.cast(above, "int32")
        return encode_categories(ops, indices, self.output_mode, len(self.bin_boundaries) + 1,
                                 "int32" if self.output_mode == "int" else self.dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config: dict):
        """An adapted layer's config has both `num_bins` and `bin_boundaries`: built from `num_bins`, then given
        the boundaries (Keras's rule)."""
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None) if config.get("num_bins") is not None else None
        layer = super().from_config(config)
        if boundaries is not None:
            layer.bin_boundaries = [float(b) for b in boundaries]
        return layer


class CategoryEncoding(Layer):
    """Integer inputs (cast to int32) encoded with depth `num_tokens`: "one_hot", "multi_hot" (alias "binary")
    or "count" (the one-hot encodings summed, each times its `count_weights` entry when given), in the layer's
    dtype, as `encode_categories`."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        self.output_mode = _check_output_mode("CategoryEncoding", output_mode, ("count", "one_hot", "multi_hot"))
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, int) or num_tokens < 1:
            raise invalid_argument("CategoryEncoding", "num_tokens", "an int >= 1", num_tokens)
        _check_sparse("CategoryEncoding", sparse)
        self.num_tokens, self.sparse = num_tokens, sparse
        self.built = True

    def call(self, inputs, count_weights=None):
        ops = self.ops
        if count_weights is None:
            return encode_categories(ops, inputs, self.output_mode, self.num_tokens, self.dtype)
        if self.output_mode != "count":
            raise invalid_argument(self.name, "count_weights", "None unless output_mode='count'", count_weights)
        shape = tuple(ops.shape(inputs))
        if not shape:
            inputs, shape = ops.reshape(inputs, (1,)), (1,)
        weights = ops.cast(ops.convert_to_tensor(count_weights), self.dtype)
        if tuple(ops.shape(weights)) != shape:
            raise invalid_argument(self.name, "count_weights", f"the inputs' shape {shape}",
                                   f"<shape {tuple(ops.shape(weights))}>")
        encoded = ops.one_hot(ops.cast(inputs, "int32"), self.num_tokens, dtype=self.dtype)
        return ops.sum(encoded * ops.expand_dims(weights, -1), axis=1 if len(shape) > 1 else 0)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode,
                "sparse": self.sparse}


CLASSES = {cls.__name__: cls for cls in (Rescaling, Normalization, Discretization, CategoryEncoding)}
