//! The FairDisCo penalty (Liu et al. 2022, as in the Fair4Free authors' FLDGM/FairX code;
//! SPEC part A): a kernel distance covariance between the Gaussian posteriors q(z|x, s) and s.

use dfdx::prelude::*;

use crate::device::Device;
use crate::methods::fair4free::penalty::Traced;
use crate::nn::Matrix;

/// Constant per-batch weights of [`fairdisco`], from the group one-hot `s` (n x g).
pub(crate) struct GroupWeights {
    one_hot: Matrix,
    /// Sum over present groups of (n_s / n)^2 / n^2.
    c_all: f32,
    /// 1 / n^2 for groups with 0 < n_s < n, else 0.
    w_diag: Tensor<(usize,), f32, Device>,
    /// 2 n_s / n^3 for groups with 0 < n_s < n, else 0.
    w_cross: Tensor<(usize,), f32, Device>,
}

impl GroupWeights {
    pub fn new(dev: &Device, s: &[f32], n: usize, g: usize) -> GroupWeights {
        let counts: Vec<f32> = (0..g).map(|c| (0..n).map(|i| s[i * g + c]).sum()).collect();
        let nf = n as f32;
        let used = |c: f32| c > 0.0 && c < nf;
        let c_all = counts.iter().filter(|&&c| used(c)).map(|&c| (c / nf).powi(2) / (nf * nf)).sum();
        let w_diag = counts.iter().map(|&c| if used(c) { 1.0 / (nf * nf) } else { 0.0 }).collect();
        let w_cross = counts.iter().map(|&c| if used(c) { 2.0 * c / (nf * nf * nf) } else { 0.0 }).collect();
        GroupWeights {
            one_hot: dev.tensor_from_vec(s.to_vec(), (n, g)),
            c_all,
            w_diag: dev.tensor_from_vec(w_diag, (g,)),
            w_cross: dev.tensor_from_vec(w_cross, (g,)),
        }
    }
}

/// Dis = sum over groups s with 0 < n_s < n of (n_s/n)^2 [k(all, all) + k(S_s, S_s) - 2 k(S_s, all)],
/// with k(A, B) the mean over a in A, b in B of
/// K_ab = exp(-1/2 sum_d (mu_ad - mu_bd)^2 / (v_ad + v_bd)) / sqrt(prod_d 2 pi (v_ad + v_bd)),
/// the overlap of the two posteriors N(mu_a, v_a) and N(mu_b, v_b). SPEC's leading factor n/B is a
/// constant and is left to beta. With M the group one-hot: k(S_s, S_s) n_s^2 = (M^T K M)_ss,
/// k(S_s, all) n_s n = (1^T K M)_s, k(all, all) n^2 = 1^T K 1.
pub(crate) fn fairdisco(mu: Matrix<Traced>, logvar: Matrix<Traced>, w: &GroupWeights) -> Tensor<(), f32, Device, Traced> {
    let (n, d) = *mu.shape();
    let shape = (n, n, d);
    let mu_rows = mu.with_empty_tape().broadcast_like::<_, Axis<1>>(&shape);
    let mu_cols = (mu * 1.0).broadcast_like::<_, Axis<0>>(&shape);
    let v = logvar.exp();
    let v_rows = v.with_empty_tape().broadcast_like::<_, Axis<1>>(&shape);
    let v_cols = (v * 1.0).broadcast_like::<_, Axis<0>>(&shape);
    let vsum = v_rows + v_cols;
    let quad = ((mu_rows - mu_cols).square() / vsum.with_empty_tape()).sum::<(usize, usize), Axis<2>>();
    let logdet = (vsum * std::f32::consts::TAU).ln().sum::<(usize, usize), Axis<2>>();
    let k = ((quad + logdet) * -0.5).exp();
    let km = k.with_empty_tape().matmul(w.one_hot.clone());
    let cross = km.with_empty_tape().sum::<(usize,), Axis<0>>();
    let diag = (km * w.one_hot.clone()).sum::<(usize,), Axis<0>>();
    let total = k.sum::<(), _>();
    total * w.c_all + (diag * w.w_diag.clone()).sum::<(), _>() - (cross * w.w_cross.clone()).sum::<(), _>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::seeded_device;

    /// The same quantity in f64 on the host, straight from the definition.
    fn host(mu: &[f64], lv: &[f64], s: &[usize], n: usize, d: usize, g: usize) -> f64 {
        let k = |a: usize, b: usize| {
            let mut q = 0.0;
            let mut det = 1.0;
            for j in 0..d {
                let v = lv[a * d + j].exp() + lv[b * d + j].exp();
                q += (mu[a * d + j] - mu[b * d + j]).powi(2) / v;
                det *= std::f64::consts::TAU * v;
            }
            (-0.5 * q).exp() / det.sqrt()
        };
        let mean = |aa: &[usize], bb: &[usize]| {
            let mut t = 0.0;
            for &a in aa {
                for &b in bb {
                    t += k(a, b);
                }
            }
            t / (aa.len() * bb.len()) as f64
        };
        let all: Vec<usize> = (0..n).collect();
        let mut dis = 0.0;
        for c in 0..g {
            let members: Vec<usize> = (0..n).filter(|&i| s[i] == c).collect();
            if members.is_empty() || members.len() == n {
                continue;
            }
            let share = members.len() as f64 / n as f64;
            dis += share * share * (mean(&all, &all) + mean(&members, &members) - 2.0 * mean(&members, &all));
        }
        dis
    }

    #[test]
    fn value_matches_the_definition_and_gradient_matches_finite_differences() {
        let dev = seeded_device(11);
        let (n, d, g) = (9, 2, 3);
        let mu: Matrix = dev.sample_normal_like(&(n, d));
        let lv: Matrix = dev.sample_normal_like(&(n, d)) * 0.3;
        let groups: Vec<usize> = (0..n).map(|i| [0, 1, 1, 2][i % 4]).collect();
        let s: Vec<f32> = groups.iter().flat_map(|&c| (0..g).map(move |j| (j == c) as u8 as f32)).collect();
        let w = GroupWeights::new(&dev, &s, n, g);
        let loss = fairdisco(mu.leaky_trace(), lv.leaky_trace(), &w);
        let value = loss.array() as f64;
        let grads = loss.backward();
        let gmu = grads.get(&mu).as_vec();
        let glv = grads.get(&lv).as_vec();
        let mu64: Vec<f64> = mu.as_vec().iter().map(|&v| v as f64).collect();
        let lv64: Vec<f64> = lv.as_vec().iter().map(|&v| v as f64).collect();
        let reference = host(&mu64, &lv64, &groups, n, d, g);
        assert!((value - reference).abs() < 1e-5 * reference.abs().max(1e-3), "graph {value}, definition {reference}");
        let h = 1e-4;
        let mut worst = 0.0f64;
        for i in 0..n * d {
            for (which, grad) in [(0, &gmu), (1, &glv)] {
                let (mut p, mut m) = (mu64.clone(), mu64.clone());
                let (mut pl, mut ml) = (lv64.clone(), lv64.clone());
                if which == 0 {
                    p[i] += h;
                    m[i] -= h;
                } else {
                    pl[i] += h;
                    ml[i] -= h;
                }
                let fd = (host(&p, &pl, &groups, n, d, g) - host(&m, &ml, &groups, n, d, g)) / (2.0 * h);
                worst = worst.max((fd - grad[i] as f64).abs());
            }
        }
        let scale = gmu.iter().chain(&glv).map(|v| v.abs() as f64).fold(0.0, f64::max);
        assert!(worst < 2e-3 * scale.max(1e-4), "finite differences differ by {worst} (largest gradient {scale})");
    }
}
