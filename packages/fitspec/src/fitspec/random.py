"""`fs.random`, written once: the SeedGenerator layer, the argument checks and the public draws.

Division of labour: the core owns the SeedGenerator (a layer whose state is a non-trainable uint32
Variable of shape (2,), so it travels with the variables of the layer or model that holds it: in
the stateless state on numpy and JAX, as a tf.Variable or a torch Parameter on the others), the
checks and the arithmetic of every draw. A backend's `random` module supplies a `RandomPrimitives`
subclass: its key handling and raw draws, always from its framework's own generator (docs/SPEC.md,
"Random"). `bind(api, primitives, module)` fills that module with the public names.

    normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None)   mean + stddev * N(0, 1)
    uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) U[minval, maxval)
    randint(shape, minval, maxval, dtype="int32", seed=None)    integers uniform in [minval, maxval)
    dropout(inputs, rate, noise_shape=None, seed=None)          inputs / (1 - rate) kept with probability 1 - rate
    shuffle(x, axis=0, seed=None)                               x permuted along `axis`

`seed` is a `SeedGenerator` (advances at every draw), an int (the same numbers at every call), None
(the process-wide generator of the backend, renewed by `fs.utils.set_random_seed`), or a key of the
framework where the backend accepts one (JAX).
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from fitspec import seeding
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer

STATE_SHAPE = (2,)
STATE_DTYPE = "uint32"
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


# -- checks ------------------------------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_seed(where: str, seed) -> int:
    """An int seed in [0, 2**64)."""
    if not _is_int(seed) or not 0 <= seed < 2**64:
        raise invalid_argument(where, "seed", "an int in [0, 2**64)", seed)
    return int(seed)


def check_rate(where: str, rate) -> float:
    """A dropout rate: a number in [0, 1)."""
    if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, (int, float, np.integer, np.floating)) or not (
        0 <= rate < 1
    ):
        raise invalid_argument(where, "rate", "a float in [0, 1)", rate)
    return float(rate)


def check_shape(where: str, shape, argument: str = "shape"):
    """A tuple of non-negative ints; a backend's dimension tensors, or a 1-D shape tensor such as
    `tf.shape(x)` inside a tf.function, are passed through as they are."""
    if _is_int(shape):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        shape = getattr(shape, "as_list", lambda: shape)()  # a tf.TensorShape
    if not isinstance(shape, (tuple, list)):
        if not (hasattr(shape, "dtype") and len(getattr(shape, "shape", ())) == 1):
            raise invalid_argument(where, argument, "a tuple of non-negative ints", shape)
        try:
            shape = [operator.index(d) for d in shape]  # a concrete shape tensor
        except TypeError:
            return shape  # a symbolic one (`tf.shape(x)` in a tf.function): the backend's draws take it
    out = []
    for dim in shape:
        if isinstance(dim, (bool, np.bool_, float, np.floating)) or dim is None:
            raise invalid_argument(where, argument, "a tuple of non-negative ints", tuple(shape))
        try:
            dim = operator.index(dim)
        except TypeError:
            if not hasattr(dim, "dtype"):  # a traced or symbolic dimension of the backend stays as it is
                raise invalid_argument(where, argument, "a tuple of non-negative ints", tuple(shape)) from None
        else:
            if dim < 0:
                raise invalid_argument(where, argument, "a tuple of non-negative ints", tuple(shape))
        out.append(dim)
    return tuple(out)


def check_noise_shape(where: str, noise_shape):
    """None, or a tuple of non-negative ints and Nones (a None takes the inputs' dimension)."""
    if noise_shape is None:
        return None
    if not isinstance(noise_shape, (tuple, list)) or any(
        d is not None and (not _is_int(d) or d < 0) for d in noise_shape
    ):
        raise invalid_argument(where, "noise_shape", "None or a tuple of non-negative ints and Nones", noise_shape)
    return tuple(None if d is None else int(d) for d in noise_shape)


def _dtype_name(dtype) -> str:
    if isinstance(dtype, str):
        return dtype
    name = getattr(dtype, "name", None)
    if isinstance(name, str):
        return name
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype).rsplit(".", 1)[-1]  # torch.float32 -> float32


def check_dtype(where: str, dtype, allowed, default) -> str:
    name = _dtype_name(default if dtype is None else dtype)
    if name not in allowed:
        kind = "a float dtype" if allowed is FLOAT_DTYPES else "an integer dtype"
        raise invalid_argument(where, "dtype", f"{kind} (one of {allowed})", name)
    return name


def initial_state(seed: int) -> np.ndarray:
    """The state of a 64-bit seed: [high 32 bits, low 32 bits], uint32 (JAX's threefry key of the seed)."""
    return np.array([(seed >> 32) & 0xFFFFFFFF, seed & 0xFFFFFFFF], dtype=STATE_DTYPE)


# -- what a backend supplies ---------------------------------------------------------------------------
class RandomPrimitives:
    """A backend's key handling and raw draws. A key is whatever the backend's draws take.

    `split` advances a SeedGenerator: it maps the state (the (2,) uint32 value of its Variable) to
    the next state and a fresh key, with the framework's own functions, traceable where the backend
    compiles steps. The draws take a key and a dtype name.
    """

    def key(self, data: np.ndarray):
        """The key of an int seed, from its `initial_state` words."""
        raise NotImplementedError

    def split(self, state):
        """(new_state, key)."""
        raise NotImplementedError

    def normal(self, key, shape: tuple, dtype: str):
        """Standard normal draws."""
        raise NotImplementedError

    def uniform(self, key, shape: tuple, dtype: str):
        """Uniform draws in [0, 1)."""
        raise NotImplementedError

    def randint(self, key, shape: tuple, minval: int, maxval: int, dtype: str):
        """Integers uniform in [minval, maxval)."""
        raise NotImplementedError

    def permutation(self, key, n: int):
        """A random permutation of range(n), as an integer tensor."""
        raise NotImplementedError

    def native_key(self, seed):
        """A key the framework made itself, accepted as a seed; None when `seed` is not one."""
        return None

    def outside_compilation(self, fn):
        """`fn` as the backend runs it when a compiled step calls it (unchanged unless overridden)."""
        return fn


# -- SeedGenerator -----------------------------------------------------------------------------------
class SeedGenerator(Layer):
    """`fs.random.SeedGenerator(seed=None)`: a stream of keys for the `seed=` of fs.random functions.

    Its state is a non-trainable Variable, so a layer or model that holds the generator as an
    attribute carries the state in its non-trainable variables: through `stateless_call` and the
    step's state on numpy and JAX, as a tf.Variable or torch Parameter written in place on the
    others. Every draw advances it (`next()`). fitspec tracks it as a sublayer; Keras 3 tracks seed
    generators apart, with the same effect on the layer's variables (docs/SPEC.md, "Random").
    """

    _random: RandomPrimitives = None  # set on the class bound to a backend

    def __init__(self, seed=None, name=None, **kwargs):
        super().__init__(name=name, trainable=False, **kwargs)
        seed = seeding.next_seed() if seed is None else check_seed("SeedGenerator", seed)
        self.initial_seed = seed
        self.state = self.backend.Variable(initial_state(seed), dtype=STATE_DTYPE, trainable=False,
                                           name="seed_generator_state", path=f"{self.name}/seed_generator_state")
        self.built = True

    def next(self):
        """A fresh key; the state advances."""
        new_state, key = self._random.split(self.state.value)
        self.state.assign(new_state)
        return key

    def call(self, *args, **kwargs):
        raise TypeError("SeedGenerator is not callable; pass it as `seed=` to fs.random functions.")

    def get_config(self):
        return {"seed": self.initial_seed, "name": self.name}


# -- the public functions, bound to one backend --------------------------------------------------------
class _Draws:
    """What one backend's `fs.random` shares: its primitives, its SeedGenerator class, its global generator."""

    def __init__(self, backend, primitives: RandomPrimitives, seed_generator_class):
        self.backend, self.primitives, self.SeedGenerator = backend, primitives, seed_generator_class
        self._global, self._global_stream = None, None

    def global_generator(self):
        # renewed when fs.utils.set_random_seed has replaced fitspec's seed stream since it was made
        if self._global is None or self._global_stream is not seeding._stream:
            self._global_stream = seeding._stream
            self._global = self.SeedGenerator(name="global_seed_generator")
        return self._global

    def key(self, seed, where: str):
        if isinstance(seed, SeedGenerator):
            if seed.backend is not self.backend:
                raise invalid_argument(where, "seed", f"a SeedGenerator of {self.backend.name}",
                                       f"<a SeedGenerator of {seed.backend.name}>")
            return seed.next()
        if seed is None:
            return self.global_generator().next()
        native = self.primitives.native_key(seed)
        if native is not None:
            return native
        if _is_int(seed):
            return self.primitives.key(initial_state(check_seed(where, seed)))
        raise invalid_argument(where, "seed", "a fs.random.SeedGenerator, an int in [0, 2**64) or None", seed)


def normal(draws: _Draws, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """mean + stddev * N(0, 1), of `shape`."""
    shape = check_shape("random.normal", shape)
    dtype = check_dtype("random.normal", dtype, FLOAT_DTYPES, draws.backend.floatx())
    key = draws.key(seed, "random.normal")
    return draws.primitives.normal(key, shape, dtype) * stddev + mean


def uniform(draws: _Draws, shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """minval + (maxval - minval) * U[0, 1), of `shape`."""
    shape = check_shape("random.uniform", shape)
    dtype = check_dtype("random.uniform", dtype, FLOAT_DTYPES, draws.backend.floatx())
    if isinstance(minval, (int, float)) and isinstance(maxval, (int, float)) and not minval < maxval:
        raise invalid_argument("random.uniform", "maxval", f"a number above minval={minval}", maxval)
    key = draws.key(seed, "random.uniform")
    return draws.primitives.uniform(key, shape, dtype) * (maxval - minval) + minval


def randint(draws: _Draws, shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in [minval, maxval), of `shape`."""
    shape = check_shape("random.randint", shape)
    dtype = check_dtype("random.randint", dtype, INT_DTYPES, "int32")
    for argument, value in (("minval", minval), ("maxval", maxval)):
        if not _is_int(value):
            raise invalid_argument("random.randint", argument, "an int", value)
    if not minval < maxval:
        raise invalid_argument("random.randint", "maxval", f"an int above minval={minval}", maxval)
    key = draws.key(seed, "random.randint")
    return draws.primitives.randint(key, shape, int(minval), int(maxval), dtype)


def dropout(draws: _Draws, inputs, rate, noise_shape=None, seed=None):
    """inputs / (1 - rate) where a Bernoulli(1 - rate) draw keeps the entry, else 0.

    The draw has `noise_shape` (None entries take the inputs' dimension; default: the inputs'
    shape) and is broadcast against the inputs.
    """
    rate = check_rate("random.dropout", rate)
    noise_shape = check_noise_shape("random.dropout", noise_shape)
    ops = draws.backend.ops
    inputs = ops.convert_to_tensor(inputs)
    shape = tuple(ops.shape(inputs))
    if noise_shape is None:
        noise_shape = shape
    elif len(noise_shape) != len(shape):
        raise invalid_argument("random.dropout", "noise_shape", f"a tuple of {len(shape)} entries (the inputs' rank)",
                               noise_shape)
    noise_shape = tuple(d if n is None else n for n, d in zip(noise_shape, shape))
    if rate == 0:
        return inputs
    dtype = ops.dtype(inputs)
    key = draws.key(seed, "random.dropout")
    keep = ops.greater_equal(draws.primitives.uniform(key, noise_shape, dtype if dtype in FLOAT_DTYPES else
                                                      draws.backend.floatx()), rate)
    return ops.where(keep, inputs / (1.0 - rate), ops.zeros_like(inputs))


def shuffle(draws: _Draws, x, axis=0, seed=None):
    """`x` permuted along `axis` (one permutation of that axis)."""
    ops = draws.backend.ops
    x = ops.convert_to_tensor(x)
    shape = tuple(ops.shape(x))
    if not _is_int(axis) or not -len(shape) <= axis < len(shape):
        raise invalid_argument("random.shuffle", "axis", f"an int in [-{len(shape)}, {len(shape)})", axis)
    key = draws.key(seed, "random.shuffle")
    return ops.take(x, draws.primitives.permutation(key, shape[axis]), axis=int(axis))


PUBLIC = {"normal": normal, "uniform": uniform, "randint": randint, "dropout": dropout, "shuffle": shuffle}


def bind(api, primitives: RandomPrimitives, module):
    """Fill `module` (the backend's `random` module) with `fs.random`: SeedGenerator and the PUBLIC functions.

    Called through `Backend.random_module(api)` while `fitspec.bind` builds the namespace; returns `module`.
    """
    layer = api.layers.Layer
    name = module.__name__
    next_key = primitives.outside_compilation(SeedGenerator.next)
    seed_generator = type("SeedGenerator", (SeedGenerator, layer), {
        "__module__": name, "__qualname__": "SeedGenerator", "__doc__": SeedGenerator.__doc__,
        "_random": primitives, "next": next_key,
    })
    draws = _Draws(layer.backend, primitives, seed_generator)
    public = {}
    for function_name, function in PUBLIC.items():
        bound = functools.partial(function, draws)
        functools.update_wrapper(bound, function)
        bound.__module__ = name
        public[function_name] = primitives.outside_compilation(bound)
    module.__dict__.update(public, SeedGenerator=seed_generator, _draws=draws,
                           _global_generator=draws.global_generator)
    module.__all__ = sorted([*public, "SeedGenerator"])
    return module


__all__ = ["RandomPrimitives", "SeedGenerator", "bind", "check_rate", "check_seed", "initial_state"]
