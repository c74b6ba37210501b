"""The convolutional GANs of chapters 6 and 7: DCGAN, cGAN and AC-GAN networks."""

import math

import pytest
import torch
from torch import nn

import gantext as gt

SIZES = [8, 16, 28, 32]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes_and_tanh_range(size, channels):
    G = gt.DCGANGenerator(latent_dim=16, image_size=size, channels=channels, width=8)
    D = gt.DCGANDiscriminator(image_size=size, channels=channels, width=8)
    x = G.sample(5, generator=torch.Generator().manual_seed(0))
    assert x.shape == (5, channels, size, size)
    assert x.abs().max() <= 1.0
    assert D(x).shape == (5,)


@pytest.mark.parametrize("size, base, n_stride2", [(8, 4, 1), (16, 4, 2), (28, 7, 2), (32, 4, 3)])
def test_generator_doubles_resolution_from_the_base_map(size, base, n_stride2):
    width = 8
    G = gt.DCGANGenerator(latent_dim=16, image_size=size, width=width)
    convs = [m for m in G.net if isinstance(m, nn.ConvTranspose2d)]
    assert len(convs) == n_stride2 + 1
    assert convs[0].kernel_size == (base, base) and convs[0].stride == (1, 1)
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2) and c.padding == (1, 1) for c in convs[1:])
    # channels halve towards the image: width·2^(k-1), …, width, then the image's channels
    assert [c.out_channels for c in convs] == [width * 2 ** (n_stride2 - 1 - i) for i in range(n_stride2)] + [1]
    # the DCGAN guidelines: batch norm + ReLU on every hidden layer, tanh and no batch norm at the output
    kinds = [type(m) for m in G.net]
    assert kinds.count(nn.BatchNorm2d) == n_stride2 and kinds.count(nn.ReLU) == n_stride2
    assert kinds[-2:] == [nn.ConvTranspose2d, nn.Tanh]


@pytest.mark.parametrize("size, n_stride2", [(8, 1), (16, 2), (28, 2), (32, 3)])
def test_discriminator_mirrors_the_generator(size, n_stride2):
    D = gt.DCGANDiscriminator(image_size=size, width=8)
    convs = [m for m in D.features if isinstance(m, nn.Conv2d)]
    assert len(convs) == n_stride2 and all(c.stride == (2, 2) for c in convs)
    assert [c.out_channels for c in convs] == [8 * 2 ** i for i in range(n_stride2)]
    kinds = [type(m) for m in D.features]
    assert kinds[:2] == [nn.Conv2d, nn.LeakyReLU]                  # no batch norm on the input layer
    assert kinds.count(nn.BatchNorm2d) == n_stride2 - 1
    assert all(m.negative_slope == 0.2 for m in D.features if isinstance(m, nn.LeakyReLU))
    assert D.head.kernel_size == (D.base, D.base)


def test_parameter_count_of_the_8x8_pair_matches_the_layer_formula():
    latent, w = 32, 64
    G = gt.DCGANGenerator(latent_dim=latent, width=w)
    D = gt.DCGANDiscriminator(width=w)
    # G: z -> 4×4×w (no bias, batch norm 2w), 4×4 transposed conv w -> 1 with bias
    g_params = latent * w * 16 + 2 * w + w * 1 * 16 + 1
    # D: 4×4 conv 1 -> w with bias, 4×4 head w -> 1 with bias
    d_params = 1 * w * 16 + w + w * 16 + 1
    assert sum(p.numel() for p in G.parameters()) == g_params
    assert sum(p.numel() for p in D.parameters()) == d_params


def test_dcgan_initialisation_is_normal_with_std_0_02():
    G = gt.DCGANGenerator(latent_dim=100, image_size=32, width=64)
    w = G.net[0].weight.detach().double().flatten()                             # 100·256·16 weights
    n = w.numel()
    assert w.mean().item() == pytest.approx(0.0, abs=5 * 0.02 / math.sqrt(n))
    # the sample std of n normals has standard error ≈ σ/√(2n)
    assert w.std().item() == pytest.approx(0.02, abs=5 * 0.02 / math.sqrt(2 * n))
    bn = [m for m in G.modules() if isinstance(m, nn.BatchNorm2d)]
    scales = torch.cat([m.weight.detach() for m in bn]).double()
    assert scales.mean().item() == pytest.approx(1.0, abs=5 * 0.02 / math.sqrt(scales.numel()))
    assert all(torch.all(m.bias == 0) for m in bn)


def test_batch_norm_off_removes_every_normalisation_layer():
    G = gt.DCGANGenerator(image_size=16, width=8, batch_norm=False)
    D = gt.DCGANDiscriminator(image_size=16, width=8, batch_norm=False, spectral_norm=True)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in [*G.modules(), *D.modules()])
    assert all(hasattr(m, "parametrizations") for m in D.modules() if isinstance(m, nn.Conv2d))
    x = torch.randn(4, 1, 16, 16)
    assert D(x).shape == (4,)


def test_sample_is_reproducible_and_unconditional_models_ignore_labels():
    G = gt.DCGANGenerator(width=8).eval()
    D = gt.DCGANDiscriminator(width=8).eval()
    a = G.sample(6, generator=torch.Generator().manual_seed(3))
    b = G.sample(6, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    z = torch.randn(6, G.latent_dim)
    labels = torch.arange(6)
    assert torch.equal(G(z, labels), G(z))
    assert torch.equal(D(a, labels), D(a))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(image_size=64), ValueError, "image_size must be one of"),
    (dict(image_size=8.0), TypeError, "image_size must be one of"),
    (dict(channels=2), ValueError, "channels must be 1"),
    (dict(width=0), ValueError, "width must be an integer >= 1"),
])
def test_bad_architecture_arguments_raise(kwargs, error, message):
    with pytest.raises(error, match=message):
        gt.DCGANGenerator(**kwargs)
    with pytest.raises(error, match=message):
        gt.DCGANDiscriminator(**kwargs)


def test_bad_inputs_raise_with_the_expected_shape():
    G, D = gt.DCGANGenerator(latent_dim=8, width=8), gt.DCGANDiscriminator(width=8)
    with pytest.raises(ValueError, match=r"z must have shape \[n, 8\]"):
        G(torch.randn(3, 9))
    with pytest.raises(ValueError, match=r"x must have shape \[n, 1, 8, 8\]"):
        D(torch.randn(3, 1, 16, 16))
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        G.sample(-1)
    with pytest.raises(ValueError, match="latent_dim must be an integer >= 1"):
        gt.DCGANGenerator(latent_dim=0)


def test_conditional_generator_concatenates_a_one_hot_label_to_z():
    G = gt.ConditionalDCGANGenerator(n_classes=10, latent_dim=8, width=8).eval()
    first = G.net[0]
    assert first.in_channels == 8 + 10
    z = torch.randn(4, 8)
    # the class enters only through the rows of the first weight that belong to its one-hot unit
    with torch.no_grad():
        h = nn.functional.conv_transpose2d(z[:, :, None, None], first.weight[:8])
        h = h + first.weight[8 + 3][None]                                     # class 3's template
        expected = G.net[1:](h)
    torch.testing.assert_close(G(z, torch.full((4,), 3)), expected)
    assert not torch.allclose(G(z, torch.full((4,), 3)), G(z, torch.full((4,), 5)))


def test_conditional_sample_takes_one_class_or_a_label_per_image():
    G = gt.ConditionalDCGANGenerator(n_classes=10, width=8).eval()
    one = G.sample(5, 7, generator=torch.Generator().manual_seed(0))
    many = G.sample(5, torch.full((5,), 7), generator=torch.Generator().manual_seed(0))
    assert one.shape == (5, 1, 8, 8) and torch.equal(one, many)
    with pytest.raises(ValueError, match=r"labels must be a class in 0..9"):
        G.sample(5, 10)
    with pytest.raises(ValueError, match=r"labels must have shape \[5\]"):
        G.sample(5, torch.zeros(4, dtype=torch.long))
    with pytest.raises(TypeError, match="labels must be an integer tensor"):
        G(torch.randn(5, G.latent_dim), torch.zeros(5))


def test_conditional_discriminator_sees_the_label_as_constant_feature_maps():
    D = gt.ConditionalDCGANDiscriminator(n_classes=10, width=8).eval()
    assert D.features[0].in_channels == 1 + 10
    x = torch.randn(4, 1, 8, 8)
    y = torch.tensor([0, 1, 2, 3])
    with torch.no_grad():
        maps = nn.functional.one_hot(y, 10).float()[:, :, None, None].expand(-1, -1, 8, 8)
        expected = D.head(D.features(torch.cat([x, maps], 1))).flatten()
    torch.testing.assert_close(D(x, y), expected)
    assert not torch.allclose(D(x, y), D(x, (y + 1) % 10))


def test_acgan_discriminator_returns_logit_class_logits_and_labels():
    D = gt.ACGANDiscriminator(n_classes=10, image_size=16, width=8).eval()
    x, y = torch.randn(6, 1, 16, 16), torch.arange(6)
    out = D(x, y)
    assert isinstance(out, gt.ACGANOutput)
    assert out.logits.shape == (6,) and out.class_logits.shape == (6, 10)
    assert torch.equal(out.labels, y)
    torch.testing.assert_close(D.classify(x), out.class_logits)
    # the adversarial head is the DCGAN discriminator's: the class head is a second reading of the trunk
    torch.testing.assert_close(out.logits, D.head(D.features(x)).flatten())
