"""`fs.utils.image_dataset_from_directory` and `text_dataset_from_directory` (docs/SPEC.md 12.10).

Files are listed, labelled, shuffled and split by Keras 3's rule, which is backend-independent: class folders in
sorted order, each walked in sorted order; with `shuffle`, one `numpy.random.RandomState(seed).shuffle` of the list;
the validation subset is the last `int(validation_split * n)` files. So the same directory and seed give Keras's
files in Keras's split. The result is a `PyDataset` of batches (fit(), evaluate() and predict() accept it) with
`class_names` and `file_paths`; Keras's tf.data pipeline also reshuffles the training files in a buffer each epoch,
which this dataset does not (docs/SPEC.md deviations).
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from fitspec import seeding
from fitspec.conv_arithmetic import normalize_data_format
from fitspec.errors import invalid_argument
from fitspec.image_utils import COLOR_MODES, convert_color, open_image
from fitspec.layers.image_preprocessing import INTERPOLATIONS, bilinear_weights, crop_box, nearest_indices
from fitspec.py_dataset import PyDataset

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
TEXT_FORMATS = (".txt",)
LABEL_MODES = ("int", "categorical", "binary", None)
SUBSETS = ("training", "validation", "both", None)
#: Keras's interpolations for image datasets that fitspec does not compute: refused by name
UNSUPPORTED_INTERPOLATIONS = ("bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


# -- listing, labelling, splitting --------------------------------------------------------------------------------
def _class_folders(where: str, directory: str, class_names) -> list[str]:
    folders = [name for name in sorted(os.listdir(directory))
               if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
    if class_names is None:
        return folders
    if not isinstance(class_names, (list, tuple)) or not set(class_names) <= set(folders):
        raise invalid_argument(where, "class_names", f"a list of subdirectories of {directory!r}: {folders} "
                               "(or some of them)", class_names)
    return list(class_names)


def _files_under(folder: str, formats: tuple[str, ...], follow_links: bool) -> list[str]:
    """The files under `folder` with an allowed suffix, relative to it: walked folders in sorted order, each
    folder's files sorted."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0]):
        found += [os.path.relpath(os.path.join(root, name), folder) for name in sorted(files)
                  if name.lower().endswith(formats)]
    return found


def index_directory(where: str, directory, labels, formats, class_names, shuffle, seed, follow_links):
    """(file paths, int labels or None, class names or None), in Keras's order and shuffle."""
    if not isinstance(directory, (str, os.PathLike)) or not os.path.isdir(directory):
        raise invalid_argument(where, "directory", "the path of an existing directory", directory)
    directory = os.fspath(directory)
    if labels == "inferred":
        folders = _class_folders(where, directory, class_names)
    elif class_names is not None:
        raise invalid_argument(where, "class_names", 'None unless labels="inferred"', class_names)
    else:
        folders = [""]
    paths, inferred = [], []
    for index, folder in enumerate(folders):
        files = _files_under(os.path.join(directory, folder), formats, follow_links)
        paths += [os.path.join(directory, folder, name) if folder else os.path.join(directory, name) for name in files]
        inferred += [index] * len(files)
    if labels == "inferred":
        labels, names = np.asarray(inferred, dtype="int32"), folders
    elif labels is None:
        names = None
    else:
        if len(labels) != len(paths):
            raise invalid_argument(where, "labels", f"one label per file ({len(paths)} files in {directory!r})",
                                   f"<{len(labels)} labels>")
        if any(isinstance(label, bool) or not isinstance(label, numbers.Integral) for label in labels):
            raise invalid_argument(where, "labels", '"inferred", None, or a list of int labels, one per file', labels)
        names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if shuffle:
        order = np.arange(len(paths))
        np.random.RandomState(seed).shuffle(order)
        paths = [paths[i] for i in order]
        labels = None if labels is None else labels[order]
    return paths, labels, names


def check_split(where: str, validation_split, subset, shuffle, seed) -> None:
    if validation_split is not None and (isinstance(validation_split, bool)
                                         or not isinstance(validation_split, numbers.Real)):
        raise invalid_argument(where, "validation_split", "a float in (0, 1) or None", validation_split)
    if validation_split and not 0 < validation_split < 1:
        raise invalid_argument(where, "validation_split", "a float in (0, 1) or None", validation_split)
    if subset not in SUBSETS:
        raise invalid_argument(where, "subset", f"one of {SUBSETS}", subset)
    if bool(validation_split) != (subset is not None):
        raise invalid_argument(where, "subset", "a subset exactly when validation_split is given "
                               f"(validation_split={validation_split!r})", subset)
    if validation_split and shuffle and seed is None:
        raise invalid_argument(where, "seed", "an int when shuffling with a validation_split (so that the training "
                               "and validation subsets do not overlap)", seed)


def split(where: str, paths: list, labels, validation_split, subset: str, verbose: bool):
    """(paths, labels) of `subset`: the validation subset is the last int(validation_split * n) files."""
    count = int(validation_split * len(paths))
    if count == 0:
        raise invalid_argument(where, "validation_split", f"a fraction that leaves at least 1 of the {len(paths)} "
                               "files for validation", validation_split)
    if subset == "validation":
        if verbose:
            print(f"Using {count} files for validation.")
        return paths[-count:], None if labels is None else labels[-count:]
    if verbose:
        print(f"Using {len(paths) - count} files for training.")
    return paths[:-count], None if labels is None else labels[:-count]


def encode_labels(labels, label_mode, class_count: int):
    """int: int32; categorical: float32 one-hot over the classes (zeros for a label outside them); binary:
    float32 of shape (n, 1)."""
    if label_mode == "int":
        return labels.astype("int32")
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    return (labels[:, None] == np.arange(class_count)).astype("float32")


# -- the dataset --------------------------------------------------------------------------------------------------
class DirectoryDataset(PyDataset):
    """Batches of `load(path)` for the listed files (with their labels), in order; `batch_size=None`: one sample
    at a time, without a batch axis."""

    def __init__(self, paths: list[str], labels, load, batch_size, class_names):
        super().__init__()
        self.file_paths, self.labels, self.load = paths, labels, load
        self.batch_size, self.class_names = batch_size, class_names

    def __len__(self) -> int:
        return len(self.file_paths) if self.batch_size is None else -(-len(self.file_paths) // self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"DirectoryDataset: batch {index} of {len(self)}")
        if self.batch_size is None:
            x = self.load(self.file_paths[index])
            return x if self.labels is None else (x, self.labels[index])
        chosen = slice(index * self.batch_size, (index + 1) * self.batch_size)
        x = np.stack([self.load(path) for path in self.file_paths[chosen]])
        return x if self.labels is None else (x, self.labels[chosen])


def _check_common(where, labels, label_mode, class_names, batch_size, shuffle, seed):
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise invalid_argument(where, "labels", '"inferred", None, or a list of int labels, one per file', labels)
    if label_mode not in LABEL_MODES:
        raise invalid_argument(where, "label_mode", f"one of {LABEL_MODES}", label_mode)
    if labels not in ("inferred", None) and class_names:
        raise invalid_argument(where, "class_names", 'None unless labels="inferred"', class_names)
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                   or batch_size < 1):
        raise invalid_argument(where, "batch_size", "an int >= 1 or None", batch_size)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise invalid_argument(where, "seed", "an int or None", seed)
    if not isinstance(shuffle, bool):
        raise invalid_argument(where, "shuffle", "True or False", shuffle)


def from_directory(where, directory, labels, label_mode, class_names, batch_size, shuffle, seed, validation_split,
                   subset, follow_links, verbose, formats, load, kind: str):
    """The dataset (or [training, validation] for subset="both") of the files `load` reads."""
    _check_common(where, labels, label_mode, class_names, batch_size, shuffle, seed)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_split(where, validation_split, subset, shuffle, seed)
    seed = seeding.next_seed() % 2**32 if seed is None else int(seed)
    paths, labels, names = index_directory(where, directory, labels, formats, class_names, shuffle, seed,
                                           bool(follow_links))
    if verbose:
        print(f"Found {len(paths)} files." if names is None
              else f"Found {len(paths)} files belonging to {len(names)} classes.")
    if label_mode == "binary" and len(names) != 2:
        raise invalid_argument(where, "label_mode", f'"binary" only with 2 classes (found {len(names)}: {names})',
                               label_mode)
    encoded = None if label_mode is None else encode_labels(labels, label_mode, len(names))

    def dataset(chosen_subset):
        chosen, chosen_labels = (paths, encoded) if chosen_subset is None else split(
            where, paths, encoded, validation_split, chosen_subset, verbose)
        if not chosen:
            raise invalid_argument(where, "directory", f"a directory with {kind} files ({formats}"
                                   + (f", for the {chosen_subset} subset" if chosen_subset else "") + ")", directory)
        return DirectoryDataset(chosen, chosen_labels, load, batch_size, names)

    if subset == "both":
        return [dataset("training"), dataset("validation")]
    return dataset(subset)


# -- images and texts ---------------------------------------------------------------------------------------------
def _image_size(where: str, image_size) -> tuple[int, int]:
    if isinstance(image_size, numbers.Integral) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if (not isinstance(image_size, (list, tuple)) or len(image_size) != 2
            or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in image_size)):
        raise invalid_argument(where, "image_size", "(height, width), two ints >= 1", image_size)
    return int(image_size[0]), int(image_size[1])


def resize_image(pixels: np.ndarray, size: tuple[int, int], interpolation: str, crop_to_aspect_ratio: bool):
    """A decoded (height, width, channels) uint8 image resized as tf.image.resize does: bilinear gives float32
    (half-pixel centres, no antialiasing), nearest keeps uint8; the centred crop first with crop_to_aspect_ratio."""
    if crop_to_aspect_ratio:
        top, left, height, width = crop_box(pixels.shape[0], pixels.shape[1], *size)
        pixels = pixels[top:top + height, left:left + width]
    if interpolation == "nearest":
        rows, columns = nearest_indices(pixels.shape[0], size[0]), nearest_indices(pixels.shape[1], size[1])
        return pixels[rows][:, columns]
    rows, columns = bilinear_weights(pixels.shape[0], size[0]), bilinear_weights(pixels.shape[1], size[1])
    return np.einsum("hwc,hy,wx->yxc", pixels.astype("float64"), rows, columns).astype("float32")


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 format="tf", verbose=True):
    """Batches of (images, labels) from the image files under `directory` (one subfolder per class with
    labels="inferred"); images (height, width, channels), float32 (uint8 with interpolation="nearest")."""
    where = "utils.image_dataset_from_directory"
    if color_mode not in COLOR_MODES:
        raise invalid_argument(where, "color_mode", f"one of {tuple(COLOR_MODES)}", color_mode)
    size = _image_size(where, image_size)
    method = interpolation.lower() if isinstance(interpolation, str) else interpolation
    if method not in INTERPOLATIONS:
        expected = (f"one of {INTERPOLATIONS} ({method!r} is not built in fitspec)"
                    if method in UNSUPPORTED_INTERPOLATIONS else f"one of {INTERPOLATIONS}")
        raise invalid_argument(where, "interpolation", expected, interpolation)
    if pad_to_aspect_ratio:
        raise invalid_argument(where, "pad_to_aspect_ratio", "False (padding is not built in fitspec)",
                               pad_to_aspect_ratio)
    if format != "tf":
        raise invalid_argument(where, "format", '"tf" (Keras\'s default dataset; "grain" is not built in fitspec)',
                               format)
    channels_first = normalize_data_format(data_format, where) == "channels_first"

    def load(path):
        image = convert_color(open_image(where, path), color_mode, where)
        pixels = np.asarray(image)
        pixels = pixels.reshape(pixels.shape[:2] + (COLOR_MODES[color_mode],))
        resized = resize_image(pixels, size, method, bool(crop_to_aspect_ratio))
        return resized.transpose(2, 0, 1) if channels_first else resized

    return from_directory(where, directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                          validation_split, subset, follow_links, verbose, IMAGE_FORMATS, load, "image")


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """Batches of (texts, labels) from the .txt files under `directory`: texts are a numpy object array of
    `bytes` (as Keras's string tensors read back), each cut to its first `max_length` bytes."""
    where = "utils.text_dataset_from_directory"
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, numbers.Integral)
                                   or max_length < 0):
        raise invalid_argument(where, "max_length", "an int >= 0 or None", max_length)
    if format != "tf":
        raise invalid_argument(where, "format", '"tf" (Keras\'s default dataset; "grain" is not built in fitspec)',
                               format)

    def load(path):
        with open(path, "rb") as file:
            text = file.read()
        return np.asarray(text if max_length is None else text[:max_length], dtype=object)

    return from_directory(where, directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                          validation_split, subset, follow_links, verbose, TEXT_FORMATS, load, "text")
