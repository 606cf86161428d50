"""The TensorFlow loop a user writes by hand, without tf.keras: tf.Variables, tf.GradientTape, Adam or RMSprop
written out, one tf.function step (a graph; XLA with jit_compile=True). Formulas: benchmarks.native.array_math.
A mixed-precision model casts its float32 variables and inputs to the compute dtype in the forward pass (tf.cast,
as Keras's autocast does), takes the loss of float32 outputs, and under float16 scales the loss dynamically
(benchmarks.native.mixed), skipping a step whose gradients are not finite.
"""

from __future__ import annotations

import tensorflow as tf

from benchmarks.models import ADAM, EPSILON, RMSPROP
from benchmarks.native import mixed
from benchmarks.native.loop import NativeLoop

DEVICES = {"cpu": "/CPU:0", "gpu": "/GPU:0"}


class TensorflowLoop(NativeLoop):
    jit_compile = False

    def __init__(self, spec, weights, device):
        super().__init__(spec, weights, device)
        self.tf_device = DEVICES[device]
        with tf.device(self.tf_device):
            self.params = [tf.Variable(w) for w in weights]
            per_weight = 2 if spec.optimizer == "adam" else 1
            self.slots = [tf.Variable(tf.zeros_like(w)) for _ in range(per_weight) for w in weights]
            self.t = tf.Variable(0.0, dtype=weights[0].dtype)
            self.totals = tf.Variable(tf.zeros(3, dtype=weights[0].dtype))
            self.scale = tf.Variable(mixed.INITIAL_SCALE, dtype=weights[0].dtype)
            self.good_steps = tf.Variable(0, dtype=tf.int32)
        self._step = tf.function(self._train_step, jit_compile=self.jit_compile)
        self._forward = tf.function(self._forward_pass, jit_compile=self.jit_compile)
        self._logs = None

    # -- the model ----------------------------------------------------------------------------------
    def _forward_pass(self, x, training=False):
        compute = mixed.compute_dtype(self.spec)
        if compute is not None:
            params = [tf.cast(w, compute) for w in self.params]
            return tf.cast(self._layers(tf.cast(x, compute), params, training), self.params[0].dtype)
        return self._layers(x, self.params, training)

    def _layers(self, h, params, training):
        if self.spec.conv is not None:
            h = tf.nn.relu(tf.nn.conv2d(h, params[0], strides=1, padding="VALID") + params[1])
            h = tf.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")
            h = tf.reshape(h, (tf.shape(h)[0], -1))
            params = params[2:]
        for i, (_, activation) in enumerate(self.spec.layers):
            h = tf.matmul(h, params[2 * i]) + params[2 * i + 1]
            if activation == "relu":
                h = tf.nn.relu(h)
            elif activation == "softmax":
                h = tf.nn.softmax(h)
            if training and self.spec.dropout and i < len(self.spec.layers) - 1:
                h = tf.nn.dropout(h, rate=self.spec.dropout)
        return h

    def _loss_and_metric(self, y, p):
        if self.spec.loss == "mse":
            return tf.reduce_mean(tf.square(y - p)), tf.reduce_mean(tf.abs(y - p))
        q = tf.clip_by_value(p / tf.reduce_sum(p, axis=-1, keepdims=True), EPSILON, 1.0 - EPSILON)
        loss = -tf.reduce_mean(tf.gather(tf.math.log(q), y, axis=1, batch_dims=1))
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(p, axis=-1), y), p.dtype))
        return loss, accuracy

    def _apply(self, grads):
        n = len(self.params)
        if self.spec.optimizer == "adam":
            lr, b1, b2, eps = ADAM["learning_rate"], ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]
            t = self.t.assign_add(1.0)
            alpha = lr * tf.sqrt(1 - b2**t) / (1 - b1**t)
            for w, m, v, g in zip(self.params, self.slots[:n], self.slots[n:], grads):
                m.assign_add((g - m) * (1 - b1))
                v.assign_add((g * g - v) * (1 - b2))
                w.assign_sub(alpha * m / (tf.sqrt(v) + eps))
            return
        lr, rho, eps = RMSPROP["learning_rate"], RMSPROP["rho"], RMSPROP["epsilon"]
        for w, v, g in zip(self.params, self.slots, grads):
            v.assign(rho * v + (1 - rho) * g * g)
            w.assign_sub(lr * g / tf.sqrt(v + eps))

    def _train_step(self, x, y):
        scaled = mixed.loss_scaled(self.spec)
        with tf.GradientTape() as tape:
            p = self._forward_pass(x, training=True)
            loss, metric = self._loss_and_metric(y, p)
            scaled_loss = loss * self.scale if scaled else loss
        grads = tape.gradient(scaled_loss, self.params)
        if scaled:
            grads = [g / self.scale for g in grads]
            finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])
            tf.cond(finite, lambda: self._apply(grads) or tf.constant(True), lambda: tf.constant(False))
            scale, good_steps = mixed.next_scale(tf.experimental.numpy, self.scale, self.good_steps, finite)
            self.scale.assign(scale)
            self.good_steps.assign(good_steps)
        else:
            self._apply(grads)
        n = tf.cast(tf.shape(x)[0], loss.dtype)
        totals = self.totals.assign_add(tf.stack([loss * n, metric * n, n]))
        return totals[:2] / totals[2]

    # -- NativeLoop -------------------------------------------------------------------------------------
    def step(self, x, y):
        with tf.device(self.tf_device):
            self._logs = self._step(tf.constant(x), tf.constant(y))

    def logs(self):
        loss, metric = self._logs.numpy()
        return {"loss": float(loss), self.spec.metric: float(metric)}

    def reset_metrics(self):
        self.totals.assign(tf.zeros_like(self.totals))

    def predict_batch(self, x):
        with tf.device(self.tf_device):
            return self._forward(tf.constant(x)).numpy()

    def sync(self):
        if self.device == "gpu":
            tf.test.experimental.sync_devices()


class XlaLoop(TensorflowLoop):
    """The same loop with `tf.function(jit_compile=True)`."""

    jit_compile = True


LOOPS = {"native": TensorflowLoop, "native jit_compile=True": XlaLoop}
