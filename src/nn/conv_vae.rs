//! A small convolutional encoder/decoder pair for the image VAEs, sized for 28x28 and 32x32
//! images (any size divisible by 4).
//!
//! Encoder: conv 4x4 stride 2 padding 1 (`C -> w0`), ReLU, conv 4x4 stride 2 padding 1
//! (`w0 -> w1`), ReLU, flatten, then two dense heads `mu` and `log sigma^2` of width `latent`
//! (an image of side `S` becomes `w1 x S/4 x S/4`: 32 -> 16 -> 8, 28 -> 14 -> 7).
//! Decoder: dense `latent -> w1 S/4 S/4`, ReLU, transposed conv 4x4 stride 2 padding 1
//! (`w1 -> w0`), ReLU, transposed conv 4x4 stride 2 padding 1 (`w0 -> C`): per-pixel logits (or
//! means) at the input's size. This is the DCGAN-style shape the Fair4Free paper's image VAEs
//! use, at the widths of a CPU budget.

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::nn::conv::{Conv2d, Conv2dConfig};
use crate::nn::convtrans::{ConvTranspose2d, ConvTranspose2dConfig};
use crate::nn::dense::{Dense, Matrix};
use crate::nn::maps::FeatureMaps;
use crate::nn::params::{ParamMut, Trainable};

/// Shape of a [`ConvEncoder`] / [`ConvDecoder`] pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvVaeConfig {
    pub in_channels: usize,
    /// Side of the square images; divisible by 4 (28 and 32 are the usual ones).
    pub image_size: usize,
    /// Channels after the first and second (transposed) convolution.
    pub widths: [usize; 2],
    pub latent: usize,
}

impl Default for ConvVaeConfig {
    /// 3 x 32 x 32 images, widths 32 and 64, latent 16.
    fn default() -> Self {
        ConvVaeConfig { in_channels: 3, image_size: 32, widths: [32, 64], latent: 16 }
    }
}

impl ConvVaeConfig {
    /// Every size positive, the image side divisible by 4.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("in_channels", self.in_channels), ("widths", self.widths[0].min(self.widths[1])), ("latent", self.latent)] {
            if v == 0 {
                return Err(Error::invalid(name, v, "must be at least 1"));
            }
        }
        if self.image_size < 4 || !self.image_size.is_multiple_of(4) {
            return Err(Error::invalid("image_size", self.image_size, "must be a positive multiple of 4"));
        }
        Ok(())
    }

    /// Side of the innermost feature maps.
    fn inner(&self) -> usize {
        self.image_size / 4
    }

    fn down(&self, cin: usize, cout: usize) -> Conv2dConfig {
        Conv2dConfig::new(cin, cout, 4).stride(2).padding(1)
    }

    fn up(&self, cin: usize, cout: usize) -> ConvTranspose2dConfig {
        ConvTranspose2dConfig::new(cin, cout, 4).stride(2).padding(1)
    }

    /// Builds the pair on a device. Panics if [`ConvVaeConfig::validate`] fails.
    pub fn build(&self, dev: &Device) -> (ConvEncoder, ConvDecoder) {
        if let Err(e) = self.validate() {
            panic!("ConvVaeConfig: {e}");
        }
        let [w0, w1] = self.widths;
        let flat = w1 * self.inner() * self.inner();
        let encoder = ConvEncoder {
            config: self.clone(),
            conv1: self.down(self.in_channels, w0).build(dev),
            conv2: self.down(w0, w1).build(dev),
            mu: Dense::new(dev, flat, self.latent),
            logvar: Dense::new(dev, flat, self.latent),
        };
        let decoder = ConvDecoder {
            config: self.clone(),
            fc: Dense::new(dev, self.latent, flat),
            up1: self.up(w1, w0).build(dev),
            up2: self.up(w0, self.in_channels).build(dev),
        };
        (encoder, decoder)
    }
}

/// Images -> `(mu, log sigma^2)`, each `(N, latent)`.
#[derive(Clone, Debug)]
pub struct ConvEncoder {
    pub config: ConvVaeConfig,
    pub conv1: Conv2d,
    pub conv2: Conv2d,
    pub mu: Dense,
    pub logvar: Dense,
}

impl ConvEncoder {
    pub fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> (Matrix<T>, Matrix<T>) {
        let s = self.config.image_size;
        assert_eq!((x.h, x.w), (s, s), "ConvEncoder: {}x{} images, configured for {s}x{s}", x.h, x.w);
        let h = self.conv2.forward(self.conv1.forward(x).relu()).relu().flatten();
        let lv = self.logvar.forward(h.with_empty_tape());
        (self.mu.forward(h), lv)
    }
}

/// Latents `(N, latent)` -> per-pixel outputs as [`FeatureMaps`] of the image's size and channels.
#[derive(Clone, Debug)]
pub struct ConvDecoder {
    pub config: ConvVaeConfig,
    pub fc: Dense,
    pub up1: ConvTranspose2d,
    pub up2: ConvTranspose2d,
}

impl ConvDecoder {
    pub fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, z: Matrix<T>) -> FeatureMaps<T> {
        let n = z.shape().0;
        let (inner, w1) = (self.config.inner(), self.config.widths[1]);
        // The dense output's row is one image in (y, x, c) order: exactly the channels-last rows.
        let h = self.fc.forward(z).relu().reshape_like(&(n * inner * inner, w1));
        let maps = FeatureMaps::new(h, n, inner, inner);
        self.up2.forward(self.up1.forward(maps).relu())
    }
}

impl Trainable for ConvEncoder {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        self.conv1.visit_params(f);
        self.conv2.visit_params(f);
        self.mu.visit_params(f);
        self.logvar.visit_params(f);
    }
}

impl Trainable for ConvDecoder {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        self.fc.visit_params(f);
        self.up1.visit_params(f);
        self.up2.visit_params(f);
    }
}
