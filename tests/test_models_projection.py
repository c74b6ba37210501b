"""gantext.models.projection: class-conditional batch norm and the projection discriminator,
against the formulas computed by hand."""

import pytest
import torch
from torch import nn

import gantext as gt
from gantext.models.projection import ConditionalBatchNorm2d
from gantext.steps import batch_independent


def test_conditional_batch_norm_scales_and_shifts_each_sample_by_its_class():
    torch.manual_seed(0)
    cbn = ConditionalBatchNorm2d(3, n_classes=4)
    with torch.no_grad():
        cbn.gamma.weight.copy_(torch.randn(4, 3))
        cbn.beta.weight.copy_(torch.randn(4, 3))
    h = torch.randn(6, 3, 5, 5) * 2 + 1
    y = torch.tensor([0, 1, 2, 3, 1, 1])
    mean = h.mean(dim=(0, 2, 3), keepdim=True)
    var = h.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    normed = (h - mean) / torch.sqrt(var + 1e-5)
    want = cbn.gamma.weight[y][:, :, None, None] * normed + cbn.beta.weight[y][:, :, None, None]
    torch.testing.assert_close(cbn(h, y), want, rtol=1e-5, atol=1e-5)


def test_an_untrained_conditional_batch_norm_is_plain_batch_norm():
    cbn = ConditionalBatchNorm2d(3, n_classes=4)
    h = torch.randn(8, 3, 4, 4)
    torch.testing.assert_close(cbn(h, torch.randint(4, (8,))), nn.BatchNorm2d(3, affine=False)(h))


def test_conditional_bn_generator_takes_z_alone_and_the_class_in_every_norm_layer():
    torch.manual_seed(0)
    G = gt.ConditionalBNGenerator(n_classes=10, latent_dim=16, image_size=8, width=8)
    first = G.net[0]
    assert isinstance(first, nn.ConvTranspose2d) and first.in_channels == 16   # no one-hot input
    norms = [m for m in G.net if isinstance(m, ConditionalBatchNorm2d)]
    assert norms and not any(isinstance(m, nn.BatchNorm2d) and m.affine for m in G.modules())
    for m in norms:
        assert torch.equal(m.gamma.weight, torch.ones_like(m.gamma.weight))
        assert torch.equal(m.beta.weight, torch.zeros_like(m.beta.weight))
    z = torch.randn(6, 16)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    same = G(z, y)
    with torch.no_grad():
        norms[0].beta.weight[1] += 1.0          # class 1's shift alone
    moved = (G(z, y) - same).flatten(1).abs().sum(1)
    assert (moved[[1, 4]] > 0).all() and (moved[[0, 2, 3, 5]] == 0).all()
    assert G.sample(5, 3).shape == (5, 1, 8, 8)


def test_projection_logit_is_the_unconditional_logit_plus_the_class_embedding_inner_product():
    torch.manual_seed(0)
    D = gt.ProjectionDiscriminator(n_classes=5, image_size=8, width=8, batch_norm=False)
    x = torch.randn(7, 1, 8, 8)
    y = torch.tensor([0, 1, 2, 3, 4, 0, 1])
    plain = D.head(D.features(x)).flatten()
    torch.testing.assert_close(D(x, y), plain)               # V starts at 0: unconditional
    with torch.no_grad():
        D.embed.weight.copy_(torch.randn_like(D.embed.weight))
    pooled = D.features(x).sum(dim=(2, 3))                   # [n, C]
    want = plain + (D.embed.weight[y] * pooled).sum(1)
    torch.testing.assert_close(D(x, y), want, rtol=1e-5, atol=1e-5)
    other = (y + 1) % 5
    torch.testing.assert_close(D(x, y) - D(x, other),
                               ((D.embed.weight[y] - D.embed.weight[other]) * pooled).sum(1),
                               rtol=1e-4, atol=1e-4)


def test_spectrally_normalised_projection_has_a_unit_norm_embedding():
    torch.manual_seed(0)
    D = gt.ProjectionDiscriminator(n_classes=10, image_size=8, width=8, batch_norm=False,
                                   spectral_norm=True)
    x, y = torch.randn(4, 1, 8, 8), torch.arange(4)
    for _ in range(30):                                    # power iteration runs in train mode
        D(x, y)
    D.eval()
    sigma = torch.linalg.matrix_norm(D.embed.weight.detach(), ord=2)
    assert abs(sigma.item() - 1.0) < 1e-3
    assert torch.isfinite(D(x, y)).all()


def test_only_a_projection_discriminator_without_batch_norm_shares_a_joint_pass():
    assert batch_independent(gt.ProjectionDiscriminator(image_size=8, width=8, batch_norm=False))
    assert not batch_independent(gt.ProjectionDiscriminator(image_size=16, width=8))   # batch norm


def test_fit_routes_labels_to_both_networks_and_trains():
    torch.manual_seed(0)
    x = torch.rand(64, 1, 8, 8) * 2 - 1
    y = torch.randint(10, (64,))
    G = gt.ConditionalBNGenerator(latent_dim=8, image_size=8, width=8)
    D = gt.ProjectionDiscriminator(image_size=8, width=8, batch_norm=False, spectral_norm=True)
    before = D.embed.parametrizations.weight.original.detach().clone()
    history = gt.fit(G, D, (x, y), gt.losses.hinge, gt.TrainConfig(steps=5, batch_size=16, progress=False))
    assert len(history.d_loss) == 5 and torch.isfinite(torch.as_tensor(history.d_loss)).all()
    assert not torch.equal(before, D.embed.parametrizations.weight.original)


def test_bad_labels_and_sizes_are_refused_with_their_names():
    D = gt.ProjectionDiscriminator(n_classes=3, image_size=8, width=8)
    with pytest.raises(ValueError, match="labels"):
        D(torch.randn(2, 1, 8, 8), torch.tensor([0, 3]))
    with pytest.raises((TypeError, ValueError), match="n_classes"):
        gt.ConditionalBNGenerator(n_classes=0)
    with pytest.raises((TypeError, ValueError), match="num_features"):
        ConditionalBatchNorm2d(0, 3)
