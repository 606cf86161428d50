"""`fs.config`'s process-wide options beyond floatx (Keras 3 names), and `fs.utils.clear_session`."""

from __future__ import annotations

from fitspec import naming
from fitspec.errors import invalid_argument

_image_data_format = "channels_last"


def image_data_format() -> str:
    """The default `data_format` of image layers: "channels_last" (the one fitspec's layers compute today)."""
    return _image_data_format


def set_image_data_format(data_format) -> None:
    """Keras's setter; "channels_first" is refused until the layers compute it (docs/SPEC.md 12.2), rather than
    accepted and ignored."""
    if data_format != "channels_last":
        expected = "'channels_last' (fitspec's layers do not compute channels_first yet)"
        raise invalid_argument("config.set_image_data_format", "data_format", expected, data_format)


def clear_session(free_memory=True) -> None:
    """Keras's reset of global state: automatic names start again (`dense`, `dense_1`, ...)."""
    naming.reset_names()
