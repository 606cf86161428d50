"""The config functions of a backend's namespace, bound to its `api`: `fs.models.model_from_json` /
`clone_model`, `fs.layers.serialize` / `deserialize`, and `fs.saving` / `fs.utils`'s custom-object functions."""

from __future__ import annotations

from fitspec.errors import invalid_argument
from fitspec.models.cloning import clone_model
from fitspec.saving import registry, serialization


def model_functions(api) -> dict:
    def model_from_json(json_string, custom_objects=None):
        """The model `model.to_json()` describes, on this backend, with new weights."""
        return serialization.model_from_json(api, json_string, custom_objects)

    return {"model_from_json": model_from_json, "clone_model": clone_model, "save_model": save_model}


def layer_functions(api) -> dict:
    def serialize(layer):
        """A layer's Keras config {"module", "class_name", "config", "registered_name"[, "build_config"]}."""
        if not isinstance(layer, api.layers.Layer):
            raise invalid_argument("layers.serialize", "layer", "a layer of this backend", layer)
        return serialization.serialize_keras_object(layer)

    def deserialize(config, custom_objects=None):
        """The layer a config from `serialize` describes, on this backend (built when the config says how)."""
        layer = serialization.deserialize_keras_object(config, custom_objects, api, "layers.deserialize")
        if not isinstance(layer, api.layers.Layer):
            raise invalid_argument("layers.deserialize", "config", "the config of a layer", config)
        return layer

    return {"serialize": serialize, "deserialize": deserialize}


def _custom_object_functions(api) -> dict:
    def deserialize_keras_object(config, custom_objects=None, **kwargs):
        """What `serialize_keras_object` made, rebuilt on this backend."""
        if kwargs:
            name = sorted(kwargs)[0]
            raise invalid_argument("deserialize_keras_object", name, "config and custom_objects", kwargs[name])
        return serialization.deserialize_keras_object(config, custom_objects, api)

    return {
        "register_keras_serializable": registry.register_keras_serializable,
        "get_custom_objects": registry.get_custom_objects,
        "custom_object_scope": registry.custom_object_scope,
        "CustomObjectScope": registry.CustomObjectScope,
        "get_registered_name": registry.get_registered_name,
        "get_registered_object": lambda name, custom_objects=None, module_objects=None: (
            registry.lookup([name], custom_objects, api.Model.backend) or (module_objects or {}).get(name)),
        "serialize_keras_object": serialization.serialize_keras_object,
        "deserialize_keras_object": deserialize_keras_object,
    }


def _model(where: str, model):
    from fitspec.models.model import Model

    if not isinstance(model, Model):
        raise invalid_argument(where, "model", "a fitspec Model", model)
    return model


def save_model(model, filepath, overwrite=True):
    """`fs.models.save_model` / `fs.saving.save_model`: `model.save(filepath, overwrite)` (written atomically)."""
    _model("save_model", model).save(filepath, overwrite=overwrite)


def save_weights(model, filepath, overwrite=True):
    """`fs.saving.save_weights`: `model.save_weights(filepath, overwrite)` (written atomically)."""
    _model("save_weights", model).save_weights(filepath, overwrite=overwrite)


def load_weights(model, filepath, skip_mismatch=False):
    """`fs.saving.load_weights`: `model.load_weights(filepath, skip_mismatch)`."""
    _model("load_weights", model).load_weights(filepath, skip_mismatch=skip_mismatch)


def saving_functions(api) -> dict:
    return {**_custom_object_functions(api), "save_model": save_model, "save_weights": save_weights,
            "load_weights": load_weights}


def utils_functions(api) -> dict:
    return _custom_object_functions(api)
