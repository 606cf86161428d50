"""The initializer, regularizer and constraint arguments of a layer's weights, one block per kind of weight
("kernel", "bias", "depthwise", "pointwise", "beta", "gamma"): taken from the constructor, given to add_weight,
written into get_config under Keras's names `<kind>_initializer`, `<kind>_regularizer`, `<kind>_constraint`."""

from __future__ import annotations

from fitspec import initializers


def take(layer, kind: str, initializer, regularizer=None, constraint=None) -> None:
    """Set layer.<kind>_initializer, layer.<kind>_regularizer and layer.<kind>_constraint from the arguments."""
    setattr(layer, f"{kind}_initializer", initializers.get(initializer))
    setattr(layer, f"{kind}_regularizer", layer._regularizer(regularizer))
    setattr(layer, f"{kind}_constraint", layer._constraint(constraint))


def add(layer, kind: str, shape, name: str | None = None, **kwargs):
    """layer.add_weight of `shape` with the initializer, regularizer and constraint of `kind`; named `kind`."""
    return layer.add_weight(shape, getattr(layer, f"{kind}_initializer"), name=name or kind,
                            regularizer=getattr(layer, f"{kind}_regularizer"),
                            constraint=getattr(layer, f"{kind}_constraint"), **kwargs)


def config(layer, *kinds: str) -> dict:
    """The get_config entries of these kinds' initializers, regularizers and constraints."""
    return {**{f"{kind}_initializer": initializers.serialize(getattr(layer, f"{kind}_initializer")) for kind in kinds},
            **layer._regularizer_configs(*(f"{kind}_{part}" for part in ("regularizer", "constraint")
                                           for kind in kinds))}
