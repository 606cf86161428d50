"""The example script runs every program of the PyTorch guide (but the GAN) to the end."""

import pathlib
import runpy

import fitspec_torch as fs

EXAMPLES = pathlib.Path(__file__).resolve().parents[3] / "examples"


def test_the_guide_programs_run(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))  # where the script finds guide_programs, as when run from there
    fs.utils.set_random_seed(0)  # the programs draw their data from numpy's global generator
    namespace = runpy.run_path(str(EXAMPLES / "custom_train_step_torch.py"))
    results = {program.__name__: program() for program in namespace["PROGRAMS"]}
    out = capsys.readouterr().out
    assert "Epoch 5/5" in out and " - loss: " in out and " - mae: " in out
    assert len(results["providing_your_own_evaluation_step"]) == 2  # [loss, mae]
    for name in ("first_simple_example", "going_lower_level", "supporting_sample_weight_and_class_weight"):
        losses = results[name].history["loss"]
        assert losses[-1] < losses[0], name
