//! Training (teacher, student, label head) and generation.

use dfdx::prelude::*;
use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::audit::distance_correlation_sq;
use crate::data::{ClippedCells, Encoder, Table};
use crate::device::{seeded_device, Device};
use crate::error::{Error, Result};
use crate::methods::fair4free::layout::Layout;
use crate::methods::fair4free::params::{Fair4FreeParams, GroupSampling, StudentLoss};
use crate::methods::fair4free::teacher::Teacher;
use crate::methods::fair4free::training::{fit_head, fit_student, fit_teacher, one_hot, teacher_latents, Run, TrainingData};
use crate::nn::{Matrix, Mlp, MlpConfig};
use crate::report::TrainingCurve;

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
    /// The batch penalty before beta: dCor^2(mu, s) (or FairDisCo's), teacher stage.
    pub penalty: f64,
    /// The label head's cross-entropy on z before its weight (teacher stage with a label term).
    #[serde(default)]
    pub label: Option<f64>,
    /// dCor^2(mu(x, s), s) of the teacher on a held-out batch (teacher stage).
    pub heldout_dcor_sq: Option<f64>,
}

impl EpochLog {
    /// A line of a stage with a loss only (student, head).
    pub(crate) fn stage(stage: &str, epoch: usize, epochs: usize, loss: f64) -> EpochLog {
        EpochLog { stage: stage.into(), epoch, epochs, loss, kl: 0.0, penalty: 0.0, label: None, heldout_dcor_sq: None }
    }

    /// Every loss term of a training log as one curve per model (`model`, `seed`): the teacher's
    /// reconstruction NLL, KL, penalty (dCor^2 before beta), label cross-entropy (when trained
    /// with one) and held-out dCor^2; the student's distribution loss; the head's cross-entropy.
    pub fn curve(log: &[EpochLog], model: &str, seed: u64, student_loss: StudentLoss) -> TrainingCurve {
        let student_loss = match student_loss {
            StudentLoss::Mmd => "MMD²",
            StudentLoss::Mse => "MSE",
        };
        let mut c = TrainingCurve::new(model, seed);
        for e in log {
            match e.stage.as_str() {
                "teacher" => {
                    c.push("teacher reconstruction NLL", e.loss).push("teacher KL", e.kl).push("teacher penalty", e.penalty);
                    if let Some(l) = e.label {
                        c.push("teacher label cross-entropy", l);
                    }
                    if let Some(d) = e.heldout_dcor_sq {
                        c.push("held-out dCor² (μ, s)", d);
                    }
                }
                "student" => {
                    c.push(&format!("student {student_loss}"), e.loss);
                }
                other => {
                    c.push(&format!("{other} cross-entropy"), e.loss);
                }
            }
        }
        c
    }
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
        check_network_memory(params, &layout)?;
        let full = encoder.transform(train)?;
        let x_all = full.select(ndarray::Axis(1), &layout.x_columns);
        let groups = layout.group_index(train)?;
        let labels: Vec<u32> = train.label().iter().map(|&y| y as u32).collect();
        let dev = seeded_device(params.seed);
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        let k = layout.n_groups();

        // Held-out batch for the measured dependence (rows not used for training the teacher).
        let n = train.n_rows();
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut rng);
        let n_hold = (n / 10).clamp(8, 1000).min(n / 2);
        let (hold, fit_rows) = perm.split_at(n_hold);

        let batch = |rows: &[usize]| to_matrix(&dev, x_all.select(ndarray::Axis(0), rows).view());
        let data = TrainingData { n, batch: &batch, groups: &groups, k, labels: &labels, head_outputs: 1 };
        let mut run = Run { params, dev: &dev, rng, observe, log: Vec::new() };
        // 1. Teacher (and, with a label weight, the label head on z, trained jointly).
        let mut teacher = Teacher::new(&dev, &layout, &params.hidden, params.latent);
        let mut head = MlpConfig { input: params.latent, hidden: params.head_hidden.clone(), output: 1 }.build(&dev);
        fit_teacher(&mut teacher, &mut head, &data, fit_rows, hold, &mut run)?;
        // The teacher's fair latents of every training row: z = mu + sigma eps.
        let z_teacher = teacher_latents(&teacher, &data, &dev, n);
        let l = params.latent;
        // 2. Student: noise -> latent, never sees x.
        let student = fit_student(&z_teacher, n, l, &mut run);
        // 3. Label head on the teacher's latents.
        fit_head(&mut head, &z_teacher, &labels, 1, l, &mut run);
        let log = run.log;
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

    /// Every loss term of this model's training, per epoch, as the curve of `model` and `seed`
    /// (see [`EpochLog::curve`]).
    pub fn training_curve(&self, model: &str, seed: u64) -> TrainingCurve {
        let mut c = EpochLog::curve(&self.log, model, seed, self.params.student_loss);
        if self.params.beta_log10.is_none() {
            // β = 0: no penalty in the loss (the log's zeros are not a measurement).
            c.terms.retain(|t| t.name != "teacher penalty");
        }
        c
    }

    /// Generates `n` synthetic rows with the original columns: latent from the student (or the
    /// prior), group from the training marginal (or balanced), features decoded from [z, s]
    /// (each categorical level the decoder's arg-max, or drawn from its softmax with
    /// `categorical_temperature` > 0; numerics at the decoder's mean, unscaled), label drawn from
    /// the head's probability given z alone.
    pub fn generate(&self, n: usize, seed: u64, source: LatentSource) -> Result<Table> {
        Ok(self.generate_counted(n, seed, source)?.0)
    }

    /// [`Fair4Free::generate`], with the number of cells clipped to the training range per
    /// numeric column (see [`Encoder::inverse_clipped`]).
    pub fn generate_counted(&self, n: usize, seed: u64, source: LatentSource) -> Result<(Table, Vec<ClippedCells>)> {
        let width = self.layout.full_width;
        let mut full = Array2::<f64>::zeros((n, width));
        let mut labels = Vec::with_capacity(n);
        self.draw(n, seed, source, &mut |start, block, y| {
            full.slice_mut(ndarray::s![start..start + block.nrows(), ..]).assign(&block);
            labels.extend_from_slice(y);
            Ok(())
        })?;
        self.encoder.inverse_clipped(full.view(), &labels, &self.sensitive_names())
    }

    /// The rows of [`Fair4Free::generate`] (the same rows, bit for bit), handed to `sink`
    /// [`GENERATE_CHUNK`] at a time as tables of the original columns, so that any number of
    /// rows takes bounded memory. Returns the clipped cells per numeric column, over all rows.
    pub fn generate_chunks(&self, n: usize, seed: u64, source: LatentSource, sink: &mut dyn FnMut(Table) -> Result<()>) -> Result<Vec<ClippedCells>> {
        let names = self.sensitive_names();
        let mut total: Vec<ClippedCells> = Vec::new();
        self.draw(n, seed, source, &mut |_, block, y| {
            let (table, clips) = self.encoder.inverse_clipped(block.view(), y, &names)?;
            if total.is_empty() {
                total = clips;
            } else {
                for (t, c) in total.iter_mut().zip(clips) {
                    t.cells += c.cells;
                }
            }
            sink(table)
        })?;
        Ok(total)
    }

    fn sensitive_names(&self) -> Vec<String> {
        self.layout.sensitive.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Draws `n` rows in model space, [`GENERATE_CHUNK`] at a time from one random stream, and
    /// hands each block (its first row's position, the block, its labels) to `emit`.
    fn draw(&self, n: usize, seed: u64, source: LatentSource, emit: &mut dyn FnMut(usize, Array2<f64>, &[u8]) -> Result<()>) -> Result<()> {
        if n == 0 {
            return Err(Error::invalid("n", 0, "generate at least one row"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let dev = seeded_device(seed);
        let l = self.params.latent;
        let k = self.layout.n_groups();
        let mut start = 0;
        while start < n {
            let m = GENERATE_CHUNK.min(n - start);
            let mut full = Array2::<f64>::zeros((m, self.layout.full_width));
            let mut labels = Vec::with_capacity(m);
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
                let xr = &x[i * w..(i + 1) * w];
                for &j in &self.layout.numeric {
                    let noise = if a > 0.0 { a * sd[j] * rng.sample::<f64, _>(rand_distr::StandardNormal) } else { 0.0 };
                    full[[i, self.layout.x_columns[j]]] = xr[j] as f64 + noise;
                }
                // Each one-hot block: the arg-max level (temperature 0), or a level drawn from the
                // decoder's softmax at the given temperature (1 = the trained likelihood).
                let t = self.params.categorical_temperature;
                for block in &self.layout.categorical_blocks {
                    let logits = &xr[block.clone()];
                    let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    if t <= 0.0 {
                        let best = logits.iter().position(|&v| v == top).unwrap_or(0);
                        full[[i, self.layout.x_columns[block.start + best]]] = 1.0;
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
                    full[[i, self.layout.x_columns[block.start + pick]]] = 1.0;
                }
                // The sensitive blocks: the drawn group's values, one-hot.
                for (si, (_, range)) in self.layout.sensitive.iter().enumerate() {
                    let value = &self.layout.groups[g[i]].0[si];
                    if let Some(crate::data::ColumnEncoding::Categorical { levels, .. }) =
                        self.encoder.columns().iter().find(|c| c.name() == self.layout.sensitive[si].0)
                    {
                        if let Ok(pos) = levels.binary_search(value) {
                            full[[i, range.start + pos]] = 1.0;
                        }
                    }
                }
                labels.push((rng.gen::<f32>() < p[i]) as u8);
            }
            if let Some(i) = full.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite { what: "generated rows".into(), index: start * self.layout.full_width + i });
            }
            emit(start, full, &labels)?;
            start += m;
        }
        Ok(())
    }
}

/// Rows drawn at a time by [`Fair4Free::generate_chunks`] (and internally by `generate`).
pub const GENERATE_CHUNK: usize = 4096;

/// Refuses widths whose networks could not fit in memory (an error before allocating, not an
/// out-of-memory kill): teacher encoder and decoder, student and head, trained with Adam.
fn check_network_memory(params: &Fair4FreeParams, layout: &Layout) -> Result<()> {
    use crate::memory::{adam_training_bytes, dense_chain_parameters};
    let (x, k, l) = (layout.x_width(), layout.n_groups(), params.latent);
    let chain = |first: usize, hidden: &[usize], last: usize| -> Vec<usize> {
        std::iter::once(first).chain(hidden.iter().copied()).chain(std::iter::once(last)).collect()
    };
    let mut reversed = params.hidden.clone();
    reversed.reverse();
    let chains = [
        chain(x + k, &params.hidden, 2 * l),
        chain(l + k, &reversed, x),
        chain(l, &params.student_hidden, l),
        chain(l, &params.head_hidden, 1),
    ];
    let parameters: u128 = chains.iter().map(|c| dense_chain_parameters(c)).sum();
    let widths: u128 = chains.iter().flatten().map(|&w| w as u128).sum();
    crate::memory::check(
        &format!("network widths (hidden {:?}, latent {l})", params.hidden),
        adam_training_bytes(parameters, params.batch_size, widths),
        "",
    )
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
    /// Writes the model to the folder `dir`: `model.json` (params, layout, encoder, log) and
    /// `model.safetensors` (teacher, student and head parameters), written into a new folder
    /// beside it that then replaces `dir` (an interrupted save leaves the previous model whole).
    pub fn save(&mut self, dir: &std::path::Path) -> Result<()> {
        let file = ModelFile {
            format: MODEL_FORMAT.into(),
            params: self.params.clone(),
            layout: self.layout.clone(),
            encoder: self.encoder.clone(),
            log: self.log.clone(),
        };
        let json = serde_json::to_string_pretty(&file)?;
        crate::atomic::replace_dir(dir, |tmp| {
            crate::atomic::write_atomic(&tmp.join("model.json"), json.as_bytes())?;
            crate::nn::save_params(
                &mut [("teacher", &mut self.teacher), ("student", &mut self.student), ("head", &mut self.head)],
                &tmp.join("model.safetensors"),
            )
        })
    }

    /// Reads a model written by [`Fair4Free::save`].
    pub fn load(dir: &std::path::Path) -> Result<Fair4Free> {
        let json = dir.join("model.json");
        let text = std::fs::read_to_string(&json).map_err(|e| Error::io(&json, e))?;
        let file: ModelFile = serde_json::from_str(&text).map_err(|e| Error::Schema(format!("{}: {e}", json.display())))?;
        if file.format != MODEL_FORMAT {
            return Err(Error::Schema(format!("{}: format `{}`, expected `{MODEL_FORMAT}`", json.display(), file.format)));
        }
        let p = &file.params;
        let dev = seeded_device(p.seed);
        let l = p.latent;
        let mut teacher = Teacher::new(&dev, &file.layout, &p.hidden, l);
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
