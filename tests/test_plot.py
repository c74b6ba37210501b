"""The shared figures draw what they say, in the book's colours."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import gantext as gt  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def same_colour(a, b):
    return mcolors.to_rgb(a) == mcolors.to_rgb(b)


def test_density_1d_draws_data_generator_and_discriminator_in_the_book_colours():
    p = gt.Gaussian1D(1.0, 0.5)
    xs = torch.linspace(-1, 3, 101)
    d = torch.sigmoid(xs)
    ax = gt.plot.density_1d(xs, p.prob, p.sample(500), d, optimal=1 - d, title="t")
    data_line = ax.lines[0]
    assert same_colour(data_line.get_color(), gt.plot.DATA)
    np.testing.assert_allclose(data_line.get_ydata(), p.prob(xs).numpy(), rtol=1e-12)
    assert all(same_colour(patch.get_facecolor(), gt.plot.GENERATOR) for patch in ax.patches)
    right = [other for other in ax.figure.axes if other is not ax][0]
    assert right.get_ylim()[0] < 0 < 1 < right.get_ylim()[1]
    d_line, opt_line = right.lines
    assert same_colour(d_line.get_color(), gt.plot.DISCRIMINATOR)
    np.testing.assert_allclose(d_line.get_ydata(), d.numpy(), rtol=1e-6)
    assert opt_line.get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        r"$p_\mathrm{data}$", r"$p_g$ (samples)", "$D(x)$", "$D^*(x)$"]


def test_samples_2d_plots_every_sample_and_mode():
    ring = gt.ring()
    samples = ring.sample(300)
    ax = gt.plot.samples_2d(samples, ring.means, limit=1.5)
    generated, modes = ax.collections
    np.testing.assert_allclose(generated.get_offsets(), samples.numpy(), rtol=1e-6)
    np.testing.assert_allclose(modes.get_offsets(), ring.means.numpy(), rtol=1e-6)
    assert ax.get_xlim() == (-1.5, 1.5)


def test_vector_field_draws_the_field_and_the_trajectories():
    path = gt.theory.gradient_play(gt.theory.bilinear_field, (1.0, 0.0), 0.1, 30)
    ax = gt.plot.vector_field(gt.theory.bilinear_field, extent=2.0, trajectories=[path], labels=["sim"],
                              density=5)
    quiver = ax.collections[0]
    u, v = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-2, 2, 5))
    np.testing.assert_allclose(quiver.U.reshape(5, 5), -v)
    np.testing.assert_allclose(quiver.V.reshape(5, 5), u)
    np.testing.assert_allclose(ax.lines[0].get_xydata(), path)


def test_vector_field_colours_avoid_the_players_and_follow_colors():
    paths = [gt.theory.gradient_play(gt.theory.bilinear_field, (r, 0.0), 0.1, 10) for r in (0.5, 1.0, 1.5)]
    ax = gt.plot.vector_field(gt.theory.bilinear_field, trajectories=paths, density=5)
    from matplotlib.colors import to_hex
    drawn = [to_hex(line.get_color()) for line in ax.lines[:6:2]]
    assert len(set(drawn)) == 3
    assert not {gt.plot.GENERATOR, gt.plot.DISCRIMINATOR} & set(drawn)
    ax = gt.plot.vector_field(gt.theory.bilinear_field, trajectories=paths, density=5,
                              colors=["k", "#c0392b", "tab:blue"])
    assert [to_hex(line.get_color()) for line in ax.lines[:6:2]] == ["#000000", "#c0392b", "#1f77b4"]
    with pytest.raises(ValueError, match="one colour per trajectory"):
        gt.plot.vector_field(gt.theory.bilinear_field, trajectories=paths, colors=["k"])
    with pytest.raises(ValueError, match="not a Matplotlib colour"):
        gt.plot.vector_field(gt.theory.bilinear_field, trajectories=paths, colors=["k", "k", "nope"])
    with pytest.raises(TypeError, match="colors"):
        gt.plot.vector_field(gt.theory.bilinear_field, trajectories=paths, colors="k")


def test_training_curves_smooth_with_a_moving_average():
    history = gt.History()
    history.append(torch.tensor(1.0), torch.tensor(2.0))
    history.append(torch.tensor(3.0), torch.tensor(4.0))
    history.append(torch.tensor(5.0), torch.tensor(6.0))
    ax = gt.plot.training_curves(history, smooth=2)
    smoothed_d = [line for line in ax.lines if line.get_label() == "discriminator loss"][0]
    np.testing.assert_allclose(smoothed_d.get_ydata(), [2.0, 4.0])


def test_moving_average_is_the_mean_of_each_window():
    values = np.array([1.0, 3.0, 5.0, 7.0, 20.0])
    np.testing.assert_allclose(gt.plot.moving_average(values, 2), [2.0, 4.0, 6.0, 13.5])
    np.testing.assert_allclose(gt.plot.moving_average(values, 5), [7.2])
    np.testing.assert_allclose(gt.plot.moving_average(values, 1), values)
    with pytest.raises(ValueError, match="window"):
        gt.plot.moving_average(values, 6)


def test_twin_axis_shares_x_and_one_legend_names_the_lines_of_both():
    ax = plt.subplots()[1]
    ax.plot([0, 1], [0, 2], label="left")
    right = gt.plot.twin_axis(ax, "$D(x)$", probability=True)
    right.plot([0, 1], [0.2, 0.8], label="right")
    legend = gt.plot.legend(ax, right, loc="upper left")
    assert right.get_shared_x_axes().joined(ax, right)
    assert right.get_ylim() == (-0.02, 1.02) and right.get_ylabel() == "$D(x)$"
    assert [t.get_text() for t in legend.get_texts()] == ["left", "right"]
    loss_axis = gt.plot.twin_axis(plt.subplots()[1], "loss")
    assert loss_axis.get_ylim() != (-0.02, 1.02)


def test_series_draws_each_logged_series_against_its_steps():
    history = gt.History()
    for step, (w1, gap) in enumerate([(1.0, 0.5), (0.8, 0.6), (0.5, 0.45)]):
        history.append(torch.tensor(0.0), torch.tensor(0.0))
        history.log("W1", w1)
        history.log("gap", gap)
    ax = gt.plot.series(history, ["W1", "gap"], labels=["exact", "critic"],
                        colors=[gt.plot.OPTIMAL, gt.plot.DISCRIMINATOR], styles=["-", "o--"], ylabel="distance")
    exact, critic = ax.lines
    np.testing.assert_allclose(exact.get_xydata(), [[1, 1.0], [2, 0.8], [3, 0.5]])
    np.testing.assert_allclose(critic.get_ydata(), [0.5, 0.6, 0.45])
    assert same_colour(critic.get_color(), gt.plot.DISCRIMINATOR) and critic.get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["exact", "critic"]
    with pytest.raises(ValueError, match="labels"):
        gt.plot.series(history, ["W1", "gap"], labels=["one"])
    with pytest.raises(KeyError):
        gt.plot.series(history, ["nothing logged"])


def test_to_numpy_handles_tensors_with_grad():
    x = torch.ones(3, requires_grad=True) * 2
    out = gt.plot.to_numpy(x)
    assert out.dtype == np.float64 and out.tolist() == [2.0, 2.0, 2.0]
