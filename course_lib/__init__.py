"""course_lib: the single source of the course's code.

Every chapter notebook imports from here; each module holds one idea and reads
top to bottom (open it from a notebook with ``course_lib.ot??``).

    data          seeded 2-D toy distributions and the bundled 8x8 digits
    divergences   entropy, cross-entropy, KL, MMD
    ot            exact 1-D optimal transport and entropic OT (Sinkhorn)
    losses        triplet loss, curriculum weights
    flows         normalizing flows: linear, planar, coupling (Real NVP), leaky-ReLU layers
    hopfield      Hopfield networks: Hebbian storage, energy, recall
    autoencoders  AE, linear AE = PCA, sparse/contractive/denoising AE, VAE (ELBO, IWAE), WAE-MMD
    gans          GAN losses and training on 2-D mixtures, WGAN (clipping), WGAN-GP, Coulomb GAN
    gan_images    DCGAN on digits, pix2pix (L1 + adversarial), CycleGAN cycle loss
    gan_metrics   mode coverage, Frechet distance, distances on the parallel-lines example
    odes          a fixed-step ODE solver (Euler, RK4) and the adjoint method
    cnf           continuous normalizing flows: exact and Hutchinson (FFJORD) traces
    meta          few-shot sinusoid tasks, MAML, hypernetworks, HyperMAML
    bayes         Bayes by backprop, Bayesian HyperMAML (Gaussian)
    checkpoints   small trained weights, each reproduced by its recipe
    widgets       live ipywidgets explorers and their static plotly twins
"""

__version__ = "0.1.0"
