"""Models: the generator and discriminator networks of the book.

The toy chapters use multilayer perceptrons. The discriminator returns *logits* (real numbers,
before any sigmoid): every loss in :mod:`gantext.losses` is a function of logits, which keeps the
saturating and non-saturating losses numerically stable, and a Wasserstein critic is the same
network read without a sigmoid.

Options on :class:`~gantext.models.mlp.MLPDiscriminator` are the remedies of chapter 5 that live inside the network:
spectral normalisation (Miyato et al., 2018), the minibatch standard-deviation feature (Karras
et al., 2018, a simple form of Salimans et al.'s minibatch discrimination) and packing (PacGAN,
Lin et al., 2018).

The MLPs live in :mod:`gantext.models.mlp`, the convolutional networks of chapters 6 and 7 in
:mod:`gantext.models.dcgan`, the projection discriminator and class-conditional batch norm of
chapter 7 in :mod:`gantext.models.projection`; every name is available here.
"""

from ._common import latent_noise
from .dcgan import (ACGANDiscriminator, ACGANOutput, ConditionalDCGANDiscriminator,
                    ConditionalDCGANGenerator, DCGANDiscriminator, DCGANGenerator, dcgan_init_)
from .mlp import MinibatchStdDev, MLPDiscriminator, MLPGenerator
from .projection import ConditionalBatchNorm2d, ConditionalBNGenerator, ProjectionDiscriminator

__all__ = ["MLPGenerator", "MLPDiscriminator", "MinibatchStdDev", "latent_noise", "dcgan_init_",
           "DCGANGenerator", "DCGANDiscriminator", "ConditionalDCGANGenerator",
           "ConditionalDCGANDiscriminator", "ACGANDiscriminator", "ACGANOutput",
           "ConditionalBatchNorm2d", "ConditionalBNGenerator", "ProjectionDiscriminator"]
