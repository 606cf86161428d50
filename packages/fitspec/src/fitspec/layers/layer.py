"""The `Layer` base: naming, weights, sublayer tracking, building, the call context, add_loss.

Backends subclass it once (for instance to make every layer a `torch.nn.Module`); concrete layers
are written here, once, against the Ops protocol. A call runs on every step: it skips the structure
walks for a single tensor, the losses bookkeeping when no layer adds losses, and keeps the walks over
the layer tree until what the layers track changes (the tracking version).
"""

from __future__ import annotations

import inspect
import threading
import warnings
import weakref
from typing import ClassVar

import numpy as np
import optree

from fitspec import dtype_policies, foreign_arrays, initializers, masking, naming, weight_budget
from fitspec.errors import invalid_argument
from fitspec.layers import input_spec
from fitspec.layers.symbolic import Node, SymbolicTensor, is_symbolic
from fitspec.variables import AutocastScope, StatelessScope, Variable, autocast_dtype
from fitspec.versioning import Version

_context = threading.local()


def _call_stack() -> list:
    try:
        return _context.stack
    except AttributeError:  # the first call in this thread
        _context.stack = []
        return _context.stack


# -- what a call can skip ----------------------------------------------------------------------------------
#: {id(layer): weak reference} of every layer whose `add_loss` ran since its losses were last cleared. While it is
#: empty (no layer of any model adds losses, the common case) a call neither walks the layers to clear their
#: losses nor to read them. (A dict: its emptiness is checked without a Python call, unlike a WeakSet's.)
_layers_with_losses: dict[int, weakref.ref] = {}


def _note_losses(layer) -> None:
    key = id(layer)
    if key not in _layers_with_losses:
        _layers_with_losses[key] = weakref.ref(layer, lambda _, key=key: _layers_with_losses.pop(key, None))


#: Moves on every change to what any layer tracks: its sublayers or metrics (`TrackedDict`), a compiled model's
#: metrics. What is cached against it (`_flatten_layers`, `model.metrics`, read on every step) stays valid until
#: it moves.
tracking_version = Version()
tracking_changed = tracking_version.moved


class TrackedDict(dict):
    """A layer's `_tracked_layers` or `_tracked_metrics`: a dict whose every change moves the tracking version."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        tracking_changed()

    def __delitem__(self, key):
        super().__delitem__(key)
        tracking_changed()

    def pop(self, key, *default):
        if key not in self:  # Layer.__setattr__ pops every attribute's name: no change, no move
            return super().pop(key, *default)
        value = super().pop(key)
        tracking_changed()
        return value

    def popitem(self):
        item = super().popitem()
        tracking_changed()
        return item

    def setdefault(self, key, default=None):
        value = super().setdefault(key, default)
        tracking_changed()
        return value

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        tracking_changed()

    def clear(self):
        super().clear()
        tracking_changed()


_leaf_types: dict[type, bool] = {}


def is_leaf(x) -> bool:
    """Whether optree takes `x` as one leaf (a tensor, an array, a number; not None, an empty structure): the fast
    paths of a call on a single tensor skip the structure walk. Leafness depends only on the type (optree registers
    types), so it is looked up once per type."""
    kind = type(x)
    leaf = _leaf_types.get(kind)
    if leaf is None:
        leaf = _leaf_types[kind] = optree.tree_structure(x).is_leaf()
    return leaf


class Layer:
    """Base class of every layer and model."""

    backend: ClassVar = None
    _untracked = frozenset({"backend"})
    #: an InputSpec (or a structure of them) that every call's inputs must meet (layers.input_spec)
    input_spec = None
    #: where Keras's layer computes with a mask that fitspec's does not use yet: why, and a masked input is refused
    mask_refused: ClassVar[str | None] = None
    #: Keras's `autocast`: float tensor inputs are cast to the compute dtype (False: kept, numpy floats take floatx)
    autocast: ClassVar[bool] = True

    def __new__(cls, *args, **kwargs):
        from fitspec.saving.serialization import constructor_arguments

        layer = super().__new__(cls)
        # what the constructor was given: a config that leaves any of it out is refused (saving.serialization)
        object.__setattr__(layer, "_constructor_arguments", constructor_arguments(cls, args, kwargs))
        object.__setattr__(layer, "_inbound_nodes", [])
        return layer

    def __init__(self, *, name=None, dtype=None, trainable=True, input_shape=None, activity_regularizer=None,
                 **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword arguments {sorted(kwargs)}; "
                "expected name, dtype, trainable, input_shape or activity_regularizer."
            )
        object.__setattr__(self, "_tracked_layers", TrackedDict())
        object.__setattr__(self, "_tracked_metrics", TrackedDict())
        object.__setattr__(self, "_own_variables", [])
        object.__setattr__(self, "_losses", [])
        object.__setattr__(self, "_weight_regularizers", [])  # [(variable, regularizer)] from add_weight
        object.__setattr__(self, "_weight_penalties", [])  # their penalties at the last call (SPEC 8d.9)
        self.activity_regularizer = self._regularizer(activity_regularizer)
        self.name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        self._dtype_policy = self._policy_of(dtype)
        self._dtype = None if self._dtype_policy is None else dtype_policies.serialize(self._dtype_policy)
        self.trainable = trainable
        self.built = False
        self._input_shape_arg = input_shape
        parameters = inspect.signature(self.call).parameters
        self._call_accepts_training = "training" in parameters
        self._call_parameters = tuple(parameters)

    # -- attribute tracking -----------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_tracked_layers" in self.__dict__ and name not in self._untracked:
            from fitspec.metrics import Metric

            self._tracked_layers.pop(name, None)
            self._tracked_metrics.pop(name, None)
            if isinstance(value, Layer):
                self._tracked_layers[name] = value
            elif isinstance(value, Metric):
                self._tracked_metrics[name] = value
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
                self._tracked_layers[name] = list(value)
            elif isinstance(value, Variable) and all(value is not v for v in self._own_variables):
                self._track_variable(value)
        super().__setattr__(name, value)

    def _sublayers(self) -> list[Layer]:
        """Direct sublayers, in the order they were assigned."""
        out, seen = [], set()
        for entry in self._tracked_layers.values():
            for layer in entry if isinstance(entry, list) else [entry]:
                if id(layer) not in seen:
                    seen.add(id(layer))
                    out.append(layer)
        return out

    def _flatten_layers(self, include_self=True) -> list[Layer]:
        """This layer (with `include_self`) and every layer under it, depth first, each once."""
        if not include_self:
            return self._walk_layers(include_self)
        cached = self.__dict__.get("_flat_layers")
        if cached is None or cached[0] != tracking_version():
            cached = (tracking_version(), tuple(self._walk_layers(include_self)))
            self.__dict__["_flat_layers"] = cached  # no attribute tracking (nn.Module's __setattr__ is slow)
        return list(cached[1])

    def _walk_layers(self, include_self) -> list[Layer]:
        out, seen = [], set()
        stack = [self] if include_self else list(reversed(self._sublayers()))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return out

    # -- dtype and ops ------------------------------------------------------------------------
    @property
    def ops(self):
        return self.backend.ops

    def _policy_of(self, dtype):
        """The layer's DTypePolicy from its `dtype=` (a policy, its name or config); without one, the global policy
        of its creation, or None while none is set (floatx's, read when asked)."""
        if dtype is None and dtype_policies.global_policy_name(self.backend) == self.backend.floatx():
            return None
        policy = dtype_policies.get(self.backend.api, dtype, where=f"{type(self).__name__}")
        if policy.compute_dtype != policy.variable_dtype:
            try:
                self.ops.zeros((), dtype=policy.compute_dtype)
            except (TypeError, ValueError):  # numpy has no bfloat16
                raise invalid_argument(type(self).__name__, "dtype", f"a policy whose compute dtype the "
                                       f"{self.backend.name} backend has", policy.name) from None
        return policy

    @property
    def dtype_policy(self):
        """The layer's DTypePolicy (docs/SPEC.md 3.4)."""
        policy = self.__dict__.get("_dtype_policy")
        return policy if policy is not None else self.backend.api.dtype_policies.DTypePolicy(self.backend.floatx())

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's variables."""
        policy = self.__dict__.get("_dtype_policy")
        return policy.variable_dtype if policy is not None else self.backend.floatx()

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in: its float inputs are cast to it, its float variables read in it."""
        policy = self.__dict__.get("_dtype_policy")
        return policy.compute_dtype if policy is not None else self.backend.floatx()

    dtype = variable_dtype  # Keras: a layer's dtype is its variables'

    @property
    def input_dtype(self) -> str:
        """The dtype float inputs are cast to (Keras's name): the compute dtype."""
        return self.compute_dtype

    def _autocast_scope(self):
        """The AutocastScope a call enters (Keras's rule), or None to keep the current one."""
        current = autocast_dtype()
        compute = self.compute_dtype
        if current is not None:
            if not compute.startswith(("float", "bfloat")):  # an integer layer reads its variables as they are
                return AutocastScope(None)
            return None if current == compute else AutocastScope(compute)
        return AutocastScope(compute) if compute != self.variable_dtype else None

    # -- weights ------------------------------------------------------------------------------
    def add_weight(self, shape=(), initializer=None, dtype=None, trainable=True, name=None, regularizer=None,
                   constraint=None):
        dtype = dtype or self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        shape = tuple(int(d) for d in shape)
        name = name or f"variable_{len(self._own_variables)}"
        weight_budget.charge(shape, f"{self.name}/{name}")  # a model rebuilt from a file: no larger than it
        value = initializers.get(initializer)(shape, dtype=dtype)
        value = np.asarray(value, dtype=dtype)
        if value.shape != shape:
            raise invalid_argument(f"{self.name}.add_weight", "initializer", f"an array of shape {shape}", value)
        variable = self.backend.Variable(value, dtype=dtype, trainable=trainable, name=name, path=f"{self.name}/{name}")
        self._track_variable(variable)
        regularizer = self._regularizer(regularizer)
        if regularizer is not None:
            self._weight_regularizers.append((variable, regularizer))
        variable.constraint = self._constraint(constraint)  # the optimizer applies it after each update (8d.10)
        return variable

    def _constraint(self, identifier):
        """`fs.constraints.get` of this layer's backend (None stays None)."""
        return None if identifier is None else self.backend.api.constraints.get(identifier)

    def _regularizer(self, identifier):
        """`fs.regularizers.get` of this layer's backend (None stays None)."""
        return None if identifier is None else self.backend.api.regularizers.get(identifier)

    def _regularizer_configs(self, *attributes) -> dict:
        """{attribute: serialized regularizer or constraint, or None} for get_config."""
        api = self.backend.api
        return {a: None if getattr(self, a) is None else (
            api.constraints if a.endswith("_constraint") else api.regularizers).serialize(getattr(self, a))
            for a in attributes}

    def _add_regularization_losses(self, outputs) -> None:
        """Keras's penalties: each regularized trainable weight's, once per outermost call however often the layer
        runs in it (replaced at each call), and the activity regularizer's of each output divided by its batch size."""
        if self._weight_regularizers:
            self._weight_penalties[:] = [regularizer(variable.value) for variable, regularizer
                                         in self._weight_regularizers if self.trainable and variable.trainable]
            _note_losses(self)
        if self.activity_regularizer is not None:
            ops = self.ops
            for output in optree.tree_leaves(outputs):
                penalty = self.activity_regularizer(output)
                if len(ops.shape(output)) > 0:
                    penalty = ops.divide_no_nan(penalty, ops.cast(ops.shape(output)[0], ops.dtype(penalty)))
                self.add_loss(penalty)

    add_variable = add_weight

    def _track_variable(self, variable: Variable) -> None:
        """Backends override this to register the variable with their framework too."""
        self._own_variables.append(variable)

    @property
    def weights(self) -> list[Variable]:
        """Own trainable, own non-trainable, then each sublayer's, depth first; seed states are not weights."""
        return self._walk_variables("weights")

    @property
    def variables(self) -> list[Variable]:
        """The weights and the SeedGenerators' states, in the order of `weights` (Keras 3: all the layer's state)."""
        return self._walk_variables("variables")

    def _walk_variables(self, kind: str) -> list[Variable]:
        own = [v for v in self._own_variables if v.trainable] + [v for v in self._own_variables if not v.trainable]
        return unique_by_identity(own + [w for layer in self._sublayers() for w in getattr(layer, kind)])

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        own = [v for v in self._own_variables if v.trainable]
        return unique_by_identity(own + [w for layer in self._sublayers() for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return self._non_trainable(self.weights)

    @property
    def non_trainable_variables(self) -> list[Variable]:
        """The non-trainable weights and the SeedGenerators' states: what `stateless_call` maps besides trainables."""
        return self._non_trainable(self.variables)

    def _non_trainable(self, variables) -> list[Variable]:
        if not self.trainable:
            return variables
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in variables if id(v) not in trainable]

    trainable_variables = trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        return [np.array(v.numpy()) for v in self.weights]

    def set_weights(self, weights) -> None:
        variables = self.weights
        weights = list(weights)
        if len(weights) != len(variables):
            raise invalid_argument(
                f"{self.name}.set_weights", "weights", f"a list of {len(variables)} arrays",
                f"<a list of {len(weights)}>",
            )
        for variable, value in zip(variables, weights):
            value = np.asarray(value)
            if value.shape != variable.shape:
                raise invalid_argument(
                    f"{self.name}.set_weights", "weights", f"shape {variable.shape} for '{variable.path}'", value
                )
        for variable, value in zip(variables, weights):
            variable.assign(self.ops.convert_to_tensor(np.asarray(value, dtype=variable.dtype)))

    def count_params(self) -> int:
        return int(sum(np.prod(v.shape) for v in self.weights))

    # -- losses ---------------------------------------------------------------------------------
    def add_loss(self, value) -> None:
        self._losses.append(value)
        _note_losses(self)

    @property
    def losses(self) -> list:
        if not _layers_with_losses:
            return []
        return [loss for layer in self._flatten_layers() for loss in (*layer._losses, *layer._weight_penalties)]

    def _clear_losses(self) -> None:
        if not _layers_with_losses:
            return
        for layer in self._flatten_layers():
            layer._losses.clear()
            layer._weight_penalties.clear()
            _layers_with_losses.pop(id(layer), None)

    # -- masks (docs/SPEC.md "Masking") -------------------------------------------------------------
    @property
    def supports_masking(self) -> bool:
        """Whether the layer's output carries the mask `compute_mask` gives; by default, whether the class writes
        its own compute_mask (Keras 3's rule)."""
        value = self.__dict__.get("_supports_masking")
        if value is None:
            return type(self).compute_mask is not Layer.compute_mask
        return value

    @supports_masking.setter
    def supports_masking(self, value):
        self.__dict__["_supports_masking"] = bool(value)

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs given the first input and its mask: by default the input's mask, unchanged."""
        return mask

    def _masks_for_call(self, args, kwargs):
        """(the mask of the first input, kwargs with the masks the call takes): `mask` from the only tensor
        argument, or `<name>_mask` from argument `<name>` when there are several (Keras 3's rule); a mask given
        explicitly is kept."""
        names = self._call_parameters
        bound = dict(zip(names, args))
        bound.update(kwargs)
        tensors = {name: value for name, value in bound.items() if name not in ("training", "mask")
                   and not name.endswith("_mask") and _holds_tensors(value)}
        if len(tensors) == 1 and "mask" in names and kwargs.get("mask") is None:
            masks = masking.get_masks(next(iter(tensors.values())))
            if any(m is not None for m in optree.tree_leaves(masks, none_is_leaf=True)):
                kwargs = {**kwargs, "mask": masks}
        elif len(tensors) > 1:
            for name, value in tensors.items():
                if f"{name}_mask" in names and kwargs.get(f"{name}_mask") is None:
                    masks = masking.get_masks(value)
                    if any(m is not None for m in optree.tree_leaves(masks, none_is_leaf=True)):
                        kwargs = {**kwargs, f"{name}_mask": masks}
        previous = kwargs.get("mask")
        if previous is None and args:
            previous = masking.get_masks(args[0])
        if previous is not None and all(m is None for m in optree.tree_leaves(previous, none_is_leaf=True)):
            previous = None
        if previous is not None and self.mask_refused:
            raise invalid_argument(self.name, "mask", f"no mask ({self.mask_refused})", "<a masked input>")
        return previous, kwargs

    def _set_output_masks(self, first_input, outputs, previous_mask) -> None:
        """Attach `compute_mask(first input, its mask)` to the outputs that carry none yet."""
        leaves = optree.tree_leaves(outputs)
        if leaves and all(masking.get_mask(x) is not None for x in leaves):
            return
        output_masks = self.compute_mask(first_input, previous_mask)
        if output_masks is None:
            return
        for tensor, mask in zip(leaves, optree.tree_leaves(output_masks, none_is_leaf=True)):
            if mask is not None and masking.get_mask(tensor) is None:
                masking.set_mask(tensor, mask)

    # -- building and calling ---------------------------------------------------------------------
    def build(self, input_shape) -> None:
        self.built = True

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} must implement call().")

    def compute_output_shape(self, input_shape):
        raise NotImplementedError

    def _maybe_build(self, first_arg) -> None:
        if self.built:
            return
        shapes = optree.tree_map(lambda t: tuple(self.ops.shape(t)), first_arg)
        self._build_shapes = optree.tree_map(list, shapes, is_leaf=lambda s: isinstance(s, tuple))
        self.build(shapes)
        self.built = True

    def __call__(self, *args, **kwargs):
        if _is_symbolic_call(args, kwargs):
            return self._symbolic_call(args, kwargs)
        stack = _call_stack()
        if not stack and _layers_with_losses:  # the outermost call clears the losses of the previous one
            self._clear_losses()
        if self._call_accepts_training:
            training = kwargs.get("training")
            if training is None:
                training = next((t for t in reversed(stack) if t is not None), None)
                if training is not None:
                    kwargs["training"] = training
        else:
            training = kwargs.pop("training", None)
        previous_mask = None
        if masking.any_mask() or (kwargs and kwargs.get("mask") is not None):
            previous_mask, kwargs = self._masks_for_call(args, kwargs)
        if args:
            first = args[0]
            if _leaf_types.get(type(first)) or is_leaf(first):  # a single tensor: no structure walk
                first = self._convert_input(first)
            else:
                first = optree.tree_map(self._convert_input, first)
            args = (first, *args[1:])
            if self.input_spec is not None and not getattr(_context, "building", False):
                input_spec.check(self, first, self.ops.shape, self.ops.dtype)
            if not self.built:
                self._maybe_build(first)
        stack.append(training)
        try:
            scope = self._autocast_scope() if self.__dict__.get("_dtype_policy") is not None or autocast_dtype() \
                else None
            if scope is None:
                outputs = self.call(*args, **kwargs)
            else:
                with scope:
                    outputs = self.call(*args, **kwargs)
            if self._weight_regularizers or self.activity_regularizer is not None:
                self._add_regularization_losses(outputs)
            if previous_mask is not None or (args and type(self).compute_mask is not Layer.compute_mask):
                if self.supports_masking:
                    self._set_output_masks(args[0], outputs, previous_mask)
                elif previous_mask is not None:
                    warnings.warn(f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with a "
                                  "mask attached to it. However, this layer does not support masking and will "
                                  "therefore destroy the mask information. Downstream layers will not see the mask.",
                                  stacklevel=2)
            return outputs
        finally:
            stack.pop()

    def _convert_input(self, x):
        """Keras' autocast: floating inputs (numpy or backend tensors) take the layer's dtype."""
        if isinstance(x, Variable):
            return x.value
        if isinstance(x, (np.ndarray, float, int, np.generic)) or foreign_arrays.is_foreign(x, self.backend.name):
            array = foreign_arrays.to_numpy(x)  # another framework's tensor goes through the host
            wanted = (self.input_dtype if self.autocast else self.backend.floatx()) if array.dtype.kind == "f" else None
            return self.ops.convert_to_tensor(array, dtype=wanted)
        if self.autocast and hasattr(x, "shape") and hasattr(x, "dtype"):
            dtype, wanted = self.ops.dtype(x), self.input_dtype
            if dtype.startswith(("float", "bfloat")) and dtype != wanted:
                return self.ops.cast(x, wanted)
        return x

    def _symbolic_call(self, args, kwargs):
        """Build on zeros shaped like the symbolic arguments, then record a node.

        Unknown dimensions take a placeholder size; when a non-batch dimension is unknown the call
        runs twice, with two sizes, and the output dimensions that differ become unknown too.
        """
        if self.input_spec is not None and args:  # None dimensions match: checked here, not on the zeros below
            input_spec.check(self, args[0], lambda t: t.shape, lambda t: t.dtype or self.backend.floatx())
        symbolic = [t for t in optree.tree_leaves((args, kwargs)) if isinstance(t, SymbolicTensor)]
        batch_unknown = any(t.shape and t.shape[0] is None for t in symbolic)
        inner_unknown = any(d is None for t in symbolic for d in t.shape[1:])

        def run(size):
            def concrete(t):
                if not isinstance(t, SymbolicTensor):
                    return t
                shape = tuple(d if d is not None else (1 if i == 0 else size) for i, d in enumerate(t.shape))
                return self.ops.zeros(shape, dtype=t.dtype or self.backend.floatx())

            concrete_args, concrete_kwargs = optree.tree_map(concrete, (args, kwargs), none_is_leaf=True)
            building, _context.building = getattr(_context, "building", False), True
            try:
                with StatelessScope():
                    outputs = self(*concrete_args, **concrete_kwargs)
            finally:
                _context.building = building
            self._clear_losses()
            return outputs

        outputs = run(16)
        leaves, treedef = optree.tree_flatten(outputs)
        shapes = [tuple(self.ops.shape(t)) for t in leaves]
        if inner_unknown:
            other = [tuple(self.ops.shape(t)) for t in optree.tree_leaves(run(21))]
            shapes = [tuple(a if a == b else None for a, b in zip(s1, s2)) for s1, s2 in zip(shapes, other)]
        node = Node(self, args, kwargs, None)

        def to_symbolic(index, t, shape):
            if batch_unknown and shape:
                shape = (None, *shape[1:])
            return SymbolicTensor(shape, self.ops.dtype(t), name=f"{self.name}_output_{index}", node=node, index=index)

        node.outputs = optree.tree_unflatten(
            treedef, [to_symbolic(i, t, shape) for i, (t, shape) in enumerate(zip(leaves, shapes))])
        self._inbound_nodes.append(node)
        return node.outputs

    # -- the functional graph ---------------------------------------------------------------------------------
    def _first_node(self, what: str):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called on symbolic tensors (fs.Input), so it "
                                 f"has no {what}.")
        return self._inbound_nodes[0]

    @property
    def input(self):
        """The symbolic input of the layer's first call on symbolic tensors (Keras: node 0)."""
        node = self._first_node("input")
        return node.args[0] if len(node.args) == 1 and not node.kwargs else node.inputs

    @property
    def output(self):
        """The symbolic output of the layer's first call on symbolic tensors (Keras: node 0)."""
        return self._first_node("output").outputs

    # -- the stateless API --------------------------------------------------------------------------
    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False, **kwargs):
        """(outputs, new non-trainable values): call with the given values, touching no Variable."""
        trainable, non_trainable = self.trainable_variables, self.non_trainable_variables
        for argument, given, expected in (
            ("trainable_variables", trainable_variables, trainable),
            ("non_trainable_variables", non_trainable_variables, non_trainable),
        ):
            if len(given) != len(expected):
                raise invalid_argument(
                    f"{self.name}.stateless_call", argument, f"a list of {len(expected)} values",
                    f"<a sequence of {len(given)} values>",
                )
        mapping = list(zip(trainable, trainable_variables)) + list(zip(non_trainable, non_trainable_variables))
        with StatelessScope(mapping) as scope:
            outputs = self(*args, **kwargs)
            losses = self.losses
        new_non_trainable = [scope.get_current_value(v) for v in non_trainable]
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    # -- config -------------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """name, trainable, dtype; for a class that does not write its own get_config, also the arguments its
        constructor was given (Keras 3's automatic config)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype}
        if _writes_no_config(type(self)):
            given = self.__dict__.get("_constructor_arguments") or {}
            config.update({k: v for k, v in given.items() if k not in config and k != "input_shape"})
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = self.backend.api.regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """`cls(**config)`, after Keras's dtype policies become their dtype and Keras's unused (None) entries for
        arguments `cls` does not take are dropped; any other entry it does not take is an error naming it."""
        from fitspec.saving.serialization import constructor_config

        return cls(**constructor_config(cls, config, f"{cls.__name__}.from_config"))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _writes_no_config(cls) -> bool:
    """Whether `cls` inherits get_config from Layer (or Model's for a model without a graph)."""
    for klass in cls.__mro__:
        if "get_config" in klass.__dict__:
            return klass is Layer or klass.__name__ == "Model" and klass.__module__.startswith("fitspec.")
    return True


def _is_symbolic_call(args, kwargs) -> bool:
    """Whether any argument is symbolic; arguments that are all leaves (`layer(x, training=True)`) are checked
    without a structure walk."""
    for value in (*args, *kwargs.values()) if kwargs else args:
        if isinstance(value, SymbolicTensor):
            return True
        if value is not None and not (_leaf_types.get(type(value)) or is_leaf(value)):  # is_leaf, mostly inline
            return is_symbolic((args, kwargs))
    return False


def _holds_tensors(value) -> bool:
    """Whether a call argument is a tensor or a non-empty structure of them (not None, a bool, a number)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return False
    leaves = optree.tree_leaves(value)
    return bool(leaves) and all(hasattr(x, "shape") and hasattr(x, "dtype") for x in leaves)


def unique_by_identity(objects) -> list:
    """`objects` without repeats, each object (by identity, not equality) where it first stands."""
    out, seen = [], set()
    for obj in objects:
        if id(obj) not in seen:
            seen.add(id(obj))
            out.append(obj)
    return out
