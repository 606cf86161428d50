"""Issues 15/16's remaining names: saving functions, tensor helpers, image files and directory datasets behave as
Keras 3's on every backend (docs/SPEC.md 8c, 12.8-12.10)."""

from __future__ import annotations

import os

import numpy as np
import pytest


@pytest.fixture
def pil_image():
    """PIL.Image; the image tests need the extra fitspec[images] (nox installs it)."""
    return pytest.importorskip("PIL.Image", reason="Pillow (the extra fitspec[images]) is not installed")


# -- saving functions -------------------------------------------------------------------------------------------
def small_model(fs, seed):
    model = fs.Sequential([fs.Input((3,)), fs.layers.Dense(2, kernel_initializer=fs.initializers.GlorotUniform(seed))])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_saving_functions_round_trip_the_model_and_its_weights(fs, tmp_path):
    model, other = small_model(fs, 1), small_model(fs, 2)
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    fs.models.save_model(model, tmp_path / "m.keras")
    fs.saving.save_weights(model, tmp_path / "w.weights.h5")
    fs.saving.load_weights(other, tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(np.asarray(other.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)))
    loaded = fs.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)))


def test_saving_functions_refuse_to_overwrite_when_asked_and_a_non_model(fs, tmp_path):
    model = small_model(fs, 1)
    (tmp_path / "m.keras").write_bytes(b"old")
    with pytest.raises(ValueError, match="overwrite=False"):
        fs.models.save_model(model, tmp_path / "m.keras", overwrite=False)
    with pytest.raises(ValueError, match="overwrite=False"):
        fs.saving.save_weights(model, tmp_path / "m.keras", overwrite=False)
    assert (tmp_path / "m.keras").read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["m.keras"]  # nothing half-written beside it
    with pytest.raises(ValueError, match="argument `model`"):
        fs.saving.load_weights("not a model", tmp_path / "m.keras")


# -- tensor helpers ---------------------------------------------------------------------------------------------
def test_get_source_inputs_and_is_keras_tensor_follow_the_graph(fs):
    a, b = fs.Input((2,), name="a"), fs.Input((2,), name="b")
    hidden = fs.layers.Dense(2)(a)
    out = fs.layers.Add()([hidden, b, fs.layers.Dense(2)(a)])
    sources = fs.utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert fs.utils.get_source_inputs(a)[0] is a
    assert fs.utils.is_keras_tensor(out) and not fs.utils.is_keras_tensor(np.zeros(2))
    assert fs.utils.get_source_inputs(3) == 3


def test_standardize_dtype_names_dtypes_as_keras_for_this_backend(fs, backend_name):
    assert fs.utils.standardize_dtype(None) == fs.config.floatx()
    assert fs.utils.standardize_dtype(float) == "float32"
    assert fs.utils.standardize_dtype(int) == ("int64" if backend_name == "tensorflow" else "int32")
    assert fs.utils.standardize_dtype(np.dtype("float16")) == "float16"
    assert fs.utils.standardize_dtype(np.int8) == "int8"
    tensor = fs.ops.convert_to_tensor(np.zeros(2, dtype="uint8"))
    assert fs.utils.standardize_dtype(tensor.dtype) == "uint8"
    with pytest.raises(ValueError, match="argument `dtype`"):
        fs.utils.standardize_dtype("float13")


# -- image files ------------------------------------------------------------------------------------------------
def test_image_arrays_and_files_round_trip_as_keras(fs, tmp_path, pil_image):
    pixels = np.arange(2 * 3 * 3).reshape(2, 3, 3).astype("float64") * 5
    image = fs.utils.array_to_img(pixels, scale=False)
    assert image.mode == "RGB" and image.size == (3, 2)
    np.testing.assert_array_equal(fs.utils.img_to_array(image), pixels)
    assert fs.utils.img_to_array(image).dtype == fs.config.floatx()
    assert fs.utils.img_to_array(image, data_format="channels_first").shape == (3, 2, 3)
    scaled = fs.utils.img_to_array(fs.utils.array_to_img(pixels))
    np.testing.assert_array_equal(scaled, ((pixels - pixels.min()) / pixels.max() * 255).astype("uint8"))
    fs.utils.save_img(tmp_path / "x.png", pixels, scale=False)
    np.testing.assert_array_equal(fs.utils.img_to_array(fs.utils.load_img(tmp_path / "x.png")), pixels)
    gray = fs.utils.load_img(tmp_path / "x.png", color_mode="grayscale", target_size=(4, 6))
    assert gray.mode == "L" and gray.size == (6, 4)
    assert os.listdir(tmp_path) == ["x.png"]
    with pytest.raises(ValueError, match="argument `color_mode`"):
        fs.utils.load_img(tmp_path / "x.png", color_mode="cmyk")
    with pytest.raises(ValueError, match="argument `x`"):
        fs.utils.array_to_img(np.zeros((2, 2, 2)))


# -- directory datasets -----------------------------------------------------------------------------------------
def write_images(pil_image, root, counts=(3, 4), size=(5, 7)):
    rng = np.random.default_rng(0)
    for class_index, count in enumerate(counts):
        folder = root / f"class_{class_index}"
        folder.mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            pil_image.fromarray(pixels, "RGB").save(folder / f"img_{i}.png")
    (root / "class_0" / "notes.csv").write_text("not an image")
    return root


def keras_order(paths, seed):
    """Keras's rule: the sorted listing, permuted by RandomState(seed).shuffle."""
    order = np.arange(len(paths))
    np.random.RandomState(seed).shuffle(order)
    return [paths[i] for i in order]


def test_image_dataset_lists_labels_shuffles_and_splits_as_keras(fs, tmp_path, pil_image):
    root = write_images(pil_image, tmp_path / "images")
    listed = [str(root / f"class_{c}" / f"img_{i}.png") for c, n in enumerate((3, 4)) for i in range(n)]
    train, val = fs.utils.image_dataset_from_directory(
        root, image_size=(4, 6), batch_size=2, seed=7, validation_split=0.3, subset="both", verbose=False)
    order = keras_order(listed, 7)
    assert train.file_paths == order[:-2] and val.file_paths == order[-2:]
    assert train.class_names == ["class_0", "class_1"] and len(train) == 3
    images, labels = train[0]
    assert images.shape == (2, 4, 6, 3) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, [int("class_1" in p) for p in order[:2]])
    pixels = np.asarray(pil_image.open(order[0]), dtype="float64")
    rows = np.clip((np.arange(4) + 0.5) * 5 / 4 - 0.5, 0, 4)  # tf.image.resize's half-pixel sample points
    cols = np.clip((np.arange(6) + 0.5) * 7 / 6 - 0.5, 0, 6)

    def interpolate(axis_pixels, points, axis):
        low = np.floor(points).astype(int)
        high = np.minimum(low + 1, axis_pixels.shape[axis] - 1)
        t = (points - low).reshape([-1 if a == axis else 1 for a in range(3)])
        return np.take(axis_pixels, low, axis) * (1 - t) + np.take(axis_pixels, high, axis) * t

    np.testing.assert_allclose(images[0], interpolate(interpolate(pixels, rows, 0), cols, 1), rtol=1e-5, atol=1e-4)


def test_image_dataset_label_modes_and_what_fit_accepts(fs, tmp_path, pil_image):
    root = write_images(pil_image, tmp_path / "images")
    data = fs.utils.image_dataset_from_directory(root, label_mode="categorical", image_size=4, shuffle=False,
                                                 batch_size=8, color_mode="grayscale", verbose=False)
    images, labels = data[0]
    assert images.shape == (7, 4, 4, 1)
    np.testing.assert_array_equal(labels, np.eye(2, dtype="float32")[[0, 0, 0, 1, 1, 1, 1]])
    binary = fs.utils.image_dataset_from_directory(root, label_mode="binary", image_size=4, shuffle=False,
                                                   batch_size=None, interpolation="nearest", verbose=False)
    image, label = binary[6]
    assert image.dtype == np.uint8 and label.shape == (1,) and label[0] == 1.0
    last, first = (fs.utils.image_dataset_from_directory(root, image_size=(4, 5), shuffle=False, batch_size=8,
                                                         data_format=f, verbose=False)[0][0]
                   for f in ("channels_last", "channels_first"))
    np.testing.assert_array_equal(first, last.transpose(0, 3, 1, 2))
    unlabeled = fs.utils.image_dataset_from_directory(root, labels=None, image_size=4, verbose=False)
    assert unlabeled.class_names is None and unlabeled[0].shape == (7, 4, 4, 3)
    listed = fs.utils.image_dataset_from_directory(root, labels=[0, 1, 0, 1, 0, 1, 0], image_size=4, shuffle=False,
                                                   verbose=False)
    np.testing.assert_array_equal(listed[0][1], [0, 1, 0, 1, 0, 1, 0])
    model = fs.Sequential([fs.Input((4, 4, 1)), fs.layers.Flatten(), fs.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    history = model.fit(data, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_image_dataset_refuses_bad_arguments_by_name(fs, tmp_path, pil_image):
    root = write_images(pil_image, tmp_path / "images")
    call = fs.utils.image_dataset_from_directory
    for kwargs, argument in [({"label_mode": "sparse"}, "label_mode"), ({"color_mode": "cmyk"}, "color_mode"),
                             ({"interpolation": "lanczos3"}, "interpolation"), ({"image_size": (0, 3)}, "image_size"),
                             ({"validation_split": 0.2}, "subset"),
                             ({"validation_split": 0.2, "subset": "training"}, "seed"),
                             ({"class_names": ["nope"]}, "class_names"), ({"labels": [0, 1]}, "labels"),
                             ({"labels": [0.5] * 7}, "labels"),
                             ({"validation_split": 0.1, "subset": "training", "seed": 1}, "validation_split"),
                             ({"pad_to_aspect_ratio": True}, "pad_to_aspect_ratio"), ({"format": "grain"}, "format")]:
        with pytest.raises(ValueError, match=f"argument `{argument}`"):
            call(root, verbose=False, **kwargs)
    with pytest.raises(ValueError, match="argument `directory`"):
        call(tmp_path / "missing", verbose=False)


def test_text_dataset_reads_cut_and_splits_files_as_keras(fs, tmp_path):
    root = tmp_path / "texts"
    for name, texts in (("neg", ["bad", "awful movie"]), ("pos", ["good", "great fun", "fine"])):
        (root / name).mkdir(parents=True)
        for i, text in enumerate(texts):
            (root / name / f"t{i}.txt").write_text(text)
    train, val = fs.utils.text_dataset_from_directory(root, max_length=4, batch_size=10, seed=3,
                                                      validation_split=0.4, subset="both", verbose=False)
    listed = [str(root / "neg" / "t0.txt"), str(root / "neg" / "t1.txt")] + [
        str(root / "pos" / f"t{i}.txt") for i in range(3)]
    order = keras_order(listed, 3)
    assert train.file_paths == order[:3] and val.file_paths == order[3:]
    texts, labels = train[0]
    assert list(texts) == [open(p, "rb").read()[:4] for p in order[:3]]
    np.testing.assert_array_equal(labels, [int("/pos/" in p) for p in order[:3]])
    with pytest.raises(ValueError, match="argument `max_length`"):
        fs.utils.text_dataset_from_directory(root, max_length=-1, verbose=False)


def test_directory_datasets_follow_linked_folders_only_when_asked(fs, tmp_path):
    root, elsewhere = tmp_path / "texts", tmp_path / "elsewhere"
    (root / "a").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "a" / "own.txt").write_text("own")
    (elsewhere / "linked.txt").write_text("linked")
    (root / "a" / "link").symlink_to(elsewhere, target_is_directory=True)
    (root / "b").symlink_to(elsewhere, target_is_directory=True)  # a linked class folder is always read, as Keras
    kept = fs.utils.text_dataset_from_directory(root, shuffle=False, verbose=False)
    assert kept.file_paths == [str(root / "a" / "own.txt"), str(root / "b" / "linked.txt")]
    followed = fs.utils.text_dataset_from_directory(root, shuffle=False, follow_links=True, verbose=False)
    assert followed.file_paths == [str(root / "a" / "own.txt"), str(root / "a" / "link" / "linked.txt"),
                                   str(root / "b" / "linked.txt")]
    np.testing.assert_array_equal(followed[0][1], [0, 0, 1])
