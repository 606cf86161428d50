"""BatchNormalization, LayerNormalization, GroupNormalization, RMSNormalization and UnitNormalization, with
Keras 3's formulas and defaults (docs/SPEC.md "Layers").

Both normalise as y = x * inv + (beta - mean * inv), inv = gamma / sqrt(variance + epsilon), the
variance being the biased one, mean((x - mean)^2), as keras.ops.batch_normalization computes it.
Under a mixed policy (docs/SPEC.md 3.4) they compute as Keras 3 does: in float32 at least (`_upcast`), the weights
read in float32, the output cast to the compute dtype.
"""

from __future__ import annotations

from fitspec import initializers
from fitspec.errors import invalid_argument
from fitspec.layers import weight_arguments
from fitspec.layers.layer import Layer


def _upcast(ops, x):
    """x in Keras's result_type(x.dtype, "float32"): float16 and bfloat16 statistics overflow or lose the
    variance, so they are taken in float32; float64 stays float64."""
    return x if ops.dtype(x) in ("float32", "float64") else ops.cast(x, "float32")


def _read_in(ops, weight, like):
    """A weight (read in its own dtype: `autocast` off) in the dtype of the upcast inputs; None stays None."""
    return None if weight is None else ops.cast(weight.value, ops.dtype(like))


def _keep_in_float32(*weights):
    """Keras adds the normalization layers' weights with autocast=False: a mixed policy reads them in float32."""
    for weight in weights:
        if weight is not None:
            weight.autocast = False


def _normalize(ops, inputs, mean, variance, gamma, beta, epsilon):
    inv = 1.0 / ops.sqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    offset = -mean * inv
    if beta is not None:
        offset = offset + beta
    return inputs * inv + offset


def _check_axes(layer, axes, rank: int) -> list[int]:
    if any(a < -rank or a >= rank for a in axes):
        raise invalid_argument(layer.name, "axis", f"axes within an input of rank {rank}", axes)
    return sorted(a % rank for a in axes)


def _take_affine_arguments(layer, where, epsilon, center, scale, beta_initializer, gamma_initializer,
                           beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint) -> None:
    """The arguments Batch-, Layer- and GroupNormalization take alike: epsilon (> 0), center and scale (whether
    beta and gamma exist), and beta's and gamma's initializer, regularizer and constraint."""
    if not epsilon > 0:
        raise invalid_argument(where, "epsilon", "a float > 0", epsilon)
    layer.epsilon = epsilon
    layer.center, layer.scale = bool(center), bool(scale)
    weight_arguments.take(layer, "beta", beta_initializer, beta_regularizer, beta_constraint)
    weight_arguments.take(layer, "gamma", gamma_initializer, gamma_regularizer, gamma_constraint)


class BatchNormalization(Layer):
    """Normalise over the batch (and every axis but `axis`) while training, by the moving statistics otherwise.

    training (and trainable): mean, variance of the batch; then
        moving_mean     <- moving_mean * momentum + mean * (1 - momentum)
        moving_variance <- moving_variance * momentum + variance * (1 - momentum)
    inference: mean, variance = moving_mean, moving_variance.
    The moving statistics are non-trainable weights: through `stateless_call` they come back as the
    new non-trainable values.
    """
    mask_refused = "Keras's BatchNormalization takes its moments over the unmasked entries; fitspec's does not yet"

    def __init__(
        self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
        gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise invalid_argument("BatchNormalization", "axis", "an int", axis)
        if not 0.0 <= momentum <= 1.0:
            raise invalid_argument("BatchNormalization", "momentum", "a float in [0, 1]", momentum)
        _take_affine_arguments(self, "BatchNormalization", epsilon, center, scale, beta_initializer, gamma_initializer,
                               beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)
        self.axis, self.momentum = axis, momentum
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        rank = len(input_shape)
        (axis,) = _check_axes(self, [self.axis], rank)
        if input_shape[axis] is None:
            raise invalid_argument(self.name, "inputs", f"a known dimension {self.axis}", f"<shape {input_shape}>")
        shape = (input_shape[axis],)
        self._broadcast_shape = tuple(input_shape[axis] if d == axis else 1 for d in range(rank))
        self._reduction_axes = tuple(d for d in range(rank) if d != axis)
        self.gamma = weight_arguments.add(self, "gamma", shape) if self.scale else None
        self.beta = weight_arguments.add(self, "beta", shape) if self.center else None
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer, trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer, trainable=False,
                                               name="moving_variance")
        _keep_in_float32(self.gamma, self.beta, self.moving_mean, self.moving_variance)

    def call(self, inputs, training=None):
        ops = self.ops
        shape = ops.shape(inputs)
        if len(shape) != len(self._broadcast_shape) or shape[self.axis] != self.moving_mean.shape[0]:
            raise invalid_argument(self.name, "inputs", f"rank {len(self._broadcast_shape)} with "
                                   f"{self.moving_mean.shape[0]} features on axis {self.axis}", f"<shape {shape}>")
        inputs = _upcast(ops, inputs)
        moving_mean, moving_variance = (_read_in(ops, w, inputs) for w in (self.moving_mean, self.moving_variance))
        if training and self.trainable:
            group = self.backend.replica_group()
            if group is not None:  # replicas in processes or strategy replicas: the global batch's (SPEC 13.4)
                mean, variance = group.moments(inputs, self._reduction_axes)
            else:
                mean = ops.mean(inputs, axis=self._reduction_axes, keepdims=True)
                variance = ops.mean(ops.square(inputs - mean), axis=self._reduction_axes, keepdims=True)
            mean, variance = ops.reshape(mean, self.moving_mean.shape), ops.reshape(variance, self.moving_mean.shape)
            momentum = self.momentum
            self.moving_mean.assign(moving_mean * momentum + mean * (1.0 - momentum))
            self.moving_variance.assign(moving_variance * momentum + variance * (1.0 - momentum))
        else:
            mean, variance = moving_mean, moving_variance

        def broadcast(v):
            return None if v is None else ops.reshape(v, self._broadcast_shape)

        outputs = _normalize(ops, inputs, broadcast(mean), broadcast(variance),
                             broadcast(_read_in(ops, self.gamma, inputs)), broadcast(_read_in(ops, self.beta, inputs)),
                             self.epsilon)
        return ops.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                **weight_arguments.config(self, "beta", "gamma"),
                **{name: initializers.serialize(getattr(self, name)) for name in (
                    "moving_mean_initializer", "moving_variance_initializer")}}


class LayerNormalization(Layer):
    """Normalise each sample over `axis` (an int or a list): mean and biased variance over those axes."""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")
    autocast = False  # Keras's: float inputs are not cast to the compute dtype, only the output is

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        axes = [axis] if isinstance(axis, int) else list(axis) if isinstance(axis, (list, tuple)) else None
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise invalid_argument("LayerNormalization", "axis", "an int or a list of ints", axis)
        _take_affine_arguments(self, "LayerNormalization", epsilon, center, scale, beta_initializer, gamma_initializer,
                               beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)
        self.axis = axis

    def build(self, input_shape):
        rank = len(input_shape)
        axes = _check_axes(self, [self.axis] if isinstance(self.axis, int) else list(self.axis), rank)
        if any(input_shape[a] is None for a in axes):
            raise invalid_argument(self.name, "inputs", f"known dimensions on axis {self.axis}",
                                   f"<shape {input_shape}>")
        self._axes = tuple(axes)
        self._broadcast_shape = tuple(input_shape[d] if d in axes else 1 for d in range(rank))
        shape = tuple(input_shape[a] for a in axes)
        self.gamma = weight_arguments.add(self, "gamma", shape) if self.scale else None
        self.beta = weight_arguments.add(self, "beta", shape) if self.center else None
        _keep_in_float32(self.gamma, self.beta)

    def call(self, inputs):
        ops = self.ops
        shape = ops.shape(inputs)
        if len(shape) != len(self._broadcast_shape) or any(shape[a] != self._broadcast_shape[a] for a in self._axes):
            expected = f"rank {len(self._broadcast_shape)} with dimensions {self._broadcast_shape} on axes {self._axes}"
            raise invalid_argument(self.name, "inputs", expected, f"<shape {shape}>")
        inputs = _upcast(ops, inputs)
        mean = ops.mean(inputs, axis=self._axes, keepdims=True)
        variance = ops.mean(ops.square(inputs - mean), axis=self._axes, keepdims=True)

        def broadcast(weight):
            return None if weight is None else ops.reshape(_read_in(ops, weight, inputs), self._broadcast_shape)

        outputs = _normalize(ops, inputs, mean, variance, broadcast(self.gamma), broadcast(self.beta), self.epsilon)
        return ops.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        axis = self.axis if isinstance(self.axis, int) else list(self.axis)
        return {**super().get_config(), "axis": axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, **weight_arguments.config(self, "beta", "gamma")}


def l2_normalize(ops, x, axis, epsilon):
    """x * min(1 / sqrt(sum(x^2 over axis)), 1 / epsilon) (keras.ops.normalize(order=2)), computed as
    x / sqrt(max(sum(x^2), epsilon^2)): the same number, with a finite gradient at x = 0."""
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), epsilon * epsilon))


def _axes_argument(where: str, axis) -> list[int]:
    axes = [axis] if isinstance(axis, int) else list(axis) if isinstance(axis, (list, tuple)) else None
    if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
        raise invalid_argument(where, "axis", "an int or a list of ints", axis)
    return axes


class GroupNormalization(Layer):
    """Normalise each sample over groups of channels: the `axis` channels split into `groups` consecutive groups
    (-1: one per channel), mean and biased variance over each group and every other non-batch axis, then the
    formula of BatchNormalization with per-channel gamma, beta. Weights gamma then beta."""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")
    autocast = False  # Keras's: float inputs are not cast to the compute dtype, only the output is

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise invalid_argument("GroupNormalization", "groups", "a positive int, or -1 (one group per channel)",
                                   groups)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise invalid_argument("GroupNormalization", "axis", "an int", axis)
        _take_affine_arguments(self, "GroupNormalization", epsilon, center, scale, beta_initializer, gamma_initializer,
                               beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)
        self.groups, self.axis = groups, axis

    def build(self, input_shape):
        rank = len(input_shape)
        (axis,) = _check_axes(self, [self.axis], rank)
        channels = input_shape[axis]
        if axis == 0 or channels is None:
            raise invalid_argument(self.name, "inputs", f"a known non-batch dimension on axis {self.axis}",
                                   f"<shape {input_shape}>")
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            raise invalid_argument(self.name, "groups", f"a divisor of the {channels} channels on axis {self.axis}",
                                   self.groups)
        self.groups = groups  # -1 resolved, as Keras's config then shows
        self._axis, self._groups, self._rank, self._channels = axis, groups, rank, channels
        self.gamma = weight_arguments.add(self, "gamma", (channels,)) if self.scale else None
        self.beta = weight_arguments.add(self, "beta", (channels,)) if self.center else None
        _keep_in_float32(self.gamma, self.beta)

    def call(self, inputs):
        ops = self.ops
        shape = tuple(ops.shape(inputs))
        axis, groups, channels = self._axis, self._groups, self._channels
        if len(shape) != self._rank or shape[axis] != channels:
            raise invalid_argument(self.name, "inputs", f"rank {self._rank} with {channels} channels on axis "
                                   f"{self.axis}", f"<shape {shape}>")
        grouped_shape = (-1, *shape[1:axis], groups, channels // groups, *shape[axis + 1:])
        grouped = _upcast(ops, ops.reshape(inputs, grouped_shape))
        reduce = tuple(d for d in range(1, self._rank + 1) if d != axis)  # all but batch and the group axis
        mean = ops.mean(grouped, axis=reduce, keepdims=True)
        variance = ops.mean(ops.square(grouped - mean), axis=reduce, keepdims=True)
        broadcast = [1] * (self._rank + 1)
        broadcast[axis], broadcast[axis + 1] = groups, channels // groups

        def weight(w):
            return None if w is None else ops.reshape(_read_in(ops, w, grouped), tuple(broadcast))

        outputs = _normalize(ops, grouped, mean, variance, weight(self.gamma), weight(self.beta), self.epsilon)
        # Keras's order: back to the inputs' dtype, then to the compute dtype
        outputs = ops.cast(ops.cast(outputs, ops.dtype(inputs)), self.compute_dtype)
        return ops.reshape(outputs, (-1, *shape[1:]))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale, **weight_arguments.config(self, "beta", "gamma")}


class RMSNormalization(Layer):
    """y = x / sqrt(mean(x^2 over axis) + epsilon) * scale; `scale` (ones) shaped like the normalised axes."""

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        _axes_argument("RMSNormalization", axis)
        if not epsilon > 0:
            raise invalid_argument("RMSNormalization", "epsilon", "a float > 0", epsilon)
        self.axis, self.epsilon = axis, epsilon

    def build(self, input_shape):
        rank = len(input_shape)
        axes = _check_axes(self, _axes_argument(self.name, self.axis), rank)
        if any(input_shape[a] is None for a in axes) or 0 in axes:
            raise invalid_argument(self.name, "inputs", f"known non-batch dimensions on axis {self.axis}",
                                   f"<shape {input_shape}>")
        self._axes = tuple(axes)
        self._broadcast_shape = tuple(input_shape[d] if d in axes else 1 for d in range(rank))
        self.axis = sorted(_axes_argument(self.name, self.axis))  # a sorted list once built, as in Keras's config
        self.scale = self.add_weight(tuple(input_shape[a] for a in axes), "ones", name="scale")

    def call(self, inputs):
        ops = self.ops
        shape = tuple(ops.shape(inputs))
        if len(shape) != len(self._broadcast_shape) or any(shape[a] != self._broadcast_shape[a] for a in self._axes):
            expected = f"rank {len(self._broadcast_shape)} with dimensions {self._broadcast_shape} on axes {self._axes}"
            raise invalid_argument(self.name, "inputs", expected, f"<shape {shape}>")
        dtype, inputs = ops.dtype(inputs), _upcast(ops, inputs)  # its scale autocasts, then goes up with the inputs
        inv_rms = 1.0 / ops.sqrt(ops.mean(ops.square(inputs), axis=self._axes, keepdims=True) + self.epsilon)
        scale = ops.reshape(_read_in(ops, self.scale, inputs), self._broadcast_shape)
        return ops.cast(inputs * inv_rms * scale, dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        axis = self.axis if isinstance(self.axis, int) else list(self.axis)
        return {**super().get_config(), "axis": axis, "epsilon": self.epsilon}


class UnitNormalization(Layer):
    """y = x / sqrt(max(sum(x^2 over axis), 1e-24)): each sample scaled to unit L2 norm over `axis`
    (keras.ops.normalize with epsilon 1e-12)."""
    supports_masking = True  # the input's mask passes through (docs/SPEC.md "Masking")

    EPSILON = 1e-12

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        _axes_argument("UnitNormalization", axis)
        self.axis = axis

    def build(self, input_shape):
        _check_axes(self, _axes_argument(self.name, self.axis), len(input_shape))

    def call(self, inputs):
        axes = tuple(_check_axes(self, _axes_argument(self.name, self.axis), len(self.ops.shape(inputs))))
        return l2_normalize(self.ops, inputs, axes, self.EPSILON)

    def compute_output_shape(self, input_shape):
        _check_axes(self, _axes_argument(self.name, self.axis), len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        axis = self.axis if isinstance(self.axis, int) else list(self.axis)
        return {**super().get_config(), "axis": axis}


CLASSES = {cls.__name__: cls for cls in (BatchNormalization, LayerNormalization, GroupNormalization,
                                         RMSNormalization, UnitNormalization)}
