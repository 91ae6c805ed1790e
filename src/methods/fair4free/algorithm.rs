//! Training (teacher, student, label head) and generation.

use dfdx::prelude::*;
use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::audit::distance_correlation_sq;
use crate::data::{Encoder, Table};
use crate::device::{seeded_device, Device};
use crate::error::{Error, Result};
use crate::methods::fair4free::layout::Layout;
use crate::methods::fair4free::fairdisco::GroupWeights;
use crate::methods::fair4free::params::{Fair4FreeParams, GroupSampling, Penalty, StudentLoss};
use crate::methods::fair4free::penalty::centred_constant;
use crate::methods::fair4free::student::{kernel_mean_const, median_bandwidths, mmd_sq};
use crate::methods::fair4free::teacher::{teacher_loss, BatchLabels, BatchPenalty, LossMasks, Teacher};
use crate::nn::{Adam, Matrix, Mlp, MlpConfig};

/// One line of the training log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// `teacher`, `student` or `head`.
    pub stage: String,
    pub epoch: usize,
    pub epochs: usize,
    /// Teacher: reconstruction NLL per row; student: MMD^2 or MSE; head: BCE.
    pub loss: f64,
    pub kl: f64,
    pub penalty: f64,
    /// dCor^2(mu(x, s), s) of the teacher on a held-out batch (teacher stage).
    pub heldout_dcor_sq: Option<f64>,
}

/// Where the latent of a synthetic row comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatentSource {
    /// The distilled student applied to noise: Fair4Free.
    Student,
    /// The teacher's prior N(0, I) (the `fair-teacher` / `vae-unfair` baselines).
    Prior,
}

/// A trained Fair4Free generator.
#[derive(Debug)]
pub struct Fair4Free {
    pub params: Fair4FreeParams,
    pub layout: Layout,
    pub encoder: Encoder,
    pub(crate) teacher: Teacher,
    pub(crate) student: Mlp,
    pub(crate) head: Mlp,
    pub(crate) dev: Device,
    pub log: Vec<EpochLog>,
}

fn to_matrix(dev: &Device, rows: ArrayView2<f64>) -> Matrix {
    let (n, w) = rows.dim();
    dev.tensor_from_vec(rows.iter().map(|&v| v as f32).collect(), (n, w))
}

fn one_hot(dev: &Device, idx: &[usize], k: usize) -> Matrix {
    let mut v = vec![0f32; idx.len() * k];
    for (i, &g) in idx.iter().enumerate() {
        v[i * k + g] = 1.0;
    }
    dev.tensor_from_vec(v, (idx.len(), k))
}

fn batches(n: usize, batch: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    // Every batch has at least 8 rows (the last short one is merged into the one before).
    let mut out: Vec<Vec<usize>> = order.chunks(batch).map(|c| c.to_vec()).collect();
    if out.len() > 1 && out.last().map_or(false, |b| b.len() < 8) {
        let last = out.pop().unwrap_or_default();
        if let Some(prev) = out.last_mut() {
            prev.extend(last);
        }
    }
    out
}

impl Fair4Free {
    /// Trains teacher, student and label head on `train`. `observe` is called after every epoch
    /// (progress bars, logs); pass `&mut |_| {}` to ignore.
    pub fn fit(params: &Fair4FreeParams, train: &Table, observe: &mut dyn FnMut(&EpochLog)) -> Result<Fair4Free> {
        params.check()?;
        if train.n_rows() < 16 {
            return Err(Error::Empty { what: format!("Fair4Free needs at least 16 training rows, got {}", train.n_rows()) });
        }
        let encoder = Encoder::fit(train)?;
        let layout = Layout::new(&encoder, train)?;
        if layout.n_groups() < 2 {
            return Err(Error::invalid("sensitive", layout.groups[0].to_string(), "a single group: nothing to be fair between"));
        }
        let full = encoder.transform(train)?;
        let x_all = full.select(ndarray::Axis(1), &layout.x_columns);
        let groups = layout.group_index(train)?;
        let labels = train.label();
        let dev = seeded_device(params.seed);
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        let k = layout.n_groups();
        let masks = LossMasks::new(&dev, &layout);
        let beta = params.beta() as f32;
        let mut log = Vec::new();

        // Held-out batch for the measured dependence (rows not used for training the teacher).
        let n = train.n_rows();
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut rng);
        let n_hold = (n / 10).clamp(8, 1000).min(n / 2);
        let (hold, fit_rows) = perm.split_at(n_hold);
        let hold = hold.to_vec();
        let fit_rows = fit_rows.to_vec();
        let hold_x = to_matrix(&dev, x_all.select(ndarray::Axis(0), &hold).view());
        let hold_g: Vec<usize> = hold.iter().map(|&i| groups[i]).collect();
        let hold_s = one_hot(&dev, &hold_g, k);
        let hold_s64 = Array2::from_shape_fn((hold.len(), k), |(i, c)| (hold_g[i] == c) as u8 as f64);

        // 1. Teacher (and, with a label weight, the label head on z, trained jointly).
        let mut teacher = Teacher::new(&dev, layout.x_width(), k, &params.hidden, params.latent);
        let mut head = MlpConfig { input: params.latent, hidden: params.head_hidden.clone(), output: 1 }.build(&dev);
        let mut adam = Adam::new(params.learning_rate as f32);
        let mut head_adam = Adam::new(params.learning_rate as f32);
        let label_weight = params.label_weight as f32;
        for epoch in 0..params.epochs {
            let (mut r, mut kl, mut pen, mut nb) = (0.0f64, 0.0f64, 0.0f64, 0usize);
            for b in batches(fit_rows.len(), params.batch_size, &mut rng) {
                let rows: Vec<usize> = b.iter().map(|&i| fit_rows[i]).collect();
                let x = to_matrix(&dev, x_all.select(ndarray::Axis(0), &rows).view());
                let g: Vec<usize> = rows.iter().map(|&i| groups[i]).collect();
                let s = one_hot(&dev, &g, k);
                let s_host = s.as_vec();
                let centred = (beta > 0.0 && params.penalty == Penalty::DCor).then(|| centred_constant(&dev, &s_host, rows.len(), k));
                let weights = (beta > 0.0 && params.penalty == Penalty::FairDisCo).then(|| GroupWeights::new(&dev, &s_host, rows.len(), k));
                let pen_arg = match (&centred, &weights) {
                    (Some((bs, var)), _) => Some(BatchPenalty::DCor(bs, *var, beta)),
                    (_, Some(w)) => Some(BatchPenalty::FairDisCo(w, beta)),
                    _ => None,
                };
                let y: Matrix = dev.tensor_from_vec(rows.iter().map(|&i| labels[i] as f32).collect(), (rows.len(), 1));
                let label_arg = (label_weight > 0.0).then_some(BatchLabels { head: &head, y: &y, weight: label_weight });
                let (loss, parts) = teacher_loss(&teacher, &dev, &x, &s, &masks, pen_arg, params.kl_weight as f32, label_arg);
                if !loss.array().is_finite() {
                    return Err(Error::NonFinite { what: format!("teacher loss at epoch {epoch}"), index: nb });
                }
                let grads = loss.backward();
                adam.step(&mut teacher, &grads);
                if label_weight > 0.0 {
                    head_adam.step(&mut head, &grads);
                }
                r += parts.recon as f64;
                kl += parts.kl as f64;
                pen += parts.penalty as f64;
                nb += 1;
            }
            let (mu, _) = teacher.encode_mean(&hold_x, &hold_s);
            let mu64 = Array2::from_shape_vec(*mu.shape(), mu.as_vec().into_iter().map(f64::from).collect())
                .map_err(|e| Error::Schema(e.to_string()))?;
            let d = distance_correlation_sq(mu64.view(), hold_s64.view(), 0.0)?;
            let entry = EpochLog {
                stage: "teacher".into(),
                epoch: epoch + 1,
                epochs: params.epochs,
                loss: r / nb as f64,
                kl: kl / nb as f64,
                penalty: pen / nb as f64,
                heldout_dcor_sq: Some(d),
            };
            observe(&entry);
            log.push(entry);
        }

        // The teacher's fair latents of every training row: z = mu + sigma eps.
        let x_t = to_matrix(&dev, x_all.view());
        let s_t = one_hot(&dev, &groups, k);
        let (mu, lv) = teacher.encode_mean(&x_t, &s_t);
        let eps: Matrix = dev.sample_normal_like(mu.shape());
        let z_teacher = (mu.clone() + (lv * 0.5).exp() * eps).as_vec();
        let l = params.latent;

        // 2. Student: noise -> latent, never sees x.
        let mut student = MlpConfig { input: l, hidden: params.student_hidden.clone(), output: l }.build(&dev);
        let mut adam = Adam::new(params.learning_rate as f32);
        let bs = params.batch_size.min(n);
        let steps = (n / bs).max(1);
        for epoch in 0..params.student_epochs {
            let mut total = 0.0f64;
            for _ in 0..steps {
                let rows: Vec<usize> = (0..bs).map(|_| rng.gen_range(0..n)).collect();
                let target: Vec<f32> = rows.iter().flat_map(|&i| z_teacher[i * l..(i + 1) * l].iter().copied()).collect();
                let noise: Matrix = dev.sample_normal_like(&(bs, l));
                let out = student.forward(noise.leaky_trace());
                let loss = match params.student_loss {
                    StudentLoss::Mmd => {
                        let bw = median_bandwidths(&target, bs, l);
                        let kcc = kernel_mean_const(&target, bs, l, &bw);
                        let c: Matrix = dev.tensor_from_vec(target, (bs, l));
                        mmd_sq(out, &c, &bw, kcc)
                    }
                    StudentLoss::Mse => {
                        let c: Matrix = dev.tensor_from_vec(target, (bs, l));
                        (out - c).square().mean::<(), _>()
                    }
                };
                total += loss.array() as f64;
                let grads = loss.backward();
                adam.step(&mut student, &grads);
            }
            let entry = EpochLog {
                stage: "student".into(),
                epoch: epoch + 1,
                epochs: params.student_epochs,
                loss: total / steps as f64,
                kl: 0.0,
                penalty: 0.0,
                heldout_dcor_sq: None,
            };
            observe(&entry);
            log.push(entry);
        }

        // 3. Label head: reads the fair latent only (never s), trained (on from the joint training,
        // if any) on the teacher's latents.
        let mut adam = Adam::new(params.learning_rate as f32 * 3.0);
        for epoch in 0..params.head_epochs {
            let mut total = 0.0f64;
            let bl = batches(n, params.batch_size, &mut rng);
            for b in &bl {
                let z: Vec<f32> = b.iter().flat_map(|&i| z_teacher[i * l..(i + 1) * l].iter().copied()).collect();
                let y: Vec<f32> = b.iter().map(|&i| labels[i] as f32).collect();
                let z: Matrix = dev.tensor_from_vec(z, (b.len(), l));
                let y: Matrix = dev.tensor_from_vec(y, (b.len(), 1));
                let logits = head.forward(z.leaky_trace());
                let loss = binary_cross_entropy_with_logits_loss(logits, y);
                total += loss.array() as f64;
                let grads = loss.backward();
                adam.step(&mut head, &grads);
            }
            let entry = EpochLog {
                stage: "head".into(),
                epoch: epoch + 1,
                epochs: params.head_epochs,
                loss: total / bl.len() as f64,
                kl: 0.0,
                penalty: 0.0,
                heldout_dcor_sq: None,
            };
            observe(&entry);
            log.push(entry);
        }

        Ok(Fair4Free { params: params.clone(), layout, encoder, teacher, student, head, dev, log })
    }

    /// dCor^2 between the teacher's mean latent and s on `table` (e.g. held-out rows).
    pub fn latent_dcor_sq(&self, table: &Table, max_rows: usize) -> Result<f64> {
        let full = self.encoder.transform(table)?;
        let rows: Vec<usize> = (0..table.n_rows().min(max_rows)).collect();
        let x = full.select(ndarray::Axis(1), &self.layout.x_columns).select(ndarray::Axis(0), &rows);
        let g = self.layout.group_index(table)?;
        let g: Vec<usize> = rows.iter().map(|&i| g[i]).collect();
        let k = self.layout.n_groups();
        let (mu, _) = self.teacher.encode_mean(&to_matrix(&self.dev, x.view()), &one_hot(&self.dev, &g, k));
        let mu64 = Array2::from_shape_vec(*mu.shape(), mu.as_vec().into_iter().map(f64::from).collect())
            .map_err(|e| Error::Schema(e.to_string()))?;
        let s64 = Array2::from_shape_fn((g.len(), k), |(i, c)| (g[i] == c) as u8 as f64);
        distance_correlation_sq(mu64.view(), s64.view(), 0.0)
    }

    /// Generates `n` synthetic rows with the original columns: latent from the student (or the
    /// prior), group from the training marginal (or balanced), features decoded from [z, s]
    /// (each categorical level the decoder's arg-max, or drawn from its softmax with
    /// `categorical_temperature` > 0; numerics at the decoder's mean, unscaled), label drawn from
    /// the head's probability given z alone.
    pub fn generate(&self, n: usize, seed: u64, source: LatentSource) -> Result<Table> {
        if n == 0 {
            return Err(Error::invalid("n", 0, "generate at least one row"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let dev = seeded_device(seed);
        let l = self.params.latent;
        let k = self.layout.n_groups();
        let mut full = Array2::<f64>::zeros((n, self.layout.full_width));
        let mut labels = Vec::with_capacity(n);
        let chunk = 4096;
        let mut start = 0;
        while start < n {
            let m = chunk.min(n - start);
            let noise: Matrix = dev.sample_normal_like(&(m, l));
            let z = match source {
                LatentSource::Student => self.student.forward(noise),
                LatentSource::Prior => noise,
            };
            let g: Vec<usize> = (0..m)
                .map(|_| match self.params.group_sampling {
                    GroupSampling::Balanced => rng.gen_range(0..k),
                    GroupSampling::Marginal => {
                        let u: f64 = rng.gen();
                        let mut acc = 0.0;
                        self.layout.group_shares.iter().position(|p| {
                            acc += p;
                            u < acc
                        }).unwrap_or(k - 1)
                    }
                })
                .collect();
            let s = one_hot(&dev, &g, k);
            let x = self.teacher.decode_const(&z, &s).as_vec();
            let p = self.head.forward(z).sigmoid().as_vec();
            let w = self.layout.x_width();
            let sd: Vec<f64> = self.teacher.num_logvar.as_vec().iter().map(|lv| (0.5 * *lv as f64).exp()).collect();
            let a = self.params.numeric_noise;
            for i in 0..m {
                let row = start + i;
                let xr = &x[i * w..(i + 1) * w];
                for &j in &self.layout.numeric {
                    let noise = if a > 0.0 { a * sd[j] * rng.sample::<f64, _>(rand_distr::StandardNormal) } else { 0.0 };
                    full[[row, self.layout.x_columns[j]]] = xr[j] as f64 + noise;
                }
                // Each one-hot block: the arg-max level (temperature 0), or a level drawn from the
                // decoder's softmax at the given temperature (1 = the trained likelihood).
                let t = self.params.categorical_temperature;
                for block in &self.layout.categorical_blocks {
                    let logits = &xr[block.clone()];
                    let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    if t <= 0.0 {
                        let best = logits.iter().position(|&v| v == top).unwrap_or(0);
                        full[[row, self.layout.x_columns[block.start + best]]] = 1.0;
                        continue;
                    }
                    let weights: Vec<f64> = logits.iter().map(|&v| ((v - top) as f64 / t).exp()).collect();
                    let mut u = rng.gen::<f64>() * weights.iter().sum::<f64>();
                    let mut pick = weights.len() - 1;
                    for (q, wq) in weights.iter().enumerate() {
                        if u < *wq {
                            pick = q;
                            break;
                        }
                        u -= wq;
                    }
                    full[[row, self.layout.x_columns[block.start + pick]]] = 1.0;
                }
                // The sensitive blocks: the drawn group's values, one-hot.
                for (si, (_, range)) in self.layout.sensitive.iter().enumerate() {
                    let value = &self.layout.groups[g[i]].0[si];
                    if let Some(crate::data::ColumnEncoding::Categorical { levels, .. }) =
                        self.encoder.columns().iter().find(|c| c.name() == self.layout.sensitive[si].0)
                    {
                        if let Ok(pos) = levels.binary_search(value) {
                            full[[row, range.start + pos]] = 1.0;
                        }
                    }
                }
                labels.push((rng.gen::<f32>() < p[i]) as u8);
            }
            start += m;
        }
        if let Some(i) = full.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "generated rows".into(), index: i });
        }
        let names: Vec<String> = self.layout.sensitive.iter().map(|(n, _)| n.clone()).collect();
        self.encoder.inverse(full.view(), &labels, &names)
    }
}

/// What `model.json` holds beside `model.safetensors`.
#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    params: Fair4FreeParams,
    layout: Layout,
    encoder: Encoder,
    log: Vec<EpochLog>,
}

const MODEL_FORMAT: &str = "fairdistill-fair4free-1";

impl Fair4Free {
    /// Writes the model to `dir` (created if needed): `model.json` (params, layout, encoder, log)
    /// and `model.safetensors` (teacher, student and head parameters).
    pub fn save(&mut self, dir: &std::path::Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let file = ModelFile {
            format: MODEL_FORMAT.into(),
            params: self.params.clone(),
            layout: self.layout.clone(),
            encoder: self.encoder.clone(),
            log: self.log.clone(),
        };
        let json = dir.join("model.json");
        std::fs::write(&json, serde_json::to_string_pretty(&file)?).map_err(|e| Error::io(&json, e))?;
        crate::nn::save_params(
            &mut [("teacher", &mut self.teacher), ("student", &mut self.student), ("head", &mut self.head)],
            &dir.join("model.safetensors"),
        )
    }

    /// Reads a model written by [`Fair4Free::save`].
    pub fn load(dir: &std::path::Path) -> Result<Fair4Free> {
        let json = dir.join("model.json");
        let text = std::fs::read_to_string(&json).map_err(|e| Error::io(&json, e))?;
        let file: ModelFile = serde_json::from_str(&text)?;
        if file.format != MODEL_FORMAT {
            return Err(Error::Schema(format!("{}: format `{}`, expected `{MODEL_FORMAT}`", json.display(), file.format)));
        }
        let p = &file.params;
        let dev = seeded_device(p.seed);
        let l = p.latent;
        let mut teacher = Teacher::new(&dev, file.layout.x_width(), file.layout.n_groups(), &p.hidden, l);
        let mut student = MlpConfig { input: l, hidden: p.student_hidden.clone(), output: l }.build(&dev);
        let mut head = MlpConfig { input: l, hidden: p.head_hidden.clone(), output: 1 }.build(&dev);
        crate::nn::load_params(
            &mut [("teacher", &mut teacher), ("student", &mut student), ("head", &mut head)],
            &dir.join("model.safetensors"),
        )?;
        Ok(Fair4Free {
            params: file.params,
            layout: file.layout,
            encoder: file.encoder,
            teacher,
            student,
            head,
            dev,
            log: file.log,
        })
    }
}
