"""gt.data.digits and gt.data.mnist: the real-image datasets of chapters 6–8."""

import struct

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import gantext as gt


def test_digits_are_sklearns_images_mapped_affinely_to_minus_one_one():
    images, labels = gt.data.digits().tensors
    reference = load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == torch.float32
    assert labels.shape == (1797,) and labels.dtype == torch.int64
    # sklearn's intensities are 0..16: 0 -> -1, 8 -> 0, 16 -> 1.
    expected = reference.images / 8.0 - 1.0
    np.testing.assert_allclose(images[:, 0].numpy(), expected, atol=1e-6)
    np.testing.assert_array_equal(labels.numpy(), reference.target)
    assert images.min().item() == -1.0 and images.max().item() == 1.0
    assert np.bincount(labels.numpy()).tolist() == np.bincount(reference.target).tolist()


def _bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """The half-pixel-centre bilinear resampling matrix: output pixel j samples the input at
    (j + ½)·n_in/n_out − ½, clamped to the image, and interpolates its two neighbours."""
    m = np.zeros((n_out, n_in))
    for j in range(n_out):
        src = min(max((j + 0.5) * n_in / n_out - 0.5, 0.0), n_in - 1)
        lo = int(np.floor(src))
        hi = min(lo + 1, n_in - 1)
        m[j, lo] += 1 - (src - lo)
        m[j, hi] += src - lo
    return m


def test_digits_16_is_the_separable_bilinear_upsampling_of_the_8x8_images():
    small = gt.data.digits(8).tensors[0][:, 0].double().numpy()                # [n, 8, 8]
    big, labels = gt.data.digits(size=16).tensors
    assert big.shape == (1797, 1, 16, 16) and labels.shape == (1797,)
    a = _bilinear_matrix(8, 16)                                                 # [16, 8]
    expected = np.einsum("ij,njk,lk->nil", a, small, a)                         # A X Aᵀ
    np.testing.assert_allclose(big[:, 0].numpy(), expected, atol=1e-5)
    assert big.min() >= -1 and big.max() <= 1


@pytest.mark.parametrize("size", [0, 7, 28, 8.0, True, "8"])
def test_digits_rejects_other_sizes(size):
    with pytest.raises(ValueError, match="size must be 8 or 16"):
        gt.data.digits(size)


def _write_idx(path, array: np.ndarray) -> None:
    """An IDX file as LeCun's MNIST distribution stores it: two zero bytes, the type code
    0x08 (unsigned byte), the number of dimensions, each dimension as a big-endian int32, data."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _fake_mnist(root, n_train=5, n_test=3):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    data = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0, 0, :3] = (0, 51, 255)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        _write_idx(raw / f"{split}-images-idx3-ubyte", images)
        _write_idx(raw / f"{split}-labels-idx1-ubyte", labels)
        data[split] = images, labels
    return data


def test_mnist_reads_idx_files_and_scales_like_digits(tmp_path):
    data = _fake_mnist(tmp_path)
    for train, split in ((True, "train"), (False, "t10k")):
        images, labels = gt.data.mnist(tmp_path, train=train).tensors
        raw_images, raw_labels = data[split]
        assert images.shape == (len(raw_labels), 1, 28, 28) and images.dtype == torch.float32
        assert labels.dtype == torch.int64
        np.testing.assert_array_equal(labels.numpy(), raw_labels)
        np.testing.assert_allclose(images[:, 0].numpy(), raw_images / 127.5 - 1.0, atol=1e-6)
        np.testing.assert_allclose(images[0, 0, 0, :3].numpy(), [-1.0, -0.6, 1.0], atol=1e-6)


def test_mnist_without_files_says_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        gt.data.mnist(tmp_path)
    assert not (tmp_path / "MNIST").exists()  # nothing was created or fetched


def test_mnist_rejects_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="root must be a path"):
        gt.data.mnist(3)
    with pytest.raises(TypeError, match="train must be True or False"):
        gt.data.mnist(tmp_path, train="yes")
    with pytest.raises(TypeError, match="download must be True or False"):
        gt.data.mnist(tmp_path, download=1)
