//! A 2-D transposed convolution ("deconvolution") with run-time shapes (dfdx 0.13's
//! `ConvTrans2D` needs its `nightly` feature).
//!
//! Output pixel `o` receives input pixel `i` through kernel tap `k` when
//! `o = i*stride + k*dilation - padding` (PyTorch's definition). The layer gathers, for every
//! output pixel and tap, the input row that reaches it (or a zero row), then multiplies by the
//! weight: the same gather + matmul as [`crate::nn::Conv2d`]. With stride `s` about `1 - 1/s^2` of
//! the gathered rows are zeros; that is the price of staying in device-independent ops.

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::nn::conv::{check_geometry, permute_taps_first_to_last, permute_taps_last_to_first};
use crate::nn::dense::{Matrix, Vector};
use crate::nn::maps::{convtrans_taps, FeatureMaps, IndexCache, WindowIndex};
use crate::nn::windows_linear::windows_linear;
use crate::nn::params::{ParamMut, Trainable};

/// Shape of a [`ConvTranspose2d`] (device-free). Pairs are `(vertical, horizontal)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvTranspose2dConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel: (usize, usize),
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    /// Extra rows/columns added on the bottom/right of the output (must be below the stride or
    /// the dilation), to pick among the input sizes a strided convolution maps to the same size.
    pub output_padding: (usize, usize),
    pub dilation: (usize, usize),
    pub bias: bool,
}

impl ConvTranspose2dConfig {
    /// A square `kernel x kernel` transposed convolution, stride 1, no padding, with a bias.
    pub fn new(in_channels: usize, out_channels: usize, kernel: usize) -> Self {
        ConvTranspose2dConfig {
            in_channels,
            out_channels,
            kernel: (kernel, kernel),
            stride: (1, 1),
            padding: (0, 0),
            output_padding: (0, 0),
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

    pub fn output_padding(mut self, output_padding: usize) -> Self {
        self.output_padding = (output_padding, output_padding);
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

    /// Checks that sizes are positive and `output_padding < max(stride, dilation)` (PyTorch's rule).
    pub fn validate(&self) -> Result<()> {
        check_geometry(self.in_channels, self.out_channels, self.kernel, self.stride, self.dilation)?;
        for (op, s, d) in [
            (self.output_padding.0, self.stride.0, self.dilation.0),
            (self.output_padding.1, self.stride.1, self.dilation.1),
        ] {
            if op >= s.max(d) {
                return Err(Error::invalid("output_padding", op, "must be smaller than the stride or the dilation"));
            }
        }
        Ok(())
    }

    /// Output `(height, width)`: `(in - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1`.
    /// Panics if that is not positive.
    pub fn output_size(&self, h: usize, w: usize) -> (usize, usize) {
        let one = |i: usize, k: usize, s: usize, p: usize, op: usize, d: usize| {
            let full = (i - 1) * s + d * (k - 1) + op + 1;
            assert!(full > 2 * p, "ConvTranspose2d: padding {p} leaves no output for input {i}");
            full - 2 * p
        };
        (
            one(h, self.kernel.0, self.stride.0, self.padding.0, self.output_padding.0, self.dilation.0),
            one(w, self.kernel.1, self.stride.1, self.padding.1, self.output_padding.1, self.dilation.1),
        )
    }

    /// Count of scalar parameters.
    pub fn num_params(&self) -> usize {
        self.out_channels * self.in_channels * self.kernel.0 * self.kernel.1 + if self.bias { self.out_channels } else { 0 }
    }

    /// Builds the layer with PyTorch's default initialisation: uniform in
    /// `[-1/sqrt(fan_in), 1/sqrt(fan_in)]` where PyTorch's `fan_in` for a transposed convolution is
    /// `out_channels * kh * kw`. Panics if [`ConvTranspose2dConfig::validate`] fails.
    pub fn build(&self, dev: &Device) -> ConvTranspose2d {
        if let Err(e) = self.validate() {
            panic!("ConvTranspose2dConfig: {e}");
        }
        let taps = self.kernel.0 * self.kernel.1;
        let bound = 1.0 / ((self.out_channels * taps) as f32).sqrt();
        let weight = dev.sample_uniform_like(&(self.out_channels, taps * self.in_channels)) * (2.0 * bound) - bound;
        let bias = self
            .bias
            .then(|| dev.sample_uniform_like(&(self.out_channels,)) * (2.0 * bound) - bound);
        ConvTranspose2d { config: self.clone(), weight, bias, cache: IndexCache::default() }
    }
}

/// A 2-D transposed convolution on [`FeatureMaps`].
///
/// `weight` has shape `(out_channels, kh*kw*in_channels)`, columns in `(ky, kx, c)` order:
/// `weight[o, (ky, kx, c)]` is PyTorch's `weight[c, o, ky, kx]` (PyTorch stores
/// `(in, out, kh, kw)`); [`ConvTranspose2d::weight_iohw`] and
/// [`ConvTranspose2d::set_weight_iohw`] convert.
#[derive(Clone, Debug)]
pub struct ConvTranspose2d {
    pub config: ConvTranspose2dConfig,
    pub weight: Matrix,
    pub bias: Option<Vector>,
    cache: IndexCache,
}

impl ConvTranspose2d {
    /// `y[n, oy, ox, o] = b[o] + sum w[o, (ky, kx, c)] x[n, iy, ix, c]` over the taps with
    /// `oy = iy*s + ky*d - p` and `ox = ix*s + kx*d - p`.
    pub fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> FeatureMaps<T> {
        let cfg = &self.config;
        assert_eq!(x.channels(), cfg.in_channels, "ConvTranspose2d: input has {} channels, expected {}", x.channels(), cfg.in_channels);
        let (n, h, w) = (x.n, x.h, x.w);
        let dev = x.data.device().clone();
        let index = self.cache.get_or_build((n, h, w), || {
            let (oh, ow) = cfg.output_size(h, w);
            let ty = convtrans_taps(h, oh, cfg.kernel.0, cfg.stride.0, cfg.padding.0, cfg.dilation.0);
            let tx = convtrans_taps(w, ow, cfg.kernel.1, cfg.stride.1, cfg.padding.1, cfg.dilation.1);
            WindowIndex::build(&dev, n, h, w, &ty, &tx)
        });
        let y = windows_linear(x.data, &index, &self.weight, self.bias.as_ref());
        FeatureMaps::new(y, n, index.out_h, index.out_w)
    }

    /// The weight in PyTorch's `(in, out, kh, kw)` order, flattened.
    pub fn weight_iohw(&self) -> Vec<f32> {
        let c = &self.config;
        let taps = c.kernel.0 * c.kernel.1;
        // (o, taps, c) -> (o, c, taps) -> (c, o, taps)
        let ocp = permute_taps_last_to_first(&self.weight.as_vec(), c.out_channels, taps, c.in_channels);
        let mut out = vec![0.0; ocp.len()];
        for o in 0..c.out_channels {
            for ch in 0..c.in_channels {
                let src = (o * c.in_channels + ch) * taps;
                let dst = (ch * c.out_channels + o) * taps;
                out[dst..dst + taps].copy_from_slice(&ocp[src..src + taps]);
            }
        }
        out
    }

    /// Sets the weight from PyTorch's `(in, out, kh, kw)` order, flattened.
    pub fn set_weight_iohw(&mut self, values: &[f32]) {
        let c = &self.config;
        let taps = c.kernel.0 * c.kernel.1;
        assert_eq!(values.len(), c.out_channels * taps * c.in_channels, "set_weight_iohw: wrong length");
        let mut ocp = vec![0.0; values.len()];
        for o in 0..c.out_channels {
            for ch in 0..c.in_channels {
                let src = (ch * c.out_channels + o) * taps;
                let dst = (o * c.in_channels + ch) * taps;
                ocp[dst..dst + taps].copy_from_slice(&values[src..src + taps]);
            }
        }
        let v = permute_taps_first_to_last(&ocp, c.out_channels, c.in_channels, taps);
        self.weight.copy_from(&v);
    }
}

impl Trainable for ConvTranspose2d {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        f(ParamMut::Matrix(&mut self.weight));
        if let Some(b) = &mut self.bias {
            f(ParamMut::Vector(b));
        }
    }
}
