//! Throughput of the convolution layers: one LeNet-5 training step (forward, backward, Adam) at
//! batch 64 on 3x32x32 inputs, split into its parts, with GFLOP/s counted as
//! `3 x 2 x multiply-adds` (forward plus the two backward matmuls); one ResNet-20 step; and the
//! cost of the im2col gather next to a plain Rust loop doing the same copy (what a hand-written
//! kernel would save). `cargo bench --bench conv`; `FAIRDISTILL_BENCH_REPS` sets the repetitions.

use std::time::{Duration, Instant};

use dfdx::prelude::*;
use fairdistill::nn::{Adam, Conv2d, Conv2dConfig, FeatureMaps, LeNet5Config, Matrix, ResNetConfig, Trainable};
use fairdistill::{device::device_name, seeded_device};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn one_hot(dev: &fairdistill::Device, n: usize, classes: usize) -> Matrix {
    let mut v = vec![0.0; n * classes];
    for i in 0..n {
        v[i * classes + i % classes] = 1.0;
    }
    dev.tensor_from_vec(v, (n, classes))
}

/// Forward (with the sum that the backward starts from) and backward times of one convolution,
/// after two warm-up repetitions.
fn conv_times(conv: &Conv2d, x: &FeatureMaps, reps: usize) -> (Vec<Duration>, Vec<Duration>) {
    let (mut f, mut b) = (vec![], vec![]);
    for rep in 0..reps + 2 {
        let t0 = Instant::now();
        let y = conv.forward(x.leaky_trace());
        let s = y.data.sum();
        let _ = s.array();
        let t1 = Instant::now();
        let _g = s.backward();
        if rep >= 2 {
            f.push(t1 - t0);
            b.push(t1.elapsed());
        }
    }
    (f, b)
}

fn main() {
    let reps: usize = std::env::var("FAIRDISTILL_BENCH_REPS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("device {} ({threads} threads), {reps} repetitions, medians", device_name());
    let dev = seeded_device(0);

    // LeNet-5, batch 64.
    let batch = 64;
    let mut lenet = LeNet5Config::default().build(&dev);
    let x = FeatureMaps::new(dev.sample_normal_like(&(batch * 32 * 32, 3)), batch, 32, 32);
    let target = one_hot(&dev, batch, 10);
    let mut adam = Adam::new(1e-3);
    let (mut fwd, mut bwd, mut opt, mut step) = (vec![], vec![], vec![], vec![]);
    for rep in 0..reps + 2 {
        let t0 = Instant::now();
        let logits = lenet.forward(x.leaky_trace());
        let loss = dfdx::losses::cross_entropy_with_logits_loss(logits, target.clone());
        let _ = loss.array();
        let t1 = Instant::now();
        let grads = loss.backward();
        let t2 = Instant::now();
        adam.step(&mut lenet, &grads);
        let _ = lenet.fc3.bias.as_vec();
        let t3 = Instant::now();
        if rep >= 2 {
            fwd.push(t1 - t0);
            bwd.push(t2 - t1);
            opt.push(t3 - t2);
            step.push(t3 - t0);
        }
    }
    let macs = lenet.macs_per_image(32) * batch;
    let flops = 3.0 * 2.0 * macs as f64;
    let s = median(step);
    println!(
        "lenet5 step batch {batch}: {:.2} ms (forward {:.2}, backward {:.2}, adam {:.2}); {:.2} GFLOP/s; {:.0} images/s; {} params",
        ms(s),
        ms(median(fwd)),
        ms(median(bwd)),
        ms(median(opt)),
        flops / s.as_secs_f64() / 1e9,
        batch as f64 / s.as_secs_f64(),
        lenet.num_params()
    );

    // ResNet-20, batch 64.
    let batch = 64;
    let mut resnet = ResNetConfig::default().build(&dev);
    let x = FeatureMaps::new(dev.sample_normal_like(&(batch * 32 * 32, 3)), batch, 32, 32);
    let target = one_hot(&dev, batch, 10);
    let mut adam = Adam::new(1e-3);
    let mut steps = vec![];
    for rep in 0..(reps / 4).max(2) + 1 {
        let t0 = Instant::now();
        let logits = resnet.forward_train(x.leaky_trace());
        let grads = dfdx::losses::cross_entropy_with_logits_loss(logits, target.clone()).backward();
        adam.step(&mut resnet, &grads);
        let _ = resnet.fc.bias.as_vec();
        if rep >= 1 {
            steps.push(t0.elapsed());
        }
    }
    // ResNet-20 forward: 40.6 M multiply-adds per 32x32 image.
    let s = median(steps);
    println!(
        "resnet20 step batch {batch}: {:.1} ms; {:.2} GFLOP/s (at 40.6 M MACs/image); {:.0} images/s",
        ms(s),
        3.0 * 2.0 * 40.6e6 * batch as f64 / s.as_secs_f64() / 1e9,
        batch as f64 / s.as_secs_f64()
    );

    // One ResNet stage-2 convolution (32 -> 32 channels, 3x3, padding 1, 16x16, batch 64) forward
    // and backward, against the attainable rate of a large matrix product on this machine.
    let conv = Conv2dConfig::new(32, 32, 3).padding(1).bias(false).build(&dev);
    let x = FeatureMaps::new(dev.sample_normal_like(&(64 * 16 * 16, 32)), 64, 16, 16);
    let (f, b) = conv_times(&conv, &x, reps);
    let macs = (64 * 16 * 16 * 32 * 9 * 32) as f64;
    let (fm, bm) = (median(f), median(b));
    let big = 1024;
    let a: Matrix = dev.sample_normal_like(&(big, big));
    let mut mm = vec![];
    for _ in 0..5 {
        let t0 = Instant::now();
        let y = fairdistill::nn::Dense { weight: a.clone(), bias: dev.zeros_like(&(big,)) }.forward(a.clone());
        let _ = y.shape();
        mm.push(t0.elapsed());
    }
    let peak = 2.0 * (big * big * big) as f64 / median(mm).as_secs_f64() / 1e9;
    println!(
        "conv 32->32 3x3 on 64x32x16x16: forward {:.2} ms ({:.1} GFLOP/s), backward {:.2} ms ({:.1} GFLOP/s); 1024^3 matrix product {:.1} GFLOP/s",
        ms(fm),
        2.0 * macs / fm.as_secs_f64() / 1e9,
        ms(bm),
        4.0 * macs / bm.as_secs_f64() / 1e9,
        peak
    );

    // The im2col of LeNet-5's first layer at batch 64: dfdx gather (route a) vs a plain loop.
    let batch = 64;
    let conv = Conv2dConfig::new(3, 6, 5).build(&dev);
    let x = FeatureMaps::new(dev.sample_normal_like(&(batch * 32 * 32, 3)), batch, 32, 32);
    let host = x.data.as_vec();
    let (conv_fwd, conv_bwd) = conv_times(&conv, &x, reps);
    let mut plain = vec![];
    for _ in 0..reps {
        let t0 = Instant::now();
        let mut cols = vec![0.0f32; batch * 28 * 28 * 25 * 3];
        let mut o = 0;
        for n in 0..batch {
            for oy in 0..28 {
                for ox in 0..28 {
                    for ky in 0..5 {
                        let row = (n * 32 + oy + ky) * 32 + ox;
                        cols[o..o + 15].copy_from_slice(&host[row * 3..row * 3 + 15]);
                        o += 15;
                    }
                }
            }
        }
        std::hint::black_box(&cols);
        plain.push(t0.elapsed());
    }
    println!(
        "conv 3->6 5x5 on 64x3x32x32: forward {:.2} ms, backward {:.2} ms; the patch copy alone by a plain loop {:.2} ms",
        ms(median(conv_fwd)),
        ms(median(conv_bwd)),
        ms(median(plain))
    );
}
