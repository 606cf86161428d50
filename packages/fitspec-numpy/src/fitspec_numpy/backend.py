"""The numpy reference backend: float64 by default (its ops' floatx), numpy storage, autograd gradients."""

from __future__ import annotations

import numpy as np
from autograd.tracer import getval

import fitspec
from fitspec_numpy import ops as numpy_ops
from fitspec_numpy import random as numpy_random
from fitspec_numpy.autodiff import value_and_grad


class NumpyVariable(fitspec.Variable):
    def _make_storage(self, array):
        return np.array(array, dtype=self.dtype)

    def _write(self, value):
        self._storage = np.array(getval(value), dtype=self.dtype)

    def _to_numpy(self):
        return np.array(self._storage)


class NumpyBackend(fitspec.Backend):
    name = "numpy"
    ops = numpy_ops
    variable_class = NumpyVariable
    trainer_class = fitspec.StatelessTrainer
    random_module = staticmethod(numpy_random.bind)

    def value_and_grad(self, fn, argnums=0, has_aux=False):
        return value_and_grad(fn, argnums=argnums, has_aux=has_aux)
