"""Without Pillow, the image functions raise an ImportError that names the extra `fitspec[images]`."""

import sys
import types

import numpy as np
import pytest

from fitspec import directory_datasets, image_utils


def test_image_functions_name_the_images_extra_when_pillow_is_missing(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now fails, as when it is not installed
    functions = image_utils.image_functions(types.SimpleNamespace(floatx=lambda: "float32"))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(b"not read")
    calls = [lambda: image_utils.load_img(tmp_path / "a" / "x.png"),
             lambda: functions["array_to_img"](np.zeros((2, 2, 3))),
             lambda: functions["save_img"](tmp_path / "y.png", np.zeros((2, 2, 3))),
             lambda: directory_datasets.image_dataset_from_directory(tmp_path, shuffle=False, verbose=False)[0]]
    for call in calls:
        with pytest.raises(ImportError, match=r"fitspec\[images\]"):
            call()
    assert not (tmp_path / "y.png").exists()
