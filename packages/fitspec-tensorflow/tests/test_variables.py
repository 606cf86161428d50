"""fitspec Variables as TensorFlow sees them: under tf.GradientTape, as tensors, inside tf.function."""

import numpy as np
import pytest
import tensorflow as tf

import fitspec_tensorflow as fs


def dense_model(units=1, features=3):
    inputs = fs.Input(shape=(features,))
    return fs.Model(inputs, fs.layers.Dense(units)(inputs))


def test_tape_gradient_takes_the_models_fitspec_variables():
    model = dense_model()
    kernel, bias = model.trainable_variables
    x = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]], "float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x))
    gradients = tape.gradient(loss, model.trainable_variables)
    np.testing.assert_allclose(gradients[0].numpy(), x.sum(axis=0, keepdims=True).T)  # d sum(xW + b) / dW
    np.testing.assert_allclose(gradients[1].numpy(), [2.0])
    assert kernel.shape == (3, 1) and bias.shape == (1,)


def test_an_unread_variable_gets_no_gradient():
    used, unused = fs.Variable(np.float32(2.0)), fs.Variable(np.float32(5.0))
    with tf.GradientTape() as tape:
        y = used * used
    assert tape.gradient(y, [used, unused])[0].numpy() == 4.0
    with tf.GradientTape() as tape:
        y = used * 3.0
    assert tape.gradient(y, [unused]) == [None]


def test_a_variable_converts_to_a_tensor_of_its_current_value():
    variable = fs.Variable(np.array([1.0, 2.0], "float32"))
    np.testing.assert_array_equal(tf.convert_to_tensor(variable).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(tf.reduce_sum(variable).numpy(), 3.0)
    with pytest.raises((TypeError, ValueError)):
        tf.convert_to_tensor(variable, dtype=tf.float64)  # like tf.Variable: no silent cast


def test_a_read_is_a_snapshot_not_a_view():
    variable = fs.Variable(np.array([1.0], "float32"))
    before = variable.value
    variable.assign(np.array([5.0], "float32"))
    assert before.numpy()[0] == 1.0 and variable.numpy()[0] == 5.0


def test_assign_inside_tf_function_updates_the_variable():
    variable = fs.Variable(np.float32(0.0))

    @tf.function
    def increment():
        variable.assign_add(1.0)
        return variable.value

    assert increment().numpy() == 1.0
    assert increment().numpy() == 2.0
    assert variable.numpy() == 2.0


def test_an_optimizer_first_built_inside_a_tf_function_step_works():
    model = dense_model()
    optimizer = fs.optimizers.Adam(learning_rate=0.1)
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    losses = [float(train_step(x, y)) for _ in range(5)]
    assert optimizer.iterations.numpy() == 5
    assert losses[-1] < losses[0]
    assert train_step.experimental_get_tracing_count() <= 2
