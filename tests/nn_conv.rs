//! Convolution, transposed convolution and pooling layers: forward against naive loops, gradients
//! against central finite differences, a tiny CNN that learns, reproducibility, save/load.

use dfdx::prelude::*;
use fairdistill::nn::{
    load_params, save_params, Adam, BatchNorm2d, Conv2d, Conv2dConfig, ConvTranspose2dConfig, ConvVaeConfig, Dense, FeatureMaps,
    LeNet5Config, Matrix, Pool2dConfig, ResNetConfig, Trainable,
};
use fairdistill::{seeded_device, Device};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_vec(rng: &mut ChaCha8Rng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
}

fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: got {g}, want {w}");
    }
}

/// Naive convolution, NCHW input, PyTorch (out, in, kh, kw) weight.
#[allow(clippy::too_many_arguments)]
fn naive_conv(
    x: &[f32],
    (n, c, h, w): (usize, usize, usize, usize),
    wt: &[f32],
    bias: Option<&[f32]>,
    oc: usize,
    (kh, kw): (usize, usize),
    (sy, sx): (usize, usize),
    (py, px): (usize, usize),
    (dy, dx): (usize, usize),
) -> (Vec<f32>, usize, usize) {
    let oh = (h + 2 * py - dy * (kh - 1) - 1) / sy + 1;
    let ow = (w + 2 * px - dx * (kw - 1) - 1) / sx + 1;
    let mut out = vec![0.0f32; n * oc * oh * ow];
    for b in 0..n {
        for o in 0..oc {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut s = bias.map_or(0.0, |bv| bv[o]) as f64;
                    for ch in 0..c {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let iy = (oy * sy + ky * dy) as isize - py as isize;
                                let ix = (ox * sx + kx * dx) as isize - px as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                    continue;
                                }
                                let xv = x[((b * c + ch) * h + iy as usize) * w + ix as usize];
                                s += (xv * wt[((o * c + ch) * kh + ky) * kw + kx]) as f64;
                            }
                        }
                    }
                    out[((b * oc + o) * oh + oy) * ow + ox] = s as f32;
                }
            }
        }
    }
    (out, oh, ow)
}

#[test]
fn conv_forward_matches_naive_loops() {
    let dev = seeded_device(3);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    // (n, c, h, w, out, kernel (h, w), stride, padding, dilation, bias)
    let cases = [
        (2, 3, 7, 9, 4, (3, 3), 1, 0, 1, true),
        (2, 3, 7, 9, 4, (3, 3), 1, 1, 1, true),
        (2, 3, 7, 9, 4, (3, 3), 2, 0, 1, false),
        (2, 3, 7, 9, 4, (3, 3), 2, 1, 1, true),
        (1, 2, 8, 5, 3, (3, 2), 2, 1, 1, true),
        (3, 5, 9, 9, 2, (5, 5), 1, 2, 1, true),
        (1, 1, 6, 7, 1, (1, 1), 1, 0, 1, true),
        (2, 2, 9, 8, 3, (3, 3), 1, 1, 2, true),
        (1, 4, 5, 5, 6, (5, 5), 1, 0, 1, true),
    ];
    for (n, c, h, w, oc, k, s, p, d, bias) in cases {
        let mut cfg = Conv2dConfig::new(c, oc, 1).stride(s).padding(p).dilation(d).bias(bias);
        cfg.kernel = k;
        let conv = cfg.build(&dev);
        let x = random_vec(&mut rng, n * c * h * w);
        let y = conv.forward(FeatureMaps::from_nchw_slice(&dev, &x, n, c, h, w));
        let b = conv.bias.as_ref().map(|b| b.as_vec());
        let (want, oh, ow) = naive_conv(&x, (n, c, h, w), &conv.weight_oihw(), b.as_deref(), oc, k, (s, s), (p, p), (d, d));
        assert_eq!((y.n, y.channels(), y.h, y.w), (n, oc, oh, ow), "shape for {cfg:?}");
        assert_eq!(cfg.output_size(h, w), (oh, ow));
        assert_close(&y.to_nchw_vec(), &want, 1e-5, &format!("{cfg:?}"));
    }
}

#[test]
fn conv_weight_layout_roundtrips_pytorch_order() {
    let dev = seeded_device(1);
    let mut conv = Conv2dConfig::new(3, 4, 3).build(&dev);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let w = random_vec(&mut rng, 4 * 3 * 9);
    conv.set_weight_oihw(&w);
    assert_eq!(conv.weight_oihw(), w);
    assert_eq!(conv.num_params(), 4 * 27 + 4);
    assert_eq!(conv.config.num_params(), 4 * 27 + 4);
}

#[test]
fn nchw_tensor_conversion_roundtrips_and_passes_gradients() {
    let dev = seeded_device(5);
    let (n, c, h, w) = (2, 3, 4, 5);
    let x: Tensor<(usize, usize, usize, usize), f32, Device> = dev.sample_normal_like(&(n, c, h, w));
    let maps = FeatureMaps::from_nchw(x.clone());
    assert_eq!(maps.to_nchw_vec(), x.as_vec());
    let back = maps.into_nchw();
    assert_eq!(back.as_vec(), x.as_vec());

    let r: Tensor<(usize, usize, usize, usize), f32, Device> = dev.sample_normal_like(&(n, c, h, w));
    let loss = (FeatureMaps::from_nchw(x.leaky_trace()).into_nchw() * r.clone()).sum();
    let g = loss.backward();
    assert_close(&g.get(&x).as_vec(), &r.as_vec(), 1e-6, "d/dx of <x, r>");
}

/// `sum(f(maps) * r)` in f64 on the host.
fn weighted_sum(out: &[f32], r: &[f32]) -> f64 {
    out.iter().zip(r).map(|(a, b)| *a as f64 * *b as f64).sum()
}

/// Central finite differences of `loss(values)` at every coordinate.
fn finite_differences(values: &[f32], eps: f32, mut loss: impl FnMut(&[f32]) -> f64) -> Vec<f32> {
    let mut v = values.to_vec();
    (0..v.len())
        .map(|i| {
            let orig = v[i];
            v[i] = orig + eps;
            let up = loss(&v);
            v[i] = orig - eps;
            let down = loss(&v);
            v[i] = orig;
            ((up - down) / (2.0 * eps as f64)) as f32
        })
        .collect()
}

fn maps_from_rows(dev: &Device, rows: &[f32], n: usize, h: usize, w: usize, c: usize) -> FeatureMaps {
    FeatureMaps::new(dev.tensor_from_vec(rows.to_vec(), (n * h * w, c)), n, h, w)
}

#[test]
fn conv_gradients_match_finite_differences() {
    let dev = seeded_device(7);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    for (s, p, bias) in [(1, 1, true), (2, 0, true), (2, 1, false)] {
        let (n, c, h, w, oc) = (2, 3, 5, 6, 4);
        let conv = Conv2dConfig::new(c, oc, 3).stride(s).padding(p).bias(bias).build(&dev);
        let x_rows = random_vec(&mut rng, n * h * w * c);
        let (oh, ow) = conv.config.output_size(h, w);
        let r = random_vec(&mut rng, n * oh * ow * oc);
        let r_t: Matrix = dev.tensor_from_vec(r.clone(), (n * oh * ow, oc));

        let x = maps_from_rows(&dev, &x_rows, n, h, w, c);
        let y = conv.forward(x.leaky_trace());
        let loss = (y.data * r_t.clone()).sum();
        let grads = loss.backward();
        let gx = grads.get(&x.data).as_vec();
        let gw = grads.get(&conv.weight).as_vec();

        let fx = finite_differences(&x_rows, 1e-2, |v| weighted_sum(&conv.forward(maps_from_rows(&dev, v, n, h, w, c)).data.as_vec(), &r));
        assert_close(&gx, &fx, 2e-3, "d/dx");
        let w0 = conv.weight.as_vec();
        let fw = finite_differences(&w0, 1e-2, |v| {
            let mut c2 = conv.clone();
            c2.weight.copy_from(v);
            weighted_sum(&c2.forward(x.clone()).data.as_vec(), &r)
        });
        assert_close(&gw, &fw, 2e-3, "d/dw");
        if let Some(b) = &conv.bias {
            let gb = grads.get(b).as_vec();
            let fb = finite_differences(&b.as_vec(), 1e-2, |v| {
                let mut c2 = conv.clone();
                c2.bias.as_mut().unwrap().copy_from(v);
                weighted_sum(&c2.forward(x.clone()).data.as_vec(), &r)
            });
            assert_close(&gb, &fb, 2e-3, "d/db");
        }
    }
}

/// Naive transposed convolution, NCHW input, PyTorch (in, out, kh, kw) weight.
#[allow(clippy::too_many_arguments)]
fn naive_convtrans(
    x: &[f32],
    (n, c, h, w): (usize, usize, usize, usize),
    wt: &[f32],
    bias: Option<&[f32]>,
    oc: usize,
    k: usize,
    s: usize,
    p: usize,
    op: usize,
) -> (Vec<f32>, usize, usize) {
    let oh = (h - 1) * s + k + op - 2 * p;
    let ow = (w - 1) * s + k + op - 2 * p;
    let mut out = vec![0.0f64; n * oc * oh * ow];
    for b in 0..n {
        for o in 0..oc {
            for y in 0..oh {
                for x2 in 0..ow {
                    out[((b * oc + o) * oh + y) * ow + x2] = bias.map_or(0.0, |bv| bv[o]) as f64;
                }
            }
        }
        for ch in 0..c {
            for iy in 0..h {
                for ix in 0..w {
                    let xv = x[((b * c + ch) * h + iy) * w + ix] as f64;
                    for o in 0..oc {
                        for ky in 0..k {
                            for kx in 0..k {
                                let oy = (iy * s + ky) as isize - p as isize;
                                let ox = (ix * s + kx) as isize - p as isize;
                                if oy < 0 || ox < 0 || oy >= oh as isize || ox >= ow as isize {
                                    continue;
                                }
                                out[((b * oc + o) * oh + oy as usize) * ow + ox as usize] +=
                                    xv * wt[((ch * oc + o) * k + ky) * k + kx] as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    (out.into_iter().map(|v| v as f32).collect(), oh, ow)
}

#[test]
fn conv_transpose_forward_matches_naive_loops_and_gradients_match_finite_differences() {
    let dev = seeded_device(9);
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    for (n, c, h, w, oc, k, s, p, op) in [
        (2, 3, 4, 5, 2, 3, 1, 0, 0),
        (2, 3, 4, 5, 2, 3, 2, 1, 1),
        (1, 2, 3, 3, 3, 4, 2, 1, 0),
        (1, 2, 5, 3, 2, 3, 2, 0, 0),
    ] {
        let cfg = ConvTranspose2dConfig::new(c, oc, k).stride(s).padding(p).output_padding(op);
        let mut ct = cfg.build(&dev);
        let wpt = random_vec(&mut rng, c * oc * k * k);
        ct.set_weight_iohw(&wpt);
        assert_eq!(ct.weight_iohw(), wpt);
        let x = random_vec(&mut rng, n * c * h * w);
        let y = ct.forward(FeatureMaps::from_nchw_slice(&dev, &x, n, c, h, w));
        let b = ct.bias.as_ref().map(|b| b.as_vec());
        let (want, oh, ow) = naive_convtrans(&x, (n, c, h, w), &wpt, b.as_deref(), oc, k, s, p, op);
        assert_eq!((y.h, y.w), (oh, ow), "{cfg:?}");
        assert_close(&y.to_nchw_vec(), &want, 1e-5, &format!("{cfg:?}"));

        // gradients
        let xm = FeatureMaps::from_nchw_slice(&dev, &x, n, c, h, w);
        let x_rows = xm.data.as_vec();
        let r = random_vec(&mut rng, n * oh * ow * oc);
        let r_t: Matrix = dev.tensor_from_vec(r.clone(), (n * oh * ow, oc));
        let grads = (ct.forward(xm.leaky_trace()).data * r_t).sum().backward();
        let fx = finite_differences(&x_rows, 1e-2, |v| weighted_sum(&ct.forward(maps_from_rows(&dev, v, n, h, w, c)).data.as_vec(), &r));
        assert_close(&grads.get(&xm.data).as_vec(), &fx, 2e-3, "convtrans d/dx");
        let fw = finite_differences(&ct.weight.as_vec(), 1e-2, |v| {
            let mut c2 = ct.clone();
            c2.weight.copy_from(v);
            weighted_sum(&c2.forward(xm.clone()).data.as_vec(), &r)
        });
        assert_close(&grads.get(&ct.weight).as_vec(), &fw, 2e-3, "convtrans d/dw");
    }
}

fn naive_pool(
    x: &[f32],
    (n, c, h, w): (usize, usize, usize, usize),
    k: usize,
    s: usize,
    p: usize,
    max: bool,
) -> (Vec<f32>, usize, usize) {
    let oh = (h + 2 * p - k) / s + 1;
    let ow = (w + 2 * p - k) / s + 1;
    let mut out = Vec::with_capacity(n * c * oh * ow);
    for b in 0..n {
        for ch in 0..c {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut m = f32::NEG_INFINITY;
                    let mut sum = 0.0f64;
                    for ky in 0..k {
                        for kx in 0..k {
                            let iy = (oy * s + ky) as isize - p as isize;
                            let ix = (ox * s + kx) as isize - p as isize;
                            if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                continue;
                            }
                            let v = x[((b * c + ch) * h + iy as usize) * w + ix as usize];
                            m = m.max(v);
                            sum += v as f64;
                        }
                    }
                    out.push(if max { m } else { (sum / (k * k) as f64) as f32 });
                }
            }
        }
    }
    (out, oh, ow)
}

#[test]
fn pooling_matches_naive_loops_and_finite_differences() {
    let dev = seeded_device(12);
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for (n, c, h, w, k, s, p) in [(2, 3, 6, 6, 2, 2, 0), (2, 3, 7, 9, 3, 2, 1), (1, 2, 5, 7, 3, 1, 1), (2, 2, 7, 5, 2, 1, 0)] {
        let cfg = Pool2dConfig::new(k).stride(s).padding(p);
        for max in [true, false] {
            // Distinct values at least 2/len apart, so no window has a near-tie that a finite
            // difference step could cross.
            let len = n * c * h * w;
            let mut x: Vec<f32> = (0..len).map(|i| 2.0 * i as f32 / len as f32 - 1.0).collect();
            x.shuffle(&mut rng);
            let xm = FeatureMaps::from_nchw_slice(&dev, &x, n, c, h, w);
            let run = |m: FeatureMaps| if max { cfg.build_max(&dev).forward(m) } else { cfg.build_avg(&dev).forward(m) };
            let y = run(xm.clone());
            let (want, oh, ow) = naive_pool(&x, (n, c, h, w), k, s, p, max);
            assert_eq!((y.h, y.w, y.channels()), (oh, ow, c));
            assert_close(&y.to_nchw_vec(), &want, 1e-5, &format!("{cfg:?} max={max}"));

            let r = random_vec(&mut rng, n * oh * ow * c);
            let r_t: Matrix = dev.tensor_from_vec(r.clone(), (n * oh * ow, c));
            let out = if max { cfg.build_max(&dev).forward(xm.leaky_trace()) } else { cfg.build_avg(&dev).forward(xm.leaky_trace()) };
            let grads = (out.data * r_t).sum().backward();
            let rows = xm.data.as_vec();
            let fx = finite_differences(&rows, 5e-4, |v| weighted_sum(&run(maps_from_rows(&dev, v, n, h, w, c)).data.as_vec(), &r));
            assert_close(&grads.get(&xm.data).as_vec(), &fx, 5e-3, &format!("pool d/dx max={max} {cfg:?} {:?}", (n, c, h, w)));
        }
    }
}

#[test]
fn global_average_pool_and_flatten() {
    let dev = seeded_device(14);
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let (n, c, h, w) = (3, 4, 5, 2);
    let x = random_vec(&mut rng, n * c * h * w);
    let xm = FeatureMaps::from_nchw_slice(&dev, &x, n, c, h, w);
    let g = xm.clone().global_avg_pool();
    assert_eq!(g.shape(), &(n, c));
    let want: Vec<f32> = x.chunks(h * w).map(|px| px.iter().sum::<f32>() / (h * w) as f32).collect();
    assert_close(&g.as_vec(), &want, 1e-6, "global average");
    let f = xm.flatten();
    assert_eq!(f.shape(), &(n, h * w * c));
    // (y, x, c) order within each row
    let fv = f.as_vec();
    for b in 0..n {
        for ch in 0..c {
            for p in 0..h * w {
                assert_eq!(fv[b * h * w * c + p * c + ch], x[(b * c + ch) * h * w + p]);
            }
        }
    }
}

/// 8x8 one-channel images holding a horizontal (class 0) or vertical (class 1) bar of length 4
/// at a random place, plus noise.
fn bars(rng: &mut ChaCha8Rng, count: usize) -> (Vec<f32>, Vec<usize>) {
    let mut images = Vec::with_capacity(count * 64);
    let mut labels = Vec::with_capacity(count);
    for _ in 0..count {
        let label = rng.gen_range(0..2usize);
        let mut img: Vec<f32> = (0..64).map(|_| rng.gen_range(-0.3f32..0.3)).collect();
        let (a, b) = (rng.gen_range(0..8usize), rng.gen_range(0..5usize));
        for t in 0..4 {
            let (y, x) = if label == 0 { (a, b + t) } else { (b + t, a) };
            img[y * 8 + x] += 1.0;
        }
        images.extend(img);
        labels.push(label);
    }
    (images, labels)
}

struct TinyCnn {
    conv: Conv2d,
    pool: fairdistill::nn::MaxPool2d,
    dense: Dense,
}

impl TinyCnn {
    fn new(dev: &Device) -> Self {
        TinyCnn {
            conv: Conv2dConfig::new(1, 4, 3).padding(1).build(dev),
            pool: Pool2dConfig::new(2).build_max(dev),
            dense: Dense::new(dev, 4 * 4 * 4, 2),
        }
    }
    fn forward<T: Tape<f32, Device> + Merge<NoneTape>>(&self, x: FeatureMaps<T>) -> Matrix<T> {
        self.dense.forward(self.pool.forward(self.conv.forward(x).relu()).flatten())
    }
}

impl Trainable for TinyCnn {
    fn visit_params(&mut self, f: &mut dyn FnMut(fairdistill::nn::ParamMut<'_>)) {
        self.conv.visit_params(f);
        self.dense.visit_params(f);
    }
}

fn accuracy(logits: &[f32], labels: &[usize]) -> f32 {
    let hits = logits.chunks(2).zip(labels).filter(|(l, &y)| (l[1] > l[0]) as usize == y).count();
    hits as f32 / labels.len() as f32
}

fn train_tiny_cnn(seed: u64) -> (Vec<f32>, f32, f32, Vec<f32>) {
    let dev = seeded_device(seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (images, labels) = bars(&mut rng, 256);
    let batch = 64;
    let mut model = TinyCnn::new(&dev);
    let mut adam = Adam::new(1e-2);
    let all = FeatureMaps::from_nchw_slice(&dev, &images, 256, 1, 8, 8);
    let acc_before = accuracy(&model.forward(all.clone()).as_vec(), &labels);
    let mut losses = Vec::new();
    for _epoch in 0..8 {
        for start in (0..256).step_by(batch) {
            let x = FeatureMaps::from_nchw_slice(&dev, &images[start * 64..(start + batch) * 64], batch, 1, 8, 8);
            let mut onehot = vec![0.0f32; batch * 2];
            for (i, &y) in labels[start..start + batch].iter().enumerate() {
                onehot[i * 2 + y] = 1.0;
            }
            let target: Matrix = dev.tensor_from_vec(onehot, (batch, 2));
            let logits = model.forward(x.leaky_trace());
            let loss = dfdx::losses::cross_entropy_with_logits_loss(logits, target);
            losses.push(loss.array());
            let grads = loss.backward();
            adam.step(&mut model, &grads);
        }
    }
    let acc_after = accuracy(&model.forward(all).as_vec(), &labels);
    (losses, acc_before, acc_after, model.flat_params())
}

#[test]
fn a_tiny_cnn_learns_bars_and_a_seed_reproduces_it() {
    let (losses, before, after, params) = train_tiny_cnn(21);
    eprintln!("tiny CNN: loss {} -> {}, accuracy {before} -> {after}", losses[0], losses[losses.len() - 1]);
    let first = losses[..4].iter().sum::<f32>() / 4.0;
    let last = losses[losses.len() - 4..].iter().sum::<f32>() / 4.0;
    assert!(last < 0.5 * first, "loss {first} -> {last}");
    assert!(after >= 0.95 && after > before, "accuracy {before} -> {after}");
    let (losses2, _, after2, params2) = train_tiny_cnn(21);
    assert_eq!(losses, losses2, "same seed, same losses");
    assert_eq!(params, params2, "same seed, same bits");
    assert_eq!(after, after2);
}

#[test]
fn conv_parameters_save_and_load() {
    let dev = seeded_device(30);
    let mut a = Conv2dConfig::new(3, 5, 3).padding(1).build(&dev);
    let mut t = ConvTranspose2dConfig::new(5, 2, 2).stride(2).bias(false).build(&dev);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conv.safetensors");
    save_params(&mut [("conv", &mut a), ("up", &mut t)], &path).unwrap();
    let dev2 = seeded_device(31);
    let mut b = Conv2dConfig::new(3, 5, 3).padding(1).build(&dev2);
    let mut u = ConvTranspose2dConfig::new(5, 2, 2).stride(2).bias(false).build(&dev2);
    assert_ne!(a.flat_params(), b.flat_params());
    load_params(&mut [("conv", &mut b), ("up", &mut u)], &path).unwrap();
    assert_eq!(a.flat_params(), b.flat_params());
    assert_eq!(t.flat_params(), u.flat_params());
    let x: Matrix = dev.sample_normal_like(&(2 * 4 * 4, 3));
    let y1 = t.forward(a.forward(FeatureMaps::new(x.clone(), 2, 4, 4)));
    let y2 = u.forward(b.forward(FeatureMaps::new(x, 2, 4, 4)));
    assert_eq!(y1.data.as_vec(), y2.data.as_vec());
    assert_eq!((y1.h, y1.w, y1.channels()), (8, 8, 2));
}

#[test]
fn batch_norm_normalises_each_channel_and_its_gradients_match_finite_differences() {
    let dev = seeded_device(40);
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let (n, h, w, c) = (2, 3, 4, 3);
    let mut bn = BatchNorm2d::new(&dev, c);
    bn.gamma.copy_from(&[0.5, 1.5, -1.0]);
    bn.beta.copy_from(&[0.1, -0.2, 0.3]);
    let rows = random_vec(&mut rng, n * h * w * c);
    let x = maps_from_rows(&dev, &rows, n, h, w, c);
    let y = bn.clone().forward_train(x.clone()).data.as_vec();
    for ch in 0..c {
        let col: Vec<f32> = y.iter().skip(ch).step_by(c).copied().collect();
        let mean = col.iter().sum::<f32>() / col.len() as f32;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / col.len() as f32;
        let (g, b) = ([0.5f32, 1.5, -1.0][ch], [0.1f32, -0.2, 0.3][ch]);
        assert!((mean - b).abs() < 1e-5 && (var - g * g).abs() < 1e-3, "channel {ch}: mean {mean} var {var}");
    }
    let mut trained = bn.clone();
    trained.forward_train(x.clone());
    let m: Vec<f32> = (0..c).map(|ch| rows.iter().skip(ch).step_by(c).sum::<f32>() / (n * h * w) as f32).collect();
    assert_close(&trained.running_mean.as_vec(), &m.iter().map(|v| 0.1 * v).collect::<Vec<_>>(), 1e-5, "running mean");

    let r = random_vec(&mut rng, n * h * w * c);
    let r_t: Matrix = dev.tensor_from_vec(r.clone(), (n * h * w, c));
    let mut bn2 = bn.clone();
    let grads = (bn2.forward_train(x.leaky_trace()).data * r_t).sum().backward();
    let fx = finite_differences(&rows, 1e-2, |v| weighted_sum(&bn.clone().forward_train(maps_from_rows(&dev, v, n, h, w, c)).data.as_vec(), &r));
    assert_close(&grads.get(&x.data).as_vec(), &fx, 1e-2, "batch norm d/dx");
    let fg = finite_differences(&bn.gamma.as_vec(), 1e-2, |v| {
        let mut b2 = bn.clone();
        b2.gamma.copy_from(v);
        weighted_sum(&b2.forward_train(x.clone()).data.as_vec(), &r)
    });
    assert_close(&grads.get(&bn.gamma).as_vec(), &fg, 1e-2, "batch norm d/dgamma");
    // d/dbeta of sum(r * y) is the column sum of r.
    let rb: Vec<f32> = (0..c).map(|ch| r.iter().skip(ch).step_by(c).sum()).collect();
    assert_close(&grads.get(&bn.beta).as_vec(), &rb, 1e-4, "batch norm d/dbeta");
}

#[test]
fn resnet56_has_the_published_parameter_count() {
    let dev = seeded_device(51);
    let mut net = ResNetConfig { depth: 56, ..ResNetConfig::default() }.build(&dev);
    // He et al. (2016), CIFAR-10 table: 0.85 M parameters (option-A shortcuts).
    assert_eq!(net.num_params(), 853_018);
}

#[test]
fn conv_vae_pair_fits_28_and_32_pixel_images_and_learns_to_reconstruct() {
    let dev = seeded_device(70);
    for (size, c) in [(28usize, 1usize), (32, 3)] {
        let (enc, dec) = ConvVaeConfig { in_channels: c, image_size: size, widths: [4, 8], latent: 3 }.build(&dev);
        let x: Matrix = dev.sample_normal_like(&(2 * size * size, c));
        let (mu, lv) = enc.forward(FeatureMaps::new(x, 2, size, size));
        assert_eq!((mu.shape(), lv.shape()), (&(2, 3), &(2, 3)));
        let y = dec.forward(mu);
        assert_eq!((y.n, y.h, y.w, y.channels()), (2, size, size, c));
    }
    assert!(ConvVaeConfig { image_size: 30, ..ConvVaeConfig::default() }.validate().is_err());
    assert!(ConvVaeConfig { latent: 0, ..ConvVaeConfig::default() }.validate().is_err());

    // A VAE-style loss (decode mu, small KL weight) on 16 images of bars: the reconstruction
    // error falls, every tensor gets a gradient, and the same seed gives the same bits.
    let run = |seed: u64| {
        let dev = seeded_device(seed);
        let (mut enc, mut dec) = ConvVaeConfig { in_channels: 1, image_size: 8, widths: [4, 8], latent: 4 }.build(&dev);
        let mut rows = vec![0.0f32; 16 * 64];
        for i in 0..16 {
            for p in 0..64 {
                let (y, x) = (p / 8, p % 8);
                rows[i * 64 + p] = if i % 2 == 0 { (x == i / 2) as u8 as f32 } else { (y == i / 2) as u8 as f32 };
            }
        }
        let target: Matrix = dev.tensor_from_vec(rows, (16 * 64, 1));
        let (mut ae, mut ad) = (Adam::new(1e-2), Adam::new(1e-2));
        let mut losses = Vec::new();
        for _ in 0..60 {
            let (mu, lv) = enc.forward(FeatureMaps::new(target.leaky_trace(), 16, 8, 8));
            let kl = ((lv.with_empty_tape().exp() + mu.with_empty_tape().square() - lv - 1.0) * 0.5).mean();
            let out = dec.forward(mu);
            let recon = (out.data - target.clone()).square().mean();
            losses.push(recon.array());
            let loss = recon + kl * 1e-3;
            let grads = loss.backward();
            ae.step(&mut enc, &grads);
            ad.step(&mut dec, &grads);
        }
        (losses, enc.flat_params(), dec.flat_params())
    };
    let (losses, e1, d1) = run(71);
    assert!(losses[losses.len() - 1] < 0.6 * losses[0], "reconstruction {} -> {}", losses[0], losses[losses.len() - 1]);
    let (losses2, e2, d2) = run(71);
    assert_eq!((losses, e1, d1), (losses2, e2, d2));
}

/// Adam moves every entry with a non-zero gradient; at batch 2 some ReLUs are dead, so check that
/// each parameter tensor moved somewhere (and that Adam found a gradient for each: it panics
/// otherwise).
fn assert_every_tensor_moved(model: &mut dyn Trainable, before: &[f32], what: &str) {
    let after = model.flat_params();
    let mut lens = Vec::new();
    model.visit_params(&mut |p| {
        lens.push(match p {
            fairdistill::nn::ParamMut::Matrix(m) => m.shape().0 * m.shape().1,
            fairdistill::nn::ParamMut::Vector(v) => v.shape().0,
        })
    });
    let mut start = 0;
    for (i, len) in lens.into_iter().enumerate() {
        let moved = (start..start + len).filter(|&j| after[j] != before[j]).count();
        assert!(moved > 0, "{what}: parameter tensor {i} did not move");
        start += len;
    }
}

#[test]
fn lenet5_and_resnet20_have_the_published_parameter_counts_and_train() {
    let dev = seeded_device(50);
    let mut lenet = LeNet5Config::default().build(&dev);
    assert_eq!(lenet.num_params(), 62_006);
    let mut resnet = ResNetConfig::default().build(&dev);
    assert_eq!(resnet.num_params(), 269_722);

    let n = 2;
    let x: Matrix = dev.sample_normal_like(&(n * 32 * 32, 3));
    let x = FeatureMaps::new(x, n, 32, 32);
    let target: Matrix = dev.tensor_from_vec(vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], (n, 10));

    let before = lenet.flat_params();
    let logits = lenet.forward(x.leaky_trace());
    assert_eq!(logits.shape(), &(n, 10));
    let grads = dfdx::losses::cross_entropy_with_logits_loss(logits, target.clone()).backward();
    Adam::new(1e-3).step(&mut lenet, &grads);
    assert_every_tensor_moved(&mut lenet, &before, "LeNet-5");

    let before = resnet.flat_params();
    let logits = resnet.forward_train(x.leaky_trace());
    assert_eq!(logits.shape(), &(n, 10));
    let grads = dfdx::losses::cross_entropy_with_logits_loss(logits, target).backward();
    Adam::new(1e-3).step(&mut resnet, &grads);
    assert_every_tensor_moved(&mut resnet, &before, "ResNet-20");
    assert_eq!(resnet.forward_eval(x).shape(), &(n, 10));
}

#[test]
fn a_small_resnet_input_gradient_matches_finite_differences() {
    let dev = seeded_device(60);
    let mut rng = ChaCha8Rng::seed_from_u64(61);
    let mut net = ResNetConfig { in_channels: 2, depth: 8, widths: [2, 3, 4], classes: 3 }.build(&dev);
    // Non-trivial running statistics for the evaluation-mode normalisations.
    let warm: Matrix = dev.sample_normal_like(&(4 * 6 * 6, 2));
    for _ in 0..3 {
        net.forward_train(FeatureMaps::new(warm.clone(), 4, 6, 6));
    }
    let (n, h, w, c) = (2, 6, 6, 2);
    let rows = random_vec(&mut rng, n * h * w * c);
    let r = random_vec(&mut rng, n * 3);
    let r_t: Matrix = dev.tensor_from_vec(r.clone(), (n, 3));
    let x = maps_from_rows(&dev, &rows, n, h, w, c);
    let grads = (net.forward_eval(x.leaky_trace()) * r_t).sum().backward();
    let fx = finite_differences(&rows, 1e-3, |v| weighted_sum(&net.forward_eval(maps_from_rows(&dev, v, n, h, w, c)).as_vec(), &r));
    let gx = grads.get(&x.data).as_vec();
    let err = gx.iter().zip(&fx).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    let scale = fx.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    assert!(err <= 2e-2 * scale.max(1e-3), "max |analytic - numeric| = {err} (scale {scale})");
}
