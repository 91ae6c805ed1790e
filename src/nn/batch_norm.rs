//! Batch normalisation over the channels of [`FeatureMaps`] (Ioffe and Szegedy 2015; PyTorch's
//! `BatchNorm2d`), and its training-mode kernel.
//!
//! With batch statistics, per channel `c` over the `R = N*H*W` rows:
//! `mu = (1/R) sum x`, `var = (1/R) sum (x - mu)^2`, `xhat = (x - mu) / sqrt(var + eps)`,
//! `y = gamma xhat + beta`. The backward is
//! `dbeta = sum dy`, `dgamma = sum dy xhat`,
//! `dx = gamma / (R sqrt(var + eps)) (R dy - dbeta - xhat dgamma)`.
//!
//! On the CPU this is one op with its own backward: two passes over the rows forward (the mean,
//! then the squared deviations, for accuracy) and one to write `y`; two backward. The row range is
//! split in fixed blocks whose partial sums are added in block order, so a run is bit-identical
//! whatever the thread count. dfdx's `normalize` plus the affine part take about twenty passes.
//! On CUDA it is dfdx's `normalize` and broadcasts.

use dfdx::prelude::*;

use crate::device::Device;
use crate::nn::dense::{Matrix, Vector};
use crate::nn::maps::FeatureMaps;
use crate::nn::params::{ParamMut, Trainable};

/// Batch normalisation over the channels of [`FeatureMaps`] (on the channels-last matrix it
/// normalises each column).
///
/// `gamma` and `beta` are the trainable parameters (visited by [`Trainable`], so Adam updates
/// them and `save_params` stores them). The running statistics are not parameters: they are
/// updated by [`BatchNorm2d::forward_train`] (momentum 0.1, unbiased variance, as PyTorch) and read
/// by [`BatchNorm2d::forward_eval`], and `save_params` does not store them.
#[derive(Clone, Debug)]
pub struct BatchNorm2d {
    pub gamma: Vector,
    pub beta: Vector,
    pub running_mean: Vector,
    pub running_var: Vector,
    pub eps: f32,
    pub momentum: f32,
}

impl BatchNorm2d {
    /// `gamma = 1`, `beta = 0`, running mean 0 and variance 1, eps 1e-5, momentum 0.1.
    pub fn new(dev: &Device, channels: usize) -> BatchNorm2d {
        BatchNorm2d {
            gamma: dev.ones_like(&(channels,)),
            beta: dev.zeros_like(&(channels,)),
            running_mean: dev.zeros_like(&(channels,)),
            running_var: dev.ones_like(&(channels,)),
            eps: 1e-5,
            momentum: 0.1,
        }
    }

    /// Normalises with the batch's statistics and updates the running ones.
    pub fn forward_train<T: Tape<f32, Device> + Merge<NoneTape>>(&mut self, x: FeatureMaps<T>) -> FeatureMaps<T> {
        let rows = x.data.shape().0 as f32;
        let (n, h, w) = (x.n, x.h, x.w);
        let (y, mean, var) = normalize_batch(x.data, &self.gamma, &self.beta, self.eps);
        let var = var * (rows / (rows - 1.0).max(1.0));
        let m = self.momentum;
        self.running_mean = self.running_mean.clone() * (1.0 - m) + mean * m;
        self.running_var = self.running_var.clone() * (1.0 - m) + var * m;
        FeatureMaps::new(y, n, h, w)
    }

    /// Normalises with the running statistics.
    pub fn forward_eval<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> FeatureMaps<T> {
        let shape = *x.data.shape();
        let std = (self.running_var.clone() + self.eps).sqrt();
        x.map(|d| {
            (d - self.running_mean.clone().broadcast_like::<_, Axis<0>>(&shape)) / std.broadcast_like::<_, Axis<0>>(&shape)
                * self.gamma.clone().broadcast_like::<_, Axis<0>>(&shape)
                + self.beta.clone().broadcast_like::<_, Axis<0>>(&shape)
        })
    }
}

impl Trainable for BatchNorm2d {
    fn visit_params(&mut self, f: &mut dyn FnMut(ParamMut<'_>)) {
        f(ParamMut::Vector(&mut self.gamma));
        f(ParamMut::Vector(&mut self.beta));
    }
}

/// `gamma xhat + beta` with the batch statistics of each column of `x`; also returns the columns'
/// means and biased variances (off the tape).
fn normalize_batch<T: Tape<f32, Device> + Merge<NoneTape>>(x: Matrix<T>, gamma: &Vector, beta: &Vector, eps: f32) -> (Matrix<T>, Vector, Vector) {
    #[cfg(not(feature = "cuda"))]
    {
        cpu::normalize_batch(x, gamma, beta, eps)
    }
    #[cfg(feature = "cuda")]
    {
        let shape = *x.shape();
        let values: Matrix = x.retaped::<NoneTape>();
        let mean = values.clone().mean::<_, Axis<0>>();
        let var = values.var::<_, Axis<0>>();
        let y = x.normalize::<Axis<0>>(eps) * gamma.clone().broadcast_like::<_, Axis<0>>(&shape)
            + beta.clone().broadcast_like::<_, Axis<0>>(&shape);
        (y, mean, var)
    }
}

#[cfg(not(feature = "cuda"))]
mod cpu {
    use super::*;
    use rayon::prelude::*;

    use crate::nn::host::{host_values, with_output_grad};

    /// Rows per block of the reductions and element-wise passes.
    const BLOCK_ROWS: usize = 512;

    /// Sums of `width` values over blocks: `f` fills one block's partial sums, and the partials
    /// are added in block order (the same bits whatever the thread count).
    fn blockwise_sums<B: Send>(
        blocks: impl IndexedParallelIterator<Item = B>,
        width: usize,
        f: impl Fn(B, &mut [f64]) + Sync + Send,
    ) -> Vec<f64> {
        let partials: Vec<Vec<f64>> = blocks
            .map(|block| {
                let mut acc = vec![0.0f64; width];
                f(block, &mut acc);
                acc
            })
            .collect();
        let mut total = vec![0.0f64; width];
        for p in &partials {
            for (t, v) in total.iter_mut().zip(p) {
                *t += v;
            }
        }
        total
    }

    /// Per-column sums of `f(block of rows, partial sums)` over blocks of rows.
    fn column_sums(x: &[f32], c: usize, f: impl Fn(&[f32], &mut [f64]) + Sync + Send) -> Vec<f64> {
        blockwise_sums(x.par_chunks(BLOCK_ROWS * c), c, f)
    }

    pub(super) fn normalize_batch<T: Tape<f32, Cpu> + Merge<NoneTape>>(
        x: Matrix<T>,
        gamma: &Vector,
        beta: &Vector,
        eps: f32,
    ) -> (Matrix<T>, Vector, Vector) {
        let (r, c) = *x.shape();
        assert_eq!(gamma.shape().0, c, "BatchNorm2d: {} channels in gamma, {c} in the input", gamma.shape().0);
        let (x, mut tape) = x.contiguous().split_tape();
        let xv = host_values(&x);
        let rf = r.max(1) as f64;
        let mean: Vec<f32> = column_sums(&xv, c, |block, acc| {
            for row in block.chunks_exact(c) {
                for (a, v) in acc.iter_mut().zip(row) {
                    *a += *v as f64;
                }
            }
        })
        .into_iter()
        .map(|s| (s / rf) as f32)
        .collect();
        let var: Vec<f32> = column_sums(&xv, c, |block, acc| {
            let mut sq = vec![0.0f32; c];
            for row in block.chunks_exact(c) {
                for ((s, v), m) in sq.iter_mut().zip(row).zip(&mean) {
                    let d = v - m;
                    *s += d * d;
                }
            }
            for (a, s) in acc.iter_mut().zip(&sq) {
                *a += *s as f64;
            }
        })
        .into_iter()
        .map(|s| (s / rf) as f32)
        .collect();
        let inv_std: Vec<f32> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
        let g = host_values(gamma);
        let b = host_values(beta);
        let scale: Vec<f32> = g.iter().zip(&inv_std).map(|(g, s)| g * s).collect();
        let shift: Vec<f32> = b.iter().zip(&mean).zip(&scale).map(|((b, m), s)| b - m * s).collect();
        let mut y = vec![0.0f32; r * c];
        y.par_chunks_mut(BLOCK_ROWS * c).zip(xv.par_chunks(BLOCK_ROWS * c)).for_each(|(yb, xb)| {
            for (yr, xr) in yb.chunks_exact_mut(c).zip(xb.chunks_exact(c)) {
                for (((o, v), s), t) in yr.iter_mut().zip(xr).zip(&scale).zip(&shift) {
                    *o = v * s + t;
                }
            }
        });
        let dev = x.device().clone();
        let out: Matrix = dev.tensor_from_vec(y, (r, c));
        if T::OWNS_TAPE {
            let out_id = out.clone();
            let (gamma_id, beta_id) = (gamma.clone(), beta.clone());
            let mean = mean.clone();
            tape.add_backward_op(move |grads| {
                with_output_grad(grads, &out_id, |grads, gy| {
                // sums[0..c] = sum dy, sums[c..2c] = sum dy xhat.
                let sums = column_sums_pair(&gy, &xv, c, &mean, &inv_std);
                let (dbeta, dgamma) = sums.split_at(c);
                for (acc, v) in grads.get_or_alloc_mut(&beta_id)?.iter_mut().zip(dbeta) {
                    *acc += *v as f32;
                }
                for (acc, v) in grads.get_or_alloc_mut(&gamma_id)?.iter_mut().zip(dgamma) {
                    *acc += *v as f32;
                }
                let rf = r as f32;
                let k: Vec<f32> = g.iter().zip(&inv_std).map(|(g, s)| g * s / rf).collect();
                let db: Vec<f32> = dbeta.iter().map(|v| *v as f32).collect();
                let dg: Vec<f32> = dgamma.iter().map(|v| *v as f32).collect();
                let gx = grads.get_or_alloc_mut(&x)?;
                gx.par_chunks_mut(BLOCK_ROWS * c)
                    .zip(gy.par_chunks(BLOCK_ROWS * c))
                    .zip(xv.par_chunks(BLOCK_ROWS * c))
                    .for_each(|((gxb, gyb), xb)| {
                        for ((gxr, gyr), xr) in gxb.chunks_exact_mut(c).zip(gyb.chunks_exact(c)).zip(xb.chunks_exact(c)) {
                            for j in 0..c {
                                let xhat = (xr[j] - mean[j]) * inv_std[j];
                                gxr[j] += k[j] * (rf * gyr[j] - db[j] - xhat * dg[j]);
                            }
                        }
                    });
                Ok(())
                })
            });
        }
        (out.put_tape(tape), dev.tensor_from_vec(mean, (c,)), dev.tensor_from_vec(var, (c,)))
    }

    /// `[sum dy, sum dy xhat]` per column, `2c` values.
    fn column_sums_pair(gy: &[f32], x: &[f32], c: usize, mean: &[f32], inv_std: &[f32]) -> Vec<f64> {
        blockwise_sums(gy.par_chunks(BLOCK_ROWS * c).zip(x.par_chunks(BLOCK_ROWS * c)), 2 * c, |(gb, xb), acc| {
            let mut s = vec![0.0f32; 2 * c];
            for (gr, xr) in gb.chunks_exact(c).zip(xb.chunks_exact(c)) {
                for j in 0..c {
                    s[j] += gr[j];
                    s[c + j] += gr[j] * (xr[j] - mean[j]) * inv_std[j];
                }
            }
            for (a, v) in acc.iter_mut().zip(s) {
                *a = f64::from(v);
            }
        })
    }
}
