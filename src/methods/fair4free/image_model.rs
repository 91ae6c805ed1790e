//! Fair4Free on images: the same algorithm as on tables ([`training`](super::training)) over the
//! conv backbone [`ImageVae`]. `fit` trains the teacher (conv VAE + dCor penalty + label head on
//! the fair latent), the data-free student and the head; `generate` returns images with a group
//! drawn independently of the latent and a class drawn from the head, or fills given
//! (class, group) cells (the biased and balanced synthetic sets of AIM-Fair).

use std::path::Path;

use dfdx::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::images::ImageSplit;
use crate::device::{seeded_device, Device};
use crate::error::{Error, Result};
use crate::methods::fair4free::algorithm::{EpochLog, LatentSource};
use crate::methods::fair4free::image_vae::ImageVae;
use crate::methods::fair4free::params::{Fair4FreeParams, GroupSampling, StudentLoss};
use crate::methods::fair4free::training::{fit_head, fit_student, fit_teacher, measured_dcor_sq, one_hot, teacher_latents, Run, TrainingData};
use crate::nn::{ConvVaeConfig, FeatureMaps, Matrix, Mlp, MlpConfig};

/// Settings of [`Fair4FreeImage`]: the shared Fair4Free settings (of which `hidden`,
/// `categorical_temperature` and `numeric_noise` concern tables only) and the conv widths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fair4FreeImageParams {
    pub fair4free: Fair4FreeParams,
    /// Channels after the first and second convolution of the encoder (mirrored in the decoder).
    pub widths: [usize; 2],
}

impl Default for Fair4FreeImageParams {
    /// Latent 16, widths 32 and 64, beta 100, 10 teacher epochs at batch 64, Adam lr 3e-3 (1e-3 left the reconstruction at 232
    /// nats after 10 epochs on 3,000 Colored-MNIST images, 3e-3 reached 147), label
    /// weight 50 (the reconstruction term is a sum over 2,352 values, about 100-200 nats per
    /// image, so the label term needs that weight to shape the latent), KL weight 1, student [64, 64] for 30 epochs (MMD), head [32] for 10 epochs,
    /// balanced groups at generation.
    fn default() -> Self {
        Fair4FreeImageParams {
            fair4free: Fair4FreeParams {
                hidden: vec![64],
                latent: 16,
                beta_log10: Some(2.0),
                epochs: 10,
                batch_size: 64,
                learning_rate: 3e-3,
                student_hidden: vec![64, 64],
                student_epochs: 30,
                student_loss: StudentLoss::Mmd,
                head_hidden: vec![32],
                head_epochs: 10,
                label_weight: 50.0,
                group_sampling: GroupSampling::Balanced,
                ..Fair4FreeParams::default()
            },
            widths: [32, 64],
        }
    }
}

impl Fair4FreeImageParams {
    pub fn check(&self) -> Result<&Self> {
        self.fair4free.check()?;
        if self.widths.contains(&0) {
            return Err(Error::invalid("widths", format!("{:?}", self.widths), "both conv widths must be at least 1"));
        }
        Ok(self)
    }

    fn conv(&self, channels: usize, size: usize) -> ConvVaeConfig {
        ConvVaeConfig { in_channels: channels, image_size: size, widths: self.widths, latent: self.fair4free.latent }
    }
}

/// A trained Fair4Free image generator.
#[derive(Debug)]
pub struct Fair4FreeImage {
    pub params: Fair4FreeImageParams,
    pub height: usize,
    pub width: usize,
    pub channels: usize,
    pub n_classes: usize,
    pub n_groups: usize,
    /// Share of each group in the training images.
    pub group_shares: Vec<f64>,
    pub log: Vec<EpochLog>,
    pub(crate) vae: ImageVae,
    pub(crate) student: Mlp,
    pub(crate) head: Mlp,
    pub(crate) dev: Device,
}

fn maps(dev: &Device, images: &ImageSplit, rows: &[usize]) -> FeatureMaps {
    FeatureMaps::gather_images(dev, &images.pixels, images.height, images.width, images.channels, rows)
}

/// How generated images take their (class, group).
#[derive(Clone, Debug, PartialEq)]
pub enum ImageMix {
    /// `n` images; the group from the model's [`GroupSampling`] (balanced by default), drawn
    /// independently of the latent; the class drawn from the head's softmax given the latent.
    Sampled(usize),
    /// Exactly `counts[class][group]` images per cell: the group is set, the latent drawn until
    /// the head's class (drawn from its softmax) is one still wanted (rejection sampling; an
    /// error if a cell is not filled after max(200 per image wanted, 200,000) draws).
    Cells(Vec<Vec<usize>>),
}

impl Fair4FreeImage {
    /// Trains teacher, student and head on `train` (classes `0..n_classes`, groups `0..n_groups`
    /// as recorded in the split). `observe` sees every epoch.
    pub fn fit(params: &Fair4FreeImageParams, train: &ImageSplit, n_classes: usize, n_groups: usize, observe: &mut dyn FnMut(&EpochLog)) -> Result<Fair4FreeImage> {
        params.check()?;
        let p = &params.fair4free;
        let conv = params.conv(train.channels, train.height);
        conv.validate()?;
        if train.height != train.width {
            return Err(Error::invalid("image shape", format!("{}x{}", train.height, train.width), "square images"));
        }
        let n = train.len();
        if n < 16 {
            return Err(Error::Empty { what: format!("Fair4Free needs at least 16 training images, got {n}") });
        }
        if n_classes < 2 || n_groups < 2 {
            return Err(Error::invalid("classes and groups", format!("{n_classes} and {n_groups}"), "at least two of each"));
        }
        if let Some(i) = train.labels.iter().position(|&y| y as usize >= n_classes) {
            return Err(Error::invalid("label", train.labels[i], format!("image {i}: labels must lie in 0..{n_classes}")));
        }
        if let Some(i) = train.groups.iter().position(|&g| g as usize >= n_groups) {
            return Err(Error::invalid("group", train.groups[i], format!("image {i}: groups must lie in 0..{n_groups}")));
        }
        let groups: Vec<usize> = train.groups.iter().map(|&g| g as usize).collect();
        let mut shares = vec![0f64; n_groups];
        groups.iter().for_each(|&g| shares[g] += 1.0 / n as f64);
        let dev = seeded_device(p.seed);
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut rng);
        let n_hold = (n / 10).clamp(8, 1000).min(n / 2);
        let (hold, fit_rows) = perm.split_at(n_hold);
        let batch = |rows: &[usize]| maps(&dev, train, rows);
        let data = TrainingData { n, batch: &batch, groups: &groups, k: n_groups, labels: &train.labels, head_outputs: n_classes };
        let mut vae = ImageVae::new(&dev, &conv, n_groups);
        let mut head = MlpConfig { input: p.latent, hidden: p.head_hidden.clone(), output: n_classes }.build(&dev);
        let mut run = Run { params: p, dev: &dev, rng, observe, log: Vec::new() };
        fit_teacher(&mut vae, &mut head, &data, fit_rows, hold, &mut run)?;
        let z_teacher = teacher_latents(&vae, &data, &dev, 256);
        let student = fit_student(&z_teacher, n, p.latent, &mut run);
        fit_head(&mut head, &z_teacher, &train.labels, n_classes, p.latent, &mut run);
        let log = run.log;
        Ok(Fair4FreeImage {
            params: params.clone(),
            height: train.height,
            width: train.width,
            channels: train.channels,
            n_classes,
            n_groups,
            group_shares: shares,
            log,
            vae,
            student,
            head,
            dev,
        })
    }

    /// dCor^2 between the teacher's mean latent and the one-hot group on (at most `max_images`
    /// of) `images`.
    pub fn latent_dcor_sq(&self, images: &ImageSplit, max_images: usize) -> Result<f64> {
        self.check_shape(images)?;
        let groups: Vec<usize> = images.groups.iter().map(|&g| g as usize).collect();
        if let Some(i) = groups.iter().position(|&g| g >= self.n_groups) {
            return Err(Error::invalid("group", groups[i], format!("image {i}: groups must lie in 0..{}", self.n_groups)));
        }
        let batch = |rows: &[usize]| maps(&self.dev, images, rows);
        let data = TrainingData { n: images.len(), batch: &batch, groups: &groups, k: self.n_groups, labels: &images.labels, head_outputs: self.n_classes };
        let rows: Vec<usize> = (0..images.len().min(max_images)).collect();
        measured_dcor_sq(&self.vae, &data, &self.dev, &rows)
    }

    fn check_shape(&self, images: &ImageSplit) -> Result<()> {
        if (images.height, images.width, images.channels) != (self.height, self.width, self.channels) {
            return Err(Error::invalid(
                "image shape",
                format!("{}x{}x{}", images.height, images.width, images.channels),
                format!("the model was trained on {}x{}x{}", self.height, self.width, self.channels),
            ));
        }
        Ok(())
    }

    /// Latents of `m` images (student or prior), their classes drawn from the head.
    fn draw(&self, dev: &Device, m: usize, source: LatentSource, rng: &mut ChaCha8Rng) -> (Matrix, Vec<u32>) {
        let noise: Matrix = dev.sample_normal_like(&(m, self.params.fair4free.latent));
        let z = match source {
            LatentSource::Student => self.student.forward(noise),
            LatentSource::Prior => noise,
        };
        let logits = self.head.forward(z.clone()).as_vec();
        let k = self.n_classes;
        let y = logits
            .chunks_exact(k)
            .map(|row| {
                let top = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let w: Vec<f64> = row.iter().map(|&v| ((v - top) as f64).exp()).collect();
                let mut u = rng.gen::<f64>() * w.iter().sum::<f64>();
                for (c, wc) in w.iter().enumerate() {
                    if u < *wc {
                        return c as u32;
                    }
                    u -= wc;
                }
                (k - 1) as u32
            })
            .collect();
        (z, y)
    }

    /// Every loss term of this model's training, per epoch, as the curve of `model` and `seed`
    /// (see [`EpochLog::curve`]).
    pub fn training_curve(&self, model: &str, seed: u64) -> crate::report::TrainingCurve {
        let mut c = EpochLog::curve(&self.log, model, seed, self.params.fair4free.student_loss);
        if self.params.fair4free.beta_log10.is_none() {
            // β = 0: no penalty in the loss (the log's zeros are not a measurement).
            c.terms.retain(|t| t.name != "teacher penalty");
        }
        c
    }

    /// Generates images (pixel means in `[0, 1]`) with their group and class; see [`ImageMix`].
    /// Latents come from the student (Fair4Free) or the prior N(0, I) (the teacher baselines).
    pub fn generate(&self, mix: &ImageMix, seed: u64, source: LatentSource) -> Result<ImageSplit> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let dev = seeded_device(seed);
        let (k, g) = (self.n_classes, self.n_groups);
        // Each accepted image: (latent row, class, group).
        let mut latents: Vec<f32> = Vec::new();
        let mut labels = Vec::new();
        let mut groups = Vec::new();
        let l = self.params.fair4free.latent;
        match mix {
            ImageMix::Sampled(n) => {
                if *n == 0 {
                    return Err(Error::invalid("n", 0, "generate at least one image"));
                }
                let mut left = *n;
                while left > 0 {
                    let m = left.min(1024);
                    let (z, y) = self.draw(&dev, m, source, &mut rng);
                    latents.extend(z.as_vec());
                    labels.extend(y);
                    for _ in 0..m {
                        groups.push(match self.params.fair4free.group_sampling {
                            GroupSampling::Balanced => rng.gen_range(0..g),
                            GroupSampling::Marginal => {
                                let u: f64 = rng.gen();
                                let mut acc = 0.0;
                                self.group_shares.iter().position(|p| {
                                    acc += p;
                                    u < acc
                                }).unwrap_or(g - 1)
                            }
                        } as u32);
                    }
                    left -= m;
                }
            }
            ImageMix::Cells(counts) => {
                if counts.len() != k || counts.iter().any(|r| r.len() != g) {
                    return Err(Error::invalid("cells", format!("{} x {}", counts.len(), counts.first().map_or(0, Vec::len)), format!("counts[class][group] of {k} x {g}")));
                }
                let total: usize = counts.iter().flatten().sum();
                if total == 0 {
                    return Err(Error::invalid("cells", 0, "ask for at least one image"));
                }
                let mut left = counts.clone();
                let mut remaining = total;
                let mut draws = 0usize;
                while remaining > 0 {
                    if draws > (200 * total).max(200_000) {
                        let (c, s) = (0..k).flat_map(|c| (0..g).map(move |s| (c, s))).find(|&(c, s)| left[c][s] > 0).unwrap_or((0, 0));
                        return Err(Error::invalid(
                            "cells",
                            format!("class {c}, group {s}"),
                            format!("still {} images short after {draws} draws: the head rarely gives this class", left[c][s]),
                        ));
                    }
                    let (z, y) = self.draw(&dev, 1024, source, &mut rng);
                    draws += 1024;
                    let zv = z.as_vec();
                    for (i, &c) in y.iter().enumerate() {
                        let row = &mut left[c as usize];
                        // The group of this class with the most images still wanted.
                        let Some((s, _)) = row.iter().enumerate().filter(|(_, v)| **v > 0).max_by_key(|(s, v)| (**v, usize::MAX - s)) else {
                            continue;
                        };
                        row[s] -= 1;
                        remaining -= 1;
                        latents.extend_from_slice(&zv[i * l..(i + 1) * l]);
                        labels.push(c);
                        groups.push(s as u32);
                        if remaining == 0 {
                            break;
                        }
                    }
                }
            }
        }
        let n = labels.len();
        let mut pixels = Vec::with_capacity(n * self.height * self.width * self.channels);
        let gi: Vec<usize> = groups.iter().map(|&s| s as usize).collect();
        for start in (0..n).step_by(256) {
            let end = (start + 256).min(n);
            let z: Matrix = dev.tensor_from_vec(latents[start * l..end * l].to_vec(), (end - start, l));
            let s = one_hot(&dev, &gi[start..end], g);
            pixels.extend(self.vae.decode_mean(&z, &s).data.as_vec());
        }
        if let Some(i) = pixels.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "generated images".into(), index: i });
        }
        ImageSplit::new(self.height, self.width, self.channels, pixels, labels, groups)
    }
}

/// What `model.json` holds beside `model.safetensors`.
#[derive(Serialize, Deserialize)]
struct ImageModelFile {
    format: String,
    params: Fair4FreeImageParams,
    height: usize,
    width: usize,
    channels: usize,
    n_classes: usize,
    n_groups: usize,
    group_shares: Vec<f64>,
    log: Vec<EpochLog>,
}

const IMAGE_MODEL_FORMAT: &str = "fairdistill-fair4free-image-1";

/// Whether the folder holds an image model (its `model.json` names the image format).
pub fn is_image_model(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("model.json")).is_ok_and(|t| t.contains(IMAGE_MODEL_FORMAT))
}

impl Fair4FreeImage {
    /// Writes the model to the folder `dir`: `model.json` and `model.safetensors` are written
    /// into a new folder beside it, which then replaces `dir` (an interrupted save leaves the
    /// previous model whole).
    pub fn save(&mut self, dir: &Path) -> Result<()> {
        let file = ImageModelFile {
            format: IMAGE_MODEL_FORMAT.into(),
            params: self.params.clone(),
            height: self.height,
            width: self.width,
            channels: self.channels,
            n_classes: self.n_classes,
            n_groups: self.n_groups,
            group_shares: self.group_shares.clone(),
            log: self.log.clone(),
        };
        let json = serde_json::to_string_pretty(&file)?;
        crate::atomic::replace_dir(dir, |tmp| {
            crate::atomic::write_atomic(&tmp.join("model.json"), json.as_bytes())?;
            crate::nn::save_params(
                &mut [("vae", &mut self.vae), ("student", &mut self.student), ("head", &mut self.head)],
                &tmp.join("model.safetensors"),
            )
        })
    }

    /// Reads a model written by [`Fair4FreeImage::save`].
    pub fn load(dir: &Path) -> Result<Fair4FreeImage> {
        let json = dir.join("model.json");
        let text = std::fs::read_to_string(&json).map_err(|e| Error::io(&json, e))?;
        let file: ImageModelFile = serde_json::from_str(&text).map_err(|e| Error::Schema(format!("{}: {e}", json.display())))?;
        if file.format != IMAGE_MODEL_FORMAT {
            return Err(Error::Schema(format!("{}: format `{}`, expected `{IMAGE_MODEL_FORMAT}`", json.display(), file.format)));
        }
        file.params.check()?;
        if file.n_classes < 2 || file.n_groups < 2 || file.group_shares.len() != file.n_groups || file.height != file.width {
            return Err(Error::Schema(format!(
                "{}: {} classes, {} groups ({} shares), {}x{} images: a model needs at least two classes and two groups, one share per group and square images",
                json.display(),
                file.n_classes,
                file.n_groups,
                file.group_shares.len(),
                file.height,
                file.width
            )));
        }
        let p = &file.params.fair4free;
        let conv = file.params.conv(file.channels, file.height);
        conv.validate()?;
        let dev = seeded_device(p.seed);
        let mut vae = ImageVae::new(&dev, &conv, file.n_groups);
        let mut student = MlpConfig { input: p.latent, hidden: p.student_hidden.clone(), output: p.latent }.build(&dev);
        let mut head = MlpConfig { input: p.latent, hidden: p.head_hidden.clone(), output: file.n_classes }.build(&dev);
        crate::nn::load_params(&mut [("vae", &mut vae), ("student", &mut student), ("head", &mut head)], &dir.join("model.safetensors"))?;
        Ok(Fair4FreeImage {
            params: file.params,
            height: file.height,
            width: file.width,
            channels: file.channels,
            n_classes: file.n_classes,
            n_groups: file.n_groups,
            group_shares: file.group_shares,
            log: file.log,
            vae,
            student,
            head,
            dev,
        })
    }
}
