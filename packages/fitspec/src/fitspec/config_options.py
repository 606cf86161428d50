"""`fs.config`'s options beyond floatx (Keras 3 names), and `fs.utils.clear_session`.

epsilon and interactive logging are each backend's own, as floatx is (docs/SPEC.md 12.4, 12.5); the image data
format is process-wide.
"""

from __future__ import annotations

from fitspec import naming, progbar
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


def backend_options(backend) -> dict:
    """`fs.config`'s entries held by `backend`: epsilon and interactive logging."""
    return {"epsilon": backend.epsilon, "set_epsilon": backend.set_epsilon,
            "enable_interactive_logging": backend.enable_interactive_logging,
            "disable_interactive_logging": backend.disable_interactive_logging,
            "is_interactive_logging_enabled": backend.is_interactive_logging_enabled}


def utils_entries(backend, package: str) -> dict:
    """`fs.utils`' entries bound to `backend`: Progbar (its interactive logging) and Keras's aliases of the logging
    switches."""
    bar = type("Progbar", (progbar.Progbar,), {"backend": backend, "__module__": f"{package}.utils"})
    return {"Progbar": bar, "enable_interactive_logging": backend.enable_interactive_logging,
            "disable_interactive_logging": backend.disable_interactive_logging,
            "is_interactive_logging_enabled": backend.is_interactive_logging_enabled}
