"""Widgets: interactive explorers for the book, each with a static fallback for the HTML book.

An ipywidgets explorer needs a running kernel to redraw, so in the HTML book it shows only the
figure it was saved with. Every explorer therefore comes with a plain drawing function, and the
chapter calls it right after the interactive cell for a few settings: readers of the static book
see what moving the sliders would have shown.

``ipywidgets`` is imported when an explorer is built, not when gantext is imported.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from . import _check, plot, theory
from .data import Distribution, Gaussian1D

__all__ = ["draw_optimal_discriminator", "optimal_discriminator_gallery", "OptimalDiscriminatorExplorer"]

_MAX_PANELS = 64          # a gallery larger than this is not a figure anyone can read
_MAX_POINTS = 10**7       # grid points of one panel
_MEAN_RANGE = (-4.0, 4.0)  # the explorer's sliders
_STD_RANGE = (0.1, 3.0)


def _check_1d(p, name: str) -> None:
    if not isinstance(p, Distribution):
        raise TypeError(f"{name} must be a 1-D gantext distribution (such as gt.Gaussian1D), "
                        f"got {type(p).__name__}")
    if p.dim != 1:
        raise ValueError(f"{name} must be a 1-D distribution, got dim {p.dim}")


def _check_xs(xs) -> None:
    """None, or a 1-D increasing grid of at least 2 finite points."""
    if xs is None:
        return
    if isinstance(xs, (str, bytes)):
        raise TypeError(f"xs must be None or a 1-D grid of numbers, got {xs!r:.80}")
    try:
        arr = np.asarray(xs.detach().cpu() if hasattr(xs, "detach") and getattr(xs, "device", None)
                         is not None and xs.device.type != "meta" else xs)
    except Exception as err:   # ragged lists, objects that are not arrays
        raise TypeError(f"xs must be None or a 1-D grid of numbers, got {type(xs).__name__}") from err
    if getattr(xs, "device", None) is not None and getattr(xs.device, "type", None) == "meta":
        raise ValueError("xs is a meta tensor, which holds no values")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"xs must be a 1-D grid of real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"xs must be a 1-D grid of at least 2 points, got shape {list(arr.shape)}")
    if arr.size > _MAX_POINTS:
        raise ValueError(f"xs must have at most {_MAX_POINTS} points, got {arr.size}")
    _check.finite_array(arr.astype(np.float64), "xs")
    if np.any(np.diff(arr.astype(np.float64)) <= 0):
        raise ValueError("xs must be strictly increasing")


def _check_ax(ax) -> None:
    from matplotlib.axes import Axes
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be None or a matplotlib Axes, got {type(ax).__name__}")


def draw_optimal_discriminator(p_data, p_g, *, xs=None, ax=None, title: str | None = None):
    r"""Draw :math:`p_\mathrm{data}`, :math:`p_g` and the optimal discriminator
    :math:`D^* = p_\mathrm{data}/(p_\mathrm{data} + p_g)` on one axis (chapter 2, Proposition 1 of
    Goodfellow et al., 2014). Densities use the left axis, D* the right one (from 0 to 1, with
    the line D = ½ where the two densities are equal). ``p_data`` and ``p_g`` are 1-D gantext
    distributions; ``xs`` is the grid (default: 600 points on [−6, 6]). Returns the axes.
    """
    _check_1d(p_data, "p_data")
    _check_1d(p_g, "p_g")
    _check_xs(xs)
    _check_ax(ax)
    _check.text(title, "title")
    ax = plt.subplots()[1] if ax is None else ax
    xs = np.linspace(-6.0, 6.0, 600) if xs is None else np.asarray(xs, dtype=np.float64)
    dens_data = p_data.prob(xs).numpy()                                         # [n]
    dens_g = p_g.prob(xs).numpy()                                               # [n]
    ax.plot(xs, dens_data, color=plot.DATA, lw=2, label=r"$p_\mathrm{data}$")
    ax.fill_between(xs, dens_data, color=plot.DATA, alpha=0.12)
    ax.plot(xs, dens_g, color=plot.GENERATOR, lw=2, label=r"$p_g$")
    ax.fill_between(xs, dens_g, color=plot.GENERATOR, alpha=0.12)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    right = plot.twin_axis(ax, "$D^*(x)$", probability=True)
    right.plot(xs, theory.optimal_discriminator(p_data, p_g, xs), color=plot.OPTIMAL, lw=2, ls="--",
               label="$D^*(x)$")
    right.axhline(0.5, color="0.5", lw=0.8, ls=":")
    plot.legend(ax, right, loc="upper left")
    if title:
        ax.set_title(title)
    return ax


def _title(p_data, p_g: Gaussian1D) -> str:
    jsd = theory.jensen_shannon(p_data, p_g)
    return rf"$p_g = N({p_g.mean:.2g}, {p_g.std:.2g}^2)$: JSD = {jsd:.3f} nats"


def optimal_discriminator_gallery(p_data, settings: Sequence[tuple[float, float]], *, xs=None,
                                  ncols: int = 2):
    """The static fallback of :class:`OptimalDiscriminatorExplorer`: one panel per
    ``(mean, std)`` of a Gaussian p_g, each titled with JSD(p_data ‖ p_g); at most 64 panels
    and 64 columns. Returns the figure."""
    _check_1d(p_data, "p_data")
    if isinstance(settings, (str, bytes)) or not hasattr(settings, "__iter__"):
        raise TypeError(f"settings must be a sequence of (mean, std) pairs, got {settings!r:.80}")
    settings = list(settings)
    if not settings:
        raise ValueError("settings must hold at least one (mean, std) pair")
    if len(settings) > _MAX_PANELS:
        raise ValueError(f"settings must hold at most {_MAX_PANELS} (mean, std) pairs (one panel "
                         f"each), got {len(settings)}")
    for i, pair in enumerate(settings):
        try:
            mean, std = pair
        except (TypeError, ValueError) as err:
            raise TypeError(f"settings[{i}] must be a (mean, std) pair, got {pair!r:.80}") from err
        if isinstance(pair, (str, bytes)):
            raise TypeError(f"settings[{i}] must be a (mean, std) pair, got {pair!r:.80}")
        _check.number(mean, f"settings[{i}] mean")
        _check.number(std, f"settings[{i}] std", low=0, low_open=True)
    _check.integer(ncols, "ncols", low=1, high=_MAX_PANELS)
    _check_xs(xs)
    settings = [(float(m), float(s)) for m, s in settings]
    nrows = -(-len(settings) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.2 * nrows), squeeze=False)
    for ax, (mean, std) in zip(axes.flat, settings):
        p_g = Gaussian1D(mean, std)
        draw_optimal_discriminator(p_data, p_g, xs=xs, ax=ax, title=_title(p_data, p_g))
    for ax in axes.flat[len(settings):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


class OptimalDiscriminatorExplorer:
    """Move p_g = N(mean, std²) with two sliders and watch D* respond (chapter 2).

    ``explorer.widget`` is the ipywidgets box (a notebook displays the explorer itself as that
    box); every slider change calls :meth:`redraw`, which draws :func:`draw_optimal_discriminator`
    into the box's output area and counts the redraws in ``explorer.redraws``.
    """

    def __init__(self, p_data=None, mean: float = 2.0, std: float = 1.0, *, xs=None):
        """``mean`` in [−4, 4] and ``std`` in [0.1, 3] (the sliders' ranges; a value outside
        would be clamped by the slider, so it is refused)."""
        if p_data is not None:
            _check_1d(p_data, "p_data")
        _check.number(mean, "mean", low=_MEAN_RANGE[0], high=_MEAN_RANGE[1])
        _check.number(std, "std", low=_STD_RANGE[0], high=_STD_RANGE[1])
        _check_xs(xs)
        import ipywidgets as widgets
        self.p_data = Gaussian1D(0.0, 1.0) if p_data is None else p_data
        Gaussian1D(mean, std)  # checks mean and std with a clear error
        self.xs = xs
        style = {"description_width": "initial"}
        self.mean = widgets.FloatSlider(value=mean, min=-4.0, max=4.0, step=0.1, style=style,
                                        description="mean of p_g", continuous_update=False)
        self.std = widgets.FloatSlider(value=std, min=0.1, max=3.0, step=0.05, style=style,
                                       description="std of p_g", continuous_update=False)
        self.output = widgets.Output()
        self.widget = widgets.VBox([widgets.HBox([self.mean, self.std]), self.output])
        self.redraws = 0
        for slider in (self.mean, self.std):
            slider.observe(lambda change: self.redraw(), names="value")
        self.redraw()

    @property
    def p_g(self) -> Gaussian1D:
        return Gaussian1D(float(self.mean.value), float(self.std.value))

    def figure(self):
        """A new figure for the current slider values."""
        fig, ax = plt.subplots(figsize=(7.0, 3.6))
        draw_optimal_discriminator(self.p_data, self.p_g, xs=self.xs, ax=ax, title=_title(self.p_data, self.p_g))
        fig.tight_layout()
        return fig

    def alt_text(self) -> str:
        """A one-sentence description of the current figure, for readers who cannot see it."""
        return (f"The data density (blue), a Gaussian generator with mean {self.p_g.mean:g} and "
                f"standard deviation {self.p_g.std:g} (orange), and the optimal discriminator D* "
                f"(dashed); their Jensen-Shannon divergence is "
                f"{theory.jensen_shannon(self.p_data, self.p_g):.3f} nats.")

    def redraw(self) -> None:
        """Replace the figure in the output area by one for the current slider values.

        The figure goes out as an ``<img>`` with alt text (a plain figure would have none in
        the HTML book, where the widget's stored state is rendered)."""
        import base64
        import html
        import io

        from IPython.display import HTML, display
        fig = self.figure()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=fig.dpi)
        plt.close(fig)
        png = base64.b64encode(buffer.getvalue()).decode("ascii")
        with self.output:
            self.output.clear_output(wait=True)
            display(HTML(f'<img src="data:image/png;base64,{png}" alt="{html.escape(self.alt_text())}" '
                         'style="max-width: 100%">'))
        self.redraws += 1

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)
