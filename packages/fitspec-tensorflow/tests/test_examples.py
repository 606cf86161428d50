"""Both example scripts run every program of the TensorFlow guide and of the blog to the end."""

import pathlib
import runpy
import warnings

EXAMPLES = pathlib.Path(__file__).resolve().parents[3] / "examples"


def run_programs(script: str) -> dict:
    namespace = runpy.run_path(str(EXAMPLES / script))
    return {program.__name__: program() for program in namespace["PROGRAMS"]}


def test_the_guide_programs_run(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))  # where the script finds guide_programs, as when run from there
    results = run_programs("custom_train_step_tensorflow.py")
    out = capsys.readouterr().out
    assert "Epoch 5/5" in out and " - loss: " in out and " - mae: " in out
    assert len(results["providing_your_own_evaluation_step"]) == 2  # [loss, mae]
    history = results["going_lower_level"].history
    assert history["loss"][-1] < history["loss"][0]


def test_the_blog_programs_run(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        results = run_programs("gradient_tape_blog.py")
    out = capsys.readouterr().out
    assert float(results["gradient_tape_basics"]) == 6.0
    assert results["custom_gradient"].numpy().tolist() == [6.0, 40.0]
    assert "에포크: 4, 손실: " in out
    keras2_losses = results["keras2_style_train_step"].history["loss"]
    assert keras2_losses[-1] < keras2_losses[0]
