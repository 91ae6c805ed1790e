//! Fair4Free on images (beyond the paper, whose image results are pictures only): on a colour-
//! biased Colored-MNIST (or Colored-Fashion-MNIST), a LeNet-5 is trained on each image set and
//! tested on the real test images shown in every colour, so a classifier that ignores colour
//! scores every colour gap exactly 0 (no sampling noise in the fairness numbers).
//!
//! Rows (the JSON `method` names are a contract, as in the tabular report): `real` (the biased
//! real training images), `vae-unfair` (prior samples of a VAE with penalty 0), `fair-teacher`
//! (prior samples of the fair teacher), `fair4free` (the data-free student's samples), `grey`
//! (real training and test images with colour removed: the colour-blind reference). Each row:
//! accuracy; DPD and EOD over colour by the multiclass Algorithm 1 (fractions); precision,
//! recall, density, coverage of its training images against the real test images in the feature
//! space of the `real` row's LeNet-5 (its penultimate layer); dCor^2(mu, s) of the latent that
//! made the images.

use std::path::PathBuf;
use std::time::Instant;

use dfdx::prelude::*;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::studies::paired::paired_interval;

use crate::audit::{multiclass_fairness, synthetic_quality, QualityParams, UndefinedPolicy, Value};
use crate::data::images::{counterfactual_split, load_image_dataset, ColouredParams, ImageDataset, ImageSplit};
use crate::device::{seeded_device, Device};
use crate::error::{Error, Result};
use crate::methods::distill::{fit_classifier, predict_logits, DistillParams, EpochLog, ImageSet};
use crate::report::{summarise_curves, CurveSummary, TrainingCurve};
use crate::methods::fair4free::{Fair4FreeImage, Fair4FreeImageParams, ImageMix, LatentSource};
use crate::nn::{FeatureMaps, LeNet5, LeNet5Config};
use crate::studies::fair4free::Stat;
use crate::studies::StudyProgress;

/// The rows, in report order.
pub const IMAGE_METHODS: [&str; 5] = ["real", "vae-unfair", "fair-teacher", "fair4free", "grey"];

/// Settings of the image reproduction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fair4FreeImageStudyParams {
    /// `colored-mnist` or `colored-fashion-mnist`.
    pub dataset: String,
    /// Folder of fetched data (`None`: `$FAIRDISTILL_DATA`, then `./data`).
    pub data_dir: Option<PathBuf>,
    /// How the training images are coloured (rho: the home-colour probability).
    pub colouring: ColouredParams,
    /// Seeds 0..seeds (model initialisations, batch orders, samples; the images are the same).
    pub seeds: usize,
    /// At most this many training images (the first of the split); `None`: all.
    pub max_train_images: Option<usize>,
    /// At most this many test images before the counterfactual tripling; `None`: all.
    pub max_test_images: Option<usize>,
    /// The generators (the `vae-unfair` one with beta 0).
    pub model: Fair4FreeImageParams,
    /// The LeNet-5 classifiers trained on each set (cross-entropy, Adam).
    pub classifier: DistillParams,
    /// Images drawn per synthetic set; `None`: as many as real training images.
    pub synthetic_images: Option<usize>,
    /// Points on each side of precision/recall/density/coverage.
    pub quality_images: usize,
    pub quality_k: usize,
}

impl Fair4FreeImageStudyParams {
    /// The committed study: all images, 5 seeds.
    pub fn full(dataset: &str) -> Self {
        Fair4FreeImageStudyParams {
            dataset: dataset.into(),
            data_dir: None,
            colouring: ColouredParams::default(),
            seeds: 5,
            max_train_images: None,
            max_test_images: None,
            model: Fair4FreeImageParams::default(),
            classifier: DistillParams::default().epochs(6).learning_rate(2e-3),
            synthetic_images: None,
            quality_images: 2000,
            quality_k: 5,
        }
    }

    /// One seed, 3,000 training images, shorter training (about 2 minutes on 2 cores).
    pub fn quick(dataset: &str) -> Self {
        let mut p = Self::full(dataset);
        p.seeds = 1;
        p.max_train_images = Some(3000);
        p.model.fair4free.epochs = 8;
        p.model.fair4free.student_epochs = 20;
        p.classifier = p.classifier.epochs(5);
        p.quality_images = 1000;
        p
    }

    /// Seconds, not a result: for tests in the test profile.
    pub fn tiny(dataset: &str) -> Self {
        let mut p = Self::quick(dataset);
        p.max_train_images = Some(300);
        p.max_test_images = Some(60);
        p.model.widths = [8, 16];
        p.model.fair4free.epochs = 2;
        p.model.fair4free.student_epochs = 2;
        p.model.fair4free.head_epochs = 2;
        p.classifier = p.classifier.epochs(1);
        p.quality_images = 100;
        p
    }

    pub fn check(&self) -> Result<&Self> {
        if self.seeds == 0 {
            return Err(Error::invalid("seeds", 0, "run at least one seed"));
        }
        if self.quality_images <= self.quality_k {
            return Err(Error::invalid("quality_images", self.quality_images, "must exceed quality_k"));
        }
        self.colouring.check()?;
        self.model.check()?;
        self.classifier.check()?;
        Ok(self)
    }

    /// Epochs of the whole study (for progress bars).
    pub fn total_epochs(&self) -> usize {
        let m = &self.model.fair4free;
        self.seeds * (2 * (m.epochs + m.student_epochs + m.head_epochs) + IMAGE_METHODS.len() * self.classifier.epochs)
    }
}

/// One row: mean and population std over seeds (fractions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageMethodRow {
    pub method: String,
    pub accuracy: Stat,
    /// Multiclass DPD over colour (Algorithm 1: one-vs-rest per class, mean over classes).
    pub demographic_parity_difference: Stat,
    /// Multiclass EOD over colour (worst of the TPR and FPR gaps, mean over classes).
    pub equalized_odds_difference: Stat,
    pub precision: Stat,
    pub recall: Stat,
    pub density: Stat,
    pub coverage: Stat,
    /// dCor^2(mu, s) of the latent behind the images, on the real test images.
    pub latent_dcor_sq: Stat,
    /// Each seed's value of EOD and accuracy (for paired comparisons between rows).
    pub eod_by_seed: Vec<Option<f64>>,
    pub accuracy_by_seed: Vec<Option<f64>>,
}

/// A sample grid (rows = colour, columns = class) as PNG bytes (not in the JSON: the CLI writes
/// each grid as a PNG file beside the report).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleGrid {
    /// `real`, `fair-teacher` or `fair4free`.
    pub method: String,
    #[serde(skip)]
    pub png: Vec<u8>,
}

impl SampleGrid {
    /// Inline display in an evcxr notebook (an `image/png` output).
    pub fn evcxr_display(&self) {
        evcxr_runtime::mime_type("image/png").bytes(&self.png);
    }
}

/// The image reproduction's report. JSON keys are a contract (docs/CLI.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fair4FreeImageReport {
    pub command: String,
    pub dataset: String,
    pub source: String,
    pub rows: Vec<ImageMethodRow>,
    pub params: Fair4FreeImageStudyParams,
    pub train_images: usize,
    /// Counterfactual test images (each real test image in every colour).
    pub test_images: usize,
    /// Share of each class's training images in its most frequent colour.
    pub train_majority_colour_share: f64,
    pub seconds: f64,
    pub notes: Vec<String>,
    /// Computed from the rows: what moved, by how much, whether beyond its spread.
    pub conclusions: Vec<String>,
    #[serde(skip)]
    pub grids: Vec<SampleGrid>,
    /// Every loss term of every trained model per epoch (generators and LeNet-5s), mean and std
    /// over seeds.
    #[serde(default)]
    pub training: Vec<CurveSummary>,
}

impl Fair4FreeImageReport {
    pub fn row(&self, method: &str) -> Option<&ImageMethodRow> {
        self.rows.iter().find(|r| r.method == method)
    }
}

/// One method's scores with one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageSeedScores {
    pub accuracy: Value,
    pub dpd: Value,
    pub eod: Value,
    /// Precision, recall, density, coverage of its training images (none for grey images).
    pub quality: Option<crate::audit::QualityReport>,
    pub dcor: Value,
}

use ImageSeedScores as Scores;

fn set_of(s: &ImageSplit) -> Result<ImageSet<'_>> {
    ImageSet::new(&s.pixels, &s.labels, s.height, s.width, s.channels)
}

fn argmax(row: &[f32]) -> u32 {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best as u32
}

/// Penultimate-layer features of `images` (at most `max`, the first ones) as f64 rows.
fn features(model: &LeNet5, dev: &Device, images: &ImageSplit, max: usize) -> Array2<f64> {
    let n = images.len().min(max);
    let mut out = Vec::new();
    let mut width = 0;
    for start in (0..n).step_by(256) {
        let idx: Vec<usize> = (start..(start + 256).min(n)).collect();
        let maps = FeatureMaps::gather_images(dev, &images.pixels, images.height, images.width, images.channels, &idx);
        let f = model.features(maps);
        width = f.shape().1;
        out.extend(f.as_vec().into_iter().map(f64::from));
    }
    Array2::from_shape_vec((n, width), out).unwrap_or_else(|_| Array2::zeros((0, 0)))
}

struct Bed<'a> {
    test: &'a ImageSplit,
    test_grey: &'a ImageSplit,
    colour_names: Vec<&'a str>,
}

impl Bed<'_> {
    fn score(&self, model: &LeNet5, dev: &Device, grey: bool) -> Result<(Value, Value, Value)> {
        let test = if grey { self.test_grey } else { self.test };
        let logits = predict_logits(model, dev, &set_of(test)?, 256);
        let k = logits.len() / test.len();
        let pred: Vec<u32> = logits.chunks_exact(k).map(argmax).collect();
        let correct = pred.iter().zip(&test.labels).filter(|(p, y)| p == y).count();
        let audit = multiclass_fairness(&test.labels, &pred, &[&self.colour_names[..]], UndefinedPolicy::Exclude)?;
        Ok((
            Value::Defined(correct as f64 / pred.len() as f64),
            audit.mean_over_classes.demographic_parity_difference.clone(),
            audit.mean_over_classes.equalized_odds_difference.clone(),
        ))
    }
}

/// The study's data, loaded once and shared by every seed: the (capped) training split, the
/// real test images and their counterfactual set (each in every colour) with its grey copy.
pub struct Fair4FreeImageData {
    ds: ImageDataset,
    train: ImageSplit,
    real_test: ImageSplit,
    test: ImageSplit,
    test_grey: ImageSplit,
}

impl Fair4FreeImageData {
    pub fn new(p: &Fair4FreeImageStudyParams) -> Result<Self> {
        p.check()?;
        let ds = load_image_dataset(&p.dataset, p.data_dir.as_deref(), &p.colouring)?;
        let train = ds.train.sample(p.max_train_images.unwrap_or(usize::MAX), p.colouring.seed + 7);
        let n_test = p.max_test_images.map_or(ds.test.len(), |m| m.min(ds.test.len()));
        let grey_test = ds.grey_test.as_ref().ok_or_else(|| Error::Schema(format!("{}: no grey test images for a counterfactual set", ds.name)))?;
        let test = counterfactual_split(grey_test, n_test)?;
        let real_test = ds.test.select(&(0..n_test).collect::<Vec<_>>());
        let test_grey = test.without_colour();
        Ok(Fair4FreeImageData { ds, train, real_test, test, test_grey })
    }

    fn bed(&self) -> Bed<'_> {
        let colour_names = self.test.groups.iter().map(|&g| self.ds.group_names[g as usize].as_str()).collect();
        Bed { test: &self.test, test_grey: &self.test_grey, colour_names }
    }

    /// What the report says of the data.
    pub fn context(&self) -> ImageStudyContext {
        ImageStudyContext {
            dataset: self.ds.name.clone(),
            source: self.ds.source.clone(),
            height: self.ds.train.height,
            width: self.ds.train.width,
            groups: self.ds.group_names.len(),
            train_images: self.train.len(),
            test_images: self.test.len(),
            train_majority_colour_share: self.ds.summary().train.majority_group_share,
        }
    }
}

/// What the report says of the data (kept in each cell so that a merge needs no data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageStudyContext {
    pub dataset: String,
    pub source: String,
    pub height: usize,
    pub width: usize,
    pub groups: usize,
    pub train_images: usize,
    pub test_images: usize,
    pub train_majority_colour_share: f64,
}

/// One seed of the image study: the scores of every row of [`IMAGE_METHODS`] and, for seed 0,
/// the sample grids (PNG bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fair4FreeImageSeedCell {
    pub seed: usize,
    pub context: ImageStudyContext,
    pub scores: Vec<ImageSeedScores>,
    pub grids: Vec<(String, Vec<u8>)>,
    pub seconds: f64,
    /// The training curves of this seed's models.
    #[serde(default)]
    pub curves: Vec<TrainingCurve>,
}

/// Trains and scores one seed: both generators, the synthetic sets, a LeNet-5 on each.
pub fn fair4free_images_seed(p: &Fair4FreeImageStudyParams, d: &Fair4FreeImageData, seed: usize, progress: &mut dyn FnMut(&StudyProgress)) -> Result<Fair4FreeImageSeedCell> {
    p.check()?;
    let start = Instant::now();
    let context = d.context();
    let (train, real_test) = (&d.train, &d.real_test);
    let bed = d.bed();
    let (classes, groups) = (d.ds.class_names.len(), d.ds.group_names.len());
    let n_synth = p.synthetic_images.unwrap_or(train.len());
    let mut scores: Vec<Scores> = Vec::with_capacity(IMAGE_METHODS.len());
    let mut grids = Vec::new();
    let lenet = LeNet5Config { in_channels: train.channels, image_size: train.height, classes };
    let s64 = seed as u64;
    // The generators: fair (beta > 0) and unfair (beta 0), same initialisation seed.
    let mut fair_p = p.model.clone();
    fair_p.fair4free.seed = s64;
    let mut unfair_p = fair_p.clone();
    unfair_p.fair4free.beta_log10 = None;
    let fair = Fair4FreeImage::fit(&fair_p, train, classes, groups, &mut |e| {
        progress(&StudyProgress { seed, model: format!("fair4free {}", e.stage), epoch: e.epoch, loss: e.loss })
    })?;
    let unfair = Fair4FreeImage::fit(&unfair_p, train, classes, groups, &mut |e| {
        progress(&StudyProgress { seed, model: format!("vae-unfair {}", e.stage), epoch: e.epoch, loss: e.loss })
    })?;
    let mut curves = vec![fair.training_curve("fair4free generator", s64), unfair.training_curve("vae-unfair generator", s64)];
    let fair_dcor = Value::Defined(fair.latent_dcor_sq(real_test, 2000)?);
    let unfair_dcor = Value::Defined(unfair.latent_dcor_sq(real_test, 2000)?);
    let sets = [
        ("vae-unfair", unfair.generate(&ImageMix::Sampled(n_synth), 100 + s64, LatentSource::Prior)?, unfair_dcor.clone()),
        ("fair-teacher", fair.generate(&ImageMix::Sampled(n_synth), 200 + s64, LatentSource::Prior)?, fair_dcor.clone()),
        ("fair4free", fair.generate(&ImageMix::Sampled(n_synth), 300 + s64, LatentSource::Student)?, fair_dcor.clone()),
    ];
    if seed == 0 {
        let one_each = vec![vec![1usize; groups]; classes];
        grids.push(("real".to_string(), grid_png(&real_grid(train, classes, groups), classes, groups, 3)?));
        for (method, source) in [("fair-teacher", LatentSource::Prior), ("fair4free", LatentSource::Student)] {
            let imgs = fair.generate(&ImageMix::Cells(one_each.clone()), 400, source)?;
            grids.push((method.to_string(), grid_png(&imgs, classes, groups, 3)?));
        }
    }
    // One LeNet-5 per training set, the same initialisation and batch order for all.
    let dev = seeded_device(1000 + s64);
    let cp = p.classifier.clone().seed(1000 + s64);
    let mut train_on = |name: &str, set: &ImageSplit| -> Result<LeNet5> {
        let mut m = lenet.build(&dev);
        let log = fit_classifier(&mut m, &dev, &set_of(set)?, None, &cp, &mut |e| {
            progress(&StudyProgress { seed, model: format!("lenet5 on {name}"), epoch: e.epoch + 1, loss: e.loss })
        })?;
        curves.push(EpochLog::curve(&log, &format!("LeNet-5 on {name}"), s64));
        Ok(m)
    };
    let real_model = train_on("real", train)?;
    let real_features = features(&real_model, &dev, real_test, p.quality_images);
    let qp = QualityParams::default().with_k(p.quality_k);
    let quality_of = |set: &ImageSplit| -> Result<crate::audit::QualityReport> {
        synthetic_quality(real_features.view(), features(&real_model, &dev, set, p.quality_images).view(), &qp)
    };
    let (a, d, e) = bed.score(&real_model, &dev, false)?;
    scores.push(Scores { accuracy: a, dpd: d, eod: e, quality: Some(quality_of(train)?), dcor: Value::Undefined("no latent".into()) });
    for (name, set, dcor) in sets.iter() {
        let m = train_on(name, set)?;
        let (a, d, e) = bed.score(&m, &dev, false)?;
        scores.push(Scores { accuracy: a, dpd: d, eod: e, quality: Some(quality_of(set)?), dcor: dcor.clone() });
    }
    let grey_train = train.without_colour();
    let m = train_on("grey", &grey_train)?;
    let (a, d, e) = bed.score(&m, &dev, true)?;
    scores.push(Scores { accuracy: a, dpd: d, eod: e, quality: None, dcor: Value::Undefined("no latent".into()) });
    drop(train_on);
    Ok(Fair4FreeImageSeedCell { seed, context, scores, grids, seconds: start.elapsed().as_secs_f64(), curves })
}

/// Runs the reproduction. `progress` sees every finished training epoch.
pub fn reproduce_fair4free_images(p: &Fair4FreeImageStudyParams, command: &str, progress: &mut dyn FnMut(&StudyProgress)) -> Result<Fair4FreeImageReport> {
    let data = Fair4FreeImageData::new(p)?;
    let cells = (0..p.seeds).map(|seed| fair4free_images_seed(p, &data, seed, progress)).collect::<Result<Vec<_>>>()?;
    assemble_fair4free_images(p, &cells, command)
}

/// The report from the cells of seeds 0..p.seeds (each once, any order), as one process running
/// every seed writes it (`seconds`: the cells' sum).
pub fn assemble_fair4free_images(p: &Fair4FreeImageStudyParams, cells: &[Fair4FreeImageSeedCell], command: &str) -> Result<Fair4FreeImageReport> {
    p.check()?;
    let cells = crate::studies::shard::cells_by_seed("Fair4Free image", cells, |c| c.seed as u64, p.seeds)?;
    if let Some(c) = cells.iter().find(|c| c.scores.len() != IMAGE_METHODS.len() || c.context != cells[0].context) {
        return Err(Error::Schema(format!("the cell of seed {} belongs to another configuration", c.seed)));
    }
    let ctx = &cells[0].context;
    let scores: Vec<Vec<&Scores>> = (0..IMAGE_METHODS.len()).map(|slot| cells.iter().map(|c| &c.scores[slot]).collect()).collect();
    let grids = cells[0].grids.iter().map(|(method, png)| SampleGrid { method: method.clone(), png: png.clone() }).collect();
    let rows: Vec<ImageMethodRow> = IMAGE_METHODS
        .iter()
        .zip(&scores)
        .map(|(name, sc)| {
            let col = |f: &dyn Fn(&Scores) -> Value| Stat::of(&sc.iter().map(|s| f(s)).collect::<Vec<_>>());
            let q = |f: fn(&crate::audit::QualityReport) -> f64| {
                move |s: &Scores| s.quality.as_ref().map_or(Value::Undefined("not comparable: grey images".into()), |r| Value::Defined(f(r)))
            };
            ImageMethodRow {
                method: name.to_string(),
                accuracy: col(&|s| s.accuracy.clone()),
                demographic_parity_difference: col(&|s| s.dpd.clone()),
                equalized_odds_difference: col(&|s| s.eod.clone()),
                precision: col(&q(|r| r.precision)),
                recall: col(&q(|r| r.recall)),
                density: col(&q(|r| r.density)),
                coverage: col(&q(|r| r.coverage)),
                latent_dcor_sq: col(&|s| s.dcor.clone()),
                eod_by_seed: sc.iter().map(|s| s.eod.get()).collect(),
                accuracy_by_seed: sc.iter().map(|s| s.accuracy.get()).collect(),
            }
        })
        .collect();
    let mut report = Fair4FreeImageReport {
        command: command.to_string(),
        dataset: ctx.dataset.clone(),
        source: ctx.source.clone(),
        rows,
        params: p.clone(),
        train_images: ctx.train_images,
        test_images: ctx.test_images,
        train_majority_colour_share: ctx.train_majority_colour_share,
        seconds: cells.iter().map(|c| c.seconds).sum(),
        notes: Vec::new(),
        conclusions: Vec::new(),
        grids,
        training: summarise_curves(cells.iter().flat_map(|c| &c.curves)),
    };
    report.notes = notes(&report, ctx);
    report.conclusions = conclusions(&report);
    Ok(report)
}

/// One real training image per (class, group) cell where the cell has one (blank otherwise), in
/// grid order (class-major, as `ImageMix::Cells` generates).
fn real_grid(train: &ImageSplit, classes: usize, groups: usize) -> ImageSplit {
    let per = train.pixels_per_image();
    let mut pixels = Vec::with_capacity(classes * groups * per);
    let (mut labels, mut gs) = (Vec::new(), Vec::new());
    for c in 0..classes {
        for g in 0..groups {
            match (0..train.len()).find(|&i| train.labels[i] as usize == c && train.groups[i] as usize == g) {
                Some(i) => pixels.extend_from_slice(train.image(i)),
                None => pixels.extend(std::iter::repeat_n(0.0, per)),
            }
            labels.push(c as u32);
            gs.push(g as u32);
        }
    }
    ImageSplit { height: train.height, width: train.width, channels: train.channels, pixels, labels, groups: gs }
}

/// A PNG grid of images laid out with rows = group, columns = class (images given class-major,
/// one per cell, as [`ImageMix::Cells`] with one per cell returns them), `scale` px per pixel,
/// 2 px gaps.
pub fn grid_png(images: &ImageSplit, classes: usize, groups: usize, scale: u32) -> Result<Vec<u8>> {
    let (h, w, c) = (images.height as u32, images.width as u32, images.channels);
    let gap = 2u32;
    let (cw, ch) = (w * scale + gap, h * scale + gap);
    let mut img = image::RgbImage::from_pixel(classes as u32 * cw + gap, groups as u32 * ch + gap, image::Rgb([255, 255, 255]));
    for i in 0..images.len() {
        let (col, row) = (images.labels[i], images.groups[i]);
        if col as usize >= classes || row as usize >= groups {
            continue;
        }
        let px = images.image(i);
        for y in 0..h {
            for x in 0..w {
                let o = ((y * w + x) as usize) * c;
                let rgb = if c >= 3 { [px[o], px[o + 1], px[o + 2]] } else { [px[o]; 3] };
                let v = image::Rgb(rgb.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8));
                for dy in 0..scale {
                    for dx in 0..scale {
                        img.put_pixel(gap + col * cw + x * scale + dx, gap + row * ch + y * scale + dy, v);
                    }
                }
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).map_err(|e| Error::Schema(format!("encoding a PNG grid: {e}")))?;
    Ok(out.into_inner())
}

fn notes(r: &Fair4FreeImageReport, ds: &ImageStudyContext) -> Vec<String> {
    let p = &r.params;
    let m = &p.model.fair4free;
    vec![
        format!(
            "Data: {} ({}), {}x{} px RGB. Training split: {} images, each class in its home colour (class mod 3) with probability {} and otherwise a uniform colour, so {:.1} % of each class's images are in its most frequent colour. Test: {} real test images, each shown in all {} colours ({} images): a classifier that ignores colour has every colour gap exactly 0.",
            r.dataset, r.source, ds.height, ds.width, r.train_images,
            p.colouring.rho.map_or("n/a".into(), |x| x.to_string()), 100.0 * r.train_majority_colour_share,
            r.test_images / ds.groups, ds.groups, r.test_images
        ),
        format!(
            "Generators: conv VAE (widths {:?}, latent {}), beta = {} on dCor²(mu, s) (vae-unfair: beta 0), KL weight {}, label head {:?} on z with weight {}, {} epochs at batch {} (Adam {}); student MLP {:?}, {} epochs ({:?}). Each synthetic set has {} images, colours drawn uniformly and independently of the latent, classes drawn from the head.",
            p.model.widths, m.latent, m.beta(), m.kl_weight, m.head_hidden, m.label_weight, m.epochs, m.batch_size, m.learning_rate,
            m.student_hidden, m.student_epochs, m.student_loss, p.synthetic_images.unwrap_or(r.train_images)
        ),
        format!(
            "Classifiers: LeNet-5 trained on each set for {} epochs (Adam {}, batch {}), the same initialisation per seed. DPD and EOD: Algorithm 1 of the distillation paper (one-vs-rest per class between the colours, mean over classes), as fractions. Quality: precision, recall, density, coverage (k = {}) of up to {} images of each set against the real test images, in the penultimate layer of the `real` row's LeNet-5.",
            p.classifier.epochs, p.classifier.learning_rate, p.classifier.batch_size, p.quality_k, p.quality_images
        ),
        if p.seeds > 1 {
            format!("Seeds: {} (generator and classifier initialisations, batch orders, samples); mean ± population std over seeds.", p.seeds)
        } else {
            "One seed: no spread is shown (std n/a).".into()
        },
        "The Fair4Free paper gives no numbers for images (sample pictures of Colored-MNIST and CelebA only), so there is no paper column.".into(),
    ]
}

fn conclusions(r: &Fair4FreeImageReport) -> Vec<String> {
    let mut out = Vec::new();
    let Some(real) = r.row("real") else { return out };
    let pts = |x: f64| format!("{:.1} points", 100.0 * x);
    for method in ["fair4free", "fair-teacher", "vae-unfair", "grey"] {
        let Some(row) = r.row(method) else { continue };
        let (Some(e), Some(e0), Some(a), Some(a0)) = (row.equalized_odds_difference.mean, real.equalized_odds_difference.mean, row.accuracy.mean, real.accuracy.mean) else {
            out.push(format!("{method}: undefined EOD or accuracy; nothing to compare."));
            continue;
        };
        let verdict = match paired_interval(&row.eod_by_seed, &real.eod_by_seed) {
            Some((_, Some((lo, hi)))) if hi < 0.0 => format!("lower, resolved (95 % interval of the paired difference {} to {})", pts(lo), pts(hi)),
            Some((_, Some((lo, hi)))) if lo > 0.0 => format!("higher, resolved (95 % interval {} to {})", pts(lo), pts(hi)),
            Some((_, Some((lo, hi)))) => format!("not resolved: the 95 % interval of the paired difference ({} to {}) covers zero", pts(lo), pts(hi)),
            _ => "one seed, so no interval: read as an indication only".into(),
        };
        out.push(format!(
            "{method} vs real: colour EOD {:.3} against {:.3} ({} {}), {verdict}; accuracy {:.3} against {:.3} ({} {}).",
            e,
            e0,
            pts((e - e0).abs()),
            if e < e0 { "lower" } else { "higher" },
            a,
            a0,
            pts((a - a0).abs()),
            if a < a0 { "lower" } else { "higher" }
        ));
    }
    // What the penalty adds over the same generator without it (the decoder alone already gives
    // every sample a colour drawn independently of its latent).
    if let (Some(f), Some(u)) = (r.row("fair4free"), r.row("vae-unfair")) {
        if let (Some(e), Some(e0)) = (f.equalized_odds_difference.mean, u.equalized_odds_difference.mean) {
            let verdict = match paired_interval(&f.eod_by_seed, &u.eod_by_seed) {
                Some((_, Some((lo, hi)))) if hi < 0.0 || lo > 0.0 => format!("resolved (95 % interval of the paired difference {} to {})", pts(lo), pts(hi)),
                Some((_, Some((lo, hi)))) => format!("not resolved: the 95 % interval of the paired difference ({} to {}) covers zero", pts(lo), pts(hi)),
                _ => "one seed, so no interval".into(),
            };
            out.push(format!(
                "What the penalty adds: fair4free's colour EOD {:.3} against {:.3} for the same generator with beta = 0 (vae-unfair), {} {}, {verdict}.",
                e,
                e0,
                pts((e - e0).abs()),
                if e < e0 { "lower" } else { "higher" }
            ));
        }
        if let (Some(df), Some(du)) = (f.latent_dcor_sq.mean, u.latent_dcor_sq.mean) {
            out.push(format!(
                "The penalty {} the latent's measured dependence on colour: dCor² {:.3} with beta = {} against {:.3} without.",
                if df < du { "lowered" } else { "did not lower" },
                df,
                r.params.model.fair4free.beta(),
                du
            ));
        }
    }
    if let (Some(f), Some(real)) = (r.row("fair4free"), r.row("real")) {
        if let (Some(cf), Some(cr)) = (f.coverage.mean, real.coverage.mean) {
            out.push(format!("Coverage of the real test images: {cf:.3} for the student's images against {cr:.3} for the real training images."));
        }
    }
    out.extend(crate::report::curves_conclusion(&r.training));
    out
}
