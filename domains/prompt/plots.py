"""Plots of prompt runs (PNG files under ``RUN_DIR/plots/``, matplotlib's Agg backend)."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _locator():
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator


def plot_accuracy(steps: list[dict], initial: dict, path: Path) -> Path:
    """Train (minibatch), validation and test accuracy per step; step 0 is the initial prompt."""
    plt = _pyplot()
    MaxNLocator = _locator()  # noqa: N806
    xs = [line["step"] + 1 for line in steps]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(xs, [line["losses"].get("train_accuracy") for line in steps], "o:", label="minibatch")
    ax.plot(
        [0, *xs],
        [initial.get("val"), *(line["losses"]["val_accuracy"] for line in steps)],
        "s-",
        label="validation",
    )
    tests = [
        (line["step"] + 1, line["losses"]["test_accuracy"])
        for line in steps
        if "test_accuracy" in line["losses"]
    ]
    if initial.get("test") is not None:
        tests.insert(0, (0, initial["test"]))
    if tests:
        ax.plot(*zip(*tests, strict=True), "D--", label="test")
    for line in steps:
        if line.get("reverted"):
            ax.axvline(line["step"] + 1, color="0.85", zorder=0)
    ax.set(
        xlabel="step (0 = initial prompt; grey = reverted)",
        ylabel="accuracy",
        ylim=(-0.05, 1.05),
        title="Prompt optimization",
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_votes(votes: list[str | None], path: Path) -> Path:
    """The answer chosen at each refinement step (step 0 = first answer)."""
    plt = _pyplot()
    labels = sorted({v for v in votes if v is not None}) or ["(none)"]
    ys = [labels.index(v) if v in labels else -1 for v in votes]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(range(len(votes)), ys, "o-")
    ax.set_yticks([-1, *range(len(labels))], ["(unparsed)", *labels])
    ax.set(xlabel="refinement step", ylabel="answer", title="Answer trajectory")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
