"""Keras 3's image affine transform and the matrices of its random affine layers, written once against the ops
protocol (docs/SPEC.md 8d.P2): Keras on JAX samples with `jax.scipy.ndimage.map_coordinates`, whose rules are these.

A transform is a (batch, 8) tensor [a0, a1, a2, b0, b1, b2, c0, c1]: the output pixel (y, x) samples the input at
x' = (a0 x + a1 y + a2) / k, y' = (b0 x + b1 y + b2) / k, k = c0 x + c1 y + 1 (pixel centres at integers).
"bilinear" weighs the four integer neighbours (floor(y') + {0, 1}, floor(x') + {0, 1}) by the distances; "nearest"
takes the neighbour rounded half away from zero. Each neighbour's index is fixed per axis by `fill_mode` before
reading: "reflect" (d c b a | a b c d | d c b a), "wrap" (a b c d | a b c d), "nearest" (a a | a b c d | d d),
"constant" (a neighbour outside the image reads `fill_value`).
"""

from __future__ import annotations

import math

import numpy as np

from fitspec.errors import invalid_argument

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def _constant(ops, value, dtype):
    return ops.convert_to_tensor(np.asarray(value, dtype=dtype))


def _stack_rows(ops, rows):
    """(batch, 8) from eight (batch,) tensors or Python numbers (broadcast along the batch)."""
    reference = next(r for r in rows if not isinstance(r, (int, float)))
    return ops.stack([r if not isinstance(r, (int, float)) else ops.full(ops.shape(reference), r,
                                                                         dtype=ops.dtype(reference)) for r in rows],
                     axis=1)


def _sin(ops, theta):
    """sin from the ops protocol's cos: the Taylor series to t^13 for |t| < 1/2 (its remainder below 3e-17), else
    cos(t - pi/2) (whose argument's rounding would leave sin 0 at 4e-8 in float32)."""
    dtype = ops.dtype(theta)
    square = theta * theta
    series, term = theta, theta
    for n in range(3, 15, 2):
        term = -term * square / _constant(ops, float(n * (n - 1)), dtype)
        series = series + term
    shifted = ops.cos(theta - _constant(ops, math.pi / 2.0, dtype))
    return ops.where(ops.less(ops.abs(theta), 0.5), series, shifted)


def rotation_matrix(ops, degrees, height: int, width: int):
    """Rotation by `degrees` (batch,) about the image centre (cx, cy) = ((W - 1) / 2, (H - 1) / 2), Keras's
    `_compute_affine_matrix` without shear, scale or shift: [cos, -sin, cx - cx cos + cy sin, sin, cos,
    cy - cx sin - cy cos, 0, 0], the angle in the dtype of `degrees`."""
    dtype = ops.dtype(degrees)
    theta = degrees * _constant(ops, math.pi / 180.0, dtype)
    cos = ops.cos(theta)
    sin = _sin(ops, theta)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    return _stack_rows(ops, [cos, -sin, (cx - cx * cos) - cy * (-sin), sin, cos, (cy - cx * sin) - cy * cos, 0.0,
                             0.0])


def translation_matrix(ops, dx, dy):
    """A shift of the image by (dx, dy) pixels (batch,): [1, 0, -dx, 0, 1, -dy, 0, 0]."""
    return _stack_rows(ops, [1.0, 0.0, -dx, 0.0, 1.0, -dy, 0.0, 0.0])


def zoom_matrix(ops, zx, zy, height: int, width: int):
    """Zoom about the centre by (zx, zy) (batch,), > 1 zooming out: [zx, 0, (W - 1) / 2 (1 - zx), 0, zy,
    (H - 1) / 2 (1 - zy), 0, 0]."""
    one = _constant(ops, 1.0, ops.dtype(zx))
    return _stack_rows(ops, [zx, 0.0, (width - 1.0) / 2.0 * (one - zx), 0.0, zy, (height - 1.0) / 2.0 * (one - zy),
                             0.0, 0.0])


def _mod(ops, index, size: float):
    """index mod size in [0, size) for integer-valued float indices (a floor's rounding corrected)."""
    size_t = _constant(ops, size, ops.dtype(index))
    out = index - size_t * ops.floor(index / size_t)
    out = ops.where(ops.less(out, 0.0), out + size_t, out)
    return ops.where(ops.greater_equal(out, size_t), out - size_t, out)


def _fixed_index(ops, index, size: int, fill_mode: str):
    """The in-image index that an integer-valued float index reads under `fill_mode` ("constant" reads the clipped
    index, then replaces the value)."""
    if fill_mode == "wrap":
        return _mod(ops, index, float(size))
    if fill_mode == "reflect":
        folded = _mod(ops, index, 2.0 * size)
        return ops.where(ops.less(folded, float(size)), folded, (2.0 * size - 1.0) - folded)
    return ops.clip(index, 0.0, float(size - 1))


def _round_half_away_from_zero(ops, x):
    magnitude = ops.abs(x)
    whole = ops.floor(magnitude)
    up = ops.cast(ops.greater_equal(magnitude - whole, 0.5), ops.dtype(x))
    return ops.sign(x) * (whole + up)


def check_options(where: str, interpolation: str, fill_mode: str, fill_value) -> None:
    if interpolation not in INTERPOLATIONS:
        raise invalid_argument(where, "interpolation", f"one of {INTERPOLATIONS}", interpolation)
    if fill_mode not in FILL_MODES:
        raise invalid_argument(where, "fill_mode", f"one of {FILL_MODES}", fill_mode)
    if (isinstance(fill_value, bool) or not isinstance(fill_value, (int, float, np.integer, np.floating))
            or not np.isfinite(fill_value)):
        raise invalid_argument(where, "fill_value", "a finite number", fill_value)


def affine_transform(ops, images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0,
                     data_format="channels_last", where="affine_transform"):
    """Float images (rank 4, or rank 3 for one image) resampled at the (batch, 8) `transform` (module docstring);
    the transform is taken in the images' dtype."""
    check_options(where, interpolation, fill_mode, fill_value)
    rank = len(ops.shape(images))
    if rank not in (3, 4):
        raise invalid_argument(where, "images", "images of rank 3 or 4", f"<shape {tuple(ops.shape(images))}>")
    if rank == 3:
        images = ops.expand_dims(images, 0)
    if data_format == "channels_first":
        images = ops.transpose(images, (0, 2, 3, 1))
    batch, height, width, channels = (int(n) for n in ops.shape(images))
    dtype = ops.dtype(images)
    transform = ops.cast(transform, dtype)
    if tuple(ops.shape(transform)) != (batch, 8):
        raise invalid_argument(where, "transform", f"shape ({batch}, 8)", f"<shape {tuple(ops.shape(transform))}>")
    a0, a1, a2, b0, b1, b2, c0, c1 = (
        ops.reshape(ops.take(transform, _constant(ops, [i], "int32"), axis=1), (batch, 1, 1)) for i in range(8))
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    y, x = _constant(ops, rows[None], dtype), _constant(ops, cols[None], dtype)
    k = c0 * x + c1 * y + _constant(ops, 1.0, dtype)
    source_x, source_y = (a0 * x + a1 * y + a2) / k, (b0 * x + b1 * y + b2) / k

    flat = ops.reshape(images, (batch * height * width, channels))
    image_starts = _constant(ops, (np.arange(batch) * height * width).reshape(batch, 1, 1), "int32")
    fill = _constant(ops, fill_value, dtype)

    def read(row, col):
        """images[b, row, col, :] at integer-valued float indices (batch, H, W), fixed by `fill_mode`."""
        fixed_row = ops.cast(_fixed_index(ops, row, height, fill_mode), "int32")
        fixed_col = ops.cast(_fixed_index(ops, col, width, fill_mode), "int32")
        index = image_starts + fixed_row * width + fixed_col
        values = ops.reshape(ops.take(flat, ops.reshape(index, (-1,)), axis=0), (batch, height, width, channels))
        if fill_mode == "constant":
            inside = ops.logical_and(
                ops.logical_and(ops.greater_equal(row, 0.0), ops.less(row, float(height))),
                ops.logical_and(ops.greater_equal(col, 0.0), ops.less(col, float(width))))
            values = ops.where(ops.expand_dims(inside, -1), values, fill)
        return values

    if interpolation == "nearest":
        out = read(_round_half_away_from_zero(ops, source_y), _round_half_away_from_zero(ops, source_x))
    else:
        top, left = ops.floor(source_y), ops.floor(source_x)
        below, right = source_y - top, source_x - left  # the weights of row top + 1 and column left + 1
        one = _constant(ops, 1.0, dtype)
        out = None
        for row, row_weight in ((top, one - below), (top + 1.0, below)):
            for col, col_weight in ((left, one - right), (left + 1.0, right)):
                term = ops.expand_dims(row_weight * col_weight, -1) * read(row, col)
                out = term if out is None else out + term
    if data_format == "channels_first":
        out = ops.transpose(out, (0, 3, 1, 2))
    return ops.squeeze(out, 0) if rank == 3 else out
