"""gt.plot.image_grid: the sample grids of chapters 6–8."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import gantext as gt  # noqa: E402


def test_image_grid_places_each_image_in_its_tile_row_by_row():
    images = torch.linspace(-1, 1, 5)[:, None, None, None].expand(5, 1, 2, 3)   # constant images
    ax = gt.plot.image_grid(images, nrow=3, padding=1)
    canvas = np.asarray(ax.images[0].get_array())
    assert canvas.shape == (2 * (2 + 1) + 1, 3 * (3 + 1) + 1)
    for i in range(5):
        r, k = divmod(i, 3)
        tile = canvas[1 + r * 3: 1 + r * 3 + 2, 1 + k * 4: 1 + k * 4 + 3]
        np.testing.assert_allclose(tile, i / 4)                                 # [-1, 1] -> [0, 1]
    assert canvas[0, 0] == 0.25 and canvas[-1, -1] == 0.25                     # borders and the empty tile
    plt.close("all")


def test_image_grid_colour_images_and_row_labels():
    images = torch.zeros(6, 3, 4, 4)
    images[:, 0] = 1.0                                                          # red at its maximum, the rest at 0
    ax = gt.plot.image_grid(images, nrow=3, row_labels=["a", "b"], title="t")
    canvas = np.asarray(ax.images[0].get_array())
    assert canvas.shape == (2 * 5 + 1, 3 * 5 + 1, 3)
    np.testing.assert_allclose(canvas[1, 1], [1.0, 0.5, 0.5])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.get_title() == "t"
    plt.close("all")


def test_image_grid_rejects_bad_input():
    with pytest.raises(ValueError, match=r"images must have shape \[n, 1 or 3, h, w\]"):
        gt.plot.image_grid(torch.zeros(4, 8, 8))
    with pytest.raises(ValueError, match="nrow must be a positive integer"):
        gt.plot.image_grid(torch.zeros(4, 1, 8, 8), nrow=0)
    with pytest.raises(ValueError, match="row_labels must name each of the 2 rows"):
        gt.plot.image_grid(torch.zeros(4, 1, 8, 8), nrow=2, row_labels=["a"])
    plt.close("all")
