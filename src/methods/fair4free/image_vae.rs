//! The image backbone of Fair4Free: the conv VAE of `nn::conv_vae` with a decoder conditioned on
//! the group s. The encoder reads the image alone (its colour is in the pixels; the penalty is
//! what removes s from the latent). The decoder draws one shape map u(z) (a single channel) and
//! lets s only tint it: `logit_c = u(z) (1 + g_c(s)) + b_c(s)` for each output channel c (the gain
//! starts near 1). So a fair latent can be drawn in any group's colour, and the drawing is the
//! same whatever the group.
//!
//! Two designs were measured first on Colored-MNIST (rho 0.9, the quick study) and rejected:
//! - s fed into the decoder's first layer (as the tabular decoder does): on biased training images
//!   s predicts the class, and the decoder learned to draw the home colour's digits from s,
//!   whatever z said (accuracy of the LeNet-5 trained on its samples 0.38, real images 0.73).
//! - s modulating a map per output channel (`u_c(z)`, three maps): each channel could hold a
//!   different drawing, so a sample's shape still depended on its colour; over 3 seeds the
//!   colour EOD of the student's samples was 0.13 +- 0.13 with one seed above the real images'.
//!
//! This conditioning suits a sensitive attribute that acts as a colour or tint (Colored-MNIST,
//! Colored-Fashion-MNIST). For an attribute that changes shape (CelebA's `Male`), a decoder
//! conditioned more deeply is needed; that is for the AIM-Fair image study to choose.
//!
//! Likelihood: each pixel value is the mean of a Bernoulli (continuous Bernoulli up to a
//! constant), so the reconstruction term is the binary cross-entropy of the decoder's logits,
//! summed over the pixels and channels of an image and averaged over the batch.

use dfdx::losses::binary_cross_entropy_with_logits_loss;
use dfdx::prelude::*;

use crate::device::Device;
use crate::methods::fair4free::penalty::Traced;
use crate::methods::fair4free::training::{Backbone, Scalar};
use crate::nn::{ConvDecoder, ConvEncoder, ConvVaeConfig, Dense, FeatureMaps, Matrix, ParamMut, Trainable};

/// Conv encoder `image -> (mu, log sigma^2)` and decoder `(z, s) -> pixel logits`.
#[derive(Clone, Debug)]
pub struct ImageVae {
    pub config: ConvVaeConfig,
    pub encoder: ConvEncoder,
    /// z -> one shape map (the decoder of a one-channel conv VAE).
    pub decoder: ConvDecoder,
    /// s (one-hot, `k` wide) -> a gain per output channel.
    pub film_gain: Dense,
    /// s (one-hot, `k` wide) -> a bias per output channel.
    pub film_bias: Dense,
}

impl ImageVae {
    /// Builds the pair for `config` and `k` groups. `config` must be valid
    /// ([`ConvVaeConfig::validate`]).
    pub fn new(dev: &Device, config: &ConvVaeConfig, k: usize) -> ImageVae {
        let (encoder, _) = config.build(dev);
        let (_, decoder) = ConvVaeConfig { in_channels: 1, ..config.clone() }.build(dev);
        let c = config.in_channels;
        ImageVae { config: config.clone(), encoder, decoder, film_gain: Dense::new(dev, k, c), film_bias: Dense::new(dev, k, c) }
    }

    /// `u(z) (1 + g_c(s)) + b_c(s)` for every pixel of every image and output channel c.
    fn modulate<T: Tape<f32, Device> + Merge<NoneTape>>(&self, u: FeatureMaps<T>, gain: Matrix<T>, bias: Matrix<T>) -> FeatureMaps<T> {
        let (n, _, h, w) = u.dims();
        let c = self.config.in_channels;
        let shape = (n, h * w, c);
        let g = gain.broadcast_like::<_, Axis<1>>(&shape);
        let b = bias.broadcast_like::<_, Axis<1>>(&shape);
        let u = u.data.reshape_like(&(n, h * w)).broadcast_like::<_, Axis<2>>(&shape);
        let out = u * (g + 1.0) + b;
        FeatureMaps::new(out.reshape_like(&(n * h * w, c)), n, h, w)
    }

    /// Pixel logits of a traced latent batch.
    pub fn decode(&self, z: Matrix<Traced>, s: &Matrix) -> FeatureMaps<Traced> {
        let u = self.decoder.forward(z);
        self.modulate(u, self.film_gain.forward(s.leaky_trace()), self.film_bias.forward(s.leaky_trace()))
    }

    /// Pixel means (sigmoid of the logits) of a constant latent batch.
    pub fn decode_mean(&self, z: &Matrix, s: &Matrix) -> FeatureMaps {
        let u = self.decoder.forward(z.clone());
        self.modulate(u, self.film_gain.forward(s.clone()), self.film_bias.forward(s.clone())).map(|d| d.sigmoid())
    }
}

impl Trainable for ImageVae {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        self.encoder.visit_params(f);
        self.decoder.visit_params(f);
        self.film_gain.visit_params(f);
        self.film_bias.visit_params(f);
    }
}

impl Backbone for ImageVae {
    type Input = FeatureMaps;

    fn encode(&self, x: &FeatureMaps, _s: &Matrix) -> (Matrix<Traced>, Matrix<Traced>) {
        self.encoder.forward(x.leaky_trace())
    }

    fn encode_mean(&self, x: &FeatureMaps, _s: &Matrix) -> (Matrix, Matrix) {
        self.encoder.forward(x.clone())
    }

    fn reconstruction(&self, z: Matrix<Traced>, s: &Matrix, x: &FeatureMaps) -> Scalar {
        let per_image = (x.h * x.w * x.channels()) as f32;
        let logits = self.decode(z, s);
        binary_cross_entropy_with_logits_loss(logits.data, x.data.clone()) * per_image
    }
}
