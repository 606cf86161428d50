"""The guides' custom-train_step models of the golden cases: the example programs' classes, written once in
examples/guide_programs/custom_train_step_models_<family>.py; and two models whose steps return what fit() refuses.

The family is the backend's own (`..._<backend>.py`) where the examples have one, else the JAX guide's stateless
classes for a backend whose trainer is stateless; a backend with neither skips the guide cases with that reason.
"""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from fitspec import StatelessTrainer

#: the golden cases' model class -> the guide program whose CustomModel it is
GUIDE_PROGRAMS = {
    "GuideCustomTrainStep": "first_simple_example",
    "GuideLowerLevel": "going_lower_level",
    "GuideSampleWeight": "supporting_sample_weight_and_class_weight",
    "GuideTestStep": "providing_your_own_evaluation_step",
}
MODELS = "examples.guide_programs.custom_train_step_models_{}"


def _guide_module(fs):
    """The examples' module of the backend's family, or None."""
    stateless = issubclass(fs.backend.trainer_class, StatelessTrainer)
    for family in (fs.backend.name, *(["stateless"] if stateless else [])):
        if importlib.util.find_spec(MODELS.format(family)) is not None:
            return importlib.import_module(MODELS.format(family))
    return None


def _refused_logs_models(fs) -> dict:
    """Steps that return logs fit() must refuse: not a dict, and a dict of a non-scalar."""
    if issubclass(fs.backend.trainer_class, StatelessTrainer):
        class NonDictLogs(fs.Model):
            def train_step(self, state, data):
                return 1.0, state

        class NonScalarLogs(fs.Model):
            def train_step(self, state, data):
                return {"loss": fs.ops.ones((2, 3))}, state
    else:
        class NonDictLogs(fs.Model):
            def train_step(self, data):
                return 1.0

        class NonScalarLogs(fs.Model):
            def train_step(self, data):
                return {"loss": fs.ops.ones((2, 3))}

    return {"NonDictLogs": NonDictLogs, "NonScalarLogs": NonScalarLogs}


def for_backend(fs) -> dict:
    """{name: Model subclass on `fs`}: the guide models (where the backend's family has them) and NonDictLogs,
    NonScalarLogs."""
    models = _refused_logs_models(fs)
    module = _guide_module(fs)
    if module is not None:
        guide = module.guide_models(fs)
        models.update({name: guide[program] for name, program in GUIDE_PROGRAMS.items()})
    return models


def model_class(fs, name: str):
    """The model class `name` on `fs`; a guide model the backend's family lacks skips the test, saying so."""
    models = for_backend(fs)
    if name not in models and name in GUIDE_PROGRAMS:
        pytest.skip(f"no guide models in {fs.backend.name}'s idiom: write {MODELS.format(fs.backend.name)}.py")
    return models[name]
