//! The product shared by [`crate::nn::Conv2d`] and [`crate::nn::ConvTranspose2d`]: gather each
//! output pixel's window of input channels (im2col), then multiply by the weight.
//!
//! `y[p, o] = b[o] + sum_{t, c} w[o, t*C + c] x[index[p*taps + t], c]` (a padding tap reads 0).
//!
//! On the CPU this is one op with its own backward that works image by image and, within an
//! image, on blocks of output pixels whose window matrix fits in a core's L2 cache: gather the
//! block's windows (im2col), multiply by the weight with `gemm` 0.19; the backward gathers the
//! block again and computes `dW += dYᵀ cols`, `dcols = dY W` and `dx += col2im(dcols)`, and
//! `db += column sums of dY`. On CUDA it is dfdx's `gather`, `reshape` and `matmul`.

use dfdx::prelude::*;

use crate::device::Device;
use crate::nn::dense::{Matrix, Vector};
use crate::nn::maps::WindowIndex;

/// `windows(x) Wᵀ + b`: `x` is `(n*h*w, C)`, `weight` is `(out, taps*C)`, the result
/// `(out pixels, out)`.
pub(crate) fn windows_linear<T: Tape<f32, Device> + Merge<NoneTape>>(
    x: Matrix<T>,
    index: &WindowIndex,
    weight: &Matrix,
    bias: Option<&Vector>,
) -> Matrix<T> {
    let (out_ch, k) = *weight.shape();
    assert_eq!(k, index.taps * x.shape().1, "windows_linear: weight has {k} columns, windows have {} x {}", index.taps, x.shape().1);
    assert_eq!(bias.map_or(out_ch, |b| b.shape().0), out_ch, "windows_linear: bias length differs from the weight's rows");
    #[cfg(not(feature = "cuda"))]
    {
        cpu::windows_linear(x, index, weight, bias)
    }
    #[cfg(feature = "cuda")]
    {
        let rows = index.rows.output_rows() / index.taps;
        let cols = crate::nn::maps::gather_windows(x, index, 0.0).reshape_like(&(rows, k));
        let y = cols.matmul(weight.clone().permute::<_, Axes2<1, 0>>());
        match bias {
            Some(b) => y + b.clone().broadcast_like::<_, Axis<0>>(&(rows, out_ch)),
            None => y,
        }
    }
}

#[cfg(not(feature = "cuda"))]
mod cpu {
    use super::*;
    use rayon::prelude::*;

    use crate::nn::gemm::{matmul_serial, MatRef};
    use crate::nn::host::{add_column_sums, host_values, with_output_grad};
    use crate::nn::row_gather::RowIndex;

    /// Window-matrix values per block of output pixels (256 KiB, so that the block stays in a
    /// core's L2 cache between the gather and the product).
    const BLOCK_VALUES: usize = 1 << 16;

    /// The geometry one image at a time: output pixels `p` per image, input rows per image,
    /// taps, input channels `c` and window width `k = taps * c`.
    #[derive(Clone, Copy)]
    struct Geometry {
        p: usize,
        in_rows: usize,
        taps: usize,
        c: usize,
        k: usize,
    }

    impl Geometry {
        /// Output pixels per block.
        fn block(&self) -> usize {
            (BLOCK_VALUES / self.k.max(1)).max(16).min(self.p.max(1))
        }
    }

    /// Calls `f(entry, input row or None, run length)` over `rows`, merging consecutive entries
    /// that read consecutive input rows (the horizontal taps of a window) into one run.
    fn for_each_run(rows: &[u32], mut f: impl FnMut(usize, Option<usize>, usize)) {
        let mut j = 0;
        while j < rows.len() {
            let r = rows[j];
            if r == RowIndex::PAD {
                f(j, None, 1);
                j += 1;
                continue;
            }
            let mut len = 1;
            while j + len < rows.len() && rows[j + len] == r.wrapping_add(len as u32) {
                len += 1;
            }
            f(j, Some(r as usize), len);
            j += len;
        }
    }

    /// The windows of output pixels `first..first + len` of one image into `cols` (`len x k`);
    /// `rows` is that image's slice of the index and `base` its first input row.
    fn gather_block(x: &[f32], rows: &[u32], g: Geometry, base: usize, first: usize, len: usize, cols: &mut [f32]) {
        let c = g.c;
        for_each_run(&rows[first * g.taps..(first + len) * g.taps], |j, r, run| {
            let dst = &mut cols[j * c..(j + run) * c];
            match r {
                None => dst.fill(0.0),
                Some(r) => dst.copy_from_slice(&x[(r - base) * c..(r - base + run) * c]),
            }
        });
    }

    /// Adds `dcols` (`len x k`) back onto the image's input rows `dx` (col2im).
    fn scatter_block(dcols: &[f32], rows: &[u32], g: Geometry, base: usize, first: usize, len: usize, dx: &mut [f32]) {
        let c = g.c;
        for_each_run(&rows[first * g.taps..(first + len) * g.taps], |j, r, run| {
            if let Some(r) = r {
                for (d, s) in dx[(r - base) * c..(r - base + run) * c].iter_mut().zip(&dcols[j * c..(j + run) * c]) {
                    *d += *s;
                }
            }
        });
    }

    /// Image by image (in parallel) and block by block, so that no batch-sized window matrix is
    /// ever built: gather a block's windows, multiply, move on. The backward gathers them again.
    /// Every image reads and writes only its own input rows, so the backward's col2im needs no
    /// synchronisation, and the weight gradient is summed over images in image order.
    pub(super) fn windows_linear<T: Tape<f32, Cpu> + Merge<NoneTape>>(
        x: Matrix<T>,
        index: &WindowIndex,
        weight: &Matrix,
        bias: Option<&Vector>,
    ) -> Matrix<T> {
        let (rows_in, c) = *x.shape();
        let (out_ch, k) = *weight.shape();
        let rows = index.rows.clone();
        let n = index.n;
        let g = Geometry { p: index.out_h * index.out_w, in_rows: rows_in / n.max(1), taps: index.taps, c, k };
        let (x, mut tape) = x.contiguous().split_tape();
        let xv = host_values(&x);
        let w = host_values(weight);
        let b = bias.map(|b| host_values(b));
        let mut y = vec![0.0f32; n * g.p * out_ch];
        if g.p > 0 {
            y.par_chunks_mut(g.p * out_ch).enumerate().for_each_init(
                || vec![0.0f32; g.block() * k],
                |cols, (i, yi)| {
                    let img_rows = &rows.rows()[i * g.p * g.taps..(i + 1) * g.p * g.taps];
                    let x_img = &xv[i * g.in_rows * c..(i + 1) * g.in_rows * c];
                    for first in (0..g.p).step_by(g.block()) {
                        let len = g.block().min(g.p - first);
                        gather_block(x_img, img_rows, g, i * g.in_rows, first, len, cols);
                        let yb = &mut yi[first * out_ch..(first + len) * out_ch];
                        if let Some(b) = &b {
                            for row in yb.chunks_exact_mut(out_ch) {
                                row.copy_from_slice(b);
                            }
                        }
                        matmul_serial(yb, MatRef::new(&cols[..len * k], len, k), MatRef::new(&w, out_ch, k).t(), b.is_some());
                    }
                },
            );
        }
        let out: Matrix = x.device().tensor_from_vec(y, (n * g.p, out_ch));
        if T::OWNS_TAPE {
            let out_id = out.clone();
            let weight_id = weight.clone();
            let bias_id = bias.cloned();
            tape.add_backward_op(move |grads| {
                with_output_grad(grads, &out_id, |grads, gy| {
                if let Some(b) = &bias_id {
                    add_column_sums(grads.get_or_alloc_mut(b)?, gy);
                }
                let gx = grads.get_or_alloc_mut(&x)?;
                let weight_grads: Vec<Vec<f32>> = if g.p == 0 {
                    Vec::new()
                } else {
                    gx.par_chunks_mut(g.in_rows * c)
                        .enumerate()
                        .map_init(
                            || (vec![0.0f32; g.block() * k], vec![0.0f32; g.block() * k]),
                            |(cols, dcols), (i, dx_img)| {
                                let img_rows = &rows.rows()[i * g.p * g.taps..(i + 1) * g.p * g.taps];
                                let x_img = &xv[i * g.in_rows * c..(i + 1) * g.in_rows * c];
                                let gy_img = &gy[i * g.p * out_ch..(i + 1) * g.p * out_ch];
                                let mut dw = vec![0.0f32; out_ch * k];
                                for first in (0..g.p).step_by(g.block()) {
                                    let len = g.block().min(g.p - first);
                                    gather_block(x_img, img_rows, g, i * g.in_rows, first, len, cols);
                                    let gyb = MatRef::new(&gy_img[first * out_ch..(first + len) * out_ch], len, out_ch);
                                    matmul_serial(&mut dw, gyb.t(), MatRef::new(&cols[..len * k], len, k), true);
                                    matmul_serial(&mut dcols[..len * k], gyb, MatRef::new(&w, out_ch, k), false);
                                    scatter_block(dcols, img_rows, g, i * g.in_rows, first, len, dx_img);
                                }
                                dw
                            },
                        )
                        .collect()
                };
                let gw = grads.get_or_alloc_mut(&weight_id)?;
                for dw in &weight_grads {
                    for (acc, v) in gw.iter_mut().zip(dw) {
                        *acc += *v;
                    }
                }
                Ok(())
                })
            });
        }
        out.put_tape(tape)
    }
}
