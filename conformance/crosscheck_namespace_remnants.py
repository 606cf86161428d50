"""Cross-check of issues 15/16's remaining names against Keras 3 (float64): the saving functions' round trips, the
tensor helpers, image files and the image / text directory datasets (same files, same split, same labels, same
pixels). `check()` prints one line per comparison and returns how many differ."""

from __future__ import annotations

import os
import tempfile

import numpy as np

from conformance.crosscheck_common import verdict

RNG = np.random.default_rng(5)
IMAGE_SETTINGS = {
    "rgb, bilinear, int labels": {"image_size": (4, 6)},
    "grayscale files, nearest, categorical": {"image_size": (9, 3), "interpolation": "nearest",
                                              "label_mode": "categorical", "color_mode": "grayscale"},
    "rgba, binary, crop_to_aspect_ratio": {"image_size": (3, 3), "label_mode": "binary", "color_mode": "rgba",
                                           "crop_to_aspect_ratio": True, "class_names": ["class_c", "class_a"]},
    "labels=None, unbatched": {"image_size": (5, 7), "labels": None, "batch_size": None},
    "explicit labels": {"image_size": (4, 4), "labels": [1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0]},
    "class_names order": {"image_size": (4, 4), "class_names": ["class_b", "class_a"]},
    "channels_first": {"image_size": (4, 5), "data_format": "channels_first"},
    "rgb files read as grayscale": {"image_size": (5, 7), "color_mode": "grayscale", "interpolation": "nearest"},
}
SPLIT_SUBSETS = ("training", "validation", "both")


def _write_tree(root: str, grayscale: bool) -> None:
    from PIL import Image

    for name, count in (("class_a", 4), ("class_b", 5), ("class_c", 2)):
        os.makedirs(os.path.join(root, name, "nested"))
        for i in range(count):
            shape = (5 + i, 7) if grayscale else (5 + i, 7, 3)
            pixels = RNG.integers(0, 256, shape, dtype=np.uint8)
            folder = os.path.join(root, name, "nested" if i == 0 else "")
            Image.fromarray(pixels).save(os.path.join(folder, f"im{i}.png"))
            with open(os.path.join(folder, f"t{i}.txt"), "w") as file:
                file.write(f"{name} text number {i} " * (i + 1))


def _items(dataset, keras_side: bool) -> list:
    items = list(dataset.as_numpy_iterator()) if keras_side else [dataset[i] for i in range(len(dataset))]
    return [leaf for item in items for leaf in (item if isinstance(item, tuple) else (item,))]


def _samples(dataset, keras_side: bool) -> list[bytes]:
    """Each sample (its arrays' bytes joined), sorted: the dataset as a set, whatever order and batches."""
    items = list(dataset.as_numpy_iterator()) if keras_side else [dataset[i] for i in range(len(dataset))]
    columns = [list(zip(*(item if isinstance(item, tuple) else (item,)))) for item in items]
    return sorted(b"|".join(np.asarray(leaf).tobytes() for leaf in sample) for batch in columns for sample in batch)


def _compare(ours, theirs, exact_order: bool) -> list[str]:
    problems = []
    if ours.file_paths != theirs.file_paths if hasattr(theirs, "file_paths") else False:
        problems.append("file_paths differ")
    if ours.class_names != theirs.class_names:
        problems.append(f"class_names {ours.class_names} != Keras {theirs.class_names}")
    if not exact_order:  # Keras reshuffles the files in a tf.data buffer: compare the samples as a set
        return problems + ([] if _samples(ours, False) == _samples(theirs, True) else ["the samples differ"])
    a, b = _items(ours, False), _items(theirs, True)
    if len(a) != len(b):
        return problems + [f"{len(a)} arrays != Keras {len(b)}"]
    for x, y in zip(a, b):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape or x.dtype != y.dtype:
            problems.append(f"{x.dtype}{x.shape} != Keras {y.dtype}{y.shape}")
        elif x.dtype == object or x.dtype.kind in "SU":
            problems += [] if list(x.ravel()) == list(y.ravel()) else ["texts differ"]
        elif not np.allclose(x, y, rtol=1e-5, atol=1e-3):
            problems.append(f"values differ by {np.max(np.abs(x.astype('float64') - y.astype('float64')))}")
    return problems


def directory_datasets(keras, fs) -> int:
    differ = 0
    with tempfile.TemporaryDirectory() as color, tempfile.TemporaryDirectory() as gray:
        _write_tree(color, False)
        _write_tree(gray, True)
        for name, settings in IMAGE_SETTINGS.items():
            root = gray if "grayscale" in name else color
            arguments = {"shuffle": False, "batch_size": 4, **settings, "verbose": False}
            ours = fs.utils.image_dataset_from_directory(root, **arguments)
            theirs = keras.utils.image_dataset_from_directory(root, **arguments)
            differ += verdict(f"image_dataset_from_directory({name})", _compare(ours, theirs, True))
        for subset in SPLIT_SUBSETS:
            arguments = {"image_size": (4, 4), "seed": 1337, "validation_split": 0.3, "subset": subset,
                         "verbose": False}
            ours = fs.utils.image_dataset_from_directory(color, **arguments)
            theirs = keras.utils.image_dataset_from_directory(color, **arguments)
            pairs = list(zip(ours, theirs, ("training", "validation"))) if subset == "both" else [
                (ours, theirs, subset)]
            problems = [f"{part}: {p}" for a, b, part in pairs
                        for p in _compare(a, b, part == "validation" and subset == "both")]
            differ += verdict(f"image_dataset_from_directory(shuffled, seed, subset={subset!r}: same files in the "
                              "same split)", problems)
        for name, arguments in {"inferred, max_length": {"max_length": 9, "shuffle": False},
                                "binary classes, shuffled split": {"class_names": ["class_a", "class_c"],
                                                                   "label_mode": "binary", "seed": 4,
                                                                   "validation_split": 0.5, "subset": "both"},
                                "labels=None": {"labels": None, "shuffle": False, "batch_size": 3}}.items():
            ours = fs.utils.text_dataset_from_directory(color, verbose=False, **arguments)
            theirs = keras.utils.text_dataset_from_directory(color, verbose=False, **arguments)
            pairs = list(zip(ours, theirs, ("training", "validation"))) if isinstance(ours, list) else [
                (ours, theirs, "validation" if not arguments.get("shuffle", True) else "training")]
            problems = [f"{part}: {p}" for a, b, part in pairs for p in _compare(a, b, part == "validation")]
            differ += verdict(f"text_dataset_from_directory({name})", problems)
    return differ


def image_files(keras, fs) -> int:
    differ = 0
    pixels = RNG.uniform(-3, 40, (6, 5, 3))
    with tempfile.TemporaryDirectory() as folder:
        for channels in (1, 3, 4):
            x = pixels[:, :, :1].repeat(channels, axis=2) if channels != 3 else pixels
            problems = []
            for scale in (True, False):
                ours = fs.utils.img_to_array(fs.utils.array_to_img(x, scale=scale))
                theirs = keras.utils.img_to_array(keras.utils.array_to_img(x, scale=scale))
                problems += [] if np.array_equal(ours, theirs) else [f"scale={scale}: arrays differ"]
            fs.utils.save_img(os.path.join(folder, "ours.png"), x)
            keras.utils.save_img(os.path.join(folder, "theirs.png"), x)
            for mode, size, method, keep in (("rgb", None, "nearest", False), ("grayscale", (4, 9), "bilinear", False),
                                             ("rgba", (3, 2), "bicubic", True)):
                ours = fs.utils.img_to_array(fs.utils.load_img(os.path.join(folder, "ours.png"), mode, size, method,
                                                               keep), data_format="channels_first")
                theirs = keras.utils.img_to_array(keras.utils.load_img(os.path.join(folder, "theirs.png"), mode,
                                                                       size, method, keep),
                                                  data_format="channels_first")
                problems += [] if np.array_equal(ours, theirs) else [f"load_img({mode}, {size}, {method}) differs"]
            differ += verdict(f"array_to_img / img_to_array / save_img / load_img ({channels} channels)", problems)
    return differ


def tensor_helpers(keras, fs) -> int:
    graphs = []
    for lib in (keras, fs):
        a, b = lib.Input((2,), name="a"), lib.Input((2,), name="b")
        out = lib.layers.Add()([lib.layers.Dense(2)(b), a, lib.layers.Dense(2)(b)])
        graphs.append([t.name for t in lib.utils.get_source_inputs(out)] + [
            lib.utils.is_keras_tensor(x) for x in (a, out, np.zeros(2))] + [lib.utils.get_source_inputs(3)])
    differ = verdict("get_source_inputs, is_keras_tensor", [] if graphs[0] == graphs[1] else [
        f"{graphs[1]} != Keras {graphs[0]}"])
    dtypes = [None, float, int, bool, str, complex, "int", "float16", np.dtype("int8"), np.float32, np.uint16,
              "bfloat16", "string"]
    problems = [f"{d}: {fs.utils.standardize_dtype(d)} != Keras {keras.utils.standardize_dtype(d)}"
                for d in dtypes if fs.utils.standardize_dtype(d) != keras.utils.standardize_dtype(d)]
    return differ + verdict("standardize_dtype", problems)


def saving_functions(keras, fs) -> int:
    x = RNG.normal(size=(3, 4))
    outputs = []
    with tempfile.TemporaryDirectory() as folder:
        for lib, suffix in ((fs, "fs"), (keras, "keras")):
            models = [lib.Sequential([lib.Input((4,)), lib.layers.Dense(3)]) for _ in range(2)]
            models[0].set_weights([np.arange(12.0).reshape(4, 3) / 10, np.ones(3)])
            lib.saving.save_weights(models[0], os.path.join(folder, f"{suffix}.weights.h5"))
            lib.saving.load_weights(models[1], os.path.join(folder, f"{suffix}.weights.h5"))
            lib.models.save_model(models[0], os.path.join(folder, f"{suffix}.keras"))
            loaded = lib.saving.load_model(os.path.join(folder, f"{suffix}.keras"))
            outputs.append([np.asarray(m.predict(x, verbose=0)) for m in (models[1], loaded)])
    problems = [f"{what} differs" for what, a, b in zip(("load_weights", "save_model"), *outputs)
                if not np.allclose(a, b, rtol=1e-12, atol=1e-12)]
    return verdict("save_model, save_weights, load_weights (round trips predict the same)", problems)


def check() -> int:
    import jax

    jax.config.update("jax_enable_x64", True)
    import keras

    import fitspec_numpy as fs

    keras.config.set_floatx("float64")
    fs.config.set_floatx("float64")
    return sum(part(keras, fs) for part in (saving_functions, tensor_helpers, image_files, directory_datasets))
