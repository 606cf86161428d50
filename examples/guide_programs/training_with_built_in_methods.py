"""The guide "Training & evaluation with the built-in methods", written once for every backend.

`main(backend)` binds `fs` (with `layers` and `ops` from it) to a fitspec backend module and runs every
program of the guide; `examples/training_with_built_in_methods_<backend>.py` calls it with its own backend.
The programs are the guide's, unchanged but for these substitutions:
  - `keras` -> the backend module `fs`, with `layers` and `ops` from it;
  - MNIST comes from `fs.datasets.mnist.load_data()` (a local mnist.npz: fitspec downloads nothing)
    and, where there is none, from `fs.datasets.digits.load_data()`: scikit-learn's 1,797 bundled
    digits in MNIST's 28x28 uint8 layout. The guide's `reshape(60000, 784)` becomes
    `reshape(len(x), 784)` and its 10,000 validation samples become a sixth of the digits;
  - with a local MNIST, the programs train on its first 20,000 training images (the guide's
    50,000 take minutes per program on a CPU); the digits are small enough for the guide's epochs
    and batch sizes as they are;
  - `keras.utils.plot_model` is not reproduced (see `NOT_REPRODUCED`): the program prints why and
    calls `model.summary()` in its place.
The tf.data programs run where TensorFlow is importable, the DataLoader program where PyTorch is, whatever
the backend; otherwise each prints why it is skipped. `main` runs the programs in a temporary folder, where
the checkpoint programs write their files.
"""

import os
import tempfile

import numpy as np

try:  # the guide imports both to show their data sources
    import tensorflow as tf
except ImportError:
    tf = None
try:
    import torch
except ImportError:
    torch = None

#: the backend the programs run on, and the guide's data: bound by `bind(backend)` (the guide's module-level
#: `keras` import and data preparation, done once a backend is chosen).
fs = layers = ops = None
x_train = y_train = x_val = y_val = x_test = y_test = None
ExamplePyDataset = None

#: what the guide does that fitspec does not reproduce, and why (docs/SPEC.md, "Not reproduced from the guides").
NOT_REPRODUCED = {
    "plot_model": "fitspec has no `utils.plot_model` (it would need pydot and Graphviz); "
    "the program prints `model.summary()` in its place",
}

MNIST_TRAIN_LIMIT = 20_000


def load_guide_data():
    """The guide's preprocessing of MNIST, or of the digits where no local MNIST exists."""
    try:
        (x_train, y_train), (x_test, y_test) = fs.datasets.mnist.load_data()
        validation = 10000
        print("MNIST from the local mnist.npz")
    except FileNotFoundError:
        (x_train, y_train), (x_test, y_test) = fs.datasets.digits.load_data()
        validation = len(x_train) // 6
        print("No local MNIST: scikit-learn's digits, in MNIST's 28x28 layout (fs.datasets.digits)")

    # 데이터 전처리(NumPy 배열)
    x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255

    y_train = y_train.astype("float32")
    y_test = y_test.astype("float32")

    # 검증을 위해 샘플을 예약합니다.
    x_val = x_train[-validation:]
    y_val = y_train[-validation:]
    x_train = x_train[:-validation][:MNIST_TRAIN_LIMIT]
    y_train = y_train[:-validation][:MNIST_TRAIN_LIMIT]
    return x_train, y_train, x_val, y_val, x_test, y_test


def get_uncompiled_model():
    inputs = fs.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = fs.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def api_overview():
    inputs = fs.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)

    model = fs.Model(inputs=inputs, outputs=outputs)

    model.compile(
        optimizer=fs.optimizers.RMSprop(),  # 옵티마이저
        # 최소화할 손실 함수
        loss=fs.losses.SparseCategoricalCrossentropy(),
        # 모니터링할 메트릭 목록
        metrics=[fs.metrics.SparseCategoricalAccuracy()],
    )

    print("Fit model on training data")
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=2,
        # 각 에포크의 끝에서 검증 손실 및 메트릭을 모니터링하기 위한 일부 검증 데이터를 전달합니다.
        validation_data=(x_val, y_val),
    )

    print(history.history)

    # `evaluate`를 사용하여 테스트 데이터에 대해 모델을 평가합니다.
    print("Evaluate on test data")
    results = model.evaluate(x_test, y_test, batch_size=128)
    print("test loss, test acc:", results)

    # `predict`를 사용하여, 새 데이터에 대한 예측(확률 -- 마지막 레이어의 출력)을 생성합니다.
    print("Generate predictions for 3 samples")
    predictions = model.predict(x_test[:3])
    print("predictions shape:", predictions.shape)
    return history


def compile_options():
    model = get_uncompiled_model()
    model.compile(
        optimizer=fs.optimizers.RMSprop(learning_rate=1e-3),
        loss=fs.losses.SparseCategoricalCrossentropy(),
        metrics=[fs.metrics.SparseCategoricalAccuracy()],
    )
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def custom_loss_function():
    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    model = get_uncompiled_model()
    model.compile(optimizer=fs.optimizers.Adam(), loss=custom_mean_squared_error)

    # MSE를 사용하려면 레이블을 원핫 인코딩해야 합니다.
    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    return model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)


def custom_loss_class():
    class CustomMSE(fs.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

    model = get_uncompiled_model()
    model.compile(optimizer=fs.optimizers.Adam(), loss=CustomMSE())

    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    return model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)


def custom_metric():
    class CategoricalTruePositives(fs.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(
                shape=(), name="ctp", initializer="zeros"
            )

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives.value

        def reset_state(self):
            # 각 에포크가 시작될 때마다, 메트릭 상태가 재설정됩니다.
            self.true_positives.assign(0.0)

    model = get_uncompiled_model()
    model.compile(
        optimizer=fs.optimizers.RMSprop(learning_rate=1e-3),
        loss=fs.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives()],
    )
    return model.fit(x_train, y_train, batch_size=64, epochs=3)


def activity_regularization_layer():
    class ActivityRegularizationLayer(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs) * 0.1)
            return inputs  # Pass-through 레이어.

    inputs = fs.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)

    # activity 정규화를 레이어로 삽입
    x = ActivityRegularizationLayer()(x)

    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)

    model = fs.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=fs.optimizers.RMSprop(learning_rate=1e-3),
        loss=fs.losses.SparseCategoricalCrossentropy(from_logits=True),
    )

    # 정규화 구성 요소로 인해, 표시되는 손실은 이전보다 훨씬 높아질 것입니다.
    return model.fit(x_train, y_train, batch_size=64, epochs=1)


def logistic_endpoint():
    class LogisticEndpoint(fs.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = fs.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            # 트레이닝 시간 손실 값을 계산하고,
            # `self.add_loss()`를 사용하여 레이어에 추가합니다.
            loss = self.loss_fn(targets, logits, sample_weights)
            self.add_loss(loss)

            # 추론 시간 예측 텐서를 반환합니다. (`.predict()`를 위해)
            return ops.softmax(logits)

    inputs = fs.Input(shape=(3,), name="inputs")
    targets = fs.Input(shape=(10,), name="targets")
    logits = fs.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)

    model = fs.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # 손실 인수가 없습니다!

    data = {
        "inputs": np.random.random((3, 3)),
        "targets": np.random.random((3, 10)),
    }
    return model.fit(data)


def validation_split():
    model = get_compiled_model()
    return model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1)


def tf_data_fit_and_evaluate():
    model = get_compiled_model()

    # 먼저, 트레이닝 데이터셋 인스턴스를 만들어 보겠습니다.
    # 예를 들어, 이전과 동일한 MNIST 데이터를 사용하겠습니다.
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    # 데이터 세트를 셔플하고, 분할합니다.
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    # 이제 테스트 데이터 세트를 얻습니다.
    test_dataset = tf.data.Dataset.from_tensor_slices((x_test, y_test))
    test_dataset = test_dataset.batch(64)

    # 데이터 세트가 이미 배치를 처리하므로, `batch_size` 인수를 전달하지 않습니다.
    model.fit(train_dataset, epochs=3)

    # 데이터 세트에 대해 평가하거나 예측할 수도 있습니다.
    print("Evaluate")
    result = model.evaluate(test_dataset)
    return dict(zip(model.metrics_names, result))


def tf_data_steps_per_epoch():
    model = get_compiled_model()

    # 트레이닝 데이터 세트 준비
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    # 에포크당 100개 배치만 사용하세요. (64 * 100개 샘플)
    return model.fit(train_dataset, epochs=3, steps_per_epoch=100)


def tf_data_validation():
    model = get_compiled_model()

    # 트레이닝 데이터 세트 준비
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    # 검증 데이터 세트 준비
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val))
    val_dataset = val_dataset.batch(64)

    return model.fit(train_dataset, epochs=1, validation_data=val_dataset)


def tf_data_validation_steps():
    model = get_compiled_model()

    # 트레이닝 데이터 세트 준비
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    # 검증 데이터 세트 준비
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val))
    val_dataset = val_dataset.batch(64)

    return model.fit(
        train_dataset,
        epochs=1,
        # `validation_steps` 인수를 사용하여,
        # 데이터 세트의 처음 10개 배치만 사용하여 검증을 실행합니다.
        validation_data=val_dataset,
        validation_steps=10,
    )


def define_example_py_dataset():
    """The guide's `ExamplePyDataset`: its base class, `fs.utils.PyDataset`, exists once a backend is bound."""

    class ExamplePyDataset(fs.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x = x
            self.y = y
            self.batch_size = batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / float(self.batch_size)))

        def __getitem__(self, idx):
            batch_x = self.x[idx * self.batch_size : (idx + 1) * self.batch_size]
            batch_y = self.y[idx * self.batch_size : (idx + 1) * self.batch_size]
            return batch_x, batch_y

    return ExamplePyDataset


def py_dataset():
    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32)

    model = get_compiled_model()
    model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1)
    return model.evaluate(val_py_dataset)


def py_dataset_with_workers():
    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32, workers=4)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32, workers=4)

    model = get_compiled_model()
    return model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1)


def torch_dataloader():
    class ExampleTorchDataset(torch.utils.data.Dataset):
        def __init__(self, x, y):
            self.x = x
            self.y = y

        def __len__(self):
            return len(self.x)

        def __getitem__(self, idx):
            return self.x[idx], self.y[idx]

    train_torch_dataset = ExampleTorchDataset(x_train, y_train)
    val_torch_dataset = ExampleTorchDataset(x_val, y_val)

    train_dataloader = torch.utils.data.DataLoader(
        train_torch_dataset, batch_size=32, shuffle=True
    )
    val_dataloader = torch.utils.data.DataLoader(
        val_torch_dataset, batch_size=32, shuffle=True
    )

    model = get_compiled_model()
    model.fit(train_dataloader, batch_size=64, validation_data=val_dataloader, epochs=1)
    return model.evaluate(val_dataloader)


def class_weights():
    class_weight = {
        0: 1.0,
        1: 1.0,
        2: 1.0,
        3: 1.0,
        4: 1.0,
        # 클래스 "5"에 대해 가중치 "2"를 설정하여,
        # 이 클래스를 2배 더 중요하게 만듭니다.
        5: 2.0,
        6: 1.0,
        7: 1.0,
        8: 1.0,
        9: 1.0,
    }

    print("Fit with class weight")
    model = get_compiled_model()
    return model.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1)


def sample_weights():
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0

    print("Fit with sample weight")
    model = get_compiled_model()
    return model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1)


def tf_data_sample_weights():
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0

    # 샘플 가중치를 포함하는 Dataset를 만듭니다.
    # (반환 튜플의 3번째 요소).
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train, sample_weight))

    # 데이터 세트를 셔플하고, 슬라이스 합니다.
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    model = get_compiled_model()
    return model.fit(train_dataset, epochs=1)


def multi_input_multi_output_model():
    image_input = fs.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = fs.Input(shape=(None, 10), name="ts_input")

    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)

    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)

    x = layers.concatenate([x1, x2])

    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)

    model = fs.Model(
        inputs=[image_input, timeseries_input], outputs=[score_output, class_output]
    )
    return model


def multi_input_multi_output_data():
    # 더미 NumPy 데이터 생성
    img_data = np.random.random_sample(size=(100, 32, 32, 3))
    ts_data = np.random.random_sample(size=(100, 20, 10))
    score_targets = np.random.random_sample(size=(100, 1))
    class_targets = np.random.random_sample(size=(100, 5))
    return img_data, ts_data, score_targets, class_targets


def multi_input_multi_output():
    model = multi_input_multi_output_model()
    # The guide: keras.utils.plot_model(model, "multi_input_and_output_model.png", show_shapes=True)
    print(f"not reproduced: plot_model: {NOT_REPRODUCED['plot_model']}")
    model.summary()

    model.compile(
        optimizer=fs.optimizers.RMSprop(1e-3),
        loss=[
            fs.losses.MeanSquaredError(),
            fs.losses.CategoricalCrossentropy(),
        ],
    )
    model.compile(
        optimizer=fs.optimizers.RMSprop(1e-3),
        loss=[
            fs.losses.MeanSquaredError(),
            fs.losses.CategoricalCrossentropy(),
        ],
        metrics=[
            [
                fs.metrics.MeanAbsolutePercentageError(),
                fs.metrics.MeanAbsoluteError(),
            ],
            [fs.metrics.CategoricalAccuracy()],
        ],
    )
    model.compile(
        optimizer=fs.optimizers.RMSprop(1e-3),
        loss={
            "score_output": fs.losses.MeanSquaredError(),
            "class_output": fs.losses.CategoricalCrossentropy(),
        },
        metrics={
            "score_output": [
                fs.metrics.MeanAbsolutePercentageError(),
                fs.metrics.MeanAbsoluteError(),
            ],
            "class_output": [fs.metrics.CategoricalAccuracy()],
        },
    )
    model.compile(
        optimizer=fs.optimizers.RMSprop(1e-3),
        loss={
            "score_output": fs.losses.MeanSquaredError(),
            "class_output": fs.losses.CategoricalCrossentropy(),
        },
        metrics={
            "score_output": [
                fs.metrics.MeanAbsolutePercentageError(),
                fs.metrics.MeanAbsoluteError(),
            ],
            "class_output": [fs.metrics.CategoricalAccuracy()],
        },
        loss_weights={"score_output": 2.0, "class_output": 1.0},
    )
    # 리스트 손실 버전
    model.compile(
        optimizer=fs.optimizers.RMSprop(1e-3),
        loss=[None, fs.losses.CategoricalCrossentropy()],
    )

    # 또는 dict 손실 버전
    model.compile(
        optimizer=fs.optimizers.RMSprop(1e-3),
        loss={"class_output": fs.losses.CategoricalCrossentropy()},
    )
    model.compile(
        optimizer=fs.optimizers.RMSprop(1e-3),
        loss=[
            fs.losses.MeanSquaredError(),
            fs.losses.CategoricalCrossentropy(),
        ],
    )

    img_data, ts_data, score_targets, class_targets = multi_input_multi_output_data()

    # 리스트에 대해 fit
    model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32, epochs=1)

    # 또는, dict에 대해 fit
    return model.fit(
        {"img_input": img_data, "ts_input": ts_data},
        {"score_output": score_targets, "class_output": class_targets},
        batch_size=32,
        epochs=1,
    )


def multi_input_multi_output_tf_data():
    model = multi_input_multi_output_model()
    model.compile(
        optimizer=fs.optimizers.RMSprop(1e-3),
        loss=[
            fs.losses.MeanSquaredError(),
            fs.losses.CategoricalCrossentropy(),
        ],
    )
    img_data, ts_data, score_targets, class_targets = multi_input_multi_output_data()

    train_dataset = tf.data.Dataset.from_tensor_slices(
        (
            {"img_input": img_data, "ts_input": ts_data},
            {"score_output": score_targets, "class_output": class_targets},
        )
    )
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    return model.fit(train_dataset, epochs=1)


def early_stopping():
    model = get_compiled_model()

    callbacks = [
        fs.callbacks.EarlyStopping(
            # `val_loss`가 더 이상 개선되지 않을 때 트레이닝 중단
            monitor="val_loss",
            # "개선되지 않음"은 "1e-2 이상 개선되지 않음"을 의미
            min_delta=1e-2,
            # "개선되지 않음"은 "최소 2 에포크 동안 유지"될 때로 정의
            patience=2,
            verbose=1,
        )
    ]
    return model.fit(
        x_train,
        y_train,
        epochs=20,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
    )


def loss_history_callback():
    class LossHistory(fs.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    # The guide defines the callback only; one epoch shows what it records.
    history = LossHistory()
    get_compiled_model().fit(x_train, y_train, batch_size=64, epochs=1, callbacks=[history], verbose=0)
    print("per-batch losses:", len(history.per_batch_losses))
    return history.per_batch_losses


def model_checkpoint():
    model = get_compiled_model()

    callbacks = [
        fs.callbacks.ModelCheckpoint(
            # 모델을 저장할 경로
            # 아래 두 매개변수는 `val_loss` 점수가 개선된 경우에만,
            # 현재 체크포인트를 덮어쓴다는 것을 의미합니다.
            # 저장된 모델 이름에는 현재 에포크가 포함됩니다.
            filepath="mymodel_{epoch}.keras",
            save_best_only=True,  # `val_loss`가 개선된 경우에만 모델을 저장합니다.
            monitor="val_loss",
            verbose=1,
        )
    ]
    return model.fit(
        x_train,
        y_train,
        epochs=2,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
    )


def checkpoint_and_restore():
    # 모든 체크포인트를 저장할 디렉토리를 준비합니다.
    checkpoint_dir = "./ckpt"
    if not os.path.exists(checkpoint_dir):
        os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        # 최신 모델을 복원하거나,
        # 체크포인트를 사용할 수 없는 경우 새 모델을 만듭니다.
        checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            print("Restoring from", latest_checkpoint)
            return fs.models.load_model(latest_checkpoint)
        print("Creating a new model")
        return get_compiled_model()

    model = make_or_restore_model()
    callbacks = [
        # 이 콜백은 매 100 배치마다 모델을 저장합니다.
        # 저장된 모델 이름에 트레이닝 손실을 포함합니다.
        fs.callbacks.ModelCheckpoint(
            filepath=checkpoint_dir + "/model-loss={loss:.2f}.keras", save_freq=100
        )
    ]
    return model.fit(x_train, y_train, epochs=1, callbacks=callbacks)


def learning_rate_schedule():
    initial_learning_rate = 0.1
    lr_schedule = fs.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )

    optimizer = fs.optimizers.RMSprop(learning_rate=lr_schedule)
    return optimizer


def tensorboard_callback():
    return fs.callbacks.TensorBoard(
        log_dir="/full_path_to_your_logs",
        histogram_freq=0,  # 히스토그램 시각화를 기록하는 빈도
        embeddings_freq=0,  # 임베딩 시각화를 기록하는 빈도
        update_freq="epoch",
    )  # 로그를 작성하는 빈도(기본값: 에포크당 한 번)


PROGRAMS = [
    api_overview, compile_options, custom_loss_function, custom_loss_class, custom_metric,
    activity_regularization_layer, logistic_endpoint, validation_split, tf_data_fit_and_evaluate,
    tf_data_steps_per_epoch, tf_data_validation, tf_data_validation_steps, py_dataset, py_dataset_with_workers,
    torch_dataloader, class_weights, sample_weights, tf_data_sample_weights, multi_input_multi_output,
    multi_input_multi_output_tf_data, early_stopping, loss_history_callback, model_checkpoint,
    checkpoint_and_restore, learning_rate_schedule, tensorboard_callback,
]
#: the programs that need a framework for their data source: program -> (module, name).
NEEDS = {
    tf_data_fit_and_evaluate: (tf, "tensorflow"), tf_data_steps_per_epoch: (tf, "tensorflow"),
    tf_data_validation: (tf, "tensorflow"), tf_data_validation_steps: (tf, "tensorflow"),
    tf_data_sample_weights: (tf, "tensorflow"), torch_dataloader: (torch, "torch"),
    multi_input_multi_output_tf_data: (tf, "tensorflow"),
}


def run(program):
    """The program's result, or None after printing why it cannot run here."""
    module, name = NEEDS.get(program, (None, None))
    if name is not None and module is None:
        print(f"skipped: {program.__name__} needs {name}, which is not installed")
        return None
    return program()


def bind(backend):
    """Binds `fs`, `layers` and `ops` to `backend` (a fitspec backend module) and loads the guide's data."""
    global fs, layers, ops, x_train, y_train, x_val, y_val, x_test, y_test, ExamplePyDataset
    fs, layers, ops = backend, backend.layers, backend.ops
    x_train, y_train, x_val, y_val, x_test, y_test = load_guide_data()
    ExamplePyDataset = define_example_py_dataset()


def main(backend):
    """Every program of the guide on `backend`, in a temporary folder; each prints its History or result."""
    print(f"The guide's programs on {backend.__name__}")
    bind(backend)
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)  # the checkpoint programs write ./mymodel_*.keras and ./ckpt/
        try:
            for program in PROGRAMS:
                print(f"== {program.__name__}")
                result = run(program)
                print(getattr(result, "history", result))  # a History prints its dict
        finally:
            os.chdir(cwd)
