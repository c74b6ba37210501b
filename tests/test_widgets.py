"""Tests of gantext.widgets: the drawing functions and the explorer, headless."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gantext as gt  # noqa: E402
from gantext import theory, widgets  # noqa: E402


def test_draw_optimal_discriminator_plots_the_densities_and_d_star():
    p_data, p_g = gt.Gaussian1D(0.0, 1.0), gt.Gaussian1D(1.5, 0.5)
    xs = np.linspace(-4, 4, 101)
    ax = widgets.draw_optimal_discriminator(p_data, p_g, xs=xs, title="t")
    left = ax.get_lines()
    np.testing.assert_allclose(left[0].get_ydata(), p_data.prob(xs).numpy())
    np.testing.assert_allclose(left[1].get_ydata(), p_g.prob(xs).numpy())
    right = [a for a in ax.figure.axes if a is not ax][0]
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), theory.optimal_discriminator(p_data, p_g, xs))
    assert ax.get_title() == "t"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [r"$p_\mathrm{data}$", "$p_g$", "$D^*(x)$"]
    plt.close("all")


def test_gallery_has_one_panel_per_setting_titled_with_the_jsd():
    p_data = gt.GaussianMixture([-1.5, 1.5], 0.5)
    fig = widgets.optimal_discriminator_gallery(p_data, [(0.0, 1.0), (2.0, 0.5), (-3.0, 0.3)], ncols=2)
    visible = [a for a in fig.axes if a.get_visible() and a.get_title()]
    assert len(visible) == 3
    jsd = theory.jensen_shannon(p_data, gt.Gaussian1D(2.0, 0.5))
    assert f"{jsd:.3f}" in visible[1].get_title()
    plt.close(fig)


def test_explorer_builds_and_redraws_on_slider_changes():
    explorer = widgets.OptimalDiscriminatorExplorer(gt.Gaussian1D(0.0, 1.0), mean=1.0, std=0.8)
    assert explorer.redraws == 1
    explorer.mean.value = -2.0
    explorer.std.value = 0.4
    assert explorer.redraws == 3
    assert (explorer.p_g.mean, explorer.p_g.std) == (-2.0, 0.4)
    fig = explorer.figure()
    assert "N(-2, 0.4^2)" in fig.axes[0].get_title()
    plt.close(fig)


def test_widgets_reject_bad_input():
    with pytest.raises(ValueError, match="1-D"):
        widgets.draw_optimal_discriminator(gt.ring(), gt.ring())
    with pytest.raises(ValueError, match="settings"):
        widgets.optimal_discriminator_gallery(gt.Gaussian1D(), [])
    with pytest.raises(ValueError, match="std"):
        widgets.OptimalDiscriminatorExplorer(std=-1.0)
    with pytest.raises(ValueError, match="1-D"):
        widgets.OptimalDiscriminatorExplorer(gt.ring())


def test_explorer_figure_carries_alt_text_naming_the_generator(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    explorer = gt.widgets.OptimalDiscriminatorExplorer(gt.Gaussian1D(0.0, 1.0), mean=1.5, std=0.5)
    alt = explorer.alt_text()
    assert "mean 1.5" in alt and "standard deviation 0.5" in alt and "nats" in alt
    html = shown[-1].data
    assert html.startswith('<img src="data:image/png;base64,') and 'alt="The data density' in html
