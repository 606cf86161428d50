"""Cross-check fitspec's reference against Keras 3: `nox -s crosscheck` (dev only, KERAS_BACKEND=jax).

For every golden case that uses the default train step, the same model is trained in Keras 3 and
in fitspec-numpy, both in float64, from the same initial weights and without shuffling (the two
shuffle differently by design, docs/SPEC.md 3.2); History, final weights, evaluate() and predict()
must agree. Intended deviations (docs/SPEC.md) are listed in DEVIATIONS with their reason.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from conformance.cases import CASES
from conformance.crosscheck_common import compare, verdict
from conformance.runner import run_case

#: case -> why Keras 3 differs on purpose; those cases are reported, not failed.
DEVIATIONS: dict[str, str] = {
    "binary_logits_nesterov": (
        "Keras 3.15's activations.tanh on JAX is off the exact tanh by up to 9.1e-8 in float64 (measured against "
        "numpy.tanh) and its BinaryCrossentropy(from_logits=True) off the exact formula by 7.2e-9; fitspec computes "
        "both exactly (docs/SPEC.md 5.2), so the runs part at 1e-8 from the first step"
    ),
    "every_layer_rmsprop_momentum": "its Dense(tanh) layer: the same Keras 3.15 tanh inaccuracy as above",
    "two_inputs_two_outputs": "its Dense(tanh) branch: the same Keras 3.15 tanh inaccuracy (History, loss names and "
                              "per-output metrics agree)",
    "layers_layer_normalization": (
        "Keras 3.15 on JAX computes LayerNormalization (and ops.mean / ops.var) in float32 for float64 inputs: "
        "backend.result_type(float64, 'float32') is float32 there (keras/src/backend/common/dtypes.py, "
        "BIT64_TO_BIT32_DTYPE). Measured: its float64 LayerNormalization output is 4.3e-7 off the exact formula, "
        "fitspec's 4.4e-16; with that mapping set to float64 the case agrees with Keras at 1e-7"
    ),
    "layers_batch_normalization_train_and_inference": (
        "the same float32 computation in Keras 3.15's BatchNormalization and GlobalAveragePooling2D (ops.mean) on "
        "JAX; with float64 kept the case agrees, and Keras 3.15 on TensorFlow (which keeps float64) agrees as is"
    ),
    "layers_embedding_average": (
        "Keras 3.15's GlobalAveragePooling1D (ops.mean) on JAX averages float64 in float32 (off by 4.6e-8); with "
        "float64 kept the case agrees"
    ),
    "random_dropout_training": (
        "Keras 3 on JAX draws a float64 model's dropout masks from float64 uniforms (bernoulli with a float64 p) "
        "and seeds an unseeded Dropout from Python's random; fitspec draws float32 uniforms in every precision, so "
        "that float32 and float64 runs share their masks (docs/SPEC.md R.4). Keras in float32 draws fitspec's "
        "masks for a seeded Dropout: the same seed state [seed, n] and jax.random.bernoulli"
    ),
    "random_row_dropout_fused_steps": "its Dropout: the float64 masks of Keras 3 on JAX, as above",
    "layers_noise_training": (
        "its noise layers in training: Keras 3 on JAX draws a float64 model's noise and masks in float64, fitspec in "
        "float32 in every precision (docs/SPEC.md 8d.10); compared instead by `compare_layers`: the same model in "
        "inference, and in float32 training the masks of SpatialDropout1D/2D/3D and AlphaDropout bit for bit, "
        "GaussianNoise / GaussianDropout within jax's normal approximation"
    ),
    "layers_normalization": (
        "Keras 3.15 on JAX computes GroupNormalization and RMSNormalization in float32 for float64 inputs "
        "(backend.result_type(float64, 'float32'), as for LayerNormalization above); with BIT64_TO_BIT32_DTYPE's "
        "float64 entry set to float64 the case agrees with Keras at 1e-7"
    ),
    "losses_issue16_heads": (
        "its SquaredHinge head: Keras 3.15's squared_hinge ends in ops.mean, which on JAX averages float64 in float32 "
        "(measured: keras.ops.mean of float64 values in [0, 3) is off numpy's mean by 2.3e-7, squared_hinge by "
        "2.5e-8); the ten other heads' losses agree, and the run parts at 1.7e-8 on that head only"
    ),
    "loss_CTC": (
        "Keras 3.15's ctc_loss on JAX computes in backend.result_type(float64, 'float32'), which is float32 there "
        "(docs/SPEC.md 11); fitspec's CTC equals the sum over every alignment (enumerated) to 1e-12 in float64 "
        "(packages/fitspec-numpy/tests/test_gradients_losses.py); the runs part at 3.5e-8"
    ),
    "activations_sparsemax": (
        "Keras 3.15's sparsemax sums the cumulative sums over the support where the definition sums the values "
        "(FUNCTION_DEVIATIONS['activations.sparsemax']): its outputs do not sum to 1 when more than one class is in "
        "the support"
    ),
    "preprocessing_image_augmentation": (
        "its RandomFlip and RandomContrast layers in training: Keras 3 on JAX draws a float64 model's flips and "
        "contrasts from float64 uniforms, fitspec from float32 ones in every precision (docs/SPEC.md 8d.P); compared "
        "instead in crosscheck area `preprocessing`: in float32 training Keras draws the same flips, contrasts and "
        "brightness deltas from the same seeds, and each of the case's layers agrees at inference in float64"
    ),
    "attention_transformer_block": (
        "its LayerNormalization (Keras 3.15 on JAX computes it in float32 for float64 inputs, as "
        "layers_layer_normalization) and its MultiHeadAttention's dropout (Keras 3 on JAX draws a float64 model's "
        "masks from float64 uniforms, fitspec from float32 ones, as random_dropout_training). Measured before the "
        "layers shared one case: the block without dropout agreed with Keras at 1e-7 once BIT64_TO_BIT32_DTYPE kept "
        "float64 (5.5e-7 apart as is), and the Attention / AdditiveAttention / GroupQueryAttention chain agreed as "
        "is; crosscheck area 'attention' compares every layer at 1e-12 and the float32 dropout masks bit for bit"
    ),
    "recurrent_masked_text_lstm_gru": (
        "its LSTM and GRU use tanh and sigmoid: the Keras 3.15 tanh inaccuracy above (final weights part at 5e-8); "
        "with relu / hard_sigmoid every recurrent layer, mask and loop option agrees with Keras at 1e-10 "
        "(crosscheck area 'recurrent')"
    ),
    "recurrent_bidirectional_state_time_distributed": (
        "the tanh inaccuracy above (predictions part at 7e-8), and the training History's `mae`: Keras 3.15 on JAX "
        "weights the metrics of a train step without the output mask (its y_pred comes back from "
        "jax.value_and_grad's aux as new arrays, which carry no _keras_mask), while its loss, its evaluate() and its "
        "other backends weight by it; measured (Masking -> TimeDistributed(Dense), lr 0): fit's mae 0.66328 is the "
        "unmasked mean, evaluate's 0.76822 the masked one. fitspec weights by the mask in every step (docs/SPEC.md "
        "M.4)"
    ),
    "mixed_float16_loss_scaled_mlp": (
        "float16 compute (docs/SPEC.md 3.4): numpy's float16 kernels and XLA's round differently, so the weights part "
        "by up to 1.5e-4 and predict by 8.4e-5 after 5 steps, within the case's float16 tolerance (rtol 2^-8, atol "
        "2^-11); crosscheck area 'precision' compares mixed fits at the float16 tolerance and agrees"
    ),
    "mixed_float16_normalized_convnet": (
        "float16 compute (docs/SPEC.md 3.4), as mixed_float16_loss_scaled_mlp: numpy's float16 kernels and XLA's round "
        "differently (the loss parts by 1.5e-5, the weights by up to 3.9e-4 after 3 steps, within the case's "
        "tolerance, docs/SPEC.md 10.4); fitspec_jax runs the case as Keras 3.15 on JAX does to 2e-9 (the loss and all "
        "weights but one bit for bit), and crosscheck area 'precision' compares each normalization layer and a fit of "
        "this model under both mixed policies and agrees"
    ),
    "preprocessing_random_affine": (
        "its RandomRotation, RandomTranslation and RandomZoom in training: Keras 3 on JAX draws a float64 model's "
        "angles, shifts and zooms from float64 uniforms, fitspec from float32 ones in every precision (docs/SPEC.md "
        "8d.P2); compared instead in crosscheck area `affine`: in float32 training Keras draws the same factors from "
        "the same seeds and the images agree at 1e-5, and at fixed factors every fill mode and interpolation agrees "
        "in float64 at 1e-12"
    ),
    "recurrent_dropout_training": (
        "its recurrent dropout masks: Keras 3 on JAX draws a float64 model's masks from float64 uniforms, fitspec "
        "from float32 ones in every precision (as random_dropout_training); in float32 Keras draws fitspec's masks "
        "bit for bit from the same seed (crosscheck area 'recurrent', docs/SPEC.md RNN.6); measured with dropout "
        "and recurrent_dropout set to 0, the case agrees with Keras to 6.2e-8 (final weights: the tanh above)"
    ),
    "recurrent_stateful_across_batches": (
        "its LSTM's recurrent_dropout (the float64 masks above), and Keras 3.15 on JAX does not carry a stateful "
        "RNN's states from one fit() batch to the next (untracked variables, outside the jitted step's state), as "
        "it does on TensorFlow and PyTorch; crosscheck area 'recurrent' compares stateful calls and predict()"
    ),
    "recurrent_conv_lstm": (
        "its ConvLSTM2D's dropout masks (float64 in Keras on JAX, above) and the Keras 3.15 tanh inaccuracy; "
        "crosscheck area 'conv_lstm' compares every ConvLSTM option at 1e-10 and the float32 masks bit for bit; "
        "measured with the dropouts set to 0, the case agrees with Keras to 6.7e-8 (final weights)"
    ),
    "layers_spectral_normalization": (
        "History and the final weights agree (training calls are Keras's on JAX); evaluate() and predict() run "
        "inference calls, which Keras 3.15 on JAX makes with the raw kernel and fitspec with W / sigma from the stored "
        "u (docs/SPEC.md 8d.SN; crosscheck area 'spectral_normalization')"
    ),
}

#: case -> why Keras 3 cannot run it at all; those cases are reported and skipped.
NOT_RUN: dict[str, str] = {
    "random_unseeded_noise": (
        "Keras 3 on JAX refuses an unseeded draw inside a jitted step ('When tracing a JAX function, you should only "
        "use seeded random ops'); fitspec carries the process-wide seed state through the step (docs/SPEC.md R.3)"
    ),
    "preprocessing_random_crop": (
        "Keras 3.15's RandomCrop returns the uncropped images at inference (its docstring: the centred window of the "
        "target's aspect ratio, resized), so its evaluate() and predict() fail on the Dense layer after it; compared "
        "instead layer by layer in crosscheck area `preprocessing` (docs/SPEC.md 8d.P deviations)"
    ),
    "lookups_numeric_in_model": (
        "Keras 3.15 on JAX cannot build this Functional model even with run_eagerly=True: its symbolic build of the "
        "IntegerLookup / Hashing layers (TensorFlow inside) fails (\"Unable to automatically build the model ... 'str' "
        "object has no attribute '_error_repr'\"); compared instead layer by layer in crosscheck area `lookups` "
        "(docs/SPEC.md 8d.L)"
    ),
}


def areas() -> dict:
    """Every area compared outside fit(), by name: each module `conformance/crosscheck_<area>.py` gives `AREAS`
    ({name: check}) or one `check`; a check prints a line per comparison and returns how many differ (`functions`
    takes the name filter)."""
    import conformance

    found = {}
    for module in pkgutil.iter_modules(conformance.__path__):
        if module.name.startswith("crosscheck_") and module.name != "crosscheck_common":
            loaded = importlib.import_module(f"conformance.{module.name}")
            found.update(getattr(loaded, "AREAS", None) or {module.name[len("crosscheck_"):]: loaded.check})
    return found


def main(argv=None) -> int:
    """`python -m conformance.crosscheck [NAME ...] [-k SUBSTRING] [--cases-only | --functions-only]`: only the golden
    cases, function checks and areas whose name contains one of the NAMEs or SUBSTRING (everything without)."""
    import argparse

    import jax

    parser = argparse.ArgumentParser(prog="conformance.crosscheck")
    parser.add_argument("names", nargs="*", help="run only what has one of these in its name")
    parser.add_argument("-k", default="", help="run only what has this in its name")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--cases-only", action="store_true")
    group.add_argument("--functions-only", action="store_true")
    args = parser.parse_args(argv)
    filters = [*args.names, *([args.k] if args.k else [])]

    def wanted(name: str) -> bool:
        return not filters or any(f in name for f in filters)

    jax.config.update("jax_enable_x64", True)
    import keras

    import fitspec_numpy as fs

    keras.config.set_floatx("float64")
    fs.config.set_floatx("float64")
    failures = 0
    for case in CASES:
        if case.model_class != "Model" or case.fit is None or args.functions_only or not wanted(case.name):
            continue
        if case.name in NOT_RUN:
            print(f"not run in Keras: {case.name}: {NOT_RUN[case.name]}")
            continue
        ours = run_case(fs, case, fit_overrides={"shuffle": False})
        theirs = run_case(keras, case, fit_overrides={"shuffle": False}, initial_weights=ours["initial_weights"])
        theirs = {k: v for k, v in theirs.items() if k != "step_losses"}
        ours = {k: v for k, v in ours.items() if k != "step_losses"}
        problems: list[str] = []
        compare(ours, theirs, case.name, problems)
        failures += verdict(case.name, problems, DEVIATIONS.get(case.name))
    if not args.cases_only:
        for area, check in areas().items():
            if area == "functions":
                failures += check(wanted)
            elif wanted(area):
                failures += check()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
