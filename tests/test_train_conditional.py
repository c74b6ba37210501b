"""gt.fit with image loaders, conditional GANs, AC-GAN and mixed precision (chapters 6 and 7)."""

import numpy as np
import pytest
import torch

import gantext as gt


def _loader(n=64, batch_size=16, seed=0):
    images, labels = gt.data.digits().tensors
    dataset = torch.utils.data.TensorDataset(images[:n], labels[:n])
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                                       generator=torch.Generator().manual_seed(seed))


def _params(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()]).clone()


@pytest.mark.parametrize("conditional", [False, True])
def test_fit_trains_convolutional_gans_on_a_labelled_dataloader(conditional):
    if conditional:
        G, D = gt.ConditionalDCGANGenerator(width=8), gt.ConditionalDCGANDiscriminator(width=8)
    else:
        G, D = gt.DCGANGenerator(width=8), gt.DCGANDiscriminator(width=8)
    g0, d0 = _params(G), _params(D)
    config = gt.TrainConfig(steps=6, batch_size=16, progress=False, device="cpu")
    history = gt.fit(G, D, _loader(), config=config)   # 6 steps > 4 batches per epoch: wraps around
    assert history.step == 6 and len(history.d_loss) == 6
    assert not torch.equal(g0, _params(G)) and not torch.equal(d0, _params(D))


def test_conditional_d_step_scores_fakes_with_the_real_batchs_labels():
    """Every forward pass of a cGAN step receives the real batch's labels (fakes are drawn for them)."""
    G, D = gt.ConditionalDCGANGenerator(width=8), gt.ConditionalDCGANDiscriminator(width=8)
    seen = []
    G.register_forward_hook(lambda m, args, out: seen.append(("G", args[1].clone())))
    D.register_forward_hook(lambda m, args, out: seen.append(("D", args[1].clone())))
    images, labels = gt.data.digits().tensors
    real, y = images[:8], labels[:8]
    opt_d = torch.optim.Adam(D.parameters())
    gt.d_step(G, D, real, gt.losses.non_saturating, opt_d, labels=y)
    assert [who for who, _ in seen] == ["G", "D", "D"]
    assert all(torch.equal(lab, y) for _, lab in seen)


def test_acgan_trains_with_fit_and_its_classifier_learns_the_real_labels():
    """A few hundred AC-GAN steps on 8×8 digits: the auxiliary classifier, trained on real
    images with their labels (and on fakes), classifies held-out real digits far above chance
    (10 %). Measured: 0.53–0.64 for training seeds 0–5 after 150 steps (0.67–0.69 after 300);
    the bound, three times chance, fails only if the classification loss does not reach D."""
    images, labels = gt.data.digits().tensors
    train, test = slice(0, 1500), slice(1500, None)
    G = gt.ConditionalDCGANGenerator(width=16)
    D = gt.ACGANDiscriminator(width=16)
    config = gt.TrainConfig(steps=150, batch_size=64, progress=False, device="cpu")
    history = gt.fit(G, D, (images[train], labels[train]), gt.losses.auxiliary_classifier(),
                     config=config)
    assert history.step == 150
    D.eval()
    with torch.no_grad():
        accuracy = (D.classify(images[test]).argmax(1) == labels[test]).double().mean().item()
    assert accuracy >= 0.3


def test_mixed_precision_has_no_effect_on_the_cpu():
    runs = []
    for mixed in (False, True):
        gt.seed(1)
        G, D = gt.DCGANGenerator(width=8), gt.DCGANDiscriminator(width=8)
        config = gt.TrainConfig(steps=3, batch_size=16, progress=False, device="cpu",
                                mixed_precision=mixed)
        history = gt.fit(G, D, gt.data.digits().tensors[0], config=config)
        runs.append((history.d_loss, history.g_loss, _params(G)))
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    assert torch.equal(runs[0][2], runs[1][2])


def test_mixed_precision_must_be_a_bool():
    with pytest.raises(TypeError, match="mixed_precision must be True or False"):
        gt.TrainConfig(mixed_precision="bf16")


@pytest.mark.gpu
def test_mixed_precision_trains_in_bf16_on_cuda():
    """On CUDA with mixed_precision the convolutions run in bf16, the parameters stay float32,
    and a few steps of training give finite losses and move the weights."""
    G, D = gt.ConditionalDCGANGenerator(image_size=16, width=16), gt.ACGANDiscriminator(image_size=16, width=16)
    dtypes = []
    D.features[0].register_forward_hook(lambda m, args, out: dtypes.append(out.dtype))
    g0 = _params(G)
    images, labels = gt.data.digits(size=16).tensors
    config = gt.TrainConfig(steps=20, batch_size=64, progress=False, device="cuda", mixed_precision=True)
    history = gt.fit(G, D, (images, labels), gt.losses.auxiliary_classifier(), config=config)
    assert history.step == 20
    assert dtypes and all(d == torch.bfloat16 for d in dtypes)
    assert all(p.dtype == torch.float32 for p in [*G.parameters(), *D.parameters()])
    assert not torch.equal(g0, _params(G).cpu())
