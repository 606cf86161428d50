"""`fs.random`, written once: the SeedGenerator, the process-wide seed state, the argument checks and the draws.

Division of labour: this module turns a `seed` into a key and checks the arguments; the draws are the
portable generator's (fitspec.random_draws: Threefry-2x32 in JAX's layout, the same values on every
backend), or, after `fs.config.set_random_implementation("native")`, the framework's own. A backend's
`random` module supplies a `RandomPrimitives`: its uint32 words, its keys, its native draws, and any
native kernel that gives the portable values (JAX: jax.random). `bind` fills that module.

    normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None)            mean + stddev * N(0, 1)
    truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None)  N(0, 1) cut at +-2, scaled
    uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None)         U[minval, maxval)
    randint(shape, minval, maxval, dtype="int32", seed=None)              integers uniform in [minval, maxval)
    categorical(logits, num_samples, dtype="int32", seed=None)            class ids drawn from softmax(logits)
    dropout(inputs, rate, noise_shape=None, seed=None)                    inputs / (1 - rate) kept w.p. 1 - rate
    shuffle(x, axis=0, seed=None)                                         x permuted along `axis`

`seed` is a `SeedGenerator` (its key is its state [seed, n]; the draw advances n), an int s (the key
[s, 0], the same numbers at every call), None (the backend's process-wide seed state, which advances
and travels with the step's state like a SeedGenerator's), or on JAX a jax key.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from fitspec import seeding, threefry
from fitspec.errors import invalid_argument
from fitspec.layers.layer import Layer
from fitspec.random_draws import PortableDraws
from fitspec.variables import current_scope, scope_holding

STATE_SHAPE = (2,)
STATE_DTYPE = "uint32"
SEED_LIMIT = 2**32
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
INT32_RANGE = (-(2**31), 2**31 - 1)
IMPLEMENTATIONS = ("portable", "native")


# -- checks ------------------------------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_seed(where: str, seed) -> int:
    """An int seed in [0, 2**32): the first word of the seed state, as in Keras 3."""
    if not _is_int(seed) or not 0 <= seed < SEED_LIMIT:
        raise invalid_argument(where, "seed", "an int in [0, 2**32)", seed)
    return int(seed)


def check_rate(where: str, rate) -> float:
    """A dropout rate: a number in [0, 1)."""
    if not _is_number(rate) or not 0 <= rate < 1:
        raise invalid_argument(where, "rate", "a float in [0, 1)", rate)
    return float(rate)


def check_number(where: str, argument: str, value) -> float:
    if not _is_number(value) or not np.isfinite(value):
        raise invalid_argument(where, argument, "a finite number", value)
    return float(value)


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
    """The seed state of `seed`: [seed, 0], uint32 (Keras 3's). Draw n of a SeedGenerator uses the key [seed, n]."""
    return np.array([seed, 0], dtype=STATE_DTYPE)


# -- what a backend supplies ---------------------------------------------------------------------------
class NativeDraws:
    """The opt-out (`set_random_implementation("native")`): the framework's own generator, keyed by the same keys.

    A backend supplies `uniform01`, `normal01`, `randint` and `permutation`; the rest is composed here.
    Truncated normals and categorical draws have no faster native form and stay portable.
    """

    def __init__(self, ops, portable: PortableDraws):
        self.ops, self.portable = ops, portable

    def uniform01(self, key, shape, dtype: str):
        raise NotImplementedError

    def normal01(self, key, shape, dtype: str):
        raise NotImplementedError

    def randint(self, key, shape, minval: int, maxval: int, dtype: str):
        raise NotImplementedError

    def permutation(self, key, n: int):
        raise NotImplementedError

    def uniform(self, key, shape, dtype, minval, maxval):
        return self.ops.add(self.ops.multiply(self.uniform01(key, shape, dtype), maxval - minval), minval)

    def normal(self, key, shape, dtype, mean, stddev):
        return self.ops.add(self.ops.multiply(self.normal01(key, shape, dtype), stddev), mean)

    def bernoulli(self, key, p, shape):
        return self.ops.less(self.uniform01(key, shape, "float32"), p)

    def truncated_normal(self, key, shape, dtype, mean, stddev):
        return self.portable.truncated_normal(key, shape, dtype, mean, stddev)

    def categorical(self, key, logits, num_samples, dtype):
        return self.portable.categorical(key, logits, num_samples, dtype)


class RandomPrimitives:
    """A backend's part of `fs.random`: its uint32 words, its keys and its draws.

    A key, like a seed state, is the backend's (2,) uint32 tensor. `portable(ops)` and `native(ops)`
    return the two generators; a backend overrides `portable` only to put in native kernels that
    give the same values.
    """

    words: threefry.Words = None
    #: XLA fuses a*b+c into one rounding: the portable float arithmetic then rounds each product itself
    fuses_multiply_add = False

    def key(self, data: np.ndarray):
        """The backend's key tensor holding the two words of `data`."""
        raise NotImplementedError

    def portable(self, ops) -> PortableDraws:
        return PortableDraws(self.words, ops, self.fuses_multiply_add)

    def native(self, ops, portable: PortableDraws) -> NativeDraws:
        raise NotImplementedError

    def native_key(self, seed):
        """A key the framework made itself, accepted as a seed; None when `seed` is not one."""
        return None

    def is_traced(self, value) -> bool:
        """Whether `value` is a placeholder of a trace (jax.jit) that must not outlive it."""
        return False

    def outside_compilation(self, fn):
        """`fn` as the backend runs it when a compiled step calls it (unchanged unless overridden)."""
        return fn


# -- SeedGenerator -----------------------------------------------------------------------------------
class SeedGenerator(Layer):
    """`fs.random.SeedGenerator(seed=None)`: a stream of keys for the `seed=` of fs.random functions.

    Its state [seed, n] is a non-trainable uint32 Variable: in the `variables` and
    `non_trainable_variables` of the layer or model that holds it (so it travels through
    `stateless_call` and the step's state on numpy and JAX, as a tf.Variable or torch Parameter
    written in place on the others) but not in its weights (`get_weights`, `count_params`), as in
    Keras 3. Every draw takes the key [seed, n] and advances n.
    """

    _random: RandomPrimitives = None  # set on the class bound to a backend

    def __init__(self, seed=None, name=None, **kwargs):
        super().__init__(name=name, trainable=False, **kwargs)
        seed = seeding.next_seed() % SEED_LIMIT if seed is None else check_seed("SeedGenerator", seed)
        self.initial_seed = seed
        self.state = self.backend.Variable(initial_state(seed), dtype=STATE_DTYPE, trainable=False,
                                           name="seed_generator_state", path=f"{self.name}/seed_generator_state")
        self.built = True

    @property
    def weights(self) -> list:
        return []  # the state is a variable, not a weight

    def next(self):
        """The key of this draw; the state advances."""
        key = threefry.snapshot(self._random.words, self.state.value)  # torch writes the state in place
        self.state.assign(threefry.advance(self._random.words, key))
        return key

    def call(self, *args, **kwargs):
        raise TypeError("SeedGenerator is not callable; pass it as `seed=` to fs.random functions.")

    def get_config(self):
        return {"seed": self.initial_seed, "name": self.name}


def seed_states(model) -> list:
    """The states of the SeedGenerators in `model` (saved with it, though not among its weights), in layer order."""
    return [layer.state for layer in model._flatten_layers() if isinstance(layer, SeedGenerator)]


GLOBAL_STATE_NAME = "global_seed_state"


# -- the public functions, bound to one backend --------------------------------------------------------
class _Draws:
    """What one backend's `fs.random` shares: its primitives, its generators, its process-wide seed state."""

    def __init__(self, backend, primitives: RandomPrimitives, seed_generator_class):
        self.backend, self.primitives, self.SeedGenerator = backend, primitives, seed_generator_class
        self.portable = primitives.portable(backend.ops)
        self.native = primitives.native(backend.ops, self.portable)
        self.implementation = "portable"
        self._global_state = None
        seeding.on_reseed(self._reseed)

    @property
    def global_state(self):
        """The process-wide seed state, made at its first use, not at import: on TensorFlow and JAX
        `distribution.initialize()` must come before the framework's first op (SPEC 13.7, 13.8)."""
        if self._global_state is None:
            self._global_state = self.backend.Variable(
                initial_state(seeding.process_seed_word()), dtype=STATE_DTYPE, trainable=False,
                name=GLOBAL_STATE_NAME, path=f"fs.random/{GLOBAL_STATE_NAME}", synchronization="none")
        return self._global_state

    def _reseed(self) -> None:
        if self._global_state is not None:  # else it is made from the new seed at its first use
            self._global_state.assign(self.backend.ops.convert_to_tensor(initial_state(seeding.process_seed_word())))

    @property
    def generator(self):
        """The generator in force: the portable one, or the framework's (`set_random_implementation`)."""
        return self.portable if self.implementation == "portable" else self.native

    def set_implementation(self, name: str) -> None:
        if name not in IMPLEMENTATIONS:
            raise invalid_argument("config.set_random_implementation", "name", f"one of {IMPLEMENTATIONS}", name)
        self.implementation = name

    def global_key(self):
        """The process-wide state's key; the state advances in the scope that carries it (the step's state)."""
        variable = self.global_state
        key = threefry.snapshot(self.primitives.words, variable.value)
        new_state = threefry.advance(self.primitives.words, key)
        scope = scope_holding(variable)
        if scope is not None:
            scope.record(variable, new_state)
        elif self.primitives.is_traced(new_state):
            raise RuntimeError(
                "An fs.random draw with seed=None ran inside a traced function that does not carry the process-wide "
                "seed state (a fitspec step carries it; a jax.jit of stateless_call does not): the state could not "
                "advance. Pass `seed=` a fs.random.SeedGenerator owned by a layer or the model."
            )
        elif current_scope() is None:
            variable.assign(new_state)
        else:
            current_scope().record(variable, new_state)  # a stateless scope keeps its writes to itself
        return key

    def key(self, seed, where: str):
        if isinstance(seed, SeedGenerator):
            if seed.backend is not self.backend:
                raise invalid_argument(where, "seed", f"a SeedGenerator of {self.backend.name}",
                                       f"<a SeedGenerator of {seed.backend.name}>")
            return seed.next()
        if seed is None:
            return self.global_key()
        native = self.primitives.native_key(seed)
        if native is not None:
            return native
        if _is_int(seed):
            return self.primitives.key(initial_state(check_seed(where, seed)))
        raise invalid_argument(where, "seed", "a fs.random.SeedGenerator, an int in [0, 2**32) or None", seed)


def normal(draws: _Draws, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """mean + stddev * N(0, 1), of `shape`."""
    shape = check_shape("random.normal", shape)
    mean, stddev = (check_number("random.normal", a, v) for a, v in (("mean", mean), ("stddev", stddev)))
    dtype = check_dtype("random.normal", dtype, FLOAT_DTYPES, draws.backend.floatx())
    return draws.generator.normal(draws.key(seed, "random.normal"), shape, dtype, mean, stddev)


def truncated_normal(draws: _Draws, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """mean + stddev * z, z a standard normal cut at two standard deviations, of `shape`."""
    shape = check_shape("random.truncated_normal", shape)
    mean, stddev = (check_number("random.truncated_normal", a, v) for a, v in (("mean", mean), ("stddev", stddev)))
    dtype = check_dtype("random.truncated_normal", dtype, FLOAT_DTYPES, draws.backend.floatx())
    return draws.generator.truncated_normal(draws.key(seed, "random.truncated_normal"), shape, dtype, mean, stddev)


def uniform(draws: _Draws, shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """minval + (maxval - minval) * U[0, 1), of `shape`."""
    shape = check_shape("random.uniform", shape)
    minval, maxval = (check_number("random.uniform", a, v) for a, v in (("minval", minval), ("maxval", maxval)))
    dtype = check_dtype("random.uniform", dtype, FLOAT_DTYPES, draws.backend.floatx())
    if not minval < maxval:
        raise invalid_argument("random.uniform", "maxval", f"a number above minval={minval}", maxval)
    return draws.generator.uniform(draws.key(seed, "random.uniform"), shape, dtype, minval, maxval)


def randint(draws: _Draws, shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in [minval, maxval), of `shape`; drawn as int32 (bounds within int32), then cast."""
    shape = check_shape("random.randint", shape)
    dtype = check_dtype("random.randint", dtype, INT_DTYPES, "int32")
    low, high = INT32_RANGE
    for argument, value in (("minval", minval), ("maxval", maxval)):
        if not _is_int(value) or not low <= value <= high:
            raise invalid_argument("random.randint", argument, f"an int in [{low}, {high}]", value)
    if not minval < maxval:
        raise invalid_argument("random.randint", "maxval", f"an int above minval={minval}", maxval)
    info = np.iinfo(dtype)
    if minval < info.min or maxval - 1 > info.max:
        raise invalid_argument("random.randint", "dtype", f"an integer dtype holding [{minval}, {maxval})", dtype)
    return draws.generator.randint(draws.key(seed, "random.randint"), shape, int(minval), int(maxval), dtype)


def categorical(draws: _Draws, logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class ids per row of the 2-D `logits`, drawn with probabilities softmax(logits)."""
    ops = draws.backend.ops
    logits = ops.convert_to_tensor(logits)
    if len(ops.shape(logits)) != 2 or ops.dtype(logits) not in FLOAT_DTYPES:
        raise invalid_argument("random.categorical", "logits", "a 2-D float tensor (batch, classes)", logits)
    if not _is_int(num_samples) or num_samples < 0:
        raise invalid_argument("random.categorical", "num_samples", "a non-negative int", num_samples)
    dtype = check_dtype("random.categorical", dtype, INT_DTYPES, "int32")
    return draws.generator.categorical(draws.key(seed, "random.categorical"), logits, int(num_samples), dtype)


def dropout(draws: _Draws, inputs, rate, noise_shape=None, seed=None):
    """inputs / (1 - rate) where a Bernoulli(1 - rate) draw keeps the entry, else 0.

    The draw has `noise_shape` (None entries take the inputs' dimension; default: the inputs'
    shape) and is broadcast against the inputs. The mask is a float32 uniform below float32(1 - rate),
    whatever the inputs' dtype: float32 and float64 models draw the same masks.
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
    keep = draws.generator.bernoulli(draws.key(seed, "random.dropout"), 1.0 - rate, noise_shape)
    return ops.where(keep, inputs / (1.0 - rate), ops.zeros_like(inputs))


def shuffle(draws: _Draws, x, axis=0, seed=None):
    """`x` permuted along `axis` (one permutation of that axis, jax.random.permutation's)."""
    ops = draws.backend.ops
    x = ops.convert_to_tensor(x)
    shape = tuple(ops.shape(x))
    if not _is_int(axis) or not -len(shape) <= axis < len(shape):
        raise invalid_argument("random.shuffle", "axis", f"an int in [-{len(shape)}, {len(shape)})", axis)
    key = draws.key(seed, "random.shuffle")
    return ops.take(x, draws.generator.permutation(key, shape[axis]), axis=int(axis))


PUBLIC = {"normal": normal, "truncated_normal": truncated_normal, "uniform": uniform, "randint": randint,
          "categorical": categorical, "dropout": dropout, "shuffle": shuffle}


def process_seed_states(backend) -> list:
    """The process-wide seed state of `backend` (a Variable; none without fs.random): what a stateless step carries
    besides its own state, so that unseeded draws inside it advance."""
    random = getattr(backend.api, "random", None)
    return [random._draws.global_state] if random is not None else []


def bind(api, primitives: RandomPrimitives, module):
    """Fill `module` (the backend's `random` module) with `fs.random`: SeedGenerator and the PUBLIC functions;
    add `set_random_implementation` / `random_implementation` to `api.config`.

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
    module.__dict__.update(public, SeedGenerator=seed_generator, _draws=draws)
    module.__all__ = sorted([*public, "SeedGenerator"])

    def set_random_implementation(name):
        """"portable" (the default: the same draws on every backend) or "native" (the framework's own generator)."""
        draws.set_implementation(name)

    api.config.__dict__.update(set_random_implementation=set_random_implementation,
                               random_implementation=lambda: draws.implementation)
    api.config.__all__ = sorted({*api.config.__all__, "set_random_implementation", "random_implementation"})
    return module


__all__ = ["NativeDraws", "RandomPrimitives", "SeedGenerator", "bind", "check_rate", "check_seed", "initial_state",
           "process_seed_states", "seed_states"]
