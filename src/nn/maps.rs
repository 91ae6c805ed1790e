//! Feature maps for the convolution and pooling layers (see [`FeatureMaps`] for the layout and
//! the choice of route), and the window gather those layers share: an index of input rows per
//! output pixel and kernel tap, built once per input size and cached in the layer.

use std::sync::{Arc, Mutex};

use dfdx::prelude::*;

use crate::device::Device;
use crate::nn::dense::Matrix;
#[cfg(not(feature = "cuda"))]
use crate::nn::row_gather::gather_rows;
use crate::nn::row_gather::RowIndex;

/// A 4-D `f32` tensor with run-time shape `(N, C, H, W)` on the crate's device.
pub type Tensor4<T = NoneTape> = Tensor<(usize, usize, usize, usize), f32, Device, T>;

/// A `usize` index tensor on the crate's device.
pub(crate) type Index = Tensor<(usize,), usize, Device>;

/// A batch of feature maps on the tape, channels-last.
///
/// # Layout
///
/// `N` maps of `C` channels and `H x W` pixels are a [`Matrix`] `data` of shape `(N*H*W, C)`
/// whose row `(i*H + y)*W + x` holds the `C` channels of pixel `(y, x)` of image `i` (PyTorch's
/// `NHWC` memory order), plus `n = N`, `h = H`, `w = W`. With this layout a convolution is one
/// row gather (im2col) and one matmul whose result is already the next layer's input, with no
/// permute or copy; batch normalisation normalises columns; [`FeatureMaps::flatten`] is a free
/// reshape to `(N, H*W*C)`. [`FeatureMaps::from_nchw`] / [`FeatureMaps::into_nchw`] convert from
/// and to 4-D `(N, C, H, W)` tensors ([`Tensor4`]) on the tape (one gather each);
/// [`FeatureMaps::from_nchw_slice`] / [`FeatureMaps::to_nchw_vec`] do it on the host.
///
/// # Route: hand-written CPU kernels (b), dfdx ops on CUDA (a)
///
/// Two routes were measured (`cargo bench --bench conv`, 2 cores; details in
/// docs/PERFORMANCE.md). Route (a) writes every layer in dfdx ops that exist on every device
/// (`gather` of rows with a `usize` index tensor, `matmul`, `normalize`): correct everywhere, but
/// dfdx's CPU `gather` walks a generic n-d index per element (ten times a plain copy), its
/// `normalize` and broadcasts take about twenty passes, and its `gemm` 0.15 has no AVX-512 on
/// stable Rust: a ResNet-20 step at batch 32 took 435 ms, 11x PyTorch. Route (b) gives the CPU its
/// own ops with their own backward passes: the convolution works image by image on L2-sized
/// blocks of output pixels (gather, then a `gemm` 0.19 product; the backward gathers again and
/// scatters back into the image's own rows, so threads never share an output), batch
/// normalisation is one fused kernel, dense layers call `gemm` 0.19 directly: the same step takes
/// 66 ms, within 2x of PyTorch. The CUDA build keeps route (a) behind the same functions (no GPU
/// was lent to check its speed), so callers never see the difference.
#[derive(Clone, Debug)]
pub struct FeatureMaps<T = NoneTape> {
    pub data: Matrix<T>,
    pub n: usize,
    pub h: usize,
    pub w: usize,
}

impl<T: Tape<f32, Device>> FeatureMaps<T> {
    /// Wraps a `(n*h*w, c)` matrix. Panics if the row count is not `n*h*w`.
    pub fn new(data: Matrix<T>, n: usize, h: usize, w: usize) -> Self {
        assert_eq!(data.shape().0, n * h * w, "FeatureMaps: rows {} != n*h*w = {n}*{h}*{w}", data.shape().0);
        FeatureMaps { data, n, h, w }
    }

    pub fn channels(&self) -> usize {
        self.data.shape().1
    }

    /// `(N, C, H, W)`.
    pub fn dims(&self) -> (usize, usize, usize, usize) {
        (self.n, self.channels(), self.h, self.w)
    }

    /// Applies an elementwise function (e.g. `relu`) to the data.
    pub fn map(self, f: impl FnOnce(Matrix<T>) -> Matrix<T>) -> Self {
        FeatureMaps { data: f(self.data), n: self.n, h: self.h, w: self.w }
    }

    pub fn relu(self) -> Self {
        self.map(|d| d.relu())
    }

    /// `(N, H*W*C)`, each row one image in `(y, x, c)` order (free: a reshape of contiguous data).
    pub fn flatten(self) -> Matrix<T> {
        let (n, c) = (self.n, self.channels());
        let hwc = self.h * self.w * c;
        self.data.reshape_like(&(n, hwc))
    }

    /// Mean over the pixels of each image and channel: `(N, C)`.
    pub fn global_avg_pool(self) -> Matrix<T> {
        let (n, c, hw) = (self.n, self.channels(), self.h * self.w);
        self.data.reshape_like(&(n, hw, c)).mean::<_, Axis<1>>()
    }

    /// From a `(N, C, H, W)` tensor on the tape (one gather; gradients flow back to `x`).
    pub fn from_nchw(x: Tensor4<T>) -> Self {
        let (n, c, h, w) = *x.shape();
        let dev = x.device().clone();
        let mut idx = Vec::with_capacity(n * c * h * w);
        for i in 0..n {
            for p in 0..h * w {
                for ch in 0..c {
                    idx.push((i * c + ch) * h * w + p);
                }
            }
        }
        let idx: Index = dev.tensor_from_vec(idx, (n * c * h * w,));
        let flat = x.reshape_like(&(n * c * h * w,));
        let rows = flat.gather(idx).reshape_like(&(n * h * w, c));
        FeatureMaps { data: rows, n, h, w }
    }

    /// To a `(N, C, H, W)` tensor on the tape (one gather).
    pub fn into_nchw(self) -> Tensor4<T> {
        let (n, c, h, w) = self.dims();
        let dev = self.data.device().clone();
        let mut idx = Vec::with_capacity(n * c * h * w);
        for i in 0..n {
            for ch in 0..c {
                for p in 0..h * w {
                    idx.push((i * h * w + p) * c + ch);
                }
            }
        }
        let idx: Index = dev.tensor_from_vec(idx, (n * c * h * w,));
        let flat = self.data.reshape_like(&(n * h * w * c,));
        flat.gather(idx).reshape_like(&(n, c, h, w))
    }
}

impl FeatureMaps {
    /// From host data in `(N, C, H, W)` order (e.g. images as PyTorch stores them).
    pub fn from_nchw_slice(dev: &Device, values: &[f32], n: usize, c: usize, h: usize, w: usize) -> Self {
        assert_eq!(values.len(), n * c * h * w, "from_nchw_slice: {} values for {n}x{c}x{h}x{w}", values.len());
        let mut rows = Vec::with_capacity(values.len());
        for i in 0..n {
            for p in 0..h * w {
                for ch in 0..c {
                    rows.push(values[(i * c + ch) * h * w + p]);
                }
            }
        }
        FeatureMaps { data: dev.tensor_from_vec(rows, (n * h * w, c)), n, h, w }
    }

    /// The images `idx` of a host buffer of channels-last images (`h x w x c` values each,
    /// `((i*h + y)*w + x)*c + ch`) as feature maps on `dev`, in the order of `idx`.
    pub fn gather_images(dev: &Device, values: &[f32], h: usize, w: usize, c: usize, idx: &[usize]) -> Self {
        let per = h * w * c;
        let mut v = Vec::with_capacity(idx.len() * per);
        for &i in idx {
            v.extend_from_slice(&values[i * per..(i + 1) * per]);
        }
        FeatureMaps { data: dev.tensor_from_vec(v, (idx.len() * h * w, c)), n: idx.len(), h, w }
    }

    /// The values in `(N, C, H, W)` order on the host.
    pub fn to_nchw_vec(&self) -> Vec<f32> {
        let (n, c, h, w) = self.dims();
        let rows = self.data.as_vec();
        let mut out = vec![0.0; rows.len()];
        for i in 0..n {
            for p in 0..h * w {
                for ch in 0..c {
                    out[(i * c + ch) * h * w + p] = rows[(i * h * w + p) * c + ch];
                }
            }
        }
        out
    }

    /// Records the operations on `self` on a fresh tape (like `Tensor::leaky_trace`).
    pub fn leaky_trace(&self) -> FeatureMaps<OwnedTape<f32, Device>> {
        FeatureMaps { data: self.data.leaky_trace(), n: self.n, h: self.h, w: self.w }
    }
}

/// Size of a sliding-window output: `floor((input + 2 pad - dilation (kernel - 1) - 1) / stride) + 1`.
pub(crate) fn window_out(input: usize, kernel: usize, stride: usize, pad: usize, dilation: usize) -> usize {
    let span = dilation * (kernel - 1) + 1;
    let padded = input + 2 * pad;
    assert!(padded >= span, "window of span {span} does not fit input {input} padded by {pad}");
    (padded - span) / stride + 1
}

/// For each output coordinate `o` and kernel tap `k`, the input coordinate it reads, or `None`
/// where it falls in the padding (or, for a transposed convolution, between input pixels).
pub(crate) type Taps = Vec<Vec<Option<usize>>>;

/// Taps of a convolution or pooling window: input `o*stride + k*dilation - pad`.
pub(crate) fn conv_taps(input: usize, output: usize, kernel: usize, stride: usize, pad: usize, dilation: usize) -> Taps {
    (0..output)
        .map(|o| {
            (0..kernel)
                .map(|k| {
                    let i = (o * stride + k * dilation) as isize - pad as isize;
                    (i >= 0 && (i as usize) < input).then_some(i as usize)
                })
                .collect()
        })
        .collect()
}

/// Taps of a transposed convolution: output `o = i*stride + k*dilation - pad`, so input
/// `i = (o + pad - k*dilation) / stride` where that division is exact and `i` is in range.
pub(crate) fn convtrans_taps(input: usize, output: usize, kernel: usize, stride: usize, pad: usize, dilation: usize) -> Taps {
    (0..output)
        .map(|o| {
            (0..kernel)
                .map(|k| {
                    let t = (o + pad) as isize - (k * dilation) as isize;
                    (t >= 0 && (t as usize).is_multiple_of(stride) && (t as usize / stride) < input).then_some(t as usize / stride)
                })
                .collect()
        })
        .collect()
}

/// A row-gather index for windows over a batch of `n` images of `h x w` pixels: for every output
/// pixel `(i, oy, ox)` and every tap `(ky, kx)` (in that order), the input row, or padding where
/// the tap falls outside the image.
#[derive(Clone, Debug)]
pub(crate) struct WindowIndex {
    /// The host index that the CPU gather reads.
    pub rows: Arc<RowIndex>,
    /// The same index as a device tensor for dfdx's `gather`, padding as `n*h*w` (one past the
    /// last row: the padding row appended by [`gather_windows`]).
    #[cfg(feature = "cuda")]
    pub index: Index,
    /// Whether some tap reads the padding.
    #[cfg_attr(not(feature = "cuda"), allow(dead_code))]
    pub padded: bool,
    /// Images in the batch.
    #[cfg_attr(feature = "cuda", allow(dead_code))]
    pub n: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub taps: usize,
}

impl WindowIndex {
    #[cfg_attr(not(feature = "cuda"), allow(unused_variables))]
    pub fn build(dev: &Device, n: usize, h: usize, w: usize, ty: &Taps, tx: &Taps) -> WindowIndex {
        let (oh, ow) = (ty.len(), tx.len());
        let (kh, kw) = (ty.first().map_or(0, |t| t.len()), tx.first().map_or(0, |t| t.len()));
        let mut idx = Vec::with_capacity(n * oh * ow * kh * kw);
        for i in 0..n {
            for tyo in ty {
                for txo in tx {
                    for y in tyo {
                        for x in txo {
                            idx.push(match (y, x) {
                                (Some(y), Some(x)) => Some((i * h + y) * w + x),
                                _ => None,
                            });
                        }
                    }
                }
            }
        }
        let padded = idx.iter().any(Option::is_none);
        #[cfg(feature = "cuda")]
        let index = {
            let pad_row = n * h * w;
            let flat: Vec<usize> = idx.iter().map(|r| r.unwrap_or(pad_row)).collect();
            let len = flat.len();
            dev.tensor_from_vec(flat, (len,))
        };
        WindowIndex {
            rows: Arc::new(RowIndex::new(idx, n * h * w)),
            #[cfg(feature = "cuda")]
            index,
            padded,
            n,
            out_h: oh,
            out_w: ow,
            taps: kh * kw,
        }
    }
}

/// A one-entry cache of the window index for the last input size `(n, h, w)` seen by a layer.
/// Cloning a layer gives the clone an empty cache.
#[derive(Default)]
pub(crate) struct IndexCache(Mutex<Option<CachedIndex>>);

/// The input size `(n, h, w)` and its window index.
type CachedIndex = ((usize, usize, usize), Arc<WindowIndex>);

impl IndexCache {
    pub fn get_or_build(&self, key: (usize, usize, usize), build: impl FnOnce() -> WindowIndex) -> Arc<WindowIndex> {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((k, idx)) = slot.as_ref() {
            if *k == key {
                return idx.clone();
            }
        }
        let idx = Arc::new(build());
        *slot = Some((key, idx.clone()));
        idx
    }
}

impl Clone for IndexCache {
    fn clone(&self) -> Self {
        IndexCache::default()
    }
}

impl std::fmt::Debug for IndexCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IndexCache")
    }
}

/// Gathers the windows of `x` (rows `(n*h*w, c)`): `(out pixels * taps, c)`, row
/// `p*taps + t` holding tap `t` of output pixel `p`. Taps in the padding read `pad_value`.
/// On the CPU this is the hand-written [`gather_rows`]; on CUDA, dfdx's `gather` after appending
/// one padding row.
pub(crate) fn gather_windows<T: Tape<f32, Device> + Merge<NoneTape>>(x: Matrix<T>, index: &WindowIndex, pad_value: f32) -> Matrix<T> {
    #[cfg(not(feature = "cuda"))]
    {
        gather_rows(x, &index.rows, pad_value)
    }
    #[cfg(feature = "cuda")]
    {
        let c = x.shape().1;
        if index.padded {
            let dev = x.device().clone();
            let pad: Matrix = dev.ones_like(&(1, c)) * pad_value;
            let padded = (x, pad).concat_along(Axis::<0>);
            padded.gather(index.index.clone())
        } else {
            x.gather(index.index.clone())
        }
    }
}
