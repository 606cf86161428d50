"""`fs.utils.load_img`, `img_to_array`, `array_to_img` and `save_img`, Keras 3's rules over Pillow (docs/SPEC.md 12.9).

Pillow is the optional extra `fitspec[images]`, imported on first use; without it these raise an ImportError that
names the extra.
"""

from __future__ import annotations

import io
import pathlib

import numpy as np

from fitspec.conv_arithmetic import normalize_data_format
from fitspec.errors import invalid_argument, invalid_type
from fitspec.saving.file_format import write_atomically

COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}
#: load_img's resampling filters, by Keras's names
PIL_FILTERS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pillow(where: str):
    """PIL.Image, or an ImportError naming the extra that installs it."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(f"{where} needs Pillow: pip install 'fitspec[images]' (or pip install pillow)") from error
    return Image


def convert_color(image, color_mode: str, where: str):
    """The PIL image in `color_mode` ("grayscale" keeps 16- and 32-bit grayscale as it is, as Keras)."""
    if color_mode not in COLOR_MODES:
        raise invalid_argument(where, "color_mode", f"one of {tuple(COLOR_MODES)}", color_mode)
    if color_mode == "grayscale":
        return image if image.mode in ("L", "I;16", "I") else image.convert("L")
    mode = color_mode.upper()
    return image if image.mode == mode else image.convert(mode)


def open_image(where: str, path):
    """The PIL image at `path` (a path or a BytesIO), its bytes read at once (the file is not held open)."""
    image_module = pillow(where)
    if isinstance(path, io.BytesIO):
        return image_module.open(path)
    if not isinstance(path, (str, bytes, pathlib.Path)):
        raise invalid_type(where, "path", "a path or an io.BytesIO", path)
    with open(path, "rb") as file:
        return image_module.open(io.BytesIO(file.read()))


def _target_size(where: str, target_size) -> tuple[int, int] | None:
    if target_size is None:
        return None
    if (not isinstance(target_size, (list, tuple)) or len(target_size) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in target_size)):
        raise invalid_argument(where, "target_size", "None or (height, width), two ints >= 1", target_size)
    return int(target_size[0]), int(target_size[1])


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """The PIL image at `path` in `color_mode`, resized by Pillow to `target_size` (height, width) with the
    `interpolation` filter; `keep_aspect_ratio` first crops the centred box of the target's aspect ratio."""
    where = "utils.load_img"
    size = _target_size(where, target_size)
    image = convert_color(open_image(where, path), color_mode, where)
    if size is None or image.size == (size[1], size[0]):
        return image
    if interpolation not in PIL_FILTERS:
        raise invalid_argument(where, "interpolation", f"one of {PIL_FILTERS}", interpolation)
    resample = getattr(pillow(where).Resampling, interpolation.upper())
    box = None
    if keep_aspect_ratio:
        width, height = image.size
        crop_height = min(height, (width * size[0]) // size[1])
        crop_width = min(width, (height * size[1]) // size[0])
        top, left = (height - crop_height) // 2, (width - crop_width) // 2
        box = (left, top, left + crop_width, top + crop_height)
    return image.resize((size[1], size[0]), resample, box=box)


def image_functions(backend) -> dict:
    """The four functions, with `dtype=None` meaning `backend`'s floatx."""

    def img_to_array(img, data_format=None, dtype=None):
        """A (height, width, channels) numpy array of the image ((channels, height, width) for channels_first)."""
        data_format = normalize_data_format(data_format, "utils.img_to_array")
        x = np.asarray(img, dtype=dtype or backend.floatx())
        if x.ndim == 2:
            x = x[:, :, None]
        elif x.ndim != 3:
            raise invalid_argument("utils.img_to_array", "img", "an image of rank 2 or 3", f"<shape {x.shape}>")
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x

    def array_to_img(x, data_format=None, scale=True, dtype=None):
        """The PIL image of a rank-3 array: with `scale`, x - min(x) stretched to [0, 255]; 4, 3 and 1 channels
        give RGBA, RGB and L (I, 32-bit, where a grayscale value exceeds 255)."""
        where = "utils.array_to_img"
        image_module = pillow(where)
        data_format = normalize_data_format(data_format, where)
        x = np.array(x, dtype=dtype or backend.floatx())
        if x.ndim != 3:
            raise invalid_argument(where, "x", "an array of rank 3 (one image)", f"<shape {x.shape}>")
        if data_format == "channels_first":
            x = x.transpose(1, 2, 0)
        if scale:
            x = x - np.min(x)
            if np.max(x) != 0:
                x = x / np.max(x)
            x = x * 255
        channels = x.shape[2]
        if channels in (3, 4):
            return image_module.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
        if channels == 1:
            if np.max(x) > 255:
                return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
            return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
        raise invalid_argument(where, "x", "an image of 1, 3 or 4 channels", f"<shape {x.shape}>")

    def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
        """`array_to_img(x)` written to `path` in `file_format` (the suffix's when None; RGBA as RGB for JPEG),
        atomically: a crash leaves the old file or none, never half an image."""
        if file_format is None and isinstance(path, (str, pathlib.Path)):
            file_format = pathlib.Path(path).suffix[1:].lower()
        if file_format and file_format.lower() == "jpg":
            file_format = "jpeg"
        image = array_to_img(x, data_format=data_format, scale=scale)
        if image.mode == "RGBA" and file_format == "jpeg":
            image = image.convert("RGB")
        buffer = io.BytesIO()
        try:
            image.save(buffer, format=file_format or None, **kwargs)
        except (KeyError, ValueError) as error:
            raise invalid_argument("utils.save_img", "file_format", "an image format Pillow writes",
                                   file_format) from error
        write_atomically(path, buffer.getvalue())

    return {"load_img": load_img, "img_to_array": img_to_array, "array_to_img": array_to_img,
            "save_img": save_img}
