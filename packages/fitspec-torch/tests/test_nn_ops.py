"""Convolutions and pooling under torch.compile: a conv net whose layers see several spatial sizes (so torch turns
them symbolic) compiles, and trains to the eager weights."""

import numpy as np

import fitspec_torch as fs


def conv_net(**compile_kwargs):
    fs.utils.set_random_seed(2)
    inputs = fs.Input(shape=(8, 8, 1))
    x = fs.layers.Conv2D(3, 3, strides=2, padding="same")(inputs)
    x = fs.layers.MaxPooling2D(2, strides=1, padding="same")(x)
    x = fs.layers.Conv2DTranspose(1, 3, strides=2, padding="same")(x)  # one channel out
    x = fs.layers.Conv2DTranspose(2, 2, strides=3)(x)  # one channel in, kernel shorter than the stride
    x = fs.layers.Conv2D(2, (2, 3), strides=(1, 2))(fs.layers.MaxPooling2D()(x))
    m = fs.Model(inputs, fs.layers.Dense(1)(fs.layers.GlobalMaxPooling2D()(x)))
    m.compile(optimizer=fs.optimizers.SGD(0.05), loss="mse", **compile_kwargs)
    return m


def test_a_compiled_conv_net_trains_to_the_eager_weights():
    rng = np.random.default_rng(0)
    x, y = rng.random((50, 8, 8, 1)).astype("float32"), rng.random((50, 1)).astype("float32")
    eager, compiled = conv_net(), conv_net(jit_compile=True)
    for m in (eager, compiled):
        m.fit(x, y, batch_size=20, epochs=2, shuffle=False, verbose=0)
    for got, want in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(compiled.predict(x[:7], verbose=0), eager.predict(x[:7], verbose=0), rtol=1e-4,
                               atol=1e-6)
