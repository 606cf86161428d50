"""The `fs.utils` entries of issues 15/16 that Keras 3 programs reach for: tensor helpers, image files and
directory datasets (docs/SPEC.md 12.8-12.10)."""

from __future__ import annotations

from fitspec import directory_datasets, image_utils, keras_tensor_utils


def utils_entries(backend) -> dict:
    return {
        "is_keras_tensor": keras_tensor_utils.is_keras_tensor,
        "get_source_inputs": keras_tensor_utils.get_source_inputs,
        "standardize_dtype": keras_tensor_utils.dtype_standardizer(backend),
        **image_utils.image_functions(backend),
        "image_dataset_from_directory": directory_datasets.image_dataset_from_directory,
        "text_dataset_from_directory": directory_datasets.text_dataset_from_directory,
    }
