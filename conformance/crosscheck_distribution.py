"""Crosscheck area `distribution` (docs/SPEC.md 13.1): fs.distribution against keras.distribution on JAX."""

from __future__ import annotations

import numpy as np

from conformance.crosscheck_common import verdict


# -- fs.distribution (SPEC 13.1): configuration objects, compared with keras.distribution on JAX ------------------
def crosscheck_distribution() -> int:
    """fitspec_jax.distribution against keras.distribution (Keras distributes on JAX only): the same devices,
    meshes, layouts and DataParallel attributes, and ValueError for the same bad arguments."""
    import keras

    import fitspec_jax as fs

    ours, theirs = fs.distribution, keras.distribution
    problems: list[str] = []

    def same(what, a, b):
        if a != b:
            problems.append(f"{what}: fitspec {a!r} != Keras {b!r}")

    def both_refuse(what, make):
        outcomes = []
        for module in (ours, theirs):
            try:
                make(module)
                outcomes.append("accepted")
            except ValueError:
                outcomes.append("ValueError")
        same(f"{what} refused", *outcomes)

    devices = theirs.list_devices()
    same("list_devices()", ours.list_devices(), devices)
    same("get_device_count()", ours.get_device_count(), theirs.get_device_count())
    meshes = [m.DeviceMesh((len(devices),), ["batch"], devices=devices) for m in (ours, theirs)]
    same("DeviceMesh.shape", tuple(meshes[0].shape), tuple(meshes[1].shape))
    same("DeviceMesh.axis_names", list(meshes[0].axis_names), list(meshes[1].axis_names))
    same("DeviceMesh.devices", meshes[0].devices.tolist(), meshes[1].devices.tolist())
    layouts = [m.TensorLayout(("batch", None), mesh) for m, mesh in zip((ours, theirs), meshes)]
    same("TensorLayout.axes", layouts[0].axes, layouts[1].axes)
    parallel = [m.DataParallel() for m in (ours, theirs)]
    variables = [fs.Variable(np.zeros((2, 3))), keras.Variable(np.zeros((2, 3)))]
    for attribute in ("batch_dim_name", "num_model_replicas", "num_processes", "data_shard_id",
                      "auto_shard_dataset"):
        same(f"DataParallel.{attribute}", *(getattr(p, attribute) for p in parallel))
    same("DataParallel.device_mesh.shape", *(tuple(p.device_mesh.shape) for p in parallel))
    same("get_data_layout((8, 3)).axes", *(p.get_data_layout((8, 3)).axes for p in parallel))
    same("get_variable_layout(v).axes", *(p.get_variable_layout(v).axes for p, v in zip(parallel, variables)))
    same("get_tensor_layout(path)", *(p.get_tensor_layout("dense/kernel") for p in parallel))
    for module, p in zip((ours, theirs), parallel):
        with p.scope():
            inside = module.distribution() is p
        module.set_distribution(None)
        same(f"{module.__name__}: scope() sets and restores", (inside, module.distribution()), (True, None))
    both_refuse("a mesh of more devices than given", lambda m: m.DeviceMesh((2,), ["batch"], devices=devices[:1]))
    both_refuse("a mesh with an axis name per axis missing", lambda m: m.DeviceMesh((1,), ["a", "b"], devices[:1]))
    both_refuse("an empty mesh shape", lambda m: m.DeviceMesh((), ["batch"]))
    both_refuse("a layout naming no axis of its mesh",
                lambda m: m.TensorLayout(("model",), m.DeviceMesh((1,), ["batch"], devices=devices[:1])))
    both_refuse("DataParallel of a non-mesh", lambda m: m.DataParallel(device_mesh="batch"))
    return verdict("distribution (devices, meshes, layouts, DataParallel, refusals)", problems)


check = crosscheck_distribution
