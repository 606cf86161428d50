"""SpectralNormalization: the wrapped layer's kernel divided by its largest singular value, estimated by power
iteration (docs/SPEC.md 8d.SN).

With W the kernel as a matrix (its last axis the columns) and u the non-trainable `vector_u` (1, columns):
power_iterations times v = normalize(u Wᵀ), u = normalize(v W); sigma = v W uᵀ with u and v held constant for the
gradient; the layer runs with W / sigma. normalize(x) = x · min(1/‖x‖, 1/epsilon). A training call stores the new u;
an inference call computes v and sigma from the stored u without iterating. The kernel variable keeps W.
"""

from __future__ import annotations

from fitspec import floatx, initializers
from fitspec.errors import invalid_argument
from fitspec.layers.wrapper import Wrapper
from fitspec.variables import StatelessScope


class SpectralNormalization(Wrapper):
    """Keras 3's SpectralNormalization(layer, power_iterations=1): `layer` has a `kernel` (Dense, Conv...) or
    `embeddings` (Embedding). Weights: the layer's kernel, `vector_u` (1, kernel.shape[-1]) TruncatedNormal(0.02),
    then the layer's other weights (Keras's order)."""

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or power_iterations <= 0:
            raise invalid_argument("SpectralNormalization", "power_iterations", "a positive int", power_iterations)
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise invalid_argument(self.name, "layer", "a layer with a `kernel` or `embeddings` weight",
                                   type(self.layer).__name__)
        if self.layer.non_trainable_variables:
            raise invalid_argument(self.name, "layer", "a layer without non-trainable state (its updates would be "
                                   "lost under the normalized kernel)", type(self.layer).__name__)
        self.kernel = kernel  # the wrapper's own weight too, first, as in Keras
        self.vector_u = self.add_weight((1, kernel.shape[-1]), initializers.TruncatedNormal(stddev=0.02),
                                        name="vector_u", trainable=False, dtype=kernel.dtype)
        self.built = True

    def _normalize(self, x):
        ops = self.ops
        return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x))), floatx.epsilon(ops))  # = x·min(1/‖x‖, 1/eps)

    def _normalized_kernel(self, training: bool):
        """(W / sigma, the new u); W as it is where it is all 0 (u then unchanged)."""
        ops = self.ops
        kernel = self.kernel.value
        weights = ops.reshape(kernel, (-1, self.kernel.shape[-1]))
        u = self.vector_u.value
        if training:
            for _ in range(self.power_iterations):
                v = self._normalize(ops.matmul(u, ops.transpose(weights)))
                u = self._normalize(ops.matmul(v, weights))
        else:
            v = self._normalize(ops.matmul(u, ops.transpose(weights)))
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        sigma = ops.reshape(ops.matmul(ops.matmul(v, weights), ops.transpose(u)), ())
        zero = ops.logical_not(ops.greater(ops.max(ops.abs(kernel)), 0))
        one = ops.ones((), dtype=ops.dtype(sigma))
        normalized = kernel / ops.where(zero, one, sigma)
        return normalized, ops.where(zero, self.vector_u.value, u)

    def call(self, inputs, training=False):
        normalized, u = self._normalized_kernel(bool(training))
        if training:
            self.vector_u.assign(u)
        with StatelessScope([(self.kernel, normalized)]):
            outputs = self.layer(inputs)
        dtype = self.ops.dtype(inputs)  # Keras casts to the inputs' dtype; integer ids (Embedding) keep the output's
        return self.ops.cast(outputs, dtype) if dtype.startswith(("float", "bfloat")) else outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}


CLASSES = {"SpectralNormalization": SpectralNormalization}
