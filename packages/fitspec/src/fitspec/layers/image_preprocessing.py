"""Image preprocessing layers: Resizing, CenterCrop and the random augmentations (docs/SPEC.md 8d.P).

Images are rank 4 (batch) or rank 3 (one image), channels_last or channels_first. Resizing is Keras 3's on JAX
(`jax.image.resize` without antialiasing): separable, one host-computed (input, output) weight matrix per
resized axis. The random layers draw from `fs.random` (the portable generator, float32 uniforms) and, as Keras's,
are active when called with `training=True`, which is their default outside a model.
"""

from __future__ import annotations

import numpy as np

from fitspec.conv_arithmetic import normalize_data_format
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.layers.regularization import seed_generator
from fitspec.random import check_seed

INTERPOLATIONS = ("bilinear", "nearest")
#: Keras's interpolations that fitspec does not compute: refused by name
UNSUPPORTED_INTERPOLATIONS = ("lanczos3", "lanczos5", "bicubic", "area")


def _check_size(where: str, argument: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise invalid_argument(where, argument, "an int >= 1", value)
    return int(value)


def image_axes(where: str, shape: tuple, data_format: str) -> tuple[int, int]:
    """The (height, width) axes of images of `shape`."""
    if len(shape) not in (3, 4):
        raise invalid_argument(where, "inputs", "images of rank 3 or 4", f"<shape {shape}>")
    return (len(shape) - 2, len(shape) - 1) if data_format == "channels_first" else (len(shape) - 3, len(shape) - 2)


def bilinear_weights(size_in: int, size_out: int) -> np.ndarray:
    """(size_in, size_out) float64: output o samples the input at s = (o + 0.5) size_in / size_out - 0.5 with
    the triangle kernel max(0, 1 - |s - i|), its weights normalised to sum 1 (so the edges clamp)."""
    samples = (np.arange(size_out, dtype="float64") + 0.5) * (1.0 / (size_out / size_in)) - 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(samples[None, :] - np.arange(size_in, dtype="float64")[:, None]))
    total = weights.sum(axis=0, keepdims=True)
    return np.where(np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                    weights / np.where(total != 0, total, 1), 0.0)


def nearest_indices(size_in: int, size_out: int) -> np.ndarray:
    """floor((o + 0.5) * size_in / size_out), computed in float32 (jax.image.resize's rule)."""
    offsets = (np.arange(size_out, dtype=np.float32) + np.float32(0.5)) * np.float32(size_in) / np.float32(size_out)
    return np.floor(offsets).astype("int32")


def crop_box(height: int, width: int, target_height: int, target_width: int) -> tuple[int, int, int, int]:
    """(top, left, crop height, crop width) of the centred crop with the target's aspect ratio (Keras's
    `crop_to_aspect_ratio` and `smart_resize`)."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_height) / 2), int(float(width - crop_width) / 2), crop_height, crop_width


def take_range(ops, x, axis: int, start: int, length: int):
    """x[..., start:start + length, ...] along `axis`."""
    if start == 0 and length == ops.shape(x)[axis]:
        return x
    return ops.take(x, ops.convert_to_tensor(np.arange(start, start + length, dtype="int32")), axis=axis)


def resize_axis(ops, x, axis: int, size_out: int, interpolation: str):
    """x resized along one axis (unchanged when the size is)."""
    size_in = ops.shape(x)[axis]
    if size_in == size_out:
        return x
    if interpolation == "nearest":
        return ops.take(x, ops.convert_to_tensor(nearest_indices(size_in, size_out)), axis=axis)
    weights = ops.convert_to_tensor(bilinear_weights(size_in, size_out).astype(ops.dtype(x)))
    rank = len(ops.shape(x))
    order = [a for a in range(rank) if a != axis] + [axis]
    moved = ops.matmul(ops.transpose(x, order), weights)
    return ops.transpose(moved, list(np.argsort(order)))


def resize(ops, images, height: int, width: int, interpolation: str, data_format: str, crop_to_aspect_ratio=False,
           where="resize"):
    """Keras 3's image resize (JAX backend): the centred crop first with `crop_to_aspect_ratio`, then each axis."""
    shape = tuple(ops.shape(images))
    h_axis, w_axis = image_axes(where, shape, data_format)
    if interpolation == "bilinear" and not ops.dtype(images).startswith(("float", "bfloat")):
        raise invalid_argument(where, "inputs", "float images for bilinear interpolation",
                               f"<dtype {ops.dtype(images)}>")
    if crop_to_aspect_ratio:
        top, left, crop_height, crop_width = crop_box(shape[h_axis], shape[w_axis], height, width)
        images = take_range(ops, take_range(ops, images, h_axis, top, crop_height), w_axis, left, crop_width)
    return resize_axis(ops, resize_axis(ops, images, h_axis, height, interpolation), w_axis, width, interpolation)


def setup_random_image_layer(layer, where: str, seed, data_format) -> None:
    """A random image layer's `seed`, `data_format` and SeedGenerator (docs/SPEC.md R.*), checked in one place."""
    layer.seed = None if seed is None else check_seed(where, seed)
    layer.data_format = normalize_data_format(data_format, where)
    layer.seed_generator = seed_generator(layer, where)
    layer.built = True


def draw_per_image(layer, inputs, minval: float = 0.0, maxval: float = 1.0):
    """One float32 uniform in [minval, maxval) per image of `inputs` from the layer's SeedGenerator, shaped (batch, 1,
    1, 1) (or (1, 1, 1) for one image): the portable generator's draw, the same on every backend and precision. An
    empty range (minval == maxval, a factor of 0) still draws, so that the generator advances as Keras's does."""
    shape = tuple(layer.ops.shape(inputs))
    image_axes(layer.name, shape, layer.data_format)
    draw_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
    random = layer.backend.api.random
    if minval == maxval:
        random.uniform(draw_shape, dtype="float32", seed=layer.seed_generator)
        return layer.ops.full(draw_shape, minval, dtype="float32")
    return random.uniform(draw_shape, minval=minval, maxval=maxval, dtype="float32", seed=layer.seed_generator)


class Resizing(Layer):
    """Images resized to (height, width): "bilinear" (half-pixel centres, edges clamped, no antialiasing) or
    "nearest" (floor((o + 0.5) n_in / n_out)); `crop_to_aspect_ratio` crops the centred box of the target's aspect
    ratio first. Bilinear needs float images; nearest keeps the dtype."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_mode="constant", fill_value=0.0, antialias=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = _check_size("Resizing", "height", height), _check_size("Resizing", "width", width)
        if interpolation not in INTERPOLATIONS:
            expected = (f"one of {INTERPOLATIONS} ({interpolation!r} is not built in fitspec)"
                        if interpolation in UNSUPPORTED_INTERPOLATIONS else f"one of {INTERPOLATIONS}")
            raise invalid_argument("Resizing", "interpolation", expected, interpolation)
        if pad_to_aspect_ratio:
            raise invalid_argument("Resizing", "pad_to_aspect_ratio", "False (not built in fitspec)",
                                   pad_to_aspect_ratio)
        if fill_mode != "constant":
            raise invalid_argument("Resizing", "fill_mode", "'constant'", fill_mode)
        if antialias:
            raise invalid_argument("Resizing", "antialias", "False (not built in fitspec)", antialias)
        self.interpolation, self.crop_to_aspect_ratio = interpolation, bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio, self.fill_mode, self.fill_value = False, fill_mode, fill_value
        self.antialias = False
        self.data_format = normalize_data_format(data_format, "Resizing")
        self.built = True

    def call(self, inputs):
        return resize(self.ops, inputs, self.height, self.width, self.interpolation, self.data_format,
                      self.crop_to_aspect_ratio, where=self.name)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias, "data_format": self.data_format}


class CenterCrop(Layer):
    """The centred (height, width) window, starting at ((H - height) // 2, (W - width) // 2), of images cast to the
    layer's dtype; an image smaller than the target on either side is instead cropped to the target's aspect ratio
    and resized bilinearly (Keras's `smart_resize`)."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height = _check_size("CenterCrop", "height", height)
        self.width = _check_size("CenterCrop", "width", width)
        self.data_format = normalize_data_format(data_format, "CenterCrop")
        self.built = True

    def call(self, inputs):
        ops = self.ops
        inputs = ops.cast(inputs, self.dtype)
        shape = tuple(ops.shape(inputs))
        h_axis, w_axis = image_axes(self.name, shape, self.data_format)
        h_diff, w_diff = shape[h_axis] - self.height, shape[w_axis] - self.width
        if h_diff >= 0 and w_diff >= 0:
            return take_range(ops, take_range(ops, inputs, h_axis, h_diff // 2, self.height), w_axis, w_diff // 2,
                              self.width)
        return resize(ops, inputs, self.height, self.width, "bilinear", self.data_format, crop_to_aspect_ratio=True,
                      where=self.name)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}


class RandomCrop(Layer):
    """Training, on images larger than (height, width) on both sides: one window for the whole batch, its corner
    (int(u_h), int(u_w)) from two float32 uniforms u_h ~ U(0, H - height + 1), u_w ~ U(0, W - width + 1) drawn in that
    order; on other images (Keras 3.15's code) the window of at most (height, width) at the corner of the centred box
    of the target's aspect ratio, resized bilinearly to the target when smaller. Inference: that box resized
    bilinearly to (height, width), as Keras documents. Images are cast to the layer's dtype."""

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.height = _check_size("RandomCrop", "height", height)
        self.width = _check_size("RandomCrop", "width", width)
        setup_random_image_layer(self, "RandomCrop", seed, data_format)

    def call(self, inputs, training=True):
        ops = self.ops
        inputs = ops.cast(inputs, self.dtype)
        shape = tuple(ops.shape(inputs))
        h_axis, w_axis = image_axes(self.name, shape, self.data_format)
        height, width = shape[h_axis], shape[w_axis]
        if not training:
            return resize(ops, inputs, self.height, self.width, "bilinear", self.data_format,
                          crop_to_aspect_ratio=True, where=self.name)
        if not (height > self.height and width > self.width):  # Keras: the target-size window at the box's corner
            top, left, _, _ = crop_box(height, width, self.height, self.width)
            window = take_range(ops, inputs, h_axis, top, min(self.height, height - top))
            window = take_range(ops, window, w_axis, left, min(self.width, width - left))
            return resize(ops, window, self.height, self.width, "bilinear", self.data_format, where=self.name)
        random = self.backend.api.random
        outputs = inputs
        for axis, size, target in ((h_axis, height, self.height), (w_axis, width, self.width)):
            start = ops.cast(random.uniform((), minval=0.0, maxval=float(size - target + 1), dtype="float32",
                                            seed=self.seed_generator), "int32")
            indices = ops.arange(target, dtype="int32") + start
            outputs = ops.take(outputs, indices, axis=axis)
        return outputs

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        h_axis, w_axis = image_axes(self.name, tuple(shape), self.data_format)
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "seed": self.seed,
                "data_format": self.data_format}


FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(Layer):
    """Training: each image (one draw per image, float32 uniform u, flipped where u <= 0.5) reversed along its width
    ("horizontal"), its height ("vertical") or both ("horizontal_and_vertical": the same draw flips both axes, as in
    Keras). Inference: the images cast to the layer's dtype."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in FLIP_MODES:
            raise invalid_argument("RandomFlip", "mode", f"one of {FLIP_MODES}", mode)
        self.mode = mode
        setup_random_image_layer(self, "RandomFlip", seed, data_format)

    def call(self, inputs, training=True):
        ops = self.ops
        inputs = ops.cast(inputs, self.dtype)
        if not training:
            return inputs
        shape = tuple(ops.shape(inputs))
        h_axis, w_axis = image_axes(self.name, shape, self.data_format)
        flips = ops.less_equal(draw_per_image(self, inputs), ops.convert_to_tensor(np.float32(0.5)))
        outputs = inputs
        axes = {"horizontal": [w_axis], "vertical": [h_axis], "horizontal_and_vertical": [w_axis, h_axis]}[self.mode]
        for axis in axes:
            reversed_indices = ops.convert_to_tensor(np.arange(shape[axis] - 1, -1, -1, dtype="int32"))
            outputs = ops.where(flips, ops.take(outputs, reversed_indices, axis=axis), outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "seed": self.seed, "data_format": self.data_format}


def check_factor(where: str, factor, bounds: tuple[float, float], argument: str = "factor",
                 open_lower: bool = False) -> tuple[float, float]:
    """(lower, upper) of a `factor`: a number f in `bounds` gives (|f|, |f|) as magnitudes, a pair (a, b) within
    `bounds` gives (min, max); `open_lower` leaves the lower bound out."""
    def number(value):
        return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and np.isfinite(
            value)

    def within(value):
        return (bounds[0] < value if open_lower else bounds[0] <= value) and value <= bounds[1]

    if number(factor) and within(factor):
        return abs(float(factor)), abs(float(factor))
    if isinstance(factor, (list, tuple)) and len(factor) == 2 and all(number(f) and within(f) for f in factor):
        return float(min(factor)), float(max(factor))
    interval = f"{'(' if open_lower else '['}{bounds[0]}, {bounds[1]}]"
    raise invalid_argument(where, argument, f"a number or a pair of numbers in {interval}", factor)


def _check_value_range(where: str, value_range) -> list[float]:
    if not (isinstance(value_range, (list, tuple)) and len(value_range) == 2 and all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and np.isfinite(v)
            for v in value_range)):
        raise invalid_argument(where, "value_range", "a pair of finite numbers [low, high]", value_range)
    return sorted(value_range)


class _RandomImageAdjustment(Layer):
    """A layer that draws one float32 uniform per image (shape (batch, 1, 1, 1), or (1, 1, 1) for one image) from its
    SeedGenerator in training, and returns the images unchanged in inference."""

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = type(self).__name__
        self.factor = check_factor(where, factor, self.FACTOR_BOUNDS)
        self.value_range = _check_value_range(where, value_range)
        setup_random_image_layer(self, where, seed, data_format)

    def _draw(self, inputs, minval: float, maxval: float):
        return self.ops.cast(draw_per_image(self, inputs, minval, maxval), self.ops.dtype(inputs))

    def _clip(self, x):
        ops = self.ops
        low, high = (ops.convert_to_tensor(np.asarray(v, dtype=ops.dtype(x))) for v in self.value_range)
        return ops.minimum(ops.maximum(x, low), high)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "value_range": list(self.value_range),
                "seed": self.seed, "data_format": self.data_format}


class RandomContrast(_RandomImageAdjustment):
    """Training: per image a contrast c ~ U(1 - lower, 1 + upper) (float32 draw; a number f gives lower = upper = f,
    Keras's documented rule), each channel's mean m over height and width, y = clip((x - m) c + m, value_range).
    Inference: the images."""

    FACTOR_BOUNDS = (0.0, 1.0)

    def call(self, inputs, training=True):
        inputs = self.ops.cast(inputs, self.dtype)
        if not training:
            return inputs
        ops = self.ops
        contrast = self._draw(inputs, 1.0 - self.factor[0], 1.0 + self.factor[1])
        h_axis, w_axis = image_axes(self.name, tuple(ops.shape(inputs)), self.data_format)
        mean = ops.mean(ops.mean(inputs, axis=h_axis, keepdims=True), axis=w_axis, keepdims=True)
        return self._clip((inputs - mean) * contrast + mean)


class RandomBrightness(_RandomImageAdjustment):
    """Training: per image a delta d ~ U(lower, upper) * (high - low) (float32 draw; a number f gives [-|f|, |f|]),
    y = clip(x + d, value_range) with value_range = [low, high]. Inference: the images."""

    FACTOR_BOUNDS = (-1.0, 1.0)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor, value_range=value_range, seed=seed, **kwargs)
        if not isinstance(factor, (list, tuple)):
            self.factor = (-self.factor[0], self.factor[1])

    def call(self, inputs, training=True):
        inputs = self.ops.cast(inputs, self.dtype)
        if not training:
            return inputs
        delta = self._draw(inputs, self.factor[0], self.factor[1]) * (self.value_range[1] - self.value_range[0])
        return self._clip(inputs + delta)


CLASSES = {cls.__name__: cls for cls in (Resizing, CenterCrop, RandomCrop, RandomFlip, RandomContrast,
                                          RandomBrightness)}
