"""The guides' custom-train_step models, written once per backend family in its own idiom.

Each family module defines `build(fs) -> dict[name, Model subclass]` with the same names:
GuideCustomTrainStep, GuideLowerLevel, GuideSampleWeight, GuideTestStep, NonDictLogs, NonScalarLogs.
"""

from __future__ import annotations

import importlib

FAMILY = {"numpy": "stateless", "jax": "stateless", "tensorflow": "tensorflow", "torch": "torch"}


def for_backend(fs) -> dict:
    family = FAMILY[fs.backend.name]
    return importlib.import_module(f"conformance.guide_models.{family}").build(fs)
