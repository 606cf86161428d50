"""`TorchVariable`: a fitspec Variable stored in a `torch.nn.Parameter`.

Outside a stateless scope `v.value` is the Parameter itself, so `v.value.grad` is what
`loss.backward()` wrote, and a layer registers that same Parameter with its nn.Module. Writes
copy into the Parameter in place (under `torch.no_grad()`), so the Parameter object, and every
reference torch holds to it (`model.parameters()`, a torch optimizer), stays valid.
"""

from __future__ import annotations

import numpy as np
import optree
import torch

import fitspec
from fitspec import naming
from fitspec.variables import current_scope
from fitspec.versioning import Version
from fitspec_torch import ops as torch_ops

#: Moves whenever a weight is added to or removed from a layer, or a weight's or layer's `trainable` changes:
#: `TorchLayer.trainable_weights`, read on every training step, is kept until it moves.
weights_version = Version()
weights_changed = weights_version.moved


class TorchVariable(fitspec.Variable):
    def __init__(self, initial_value, *, dtype=None, trainable=True, name=None, path=None, aggregation="none",
                 synchronization="auto"):
        if not isinstance(initial_value, torch.Tensor):
            super().__init__(initial_value, dtype=dtype, trainable=trainable, name=name, path=path,
                             aggregation=aggregation, synchronization=synchronization)
            return
        # A torch tensor is adopted as is when it is a Parameter of the requested dtype (this is how an
        # existing nn.Module's weights become Variables); the core's constructor goes through numpy.
        tensor = initial_value
        if dtype is not None and torch_ops.to_torch_dtype(dtype) != tensor.dtype:
            tensor = tensor.detach().to(torch_ops.to_torch_dtype(dtype))
        self.dtype = torch_ops.DTYPE_NAMES[tensor.dtype]
        self.shape = tuple(tensor.shape)
        self.trainable = bool(trainable)
        self.name = name or naming.unique_name("variable")
        self.path = path or self.name
        if isinstance(tensor, torch.nn.Parameter):
            self._storage = tensor
            self.trainable = self._trainable  # align requires_grad with `trainable`
        else:
            self._storage = self._parameter(tensor.detach().clone())

    # -- dtype follows the Parameter (`model.double()` converts it in place) ------------------------------
    @property
    def dtype(self) -> str:
        storage = self.__dict__.get("_storage")
        return self._dtype if storage is None else torch_ops.DTYPE_NAMES.get(storage.dtype, self._dtype)

    @dtype.setter
    def dtype(self, value) -> None:
        self._dtype = str(value)

    # -- trainable follows requires_grad --------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value) -> None:
        self._trainable = bool(value)
        weights_changed()
        storage = self.__dict__.get("_storage")
        if storage is not None and (storage.is_floating_point() or storage.is_complex()):
            storage.requires_grad_(self._trainable)

    # -- backend hooks ----------------------------------------------------------------------------------
    def _parameter(self, tensor: torch.Tensor) -> torch.nn.Parameter:
        grad = self._trainable and (tensor.is_floating_point() or tensor.is_complex())
        return torch.nn.Parameter(tensor, requires_grad=grad)

    def _make_storage(self, array: np.ndarray):
        if not (array.flags.writeable and array.flags.c_contiguous):
            array = array.copy(order="C")
        return self._parameter(torch.from_numpy(array).to(torch_ops._device()))

    def _write(self, value) -> None:
        _without_grad(torch.Tensor.copy_, self._storage, value)

    def _place_beside(self, other) -> None:
        device = other._storage.device
        if self._storage.device != device:
            self._storage = self._parameter(self._storage.detach().to(device))

    def _to_numpy(self) -> np.ndarray:
        tensor = self._storage.detach()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        return tensor.cpu().numpy().copy()

    # -- writes outside a stateless scope go straight into the Parameter ------------------------------
    def assign(self, value):
        if current_scope() is not None or not isinstance(value, torch.Tensor):
            return super().assign(value)
        storage = self._storage
        if value.shape != storage.shape:
            return super().assign(value)  # the core's error, naming the expected and received shapes
        _without_grad(torch.Tensor.copy_, storage, value)
        return value if value.dtype == storage.dtype else value.to(storage.dtype)

    def assign_add(self, delta):
        """var + delta, computed in place: the same promotion and rounding as `assign(var + delta)`."""
        delta = _tensor_if_numpy(delta)
        out = self._in_place(delta, torch.Tensor.add_)
        return super().assign_add(delta) if out is None else out

    def assign_sub(self, delta):
        delta = _tensor_if_numpy(delta)
        out = self._in_place(delta, torch.Tensor.sub_)
        return super().assign_sub(delta) if out is None else out

    def _in_place(self, delta, op):
        if current_scope() is not None or not isinstance(delta, (torch.Tensor, float, int)):
            return None
        storage = self._storage
        if isinstance(delta, torch.Tensor) and delta.ndim != 0 and (
            delta.shape != storage.shape or delta.device != storage.device
        ):
            return None
        _without_grad(op, storage, delta)
        return storage

    # -- torch functions accept Variables ------------------------------------------------------------------
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        args, kwargs = optree.tree_map(
            lambda a: a.value if isinstance(a, fitspec.Variable) else a, (args, kwargs or {}), none_is_leaf=True
        )
        return func(*args, **kwargs)

    @property
    def device(self) -> torch.device:
        return self._storage.device


def _tensor_if_numpy(value):
    # `Parameter + ndarray` would be numpy's addition, which refuses a tensor that requires grad.
    return torch_ops.convert_to_tensor(value) if isinstance(value, (np.ndarray, np.generic)) else value


def _without_grad(op, storage, value) -> None:
    """op(storage, value) in place, outside autograd (entering no_grad only when grad mode is on)."""
    if torch.is_grad_enabled():
        with torch.no_grad():
            op(storage, value)
    else:
        op(storage, value)
