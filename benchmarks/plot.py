"""The PNG: steps per second per backend and model, fitspec's figures beside the native loop's (matplotlib, Agg)."""

from __future__ import annotations

import pathlib

from benchmarks.report import groups, per_step

#: the bars of each group, in order: (role, label, colour); fitspec in blues, native in oranges, Keras in grey.
BARS = (("fit1", "fit spe=1", "#1f77b4"), ("fit8", "fit spe=8", "#6baed6"), ("fit1_jit", "fit spe=1, other jit",
        "#c6dbef"), ("native", "native", "#ff7f0e"), ("native_async", "native, logs/epoch", "#fdae6b"),
        ("native_jit", "native jit", "#fdd0a2"), ("keras1", "keras spe=1", "#969696"))


def write_png(benchmarks: list[dict], path: pathlib.Path, stat: str = "min") -> None:
    """One panel per model (log-scale steps/s), one cluster of bars per backend and device."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_group = groups(benchmarks)
    models = list(dict.fromkeys(model for _, _, model in by_group))
    fig, axes = plt.subplots(1, len(models), figsize=(6 * len(models), 4.5), squeeze=False)
    width = 1.0 / (len(BARS) + 1)
    for ax, model in zip(axes[0], models):
        keys = [key for key in by_group if key[2] == model]
        for i, (role, label, colour) in enumerate(BARS):
            xs, heights = [], []
            for j, key in enumerate(keys):
                if role in by_group[key]:
                    xs.append(j + (i - (len(BARS) - 1) / 2) * width)
                    heights.append(1.0 / per_step(by_group[key][role], stat))
            if heights:
                ax.bar(xs, heights, width, label=label, color=colour, edgecolor="black", linewidth=0.3)
        ax.set_xticks(range(len(keys)), [f"{backend}\n({device})" for backend, device, _ in keys])
        ax.set_yscale("log")
        ax.set_ylabel("steps per second (higher is faster)")
        ax.set_title(model)
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(f"fitspec fit() beside a hand-written loop: steps/s ({stat} time per call)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
