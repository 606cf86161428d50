"""The programs of the guides "Customizing what happens in fit()", written once for every backend.

Each program builds the guide's model (32 features -> Dense(1)) of its `CustomModel` class, compiles and
fits (or evaluates) it as the guide does. The classes are each backend family's, in its own idiom:
`guide_programs/custom_train_step_models_<family>.py` (`guide_models(fs) -> {program name: CustomModel}`);
conformance/guide_models.py trains the same classes against the golden numbers.
"""

import numpy as np


def first_simple_example(fs, CustomModel):  # noqa: N803 (the guide's class name)
    # Construct and compile an instance of CustomModel
    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])

    # Just use `fit` as usual
    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    return model.fit(x, y, epochs=3)


def going_lower_level(fs, CustomModel):  # noqa: N803
    # Construct an instance of CustomModel
    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)

    # We don't pass a loss or metrics here.
    model.compile(optimizer="adam")

    # Just use `fit` as usual -- you can use callbacks, etc.
    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    return model.fit(x, y, epochs=5)


def supporting_sample_weight_and_class_weight(fs, CustomModel):  # noqa: N803
    # Construct and compile an instance of CustomModel
    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])

    # You can now use sample_weight argument
    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    sw = np.random.random((1000, 1))
    return model.fit(x, y, sample_weight=sw, epochs=3)


def providing_your_own_evaluation_step(fs, CustomModel):  # noqa: N803
    # Construct an instance of CustomModel
    inputs = fs.Input(shape=(32,))
    outputs = fs.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    model.compile(loss="mse", metrics=["mae"])

    # Evaluate with our custom test_step
    x = np.random.random((1000, 32))
    y = np.random.random((1000, 1))
    return model.evaluate(x, y)


ALL = [first_simple_example, going_lower_level, supporting_sample_weight_and_class_weight,
       providing_your_own_evaluation_step]


def programs(fs, models: dict) -> list:
    """The guide's programs that `models` has a CustomModel for, each a function of no argument, in the guide's
    order."""

    def bound(program):
        def run():
            return program(fs, models[program.__name__])

        run.__name__ = run.__qualname__ = program.__name__
        return run

    return [bound(program) for program in ALL if program.__name__ in models]


def main(fs, models: dict) -> None:
    """Run the programs on `fs`, printing each one's result."""
    print(f"The custom-train-step guide's programs on {fs.__name__}")
    for program in programs(fs, models):
        print(f"== {program.__name__}")
        print(program())
