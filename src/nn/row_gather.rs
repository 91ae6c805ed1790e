//! A row gather with padding, the im2col step of every window layer, as a hand-written CPU op
//! with its own backward (route b of [`crate::nn::FeatureMaps`]).
//!
//! Forward: `y[r, :] = x[index[r], :]`, or `pad` where `index[r]` is [`RowIndex::PAD`].
//! Backward: `dx[i, :] = sum over r with index[r] = i of dy[r, :]`.
//!
//! dfdx's CPU `gather` walks a generic n-d index per element and its backward scatters one value
//! at a time; here each row is one `memcpy` and the backward is a gather too: the index is inverted
//! once (a counting sort, cached with the index), so every input row sums its own output rows in a
//! fixed order. That makes the backward parallel without atomics and bit-reproducible.
//! The CUDA build uses dfdx's `gather` instead (see `gather_windows` in `maps.rs`).

#![cfg_attr(feature = "cuda", allow(dead_code, unused_imports))]

use std::sync::{Arc, OnceLock};

use dfdx::prelude::*;
use rayon::prelude::*;

use crate::nn::dense::Matrix;
#[cfg(not(feature = "cuda"))]
use crate::nn::host::{host_values, with_output_grad};

/// Rows handed to one rayon task.
const ROWS_PER_TASK: usize = 256;

/// For every output row, the input row it copies (or [`RowIndex::PAD`]); the inverse is built on
/// first use by a backward pass.
#[derive(Debug)]
pub(crate) struct RowIndex {
    rows: Vec<u32>,
    input_rows: usize,
    inverse: OnceLock<Inverse>,
}

/// The output rows reading each input row, in increasing order: those of input row `i` are
/// `out_rows[start[i]..start[i + 1]]`.
#[derive(Debug)]
struct Inverse {
    start: Vec<usize>,
    out_rows: Vec<u32>,
}

impl RowIndex {
    /// Marks an output row that reads the padding value.
    pub const PAD: u32 = u32::MAX;

    /// `rows[r]` is the input row of output row `r`, or `None` for padding. Panics if an input row
    /// is out of range or the sizes do not fit in `u32`.
    pub fn new(rows: impl IntoIterator<Item = Option<usize>>, input_rows: usize) -> RowIndex {
        assert!(input_rows < Self::PAD as usize, "RowIndex: {input_rows} input rows do not fit in u32");
        let rows: Vec<u32> = rows
            .into_iter()
            .map(|r| match r {
                Some(i) => {
                    assert!(i < input_rows, "RowIndex: input row {i} out of range {input_rows}");
                    i as u32
                }
                None => Self::PAD,
            })
            .collect();
        assert!(rows.len() < Self::PAD as usize, "RowIndex: {} output rows do not fit in u32", rows.len());
        RowIndex { rows, input_rows, inverse: OnceLock::new() }
    }

    pub fn output_rows(&self) -> usize {
        self.rows.len()
    }

    /// The input row of each output row, [`RowIndex::PAD`] for padding.
    pub fn rows(&self) -> &[u32] {
        &self.rows
    }

    fn inverse(&self) -> &Inverse {
        self.inverse.get_or_init(|| {
            let mut start = vec![0usize; self.input_rows + 1];
            for &r in &self.rows {
                if r != Self::PAD {
                    start[r as usize + 1] += 1;
                }
            }
            for i in 0..self.input_rows {
                start[i + 1] += start[i];
            }
            let mut next = start.clone();
            let mut out_rows = vec![0u32; start[self.input_rows]];
            for (o, &r) in self.rows.iter().enumerate() {
                if r != Self::PAD {
                    out_rows[next[r as usize]] = o as u32;
                    next[r as usize] += 1;
                }
            }
            Inverse { start, out_rows }
        })
    }
}

/// Forward of the gather on host slices: `out` has `index.output_rows() * c` values.
fn gather_forward(src: &[f32], index: &RowIndex, c: usize, pad: f32, out: &mut [f32]) {
    out.par_chunks_mut(ROWS_PER_TASK * c).zip(index.rows.par_chunks(ROWS_PER_TASK)).for_each(|(dst, rows)| {
        for (d, &r) in dst.chunks_exact_mut(c).zip(rows) {
            if r == RowIndex::PAD {
                d.fill(pad);
            } else {
                let r = r as usize;
                d.copy_from_slice(&src[r * c..(r + 1) * c]);
            }
        }
    });
}

/// Backward of the gather on host slices: adds to `grad_in` (`input_rows * c` values).
fn gather_backward(grad_out: &[f32], index: &RowIndex, c: usize, grad_in: &mut [f32]) {
    let inv = index.inverse();
    grad_in.par_chunks_mut(ROWS_PER_TASK * c).enumerate().for_each(|(task, g)| {
        let first = task * ROWS_PER_TASK;
        for (k, gi) in g.chunks_exact_mut(c).enumerate() {
            let i = first + k;
            for &o in &inv.out_rows[inv.start[i]..inv.start[i + 1]] {
                let o = o as usize;
                for (a, b) in gi.iter_mut().zip(&grad_out[o * c..(o + 1) * c]) {
                    *a += *b;
                }
            }
        }
    });
}

#[cfg(not(feature = "cuda"))]
/// Gathers rows of `x` (`(index.input_rows(), c)`) into `(index.output_rows(), c)` on the tape.
/// A non-contiguous `x` is copied first (every layer output is contiguous).
pub(crate) fn gather_rows<T: Tape<f32, Cpu> + Merge<NoneTape>>(x: Matrix<T>, index: &Arc<RowIndex>, pad: f32) -> Matrix<T> {
    let (rows_in, c) = *x.shape();
    assert_eq!(rows_in, index.input_rows, "gather_rows: input has {rows_in} rows, the index expects {}", index.input_rows);
    let (x, mut tape) = x.contiguous().split_tape();
    let src = host_values(&x);
    let m = index.output_rows();
    let mut out = vec![0.0f32; m * c];
    gather_forward(&src, index, c, pad, &mut out);
    drop(src);
    let y: Matrix = x.device().tensor_from_vec(out, (m, c));
    if T::OWNS_TAPE {
        let y_id = y.clone();
        let index = index.clone();
        tape.add_backward_op(move |grads| {
            with_output_grad(grads, &y_id, |grads, grad_out| {
                gather_backward(grad_out, &index, c, grads.get_or_alloc_mut(&x)?);
                Ok(())
            })
        });
    }
    y.put_tape(tape)
}

#[cfg(all(test, not(feature = "cuda")))]
mod tests {
    use super::*;
    use crate::device::seeded_device;

    #[test]
    fn forward_and_backward_against_the_definition() {
        let dev = seeded_device(3);
        let (n_in, c) = (5, 3);
        let picks = [Some(4), None, Some(0), Some(4), Some(2), None, Some(4)];
        let index = Arc::new(RowIndex::new(picks, n_in));
        let x: Matrix = dev.sample_normal_like(&(n_in, c));
        let xv = x.as_vec();
        let y = gather_rows(x.leaky_trace(), &index, -7.0);
        let yv = y.as_vec();
        for (r, p) in picks.iter().enumerate() {
            for j in 0..c {
                let want = p.map_or(-7.0, |i| xv[i * c + j]);
                assert_eq!(yv[r * c + j], want);
            }
        }
        // Loss sum(w * y) with distinct weights: dx[i] = sum of w over the rows reading i.
        let wv: Vec<f32> = (0..picks.len() * c).map(|k| k as f32 + 1.0).collect();
        let w: Matrix = dev.tensor_from_vec(wv.clone(), (picks.len(), c));
        let grads = (y * w).sum().backward();
        let gx = grads.get(&x).as_vec();
        for i in 0..n_in {
            for j in 0..c {
                let want: f32 = picks.iter().enumerate().filter(|(_, p)| **p == Some(i)).map(|(r, _)| wv[r * c + j]).sum();
                assert_eq!(gx[i * c + j], want, "dx[{i}, {j}]");
            }
        }
    }

    #[test]
    fn input_rows_out_of_range_are_refused() {
        let r = std::panic::catch_unwind(|| RowIndex::new([Some(3)], 3));
        assert!(r.is_err());
    }
}
