"""The backend's example scripts run to the end, each in a fresh interpreter (as a user runs them)."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
LAST_PROGRAM = "== tensorboard_callback"


def run_example(script: pathlib.Path, device: str, cwd: pathlib.Path) -> str:
    env = dict(os.environ)
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""  # the frameworks' default device would be a GPU where there is one
    done = subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{script.name} failed (exit {done.returncode}):\n{output[-4000:]}"
    return output


def test_the_training_guide_example_runs_to_the_end(backend_name, device, tmp_path):
    home_mnist = pathlib.Path.home() / ".fitspec" / "datasets" / "mnist.npz"
    if importlib.util.find_spec("sklearn") is None and not home_mnist.is_file():
        pytest.skip(f"neither scikit-learn (for fs.datasets.digits) nor a local MNIST at {home_mnist}")
    output = run_example(EXAMPLES / f"training_with_built_in_methods_{backend_name}.py", device, tmp_path)
    assert "Traceback" not in output
    assert "Evaluate on test data" in output and "predictions shape: (3, 10)" in output
    assert "Epoch 1: val_loss improved from inf" in output  # ModelCheckpoint(save_best_only=True)
    assert "per-batch losses:" in output  # the guide's LossHistory callback
    assert LAST_PROGRAM in output
    # the multi-input, multi-output model (an `Input(shape=(None, 10))` into a Conv1D) trains, with its summary
    # in place of plot_model
    assert "== multi_input_multi_output\n" in output and "not reproduced: plot_model:" in output
    assert "Total params: 219" in output
    skipped = re.findall(r"^skipped: .*$", output, re.MULTILINE)
    for line in skipped:  # a program is skipped only for want of its data source's framework
        needs = re.fullmatch(r"skipped: \w+ needs (\w+), which is not installed", line)
        assert needs and importlib.util.find_spec(needs.group(1)) is None, line
    assert list(tmp_path.iterdir()) == [], "the script writes its checkpoints into a temporary folder"


def test_the_custom_train_step_example_runs_to_the_end(backend_name, device, tmp_path):
    """The custom-train-step guide of the backend's family (numpy runs the JAX guide's stateless steps)."""
    output = run_example(EXAMPLES / f"custom_train_step_{backend_name}.py", device, tmp_path)
    assert "Traceback" not in output
    assert re.search(r"^Epoch 3/3$", output, re.MULTILINE), "the first program fits 3 epochs"
    assert re.search(r"^Epoch 5/5$", output, re.MULTILINE), "going_lower_level fits 5 epochs"
    # the guide's own evaluation step ends the script: [loss, mae]
    assert re.search(r"^\[\d+\.\d+(e-?\d+)?, \d+\.\d+(e-?\d+)?\]\s*$", output, re.MULTILINE), output[-2000:]
