//! Matrix products on host slices for the CPU kernels, through the `gemm` crate 0.19 with its
//! AVX-512 kernels (`x86-v4`, picked at run time where the processor has them; AVX2/FMA or
//! scalar otherwise). dfdx 0.13 links `gemm` 0.15, whose AVX-512 kernels need a nightly
//! compiler; on this project's machine 0.19 is 1.1 to 2.9x faster on the layer shapes (see
//! docs/PERFORMANCE.md).

#![cfg_attr(feature = "cuda", allow(dead_code))]

/// A row-major matrix on a host slice, possibly read transposed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatRef<'a> {
    pub data: &'a [f32],
    /// Rows and columns as stored.
    pub rows: usize,
    pub cols: usize,
    /// Read as its transpose (`cols x rows`).
    pub transposed: bool,
}

impl<'a> MatRef<'a> {
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert_eq!(data.len(), rows * cols, "MatRef: {} values for {rows} x {cols}", data.len());
        MatRef { data, rows, cols, transposed: false }
    }

    pub fn t(self) -> Self {
        MatRef { transposed: !self.transposed, ..self }
    }

    /// Shape as read: `(rows, cols)` of the (possibly transposed) matrix.
    fn shape(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// `(column stride, row stride)` as read.
    fn strides(&self) -> (isize, isize) {
        if self.transposed {
            (self.cols as isize, 1)
        } else {
            (1, self.cols as isize)
        }
    }
}

/// Products smaller than this many multiply-adds run on one thread.
const PARALLEL_MACS: usize = 1 << 18;

/// `dst = a b` (or `dst += a b` with `accumulate`), `dst` row-major `m x n`, on rayon's threads
/// when the product is large. The same inputs and thread count give the same bits.
pub(crate) fn matmul(dst: &mut [f32], a: MatRef<'_>, b: MatRef<'_>, accumulate: bool) {
    product(dst, a, b, accumulate, true)
}

/// [`matmul`] on the calling thread only (for callers that are already parallel).
pub(crate) fn matmul_serial(dst: &mut [f32], a: MatRef<'_>, b: MatRef<'_>, accumulate: bool) {
    product(dst, a, b, accumulate, false)
}

fn product(dst: &mut [f32], a: MatRef<'_>, b: MatRef<'_>, accumulate: bool, parallel: bool) {
    let (m, k) = a.shape();
    let (kb, n) = b.shape();
    assert_eq!(k, kb, "matmul: inner sizes {k} and {kb} differ");
    assert_eq!(dst.len(), m * n, "matmul: destination has {} values for {m} x {n}", dst.len());
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return;
    }
    let parallelism = if parallel && m * n * k >= PARALLEL_MACS { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
    let (a_cs, a_rs) = a.strides();
    let (b_cs, b_rs) = b.strides();
    // SAFETY: the asserts above make every index the strides reach lie inside the slices:
    // `a` is m x k, `b` is k x n and `dst` is m x n, each with the strides of its layout.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Vec<f32> {
        let mut out = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f64;
                for p in 0..k {
                    let x = if ta { a[p * m + i] } else { a[i * k + p] };
                    let y = if tb { b[j * k + p] } else { b[p * n + j] };
                    s += x as f64 * y as f64;
                }
                out[i * n + j] = s as f32;
            }
        }
        out
    }

    #[test]
    fn products_with_each_transpose_match_naive_loops_and_accumulate() {
        let (m, k, n) = (67, 45, 33);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 53 % 97) as f32 - 48.0) / 20.0).collect();
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let ar = if ta { MatRef::new(&a, k, m).t() } else { MatRef::new(&a, m, k) };
            let br = if tb { MatRef::new(&b, n, k).t() } else { MatRef::new(&b, k, n) };
            let want = naive(&a, &b, m, k, n, ta, tb);
            let mut got = vec![f32::NAN; m * n];
            matmul(&mut got, ar, br, false);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{ta} {tb}: {g} vs {w}");
            }
            matmul_serial(&mut got, ar, br, true);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - 2.0 * w).abs() <= 2e-4 * (1.0 + w.abs()), "accumulate {ta} {tb}: {g} vs {}", 2.0 * w);
            }
        }
    }
}
