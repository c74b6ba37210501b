import pytest
import torch

import gantext as gt


def test_generator_shapes_and_sample():
    G = gt.MLPGenerator(latent_dim=3, data_dim=2, hidden=(16, 16))
    assert G(torch.randn(5, 3)).shape == (5, 2)
    a = G.sample(7, generator=torch.Generator().manual_seed(1))
    b = G.sample(7, generator=torch.Generator().manual_seed(1))
    assert a.shape == (7, 2) and torch.equal(a, b)


def test_generator_options_build_the_stated_layers():
    G = gt.MLPGenerator(2, 2, hidden=(8, 8), activation=torch.nn.Tanh, batch_norm=True)
    kinds = [type(m).__name__ for m in G.net]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh", "Linear", "BatchNorm1d", "Tanh", "Linear"]


def test_discriminator_returns_one_logit_per_row():
    D = gt.MLPDiscriminator(data_dim=2, hidden=(16,))
    assert D(torch.randn(9, 2)).shape == (9,)


def test_spectral_norm_bounds_each_layer():
    D = gt.MLPDiscriminator(2, hidden=(32, 32), spectral_norm=True)
    D(torch.randn(4, 2))  # power iterations run in training mode
    for _ in range(50):
        D(torch.randn(4, 2))
    D.eval()
    for layer in D.net:
        if isinstance(layer, torch.nn.Linear):
            sigma = torch.linalg.matrix_norm(layer.weight.detach(), ord=2).item()
            assert sigma == pytest.approx(1.0, abs=0.02)


def test_packing_concatenates_consecutive_rows():
    """pack=m judges m samples jointly: the first layer sees [x_1, ..., x_m] concatenated."""
    D = gt.MLPDiscriminator(2, hidden=(4,), pack=3)
    x = torch.randn(6, 2)
    first = D.net[0]
    assert first.in_features == 6
    h = first(x.reshape(2, 6))
    manual = D.net[2](D.net[1](h)).squeeze(1)
    torch.testing.assert_close(D(x), manual)
    with pytest.raises(ValueError, match="multiple of pack=3"):
        D(torch.randn(5, 2))


def test_minibatch_std_feature_sees_the_batch_spread():
    layer = gt.MinibatchStdDev()
    h = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    out = layer(h)
    assert out.shape == (2, 3)
    assert out[:, 2].tolist() == [1.0, 1.0]  # std of (0, 2) and of (1, 3) is 1 (biased)
    D = gt.MLPDiscriminator(2, hidden=(8,), minibatch_std=True)
    collapsed = torch.zeros(16, 2)
    spread = torch.randn(16, 2)
    # identical rows except for the extra feature: logits differ between the two batches
    assert not torch.allclose(D(collapsed)[0], D(torch.cat([collapsed[:1], spread[1:]]))[0])


@pytest.mark.parametrize("make, message", [
    (lambda: gt.MLPGenerator(0, 2), "latent_dim must be an integer >= 1"),
    (lambda: gt.MLPGenerator(2, 2, hidden=()), "hidden must be a non-empty sequence"),
    (lambda: gt.MLPDiscriminator(2, hidden=(8, -1)), "hidden must be"),
    (lambda: gt.MLPDiscriminator(2, pack=0), "pack must be an integer >= 1"),
])
def test_bad_construction_raises(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs_raise():
    G, D = gt.MLPGenerator(2, 3), gt.MLPDiscriminator(3)
    with pytest.raises(ValueError, match=r"z must have shape \[n, 2\]"):
        G(torch.randn(4, 3))
    with pytest.raises(ValueError, match=r"x must have shape \[n, 3\]"):
        D(torch.randn(4, 2))
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        G.sample(-1)
