"""The golden cases, as data: a model, its data, compile and fit arguments, what to record.

Optimizers, losses and metrics are given as names or ("ClassName", {kwargs}) pairs, resolved
against the backend under test. Data come from numpy generators with the case's own seed.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from conformance.tolerances import TABLE


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

#: the merging, reshaping, noise and normalization layers: one case per family (docs/SPEC.md 8d.8-8d.11)
CASES += [
    Case("layers_merging", "merging_branches", Data(samples=40, x_shape=(6,), target="regression", classes=2, seed=32),
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "mse", "metrics": ["mae"]},
         {"epochs": 1, "batch_size": 8}),
    Case("layers_reshaping", "reshaping_chain", Data(samples=40, x_shape=(3, 2, 2), target="regression", seed=33),
         {"optimizer": ("SGD", {"learning_rate": 0.05, "momentum": 0.9}), "loss": "mse"},
         {"epochs": 1, "batch_size": 8}),
    Case("layers_noise_training", "noise_layers", Data(samples=40, x_shape=(6, 4), target="regression", classes=2,
                                                        seed=34),
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "mse"},
         {"epochs": 1, "batch_size": 8}),
    Case("layers_normalization", "normalization_layers",
         Data(samples=40, x_shape=(4, 6), target="regression", classes=2, seed=35),
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "mse"},
         {"epochs": 1, "batch_size": 8}),
]

#: issue 16's metrics, many per fit() case (the tiny softmax model, one epoch of SGD, as the loss_* cases); the
#: metrics whose result is a vector are in `metrics_vector_results_in_logs` (docs/SPEC.md 6.10).
METRICS_ONEHOT = Data(samples=40, x_shape=(4,), target="onehot", classes=3, sample_weight=True, seed=40)
METRICS_SGD = ("SGD", {"learning_rate": 0.1})
CASES += [
    Case("metrics_confusion_counts_and_auc", "tiny_softmax", METRICS_ONEHOT,
         {"optimizer": METRICS_SGD, "loss": "categorical_crossentropy",
          "metrics": ["true_positives", ("FalsePositives", {"thresholds": 0.4}),
                      ("TrueNegatives", {"thresholds": [0.25]}), "false_negatives",
                      ("Precision", {"top_k": 1, "name": "precision_top_1"}),
                      ("Precision", {"class_id": 2, "thresholds": 0.3, "name": "precision_class_2"}),
                      ("Recall", {"top_k": 2, "class_id": 0, "name": "recall_top_2_class_0"}),
                      ("PrecisionAtRecall", {"recall": 0.5}), ("RecallAtPrecision", {"precision": 0.4}),
                      ("SensitivityAtSpecificity", {"specificity": 0.6, "class_id": 1}),
                      ("SpecificityAtSensitivity", {"sensitivity": 0.7, "num_thresholds": 1}),
                      ("AUC", {"multi_label": True, "label_weights": [0.5, 1.0, 2.0], "name": "auc_multi_label"}),
                      ("AUC", {"multi_label": True, "num_labels": 3, "curve": "PR", "name": "pr_auc_multi_label"}),
                      ("AUC", {"curve": "PRGAIN", "name": "prgain_auc"}),
                      ("AUC", {"summation_method": "minoring", "thresholds": [0.2, 0.4, 0.6],
                               "name": "auc_minoring_thresholds"}),
                      ("AUC", {"from_logits": True, "label_weights": [1.0, 0.0, 3.0], "name": "auc_from_logits"})],
          "weighted_metrics": [("Precision", {"thresholds": 0.45, "name": "weighted_precision"}),
                               ("Recall", {"thresholds": 0.5, "name": "weighted_recall"}),
                               ("AUC", {"curve": "PR", "summation_method": "majoring", "name": "weighted_pr_auc"}),
                               ("PrecisionAtRecall", {"recall": 0.8, "name": "weighted_precision_at_recall"})]},
         {"epochs": 1, "batch_size": 10}),
    Case("metrics_f_scores_iou_and_probabilistic", "tiny_softmax",
         Data(samples=40, x_shape=(4,), target="onehot", classes=3, seed=41),
         {"optimizer": METRICS_SGD, "loss": "categorical_crossentropy",
          "metrics": [("F1Score", {"average": "macro"}), ("F1Score", {"average": "micro", "threshold": 0.4,
                                                                       "name": "f1_micro"}),
                      ("FBetaScore", {"average": "weighted", "beta": 2.0}),
                      ("FBetaScore", {"average": "macro", "beta": 0.5, "threshold": 0.3, "name": "f_half"}),
                      ("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 2]}),
                      ("OneHotMeanIoU", {"num_classes": 3}), ("BinaryIoU", {"threshold": 0.4}),
                      ("CategoricalCrossentropy", {"label_smoothing": 0.1}), "kl_divergence",
                      ("BinaryCrossentropy", {"label_smoothing": 0.2}), "hinge"]},
         {"epochs": 1, "batch_size": 10}),
    Case("metrics_sparse_classes", "tiny_softmax", Data(samples=40, x_shape=(4,), target="sparse", classes=3, seed=42),
         {"optimizer": METRICS_SGD, "loss": "sparse_categorical_crossentropy",
          "metrics": [("SparseTopKCategoricalAccuracy", {"k": 2, "name": "top_2"}), "sparse_top_k_categorical_accuracy",
                      ("SparseCategoricalCrossentropy", {}),
                      ("MeanIoU", {"num_classes": 3, "sparse_y_pred": False}),
                      ("IoU", {"num_classes": 3, "target_class_ids": [1, 2], "sparse_y_pred": False,
                               "ignore_class": 0})]},
         {"epochs": 1, "batch_size": 10}),
    Case("metrics_regression_scores", "tiny_softmax",
         Data(samples=40, x_shape=(4,), target="regression", classes=3, sample_weight=True, seed=43),
         {"optimizer": METRICS_SGD, "loss": "mse",
          "metrics": ["r2_score", "pearson_correlation", ("ConcordanceCorrelation", {}), "log_cosh_error", "msle",
                      "poisson"],
          "weighted_metrics": [("R2Score", {"class_aggregation": "variance_weighted_average", "name": "weighted_r2"}),
                               ("PearsonCorrelation", {"name": "weighted_pearson"}), "MeanSquaredLogarithmicError"]},
         {"epochs": 1, "batch_size": 10}),
]

#: issue 16's initializers (their initial weights in the golden file), issue 15's regularizers and constraints
CASES += [
    Case("initializers_by_name", "initialized_by_name",
         Data(samples=40, x_shape=(8, 1), target="onehot", classes=3, seed=32),
         {"optimizer": ("SGD", {"learning_rate": 0.1}), "loss": "categorical_crossentropy"},
         {"epochs": 1, "batch_size": 10}),
    Case("regularizers_weights_and_activity", "regularized",
         Data(samples=40, x_shape=(6, 2), target="onehot", classes=3, seed=33),
         {"optimizer": ("SGD", {"learning_rate": 0.1}), "loss": "categorical_crossentropy"},
         {"epochs": 1, "batch_size": 10}),
    Case("constraints_after_each_update", "constrained",
         Data(samples=40, x_shape=(6, 2), target="onehot", classes=3, seed=34),
         {"optimizer": ("Adam", {"learning_rate": 0.05}), "loss": "categorical_crossentropy"},
         {"epochs": 1, "batch_size": 10}),
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


# -- the losses and activations of issue 16 -----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class LossHeadsData(Data):
    """x (samples, 4) and one target per head of models.loss_heads: binary (samples, 3) for the binary losses,
    one-hot for the categorical ones, integer ids (samples,) for the generalized CE and ignore_class ones."""

    def make(self) -> dict:
        rng = np.random.default_rng(self.seed)
        x = rng.random((self.samples, 4))
        binary = rng.integers(0, 2, size=(self.samples, 3)).astype("float64")
        ids = rng.integers(0, 3, size=(self.samples,))
        onehot = np.eye(3)[ids]
        y = {"binary_focal": binary, "binary_focal_logits": binary, "categorical_focal": onehot,
             "generalized_ce": ids.astype("float64"), "categorical_hinge": onehot, "squared_hinge": binary,
             "dice": binary, "tversky": binary, "ignore_class": ids.astype("float64"), "smoothed_bce": binary,
             "smoothed_cce_logits": onehot}
        return {"x": x, "y": y}


@dataclasses.dataclass(frozen=True)
class CTCData(Data):
    """x (samples, 6, 3) and labels (samples, 3) in 1..3, each row a random length 1..3 then 0s."""

    def make(self) -> dict:
        rng = np.random.default_rng(self.seed)
        x = rng.random((self.samples, 6, 3))
        labels = rng.integers(1, 4, size=(self.samples, 3))
        lengths = rng.integers(1, 4, size=(self.samples, 1))
        return {"x": x, "y": np.where(np.arange(3) < lengths, labels, 0).astype("float64")}


LOSS_HEAD_LOSSES = {
    "binary_focal": ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5}),
    "binary_focal_logits": ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}),
    "categorical_focal": ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 2.5, "label_smoothing": 0.05}),
    "generalized_ce": ("CategoricalGeneralizedCrossEntropy", {"q": 0.7}),
    "categorical_hinge": ("CategoricalHinge", {}),
    "squared_hinge": ("SquaredHinge", {}),
    "dice": ("Dice", {"axis": 1}),
    "tversky": ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": 1, "reduction": "sum"}),
    "ignore_class": ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 0}),
    "smoothed_bce": ("BinaryCrossentropy", {"label_smoothing": 0.2}),
    "smoothed_cce_logits": ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}),
}
CASES += [
    Case("losses_issue16_heads", "loss_heads", LossHeadsData(samples=40, x_shape=(4,), target="heads", seed=40),
         {"optimizer": ("SGD", {"learning_rate": 0.1}), "loss": LOSS_HEAD_LOSSES,
          "metrics": {"squared_hinge": [("SquaredHinge", {})], "categorical_hinge": [("CategoricalHinge", {})]}},
         {"epochs": 1, "batch_size": 10}),
    Case("loss_Circle", "embedding_head", Data(samples=40, x_shape=(4,), target="sparse", classes=3, seed=41),
         {"optimizer": ("SGD", {"learning_rate": 0.05}), "loss": ("Circle", {"gamma": 20.0, "margin": 0.3})},
         {"epochs": 1, "batch_size": 10}),
    Case("loss_CTC", "ctc_sequence", CTCData(samples=40, x_shape=(6, 3), target="labels", seed=42),
         {"optimizer": ("SGD", {"learning_rate": 0.1}), "loss": ("CTC", {})}, {"epochs": 1, "batch_size": 10}),
    Case("activations_every_function", "every_activation",
         Data(samples=40, x_shape=(6,), target="onehot", classes=3, seed=43),
         {"optimizer": ("SGD", {"learning_rate": 0.1}), "loss": "categorical_crossentropy"},
         {"epochs": 1, "batch_size": 10}),
    Case("activations_sparsemax", "sparsemax_head", Data(samples=40, x_shape=(4,), target="onehot", classes=3, seed=44),
         {"optimizer": ("SGD", {"learning_rate": 0.1}), "loss": "mse"}, {"epochs": 1, "batch_size": 10}),
    Case("activations_layers", "activation_layers", Data(samples=40, x_shape=(6,), target="onehot", classes=3, seed=45),
         {"optimizer": ("SGD", {"learning_rate": 0.1}), "loss": "categorical_crossentropy"},
         {"epochs": 1, "batch_size": 10}),
]
BY_NAME.update({case.name: case for case in CASES[-6:]})

#: issue 15's preprocessing layers (docs/SPEC.md 8d.P): the numeric layers adapted on the case's x inside a model; the
#: image layers with the random flips, contrast and brightness active in training; RandomCrop (which Keras 3.15 cannot
#: run in evaluate/predict, crosscheck NOT_RUN) on its own
PREPROCESSING_NUMERIC_DATA = Data(samples=40, x_shape=(4,), target="regression", classes=2, seed=50)
CASES += [
    Case("preprocessing_numeric_adapted", "preprocessing_numeric", PREPROCESSING_NUMERIC_DATA,
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "mse", "metrics": ["mae"]},
         {"epochs": 2, "batch_size": 8}),
    Case("preprocessing_image_augmentation", "preprocessing_images",
         Data(samples=24, x_shape=(6, 6, 2), target="regression", classes=2, seed=51),
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "mse"},
         {"epochs": 2, "batch_size": 8}),
    Case("preprocessing_random_crop", "preprocessing_random_crop",
         Data(samples=16, x_shape=(5, 6, 1), target="regression", seed=52),
         {"optimizer": ("SGD", {"learning_rate": 0.1}), "loss": "mse"}, {"epochs": 1, "batch_size": 8}),
]
BY_NAME.update({case.name: case for case in CASES[-3:]})
#: the attention layers and EinsumDense in one case (docs/SPEC.md 8d.A): JAX compiles each case's steps, so the
#: layers share one model to keep the suite's time
CASES += [
    Case("attention_transformer_block", "attention_transformer_block",
         TokenData(samples=40, x_shape=(6,), target="sparse", classes=3, seed=60, vocabulary=12),
         # SGD, not Adam: the key biases' gradient is 0 in exact arithmetic (softmax ignores a shift common to every
         # key), and Adam would scale its float32 rounding noise up to steps of the learning rate's size
         {"optimizer": ("SGD", {"learning_rate": 0.1, "momentum": 0.9}), "loss": "sparse_categorical_crossentropy",
          "metrics": ["sparse_categorical_accuracy"]},
         {"epochs": 2, "batch_size": 10}),
]
BY_NAME.update({case.name: case for case in CASES[-1:]})
#: the convolution and pooling variants (docs/SPEC.md 8d.C1-8d.C5): 1-D, then 2-D and 3-D, one model each.
CASES += [
    Case("layers_conv1d_variants", "conv1d_variants", Data(samples=24, x_shape=(16, 4), target="regression", seed=150),
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "mse", "metrics": ["mae"]},
         {"epochs": 2, "batch_size": 12}),
    Case("layers_conv2d3d_variants", "conv2d3d_variants",
         Data(samples=24, x_shape=(6, 6, 2), target="onehot", classes=3, seed=151),
         {"optimizer": ("SGD", {"learning_rate": 0.1, "momentum": 0.5}), "loss": "categorical_crossentropy",
          "metrics": ["accuracy"]},
         {"epochs": 2, "batch_size": 12}),
]
BY_NAME.update({case.name: case for case in CASES[-2:]})


# -- masking and recurrent layers (docs/SPEC.md "Masking", "Recurrent") ----------------------------------------------
@dataclasses.dataclass(frozen=True)
class PaddedTokenData(Data):
    """Token ids in 1..vocabulary-1, each row a random length 2..T then 0s (padding); sparse class targets."""

    vocabulary: int = 12

    def make(self) -> dict:
        rng = np.random.default_rng(self.seed)
        steps = self.x_shape[0]
        ids = rng.integers(1, self.vocabulary, size=(self.samples, steps))
        lengths = rng.integers(2, steps + 1, size=(self.samples, 1))
        x = np.where(np.arange(steps) < lengths, ids, 0).astype("int32")
        return {"x": x, "y": rng.integers(0, self.classes, size=(self.samples,)).astype("float64")}


@dataclasses.dataclass(frozen=True)
class PaddedSequenceData(Data):
    """Sequences (samples, T, features) of values in [0.1, 1), each a random length 2..T then all-zero steps;
    targets (samples, T, classes)."""

    def make(self) -> dict:
        rng = np.random.default_rng(self.seed)
        steps = self.x_shape[0]
        x = 0.1 + 0.9 * rng.random((self.samples, *self.x_shape))
        lengths = rng.integers(2, steps + 1, size=(self.samples, 1, 1))
        x = np.where(np.arange(steps)[:, None] < lengths, x, 0.0)
        return {"x": x, "y": rng.random((self.samples, steps, self.classes))}


CASES += [
    Case("recurrent_masked_text_lstm_gru", "masked_text_rnn",
         PaddedTokenData(samples=32, x_shape=(7,), target="sparse", classes=3, seed=60),
         {"optimizer": ("Adam", {"learning_rate": 0.02}), "loss": "sparse_categorical_crossentropy",
          "metrics": ["sparse_categorical_accuracy"]},
         {"epochs": 2, "batch_size": 8}),
    Case("recurrent_bidirectional_state_time_distributed", "masked_bidirectional_sequence",
         PaddedSequenceData(samples=24, x_shape=(6, 3), target="regression", classes=2, seed=61),
         {"optimizer": ("RMSprop", {"learning_rate": 0.01}), "loss": "mse", "metrics": ["mae"]},
         {"epochs": 2, "batch_size": 8}),
]
BY_NAME.update({case.name: case for case in CASES[-2:]})
#: Muon (its Newton-Schulz step on the two kernels, its AdamW step on their biases) and SGD with momentum on the
#: head, routed by a MultiOptimizer's OptimizerMap (docs/SPEC.md 7.7)
CASES.append(
    Case("optimizer_Muon_in_MultiOptimizer", "routed_mlp",
         Data(samples=40, x_shape=(6,), target="onehot", classes=3, seed=46),
         {"optimizer": ("MultiOptimizer", {"optimizer_map": ("OptimizerMap", {
             "default_optimizer": ("Muon", {"learning_rate": 0.05, "adam_lr_ratio": 0.5, "weight_decay": 0.1}),
             "optimizer_map": {".*head/.*": ("SGD", {"learning_rate": 0.1, "momentum": 0.5})}})}),
          "loss": "categorical_crossentropy"},
         {"epochs": 1, "batch_size": 8}),
)
BY_NAME.update({case.name: case for case in CASES[-1:]})

#: float16 compute, float32 variables, a dynamically loss-scaled SGD (docs/SPEC.md 3.4): numpy computes in float16
#: as the other backends do, but a float16 matmul's rounding depends on its kernel's order of summation
CASES.append(
    Case("mixed_float16_loss_scaled_mlp", "mixed_float16_mlp",
         Data(samples=40, x_shape=(4,), target="onehot", classes=3, seed=47),
         {"optimizer": ("LossScaleOptimizer", {"inner_optimizer": ("SGD", {"learning_rate": 0.5}),
                                               "initial_scale": 256.0, "dynamic_growth_steps": 2}),
          "loss": "categorical_crossentropy"},
         {"epochs": 1, "batch_size": 8},
         widen={p: (8 * 2.0**-11, 2.0**-11, "float16 compute: a rounding of 2^-11 per op, a few ops deep; kernels sum "
                    "in different orders") for p in ("float64", "float32")}),
)
BY_NAME.update({case.name: case for case in CASES[-1:]})
#: issue 16's metric logs: metrics whose result is a vector, logged per epoch as numpy arrays (docs/SPEC.md 6.10),
#: through executions of two steps and with validation data
CASES.append(
    Case("metrics_vector_results_in_logs", "tiny_softmax",
         Data(samples=30, x_shape=(4,), target="onehot", classes=3, sample_weight=True, seed=46),
         {"optimizer": METRICS_SGD, "loss": "categorical_crossentropy", "steps_per_execution": 2,
          "metrics": [("F1Score", {"average": None, "threshold": 0.3}), ("Precision", {"thresholds": [0.3, 0.5]}),
                      ("TruePositives", {"thresholds": [0.2, 0.4, 0.6]}), ("R2Score", {"class_aggregation": None})],
          "weighted_metrics": [("Recall", {"thresholds": [0.25, 0.5], "name": "weighted_recall"})]},
         {"epochs": 2, "batch_size": 8, "validation_data": True}),
)
BY_NAME[CASES[-1].name] = CASES[-1]
#: issue 15's random affine layers (docs/SPEC.md 8d.P2): active in fit, the identity in evaluate and predict
CASES.append(
    Case("preprocessing_random_affine", "preprocessing_random_affine",
         Data(samples=24, x_shape=(6, 5, 2), target="regression", classes=2, seed=53),
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "mse"}, {"epochs": 2, "batch_size": 8}),
)
BY_NAME[CASES[-1].name] = CASES[-1]

#: issue 15's lookup and hashing layers (docs/SPEC.md 8d.L): computed on the host inside the model, so compiled with
#: run_eagerly=True (a traced step cannot read its batch on the host)
LOOKUPS_DATA = Data(samples=24, x_shape=(4,), target="regression", classes=2, seed=53)
CASES += [
    Case("lookups_numeric_in_model", "lookups_numeric", LOOKUPS_DATA,
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "mse", "metrics": ["mae"], "run_eagerly": True},
         {"epochs": 2, "batch_size": 8}),
]
BY_NAME.update({case.name: case for case in CASES[-1:]})
#: issue 15: recurrent dropout and recurrent_dropout in training, stateful RNNs across batches and epochs, ConvLSTM
#: (docs/SPEC.md RNN.6-RNN.8); the stateful case's fixed batch of 8 leaves evaluate and predict (batch 32) out
CASES += [
    Case("recurrent_dropout_training", "recurrent_dropout_sequence",
         Data(samples=24, x_shape=(6, 3), target="regression", classes=2, seed=62),
         {"optimizer": ("Adam", {"learning_rate": 0.02}), "loss": "mse", "metrics": ["mae"]},
         {"epochs": 2, "batch_size": 8}),
    Case("recurrent_stateful_across_batches", "stateful_recurrent",
         Data(samples=16, x_shape=(5, 3), target="regression", classes=2, seed=63),
         {"optimizer": ("RMSprop", {"learning_rate": 0.01}), "loss": "mse", "metrics": ["mae"]},
         {"epochs": 2, "batch_size": 8, "shuffle": False}, evaluate=False, predict=False),
    Case("recurrent_conv_lstm", "conv_lstm_branches",
         Data(samples=16, x_shape=(3, 4, 4, 2), target="regression", classes=2, seed=64),
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "mse", "metrics": ["mae"]},
         {"epochs": 2, "batch_size": 8}),
]
BY_NAME.update({case.name: case for case in CASES[-3:]})
#: the attention layers on propagated masks (docs/SPEC.md 8d.A7)
CASES.append(
    Case("attention_on_propagated_masks", "masked_attention_text",
         PaddedTokenData(samples=24, x_shape=(7,), target="sparse", classes=3, seed=62),
         {"optimizer": ("SGD", {"learning_rate": 0.1, "momentum": 0.9}), "loss": "sparse_categorical_crossentropy",
          "metrics": ["sparse_categorical_accuracy"]},
         {"epochs": 2, "batch_size": 8}),
)
BY_NAME[CASES[-1].name] = CASES[-1]
#: adaptive pooling and Lambda (docs/SPEC.md 8d.AP, 8d.LA); SpectralNormalization (8d.SN)
CASES += [
    Case("layers_adaptive_pooling_lambda", "adaptive_pooling_lambda",
         Data(samples=24, x_shape=(9, 7, 2), target="onehot", classes=3, seed=152),
         {"optimizer": ("Adam", {"learning_rate": 0.01}), "loss": "categorical_crossentropy", "metrics": ["accuracy"]},
         {"epochs": 2, "batch_size": 12}),
    Case("layers_spectral_normalization", "spectral_normalized_mlp",
         Data(samples=24, x_shape=(5,), target="onehot", classes=3, seed=153),
         {"optimizer": ("SGD", {"learning_rate": 0.1, "momentum": 0.5}), "loss": "categorical_crossentropy"},
         {"epochs": 2, "batch_size": 8}),
]
BY_NAME.update({case.name: case for case in CASES[-2:]})


MIXED_FLOAT16_FIT = TABLE[("mixed_float16", "cpu")]
#: BatchNormalization and LayerNormalization under mixed_float16 (docs/SPEC.md 3.4): their statistics in float32,
#: the convolution and Dense layers in float16, a loss-scaled SGD
CASES.append(
    Case("mixed_float16_normalized_convnet", "mixed_float16_normalized_convnet",
         Data(samples=24, x_shape=(6, 6, 1), target="onehot", classes=3, seed=48),
         {"optimizer": ("LossScaleOptimizer", {"inner_optimizer": ("SGD", {"learning_rate": 0.1}),
                                               "initial_scale": 256.0}),
          "loss": "categorical_crossentropy"},
         {"epochs": 1, "batch_size": 8},
         widen={p: (*MIXED_FLOAT16_FIT, "float16 compute: the tolerance table's mixed_float16 row; kernels sum in "
                    "different orders") for p in ("float64", "float32")}),
)
BY_NAME[CASES[-1].name] = CASES[-1]
