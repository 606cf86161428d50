"""The arguments of fit, evaluate and predict, checked before any work: each error names the method, the
argument, what it takes and what it received (data arguments are checked by fitspec.data and data_checks)."""

from __future__ import annotations

import numbers

import numpy as np

from fitspec.errors import invalid_argument

VERBOSE = ("auto", 0, 1, 2)


def _int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_count(value, argument: str, where: str, minimum: int = 1, allow_none: bool = True) -> None:
    if allow_none and value is None:
        return
    if not _int(value) or value < minimum:
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise invalid_argument(where, argument, kind + (" or None" if allow_none else ""), value)


def check_verbose(verbose, where: str) -> None:
    if not (verbose == "auto" or (isinstance(verbose, numbers.Integral) and verbose in (0, 1, 2))):
        raise invalid_argument(where, "verbose", "'auto', 0, 1 or 2", verbose)


def check_flag(value, argument: str, where: str, note: str = "") -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise invalid_argument(where, argument, "True or False" + note, value)


def check_fit_arguments(epochs, verbose, validation_split, shuffle, initial_epoch, validation_steps,
                        validation_batch_size, validation_freq) -> None:
    check_count(epochs, "epochs", "fit", minimum=0, allow_none=False)
    check_verbose(verbose, "fit")
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) or not (
            0.0 <= validation_split < 1.0):
        raise invalid_argument("fit", "validation_split", "a float in [0, 1) (0: none)", validation_split)
    check_flag(shuffle, "shuffle", "fit", " (Keras 2's shuffle='batch' is not supported)")
    check_count(initial_epoch, "initial_epoch", "fit", minimum=0, allow_none=False)
    check_count(validation_steps, "validation_steps", "fit")
    check_count(validation_batch_size, "validation_batch_size", "fit")
    check_count(validation_freq, "validation_freq", "fit", allow_none=False)


def check_evaluate_arguments(verbose, steps, return_dict) -> None:
    check_verbose(verbose, "evaluate")
    check_count(steps, "steps", "evaluate")
    check_flag(return_dict, "return_dict", "evaluate")


def check_predict_arguments(verbose, steps) -> None:
    check_verbose(verbose, "predict")
    check_count(steps, "steps", "predict")
