//! The image classifiers a distillation trains, and the image view they read.

use dfdx::prelude::*;

use crate::device::Device;
use crate::error::{Error, Result};
use crate::nn::{FeatureMaps, LeNet5, Matrix, ResNet, Trainable};

/// A network from images to class logits, with a training pass (batch statistics, on the tape)
/// and an evaluation pass (running statistics, no tape).
pub trait ImageClassifier: Trainable {
    fn logits_train(&mut self, x: FeatureMaps<OwnedTape<f32, Device>>) -> Matrix<OwnedTape<f32, Device>>;
    fn logits_eval(&self, x: FeatureMaps) -> Matrix;
}

impl ImageClassifier for LeNet5 {
    fn logits_train(&mut self, x: FeatureMaps<OwnedTape<f32, Device>>) -> Matrix<OwnedTape<f32, Device>> {
        self.forward(x)
    }
    fn logits_eval(&self, x: FeatureMaps) -> Matrix {
        self.forward(x)
    }
}

impl ImageClassifier for ResNet {
    fn logits_train(&mut self, x: FeatureMaps<OwnedTape<f32, Device>>) -> Matrix<OwnedTape<f32, Device>> {
        self.forward_train(x)
    }
    fn logits_eval(&self, x: FeatureMaps) -> Matrix {
        self.forward_eval(x)
    }
}

/// Labelled images on the host: `n` images of `height x width` pixels and `channels` values,
/// channels-last (`((i*height + y)*width + x)*channels + c`), the layout of [`FeatureMaps`].
#[derive(Clone, Copy, Debug)]
pub struct ImageSet<'a> {
    pub values: &'a [f32],
    pub labels: &'a [u32],
    pub n: usize,
    pub height: usize,
    pub width: usize,
    pub channels: usize,
}

impl<'a> ImageSet<'a> {
    /// Checks that the lengths agree and the values are finite.
    pub fn new(values: &'a [f32], labels: &'a [u32], height: usize, width: usize, channels: usize) -> Result<Self> {
        let per = height * width * channels;
        if per == 0 {
            return Err(Error::invalid("image shape", format!("{height}x{width}x{channels}"), "no pixels"));
        }
        if labels.is_empty() {
            return Err(Error::Empty { what: "an image set with no images".into() });
        }
        if values.len() != labels.len() * per {
            return Err(Error::LengthMismatch { what: "image values against labels x pixels".into(), expected: labels.len() * per, got: values.len() });
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "image values".into(), index: i });
        }
        Ok(ImageSet { values, labels, n: labels.len(), height, width, channels })
    }

    /// The images `idx` as feature maps on `dev`.
    pub fn batch(&self, dev: &Device, idx: &[usize]) -> FeatureMaps {
        FeatureMaps::gather_images(dev, self.values, self.height, self.width, self.channels, idx)
    }
}
