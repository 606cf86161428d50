"""The golden cases, as data: a model, its data, compile and fit arguments, what to record.

Optimizers, losses and metrics are given as names or ("ClassName", {kwargs}) pairs, resolved
against the backend under test. Data come from numpy generators with the case's own seed.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Data:
    samples: int
    x_shape: tuple
    target: str  # "regression" | "sparse" | "onehot" | "binary"
    classes: int = 1
    sample_weight: bool = False
    seed: int = 0

    def make(self) -> dict:
        rng = np.random.default_rng(self.seed)
        x = rng.random((self.samples, *self.x_shape))
        if self.target == "regression":
            y = rng.random((self.samples, self.classes))
        elif self.target == "sparse":
            y = rng.integers(0, self.classes, size=(self.samples,)).astype("float64")
        elif self.target == "onehot":
            y = np.eye(self.classes)[rng.integers(0, self.classes, size=self.samples)]
        elif self.target == "two_outputs":
            x = {"img_input": x.reshape(self.samples, -1), "ts_input": rng.random((self.samples, 4))}
            y = {"score_output": rng.random((self.samples, 1)),
                 "class_output": np.eye(5)[rng.integers(0, 5, size=self.samples)]}
        elif self.target == "endpoint":
            x = {"inputs": x, "targets": rng.random((self.samples, 10))}
            y = None
        elif self.target == "binary":
            y = rng.integers(0, 2, size=(self.samples, 1)).astype("float64")
        else:
            raise ValueError(f"unknown target kind {self.target!r}")
        out = {"x": x} if y is None else {"x": x, "y": y}
        if self.sample_weight:
            out["sample_weight"] = rng.random((self.samples, 1))
        return out


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    model: str
    data: Data
    compile: dict
    fit: dict | None = None
    model_class: str = "Model"
    evaluate: bool = True
    predict: bool = True
    seed: int = 1337
    #: precision -> (rtol, atol, reason): a wider tolerance for this case, never without a reason.
    widen: dict = dataclasses.field(default_factory=dict)


GUIDE_DATA = Data(samples=1000, x_shape=(32,), target="regression", seed=7)

CASES = [
    Case("guide_first_example", "dense1", GUIDE_DATA,
         {"optimizer": "adam", "loss": "mse", "metrics": ["mae"]}, {"epochs": 3}),
    Case("guide_custom_train_step", "dense1", GUIDE_DATA,
         {"optimizer": "adam", "loss": "mse", "metrics": ["mae"]}, {"epochs": 3},
         model_class="GuideCustomTrainStep"),
    Case("guide_lower_level", "dense1", GUIDE_DATA, {"optimizer": "adam"}, {"epochs": 5},
         model_class="GuideLowerLevel", evaluate=False),
    Case("guide_sample_weight", "dense1", dataclasses.replace(GUIDE_DATA, sample_weight=True),
         {"optimizer": "adam", "loss": "mse", "metrics": ["mae"]}, {"epochs": 3},
         model_class="GuideSampleWeight"),
    Case("fit_sample_weight", "dense1", dataclasses.replace(GUIDE_DATA, sample_weight=True, samples=300),
         {"optimizer": ("SGD", {"learning_rate": 0.05, "momentum": 0.9}), "loss": "mae", "metrics": ["mse"],
          "weighted_metrics": ["mse"]},
         {"epochs": 2, "batch_size": 64}),
    Case("guide_test_step", "dense1", GUIDE_DATA, {"loss": "mse", "metrics": ["mae"]}, None,
         model_class="GuideTestStep", predict=False),
    Case("classification_mlp", "mlp", Data(samples=600, x_shape=(20,), target="sparse", classes=4, seed=11),
         {"optimizer": "rmsprop", "loss": "sparse_categorical_crossentropy",
          "metrics": ["sparse_categorical_accuracy"]},
         {"epochs": 3, "batch_size": 64, "validation_split": 0.2}),
    Case("onehot_adamw_accuracy", "mlp", Data(samples=256, x_shape=(20,), target="onehot", classes=4, seed=12),
         {"optimizer": ("AdamW", {"learning_rate": 0.01}), "loss": ("CategoricalCrossentropy", {}),
          "metrics": ["accuracy", ("CategoricalAccuracy", {"name": "cat_acc"})]},
         {"epochs": 2, "batch_size": 50}),
    Case("binary_logits_nesterov", "logits_mlp", Data(samples=200, x_shape=(8,), target="binary", seed=13),
         {"optimizer": ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "nesterov": True}),
          "loss": ("BinaryCrossentropy", {"from_logits": True}), "metrics": ["accuracy"]},
         {"epochs": 3, "batch_size": 16, "shuffle": False}),
    Case("every_layer_rmsprop_momentum", "every_layer", Data(samples=120, x_shape=(4, 6), target="onehot", classes=3,
                                                             seed=14),
         {"optimizer": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
          "loss": "categorical_crossentropy", "metrics": ["categorical_accuracy"]},
         {"epochs": 2, "batch_size": 25, "validation_data": True}),
    Case("subclassed_mae_fused_steps", "subclassed", Data(samples=90, x_shape=(5,), target="regression", classes=2,
                                                          seed=15),
         {"optimizer": ("Adam", {"learning_rate": 0.01, "amsgrad": True}), "loss": "mae",
          "metrics": [("MeanSquaredError", {"name": "mse"})], "steps_per_execution": 4},
         {"epochs": 2, "batch_size": 8}),
]

CASES.append(
    Case("schedule_and_clipnorm", "mlp", Data(samples=160, x_shape=(20,), target="sparse", classes=4, seed=16),
         {"optimizer": ("SGD", {"learning_rate": ("ExponentialDecay", {"initial_learning_rate": 0.5,
                                                                       "decay_steps": 3, "decay_rate": 0.7}),
                                "momentum": 0.9, "clipnorm": 0.5}),
          "loss": ("SparseCategoricalCrossentropy", {}), "metrics": ["accuracy"]},
         {"epochs": 2, "batch_size": 20}),
)

CASES.append(
    Case("two_inputs_two_outputs", "two_in_two_out", Data(samples=96, x_shape=(6,), target="two_outputs", seed=17),
         {"optimizer": ("RMSprop", {"learning_rate": 1e-2}),
          "loss": {"score_output": ("MeanSquaredError", {}), "class_output": ("CategoricalCrossentropy", {})},
          "metrics": {"score_output": [("MeanAbsoluteError", {})], "class_output": ["accuracy"]},
          "loss_weights": {"score_output": 2.0, "class_output": 1.0}},
         {"epochs": 2, "batch_size": 16}),
)

#: one small golden case per loss added by the breadth issue, trained one epoch with SGD.
NEW_LOSSES = ["KLDivergence", "CosineSimilarity", "Huber", "LogCosh", "Poisson", "Hinge",
              "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError"]
CASES.extend(
    Case(f"loss_{name}", "tiny_softmax", Data(samples=40, x_shape=(4,), target="onehot", classes=3, seed=18),
         {"optimizer": ("SGD", {"learning_rate": 0.1}), "loss": (name, {})}, {"epochs": 1, "batch_size": 10})
    for name in NEW_LOSSES
)
CASES.append(
    Case("metrics_of_the_breadth_issue", "tiny_softmax",
         Data(samples=60, x_shape=(4,), target="onehot", classes=3, seed=19),
         {"optimizer": ("Adam", {"learning_rate": 0.05}), "loss": ("Huber", {"delta": 0.5}),
          "metrics": [("AUC", {}), ("AUC", {"curve": "PR", "name": "pr_auc"}), ("Precision", {}), ("Recall", {}),
                      ("TopKCategoricalAccuracy", {"k": 2}), ("RootMeanSquaredError", {}),
                      ("MeanAbsolutePercentageError", {}), ("CosineSimilarity", {})]},
         {"epochs": 2, "batch_size": 16}),
)

CASES += [
    Case("add_loss_activity_regularization", "activity_regularized",
         Data(samples=64, x_shape=(20,), target="sparse", classes=4, seed=20),
         {"optimizer": ("RMSprop", {"learning_rate": 1e-3}),
          "loss": ("SparseCategoricalCrossentropy", {"from_logits": True})},
         {"epochs": 2, "batch_size": 16}),
    Case("add_loss_only_logistic_endpoint", "logistic_endpoint",
         Data(samples=24, x_shape=(3,), target="endpoint", seed=21),
         {"optimizer": "adam"}, {"epochs": 3, "batch_size": 8}),
]


@dataclasses.dataclass(frozen=True)
class TokenData(Data):
    """Data whose x are integer token ids in [0, vocabulary), drawn from their own stream ([seed, 1])."""

    vocabulary: int = 10

    def make(self) -> dict:
        out = super().make()
        out["x"] = np.random.default_rng([self.seed, 1]).integers(0, self.vocabulary, size=(self.samples,
                                                                                           *self.x_shape))
        return out


#: the layers of the guides: convolutions, pooling, normalization, embedding (docs/SPEC.md "Layers").
CASES += [
    Case("layers_small_conv_net", "small_conv_net",
         Data(samples=120, x_shape=(8, 8, 1), target="onehot", classes=3, seed=22),
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "categorical_crossentropy",
          "metrics": ["accuracy"]},
         {"epochs": 2, "batch_size": 20}),
    Case("layers_conv1d_global_max", "conv1d_sequence",
         Data(samples=90, x_shape=(12, 2), target="regression", seed=23),
         {"optimizer": ("SGD", {"learning_rate": 0.05, "momentum": 0.9}), "loss": "mse", "metrics": ["mae"]},
         {"epochs": 2, "batch_size": 16}),
    Case("layers_embedding_average", "embedding_average",
         TokenData(samples=100, x_shape=(10,), target="sparse", classes=3, seed=24, vocabulary=20),
         {"optimizer": ("RMSprop", {"learning_rate": 0.01}), "loss": "sparse_categorical_crossentropy",
          "metrics": ["sparse_categorical_accuracy"]},
         {"epochs": 2, "batch_size": 16, "validation_split": 0.2}),
    Case("layers_layer_normalization", "layer_normalized",
         Data(samples=80, x_shape=(4, 5), target="regression", classes=2, seed=25),
         {"optimizer": ("Adam", {"learning_rate": 0.02}), "loss": "mse"},
         {"epochs": 2, "batch_size": 16}),
    Case("layers_batch_normalization_train_and_inference", "batch_normalized",
         Data(samples=96, x_shape=(6, 6, 2), target="regression", seed=26),
         {"optimizer": ("SGD", {"learning_rate": 0.05}), "loss": "mse", "metrics": ["mae"]},
         {"epochs": 3, "batch_size": 16, "validation_data": True}),
]

#: one golden case per learning-rate schedule ExponentialDecay's case above does not cover.
SCHEDULE_CASES = {
    "PiecewiseConstantDecay": {"boundaries": [3, 6], "values": [0.3, 0.1, 0.03]},
    "PolynomialDecay": {"initial_learning_rate": 0.3, "decay_steps": 6, "end_learning_rate": 0.01, "power": 2.0,
                        "cycle": True},
    "InverseTimeDecay": {"initial_learning_rate": 0.3, "decay_steps": 2, "decay_rate": 0.5, "staircase": True},
    "CosineDecay": {"initial_learning_rate": 0.3, "decay_steps": 7, "alpha": 0.1},
}
CASES.extend(
    Case(f"schedule_{name}", "tiny_softmax", Data(samples=48, x_shape=(4,), target="onehot", classes=3, seed=27),
         {"optimizer": ("SGD", {"learning_rate": (name, kwargs)}), "loss": "categorical_crossentropy"},
         {"epochs": 2, "batch_size": 8})
    for name, kwargs in SCHEDULE_CASES.items()
)
CASES.append(
    Case("class_weight", "mlp", Data(samples=120, x_shape=(20,), target="sparse", classes=4, seed=28),
         {"optimizer": "rmsprop", "loss": "sparse_categorical_crossentropy",
          "weighted_metrics": ["sparse_categorical_accuracy"]},
         {"epochs": 2, "batch_size": 32, "class_weight": {0: 0.5, 1: 1.0, 2: 2.0, 3: 4.0}}),
)

#: randomness inside the step: dropout masks and unseeded noise, the same bits on every backend and in both precisions
CASES += [
    Case("random_dropout_training", "dropout_mlp", Data(samples=160, x_shape=(20,), target="sparse", classes=4,
                                                         seed=29),
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "sparse_categorical_crossentropy",
          "metrics": ["accuracy"]},
         {"epochs": 3, "batch_size": 32, "validation_split": 0.25}),
    Case("random_row_dropout_fused_steps", "row_dropout_sequential",
         Data(samples=90, x_shape=(5,), target="regression", classes=2, seed=30),
         {"optimizer": ("RMSprop", {"learning_rate": 0.01}), "loss": "mse", "metrics": ["mae"],
          "steps_per_execution": 3},
         {"epochs": 2, "batch_size": 10}),
    Case("random_unseeded_noise", "unseeded_noise", Data(samples=64, x_shape=(6,), target="regression", seed=31),
         {"optimizer": ("SGD", {"learning_rate": 0.05}), "loss": "mse"},
         {"epochs": 3, "batch_size": 16}),
]

#: one golden case per optimizer of the breadth issue (docs/SPEC.md 7.3), trained one epoch like the loss cases, the
#: options of 7.4 folded in (use_ema waits for fit's final swap: docs/SPEC.md Deviations)
NEW_OPTIMIZERS = {
    "Adagrad": {"learning_rate": 0.1, "clipvalue": 0.05},
    "Adamax": {"learning_rate": 0.05, "gradient_accumulation_steps": 2},
    "Nadam": {"learning_rate": 0.05, "loss_scale_factor": 8.0},
    "Adadelta": {"learning_rate": 1.0},
    "Lion": {"learning_rate": 0.01, "weight_decay": 0.1, "global_clipnorm": 0.5},
    "Ftrl": {"learning_rate": 0.2, "l1_regularization_strength": 0.001, "l2_regularization_strength": 0.01},
    "Lamb": {"learning_rate": 0.05},
    "Adafactor": {"learning_rate": 0.1},
    "LossScaleOptimizer": {"inner_optimizer": ("Adam", {"learning_rate": 0.05}), "dynamic_growth_steps": 2},
    "ScheduleFreeAdamW": {"learning_rate": 0.05, "warmup_steps": 2},
}
CASES.extend(
    Case(f"optimizer_{name}", "tiny_softmax", Data(samples=40, x_shape=(4,), target="onehot", classes=3, seed=32),
         {"optimizer": (name, kwargs), "loss": "categorical_crossentropy"}, {"epochs": 1, "batch_size": 10})
    for name, kwargs in NEW_OPTIMIZERS.items()
)
CASES.append(
    Case("schedule_CosineDecayRestarts", "tiny_softmax",
         Data(samples=40, x_shape=(4,), target="onehot", classes=3, seed=33),
         {"optimizer": ("SGD", {"learning_rate": ("CosineDecayRestarts", {
             "initial_learning_rate": 0.3, "first_decay_steps": 2, "t_mul": 2.0, "m_mul": 0.5, "alpha": 0.1})}),
          "loss": "categorical_crossentropy"},
         {"epochs": 1, "batch_size": 5}),
)

BY_NAME = {case.name: case for case in CASES}
