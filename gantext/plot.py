"""Figures the chapters share, in one style for the whole book.

Colours are fixed across the book: the data distribution is always ``DATA`` (blue), the
generator ``GENERATOR`` (orange) and the discriminator ``DISCRIMINATOR`` (green), so a
reader who has seen one figure can read the next without its legend. Every function draws on a
Matplotlib ``Axes`` (a new one when none is given) and returns it.
"""

from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import math
import numbers

import matplotlib.axes
import numpy as np
import torch

__all__ = ["DATA", "GENERATOR", "DISCRIMINATOR", "OPTIMAL", "PALETTE", "use_style",
           "twin_axis", "legend", "moving_average", "density_1d", "samples_2d", "vector_field",
           "training_curves", "series", "to_numpy", "image_grid"]

DATA = "#1f5fa8"           # the data distribution p_data
GENERATOR = "#e07b1a"      # the generator's distribution p_g and its samples
DISCRIMINATOR = "#2e8b57"  # the discriminator D(x)
OPTIMAL = "#6b4c9a"        # closed forms and optima (D*, exact divergences)
PALETTE = [DATA, GENERATOR, DISCRIMINATOR, OPTIMAL, "#c0392b", "#7f8c8d", "#b8860b", "#17becf"]


def use_style() -> None:
    """Set the book's Matplotlib style: readable sizes, light grids, the book's colour cycle,
    and figures at 110 dpi, a resolution that stays sharp in the HTML book."""
    plt.rcParams.update({
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.fontsize": 9,
        "legend.frameon": False,
        "axes.prop_cycle": plt.cycler(color=PALETTE),
        "image.cmap": "viridis",
    })


def to_numpy(x) -> np.ndarray:
    """A tensor (any device, with or without grad), array or list as a float64 NumPy array."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def _axes(ax):
    if ax is not None and not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(f"ax must be None or a matplotlib Axes, got {type(ax).__name__}")
    return plt.subplots()[1] if ax is None else ax


def _array(x, name: str, *, cols: int | None = None, ndim: int | None = None) -> np.ndarray:
    """``x`` as float64 NumPy, checked: numeric, non-empty, finite, ``[n, cols]`` if asked."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a tensor or array of numbers, got {type(x).__name__}")
    if isinstance(x, torch.Tensor) and x.device.type == "meta":
        raise ValueError(f"{name} is a meta tensor, which holds no values")
    try:
        a = to_numpy(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a tensor or array of numbers, got {type(x).__name__}") from err
    if cols is not None and (a.ndim != 2 or a.shape[1] != cols):
        raise ValueError(f"{name} must have shape [n, {cols}], got {list(a.shape)}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {list(a.shape)}")
    if a.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {list(a.shape)}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or infinite values (a diverged model?); every value must be finite")
    return a


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _title(title) -> None:
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be None or a string, got {type(title).__name__}")


def twin_axis(ax, ylabel: str, *, probability: bool = False):
    """A second y-axis on the right of ``ax``, sharing its x-axis, for a quantity in other units
    (D(x) over densities, a loss over a distance). It draws no grid of its own (two grids never
    line up) and shows its spine; ``probability=True`` fixes its range to [0, 1] with a small
    margin, for a discriminator's output. Returns the new axes; see :func:`legend`."""
    if not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    if not isinstance(ylabel, str):
        raise TypeError(f"ylabel must be a string, got {type(ylabel).__name__}")
    right = ax.twinx()
    if probability:
        right.set_ylim(-0.02, 1.02)
    right.set_ylabel(ylabel)
    right.grid(False)
    right.spines["right"].set_visible(True)
    return right


def legend(ax, *others, **kwargs):
    """One legend on ``ax`` for the labelled lines of ``ax`` and of ``others`` (its
    :func:`twin_axis`); ``kwargs`` go to Matplotlib's ``legend``. Returns the legend."""
    for a in (ax, *others):
        if not isinstance(a, matplotlib.axes.Axes):
            raise TypeError(f"legend draws on matplotlib Axes, got {type(a).__name__}")
    handles, labels = [], []
    for a in (ax, *others):
        h, l = a.get_legend_handles_labels()
        handles, labels = handles + h, labels + l
    return ax.legend(handles, labels, **kwargs)


def moving_average(values, window: int) -> np.ndarray:
    """The mean of each run of ``window`` consecutive ``values``: entry ``i`` averages
    ``values[i : i + window]``, so it belongs to the step of its last value. Float64
    ``[n - window + 1]`` for ``n >= window`` values: a noisy loss curve, smoothed as in
    :func:`training_curves`."""
    y = to_numpy(values)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"values must be a non-empty 1-D series, got shape {list(y.shape)}")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or not 1 <= window <= y.size:
        raise ValueError(f"window must be an integer from 1 to the number of values ({y.size}), got {window!r}")
    return np.convolve(y, np.ones(window) / window, mode="valid")


def density_1d(xs, p_data=None, generated=None, discriminator=None, optimal=None, *, ax=None,
               title: str | None = None, bins: int = 60):
    """The picture of Goodfellow et al.'s Figure 1: p_data, p_g and D on one axis.

    ``xs`` is a grid of points; ``p_data`` a density function or array on the grid; ``generated``
    samples from G (drawn as a histogram, the empirical p_g); ``discriminator`` D(x) on the grid
    (a probability in [0, 1], on the right axis); ``optimal`` D*(x) on the grid, dashed.
    """
    xs_np = _array(xs, "xs").ravel()
    if xs_np.size < 2 or not (np.diff(xs_np) > 0).all():
        raise ValueError("xs must be an increasing grid of at least 2 points")
    if p_data is not None and not callable(p_data) and _array(p_data, "p_data").size != xs_np.size:
        raise ValueError(f"p_data must be a density function or {xs_np.size} values, one per point of xs")
    if generated is not None:
        _array(generated, "generated")
    for value, label in ((discriminator, "discriminator"), (optimal, "optimal")):
        if value is not None and _array(value, label).size != xs_np.size:
            raise ValueError(f"{label} must hold {xs_np.size} values, one per point of xs")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 10**6:
        raise ValueError(f"bins must be an integer in 1..10**6, got {bins!r}")
    _title(title)
    ax = _axes(ax)
    if p_data is not None:
        dens = to_numpy(p_data(torch.as_tensor(xs_np)) if callable(p_data) else p_data).ravel()
        ax.plot(xs_np, dens, color=DATA, lw=2, label=r"$p_\mathrm{data}$")
        ax.fill_between(xs_np, dens, color=DATA, alpha=0.12)
    if generated is not None:
        g = to_numpy(generated).ravel()
        ax.hist(g, bins=bins, range=(xs_np[0], xs_np[-1]), density=True, color=GENERATOR,
                alpha=0.45, label=r"$p_g$ (samples)")
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    ax.set_xlim(xs_np[0], xs_np[-1])
    twins = []
    if discriminator is not None or optimal is not None:
        right = twin_axis(ax, "$D(x)$", probability=True)
        if discriminator is not None:
            right.plot(xs_np, to_numpy(discriminator).ravel(), color=DISCRIMINATOR, lw=2, label="$D(x)$")
        if optimal is not None:
            right.plot(xs_np, to_numpy(optimal).ravel(), color=OPTIMAL, lw=1.5, ls="--", label="$D^*(x)$")
        twins.append(right)
    legend(ax, *twins, loc="upper left")
    if title:
        ax.set_title(title)
    return ax


def samples_2d(samples=None, means=None, *, data=None, ax=None, title: str | None = None,
               limit: float | None = None, s: float = 4.0):
    """2-D generator samples (orange) over the data: the mode centres ``means`` as blue crosses
    and/or data samples ``data`` as faint blue points."""
    for value, label in ((samples, "samples"), (means, "means"), (data, "data")):
        if value is not None:
            _array(value, label, cols=2)
    if limit is not None and not (_is_number(limit) and math.isfinite(limit) and limit > 0):
        raise ValueError(f"limit must be None or a finite number > 0, got {limit!r}")
    if not (_is_number(s) and math.isfinite(s) and s > 0):
        raise ValueError(f"s (the marker size) must be a finite number > 0, got {s!r}")
    _title(title)
    ax = _axes(ax)
    if data is not None:
        d = to_numpy(data)
        ax.scatter(d[:, 0], d[:, 1], s=s, color=DATA, alpha=0.25, lw=0, label="data")
    if samples is not None:
        g = to_numpy(samples)
        ax.scatter(g[:, 0], g[:, 1], s=s, color=GENERATOR, alpha=0.6, lw=0, label="generator")
    if means is not None:
        m = to_numpy(means)
        ax.scatter(m[:, 0], m[:, 1], marker="x", s=40, color=DATA, lw=1.5, label="modes")
    ax.set_aspect("equal")
    if limit is not None:
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


# Trajectories in a game's phase plane are neither a generator nor a discriminator: their colours
# avoid GENERATOR and DISCRIMINATOR, so that orange and green keep their meaning in every figure.
PATH_COLOURS = (OPTIMAL, "#c0392b", "#b8860b", "#17becf", "#7f8c8d", DATA)


def vector_field(field: Callable, *, extent: float = 2.0, trajectories: Sequence = (),
                 labels: Sequence[str] = (), ax=None, title: str | None = None,
                 xlabel: str = "generator parameter", ylabel: str = "discriminator parameter",
                 density: int = 21, colors: Sequence | None = None):
    """A two-player game's vector field ``field(u, v) -> (du, dv)`` as arrows, with trajectories
    (arrays ``[T, 2]``) drawn over it; a circle marks each trajectory's start. ``colors`` gives
    one Matplotlib colour per trajectory (default: ``PATH_COLOURS`` in turn, none of them the
    generator's orange or the discriminator's green)."""
    if not callable(field):
        raise TypeError(f"field must be a function field(u, v) -> (du, dv), got {type(field).__name__}")
    if not (_is_number(extent) and math.isfinite(extent) and extent > 0):
        raise ValueError(f"extent must be a finite number > 0, got {extent!r}")
    if isinstance(density, bool) or not isinstance(density, (int, np.integer)) or not 2 <= density <= 1000:
        raise ValueError(f"density must be an integer in 2..1000 (arrows per side), got {density!r}")
    if isinstance(trajectories, (str, bytes)) or isinstance(labels, (str, bytes)):
        raise TypeError("trajectories and labels must be sequences (of [T, 2] arrays and of strings)")
    for i, path in enumerate(trajectories):
        _array(path, f"trajectories[{i}]", cols=2)
    if colors is None:
        colors = [PATH_COLOURS[i % len(PATH_COLOURS)] for i in range(len(trajectories))]
    elif isinstance(colors, (str, bytes)) or not hasattr(colors, "__len__"):
        raise TypeError(f"colors must be a sequence of colours, one per trajectory, got {colors!r:.80}")
    elif len(colors) < len(trajectories):
        raise ValueError(f"colors must hold one colour per trajectory: {len(colors)} colours for "
                         f"{len(trajectories)} trajectories")
    else:
        import matplotlib.colors as mcolors

        for i, c in enumerate(colors):
            if not mcolors.is_color_like(c):
                raise ValueError(f"colors[{i}] is not a Matplotlib colour: {c!r:.80}")
    _title(title)
    ax = _axes(ax)
    grid = np.linspace(-extent, extent, density)
    u, v = np.meshgrid(grid, grid)
    du, dv = field(u, v)
    ax.quiver(u, v, du, dv, color="0.6", angles="xy", width=0.003)
    for i, path in enumerate(trajectories):
        path = np.asarray(path)
        colour = colors[i]
        ax.plot(path[:, 0], path[:, 1], color=colour, lw=1.5,
                label=labels[i] if i < len(labels) else None)
        ax.plot(*path[0], "o", color=colour, ms=5)
    ax.plot(0, 0, "*", color="k", ms=10, label="equilibrium")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def training_curves(history, *, ax=None, smooth: int = 25, title: str | None = None):
    """The discriminator's and generator's losses per generator step (moving average over
    ``smooth`` steps, the raw values faint behind)."""
    if not (hasattr(history, "d_loss") and hasattr(history, "g_loss")):
        raise TypeError(f"history must be the History returned by gt.fit, got {type(history).__name__}")
    if isinstance(smooth, bool) or not isinstance(smooth, (int, np.integer)) or smooth < 1:
        raise ValueError(f"smooth must be a positive integer (1: no smoothing), got {smooth!r}")
    if len(history.d_loss) == 0:
        raise ValueError("history must hold at least one step; it is empty")
    _title(title)
    ax = _axes(ax)
    for values, colour, name in ((history.d_loss, DISCRIMINATOR, "discriminator loss"),
                                 (history.g_loss, GENERATOR, "generator loss")):
        y = np.asarray(values, dtype=np.float64)
        steps = np.arange(1, len(y) + 1)
        ax.plot(steps, y, color=colour, alpha=0.2, lw=0.8)
        if smooth > 1 and len(y) >= smooth:
            ax.plot(steps[smooth - 1:], moving_average(y, smooth), color=colour, lw=2, label=name)
        else:
            ax.plot(steps, y, color=colour, lw=2, label=name)
    ax.set_xlabel("generator step")
    ax.set_ylabel("loss")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def series(history, names: Sequence[str], *, ax=None, labels: Sequence[str] | None = None,
           colors=None, styles="-", ylabel: str | None = None, title: str | None = None):
    """Series that callbacks logged during a run (``history.log(name, value)``), one line per
    name against the generator step: chapter 4 draws the exact W₁ and a critic's estimate of it
    this way. ``labels`` name the lines (default: the names); ``colors`` and ``styles`` (Matplotlib
    format strings such as ``"--"`` or ``"o-"``) are one value for every line or one per name
    (default colours: the book's palette in order). Call it again on the same ``ax`` to add
    another run's series."""
    if not callable(getattr(history, "series", None)):
        raise TypeError(f"history must be the History returned by gt.fit, got {type(history).__name__}")
    if isinstance(names, str) or not all(isinstance(n, str) for n in names) or not names:
        raise TypeError(f"names must be a non-empty sequence of logged series' names, got {names!r:.80}")
    names = list(names)

    def per_name(value, what: str) -> list:
        if value is None or isinstance(value, str):
            return [value] * len(names)
        value = list(value)
        if len(value) != len(names):
            raise ValueError(f"{what} must be one value or one per name ({len(names)}), got {len(value)}")
        return value

    labels, styles = per_name(names if labels is None else labels, "labels"), per_name(styles, "styles")
    default = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    colors = per_name(default if colors is None else colors, "colors")
    _title(title)
    ax = _axes(ax)
    for name, label, colour, style in zip(names, labels, colors, styles):
        steps, values = history.series(name)
        ax.plot(steps, values, style, color=colour, lw=1.5, ms=3, label=label)
    ax.set_xlabel("generator step")
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def image_grid(images, *, nrow: int | None = None, ax=None, title: str | None = None,
               row_labels: Sequence[str] | None = None, padding: int = 1, value_range=(-1.0, 1.0)):
    """Images ``[n, c, h, w]`` (c = 1 or 3, values in ``value_range``, the book's [−1, 1] by
    default) tiled row by row, ``nrow`` images per row (about √n by default), with a ``padding``
    pixel border between tiles. ``row_labels`` names the rows (chapter 7's class × sample grid).
    Grey-scale images are drawn dark-on-light in the ``gray_r`` colour map; axes carry no ticks.
    """
    if isinstance(images, (str, bytes)) or images is None:
        raise TypeError(f"images must be a tensor or array [n, 1 or 3, h, w], got {type(images).__name__}")
    x = to_numpy(images)
    if x.size and not np.isfinite(x).all():
        raise ValueError("images holds NaN or infinite values (a diverged model?); every value must be finite")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or not 0 <= padding <= 100:
        raise ValueError(f"padding must be an integer in 0..100 (pixels), got {padding!r}")
    if not (isinstance(value_range, (tuple, list)) and len(value_range) == 2
            and all(_is_number(v) and math.isfinite(v) for v in value_range)):
        raise ValueError(f"value_range must be (low, high) with high > low, got {value_range!r}")
    _title(title)
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape [n, 1 or 3, h, w], got {list(x.shape)}")
    n, c, h, w = x.shape
    if n == 0:
        raise ValueError("images must hold at least one image")
    if nrow is None:
        nrow = max(1, int(np.ceil(np.sqrt(n))))
    if isinstance(nrow, bool) or not isinstance(nrow, (int, np.integer)) or nrow < 1:
        raise ValueError(f"nrow must be a positive integer, got {nrow!r}")
    lo, hi = value_range
    if not hi > lo:
        raise ValueError(f"value_range must be (low, high) with high > low, got {value_range!r}")
    x = np.clip((x - lo) / (hi - lo), 0.0, 1.0)                                  # [n, c, h, w] in [0, 1]
    rows = int(np.ceil(n / nrow))
    if c * (rows * (h + padding) + padding) * (nrow * (w + padding) + padding) > 10**9:
        raise ValueError(f"nrow={nrow} for {n} images of {h}x{w} would make a canvas of over 10**9 "
                         "pixels; use a smaller nrow")
    # Borders: light grey for grey-scale (whose background is white in gray_r), white for colour.
    canvas = np.full((c, rows * (h + padding) + padding, nrow * (w + padding) + padding),
                     0.25 if c == 1 else 1.0)
    for i in range(n):
        r, k = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + k * (w + padding)
        canvas[:, top:top + h, left:left + w] = x[i]
    ax = _axes(ax)
    if c == 1:
        ax.imshow(canvas[0], cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(canvas.transpose(1, 2, 0), interpolation="nearest")
    ax.set_xticks([])
    ax.grid(False)
    if row_labels is not None:
        row_labels = list(row_labels)
        if len(row_labels) != rows:
            raise ValueError(f"row_labels must name each of the {rows} rows, got {len(row_labels)}")
        ax.set_yticks([padding + r * (h + padding) + (h - 1) / 2 for r in range(rows)], row_labels)
        ax.tick_params(length=0)
    else:
        ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return ax
