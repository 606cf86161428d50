"""Smoke test: the guides' GAN example of the backend under test runs and its discriminator loss moves."""

from __future__ import annotations

import importlib.util
import pathlib
import re

import pytest

from conformance.test_examples import EXAMPLES, run_example


def test_the_gan_example_runs_and_its_discriminator_loss_moves(backend_name, backend_module, device, tmp_path):
    home_mnist = pathlib.Path.home() / ".fitspec" / "datasets" / "mnist.npz"
    if importlib.util.find_spec("sklearn") is None and not home_mnist.is_file():
        pytest.skip(f"neither scikit-learn (for fs.datasets.digits) nor a local MNIST at {home_mnist}")
    output = run_example(EXAMPLES / f"gan_{backend_name}.py", device, tmp_path)  # asserts exit status 0
    first = re.search(r"^first d_loss: (\S+)$", output, re.MULTILINE)
    last = re.search(r"^last d_loss: (\S+)$", output, re.MULTILINE)
    assert first and last, f"the script printed no first/last d_loss:\n{output[-4000:]}"
    assert abs(float(last.group(1)) - float(first.group(1))) > 1e-4, f"d_loss did not move:\n{output[-4000:]}"
