//! A 2-D convolution with run-time channels, kernel, stride, padding and dilation (dfdx 0.13's
//! `Conv2D` needs its `nightly` feature, which does not build on stable).
//!
//! It works on channels-last [`FeatureMaps`] as im2col: one row gather of the input windows (with
//! a zero row for the padding), then one matmul with the weight. See [`FeatureMaps`] for the
//! layout and for why this route was chosen.

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::nn::dense::{Matrix, Vector};
use crate::nn::maps::{conv_taps, window_out, FeatureMaps, IndexCache, WindowIndex};
use crate::nn::windows_linear::windows_linear;
use crate::nn::params::{ParamMut, Trainable};

/// Shape of a [`Conv2d`] (device-free, like dfdx's configs). Pairs are `(vertical, horizontal)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conv2dConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel: (usize, usize),
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    pub bias: bool,
}

impl Conv2dConfig {
    /// A square `kernel x kernel` convolution with stride 1, no padding, dilation 1 and a bias.
    pub fn new(in_channels: usize, out_channels: usize, kernel: usize) -> Self {
        Conv2dConfig {
            in_channels,
            out_channels,
            kernel: (kernel, kernel),
            stride: (1, 1),
            padding: (0, 0),
            dilation: (1, 1),
            bias: true,
        }
    }

    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = (stride, stride);
        self
    }

    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = (padding, padding);
        self
    }

    pub fn dilation(mut self, dilation: usize) -> Self {
        self.dilation = (dilation, dilation);
        self
    }

    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// Checks that every size is positive.
    pub fn validate(&self) -> Result<()> {
        check_geometry(self.in_channels, self.out_channels, self.kernel, self.stride, self.dilation)
    }

    /// Output `(height, width)` for an input of `(height, width)`.
    pub fn output_size(&self, h: usize, w: usize) -> (usize, usize) {
        (
            window_out(h, self.kernel.0, self.stride.0, self.padding.0, self.dilation.0),
            window_out(w, self.kernel.1, self.stride.1, self.padding.1, self.dilation.1),
        )
    }

    /// Count of scalar parameters.
    pub fn num_params(&self) -> usize {
        let k = self.in_channels * self.kernel.0 * self.kernel.1;
        self.out_channels * k + if self.bias { self.out_channels } else { 0 }
    }

    /// Builds the layer on a device with PyTorch's default initialisation: weight and bias
    /// uniform in `[-1/sqrt(fan_in), 1/sqrt(fan_in)]`, `fan_in = in_channels * kh * kw`, drawn from
    /// the device's seeded stream. Panics if [`Conv2dConfig::validate`] fails.
    pub fn build(&self, dev: &Device) -> Conv2d {
        if let Err(e) = self.validate() {
            panic!("Conv2dConfig: {e}");
        }
        let fan_in = self.in_channels * self.kernel.0 * self.kernel.1;
        let bound = 1.0 / (fan_in as f32).sqrt();
        let weight = dev.sample_uniform_like(&(self.out_channels, fan_in)) * (2.0 * bound) - bound;
        let bias = self
            .bias
            .then(|| dev.sample_uniform_like(&(self.out_channels,)) * (2.0 * bound) - bound);
        Conv2d { config: self.clone(), weight, bias, cache: IndexCache::default() }
    }
}

/// Channels, kernel, stride and dilation of a convolution must all be at least 1.
pub(crate) fn check_geometry(
    in_channels: usize,
    out_channels: usize,
    kernel: (usize, usize),
    stride: (usize, usize),
    dilation: (usize, usize),
) -> Result<()> {
    check_positive(&[
        ("in_channels", in_channels),
        ("out_channels", out_channels),
        ("kernel", kernel.0.min(kernel.1)),
        ("stride", stride.0.min(stride.1)),
        ("dilation", dilation.0.min(dilation.1)),
    ])
}

pub(crate) fn check_positive(sizes: &[(&'static str, usize)]) -> Result<()> {
    for &(name, v) in sizes {
        if v == 0 {
            return Err(Error::invalid(name, v, "must be at least 1"));
        }
    }
    Ok(())
}

/// A 2-D convolution on [`FeatureMaps`].
///
/// `weight` has shape `(out_channels, kh*kw*in_channels)`; its columns are in `(ky, kx, c)` order
/// (channels fastest, matching the channels-last input), so that row `o` dotted with the gathered
/// window gives output channel `o`. [`Conv2d::weight_oihw`] and [`Conv2d::set_weight_oihw`]
/// convert from and to PyTorch's `(out, in, kh, kw)` order.
#[derive(Clone, Debug)]
pub struct Conv2d {
    pub config: Conv2dConfig,
    pub weight: Matrix,
    pub bias: Option<Vector>,
    cache: IndexCache,
}

impl Conv2d {
    /// `y[n, oy, ox, o] = b[o] + sum_{ky, kx, c} w[o, (ky, kx, c)] x[n, oy*s + ky*d - p, ox*s + kx*d - p, c]`
    /// (zero outside the image).
    pub fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> FeatureMaps<T> {
        let cfg = &self.config;
        assert_eq!(x.channels(), cfg.in_channels, "Conv2d: input has {} channels, expected {}", x.channels(), cfg.in_channels);
        let (n, h, w) = (x.n, x.h, x.w);
        let dev = x.data.device().clone();
        let index = self.cache.get_or_build((n, h, w), || {
            let (oh, ow) = cfg.output_size(h, w);
            let ty = conv_taps(h, oh, cfg.kernel.0, cfg.stride.0, cfg.padding.0, cfg.dilation.0);
            let tx = conv_taps(w, ow, cfg.kernel.1, cfg.stride.1, cfg.padding.1, cfg.dilation.1);
            WindowIndex::build(&dev, n, h, w, &ty, &tx)
        });
        let y = windows_linear(x.data, &index, &self.weight, self.bias.as_ref());
        FeatureMaps::new(y, n, index.out_h, index.out_w)
    }

    /// The weight in PyTorch's `(out, in, kh, kw)` order, flattened.
    pub fn weight_oihw(&self) -> Vec<f32> {
        let c = &self.config;
        permute_taps_last_to_first(&self.weight.as_vec(), c.out_channels, c.kernel.0 * c.kernel.1, c.in_channels)
    }

    /// Sets the weight from PyTorch's `(out, in, kh, kw)` order, flattened.
    pub fn set_weight_oihw(&mut self, values: &[f32]) {
        let c = &self.config;
        let taps = c.kernel.0 * c.kernel.1;
        assert_eq!(values.len(), c.out_channels * taps * c.in_channels, "set_weight_oihw: wrong length");
        let v = permute_taps_first_to_last(values, c.out_channels, c.in_channels, taps);
        self.weight.copy_from(&v);
    }
}

/// `(a, taps, c)` -> `(a, c, taps)`.
pub(crate) fn permute_taps_last_to_first(v: &[f32], a: usize, taps: usize, c: usize) -> Vec<f32> {
    let mut out = vec![0.0; v.len()];
    for i in 0..a {
        for t in 0..taps {
            for ch in 0..c {
                out[(i * c + ch) * taps + t] = v[(i * taps + t) * c + ch];
            }
        }
    }
    out
}

/// `(a, c, taps)` -> `(a, taps, c)`.
pub(crate) fn permute_taps_first_to_last(v: &[f32], a: usize, c: usize, taps: usize) -> Vec<f32> {
    let mut out = vec![0.0; v.len()];
    for i in 0..a {
        for ch in 0..c {
            for t in 0..taps {
                out[(i * taps + t) * c + ch] = v[(i * c + ch) * taps + t];
            }
        }
    }
    out
}

impl Trainable for Conv2d {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        f(ParamMut::Matrix(&mut self.weight));
        if let Some(b) = &mut self.bias {
            f(ParamMut::Vector(b));
        }
    }
}
