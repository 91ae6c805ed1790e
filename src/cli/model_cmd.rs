//! `fairdistill train fair4free` (writes a model folder) and `fairdistill generate` (reads one).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use fairdistill::data::images::{load_image_dataset, write_idx, ColouredParams, IMAGE_DATASETS};
use fairdistill::methods::fair4free::{EpochLog, Fair4Free, Fair4FreeImage, Fair4FreeImageParams, Fair4FreeParams, GroupSampling, ImageMix, LatentSource, Penalty};
use fairdistill::studies::grid_png;
use fairdistill::Result;

use crate::cli::output::{check_disk, check_memory, check_output_dir, check_output_file};
use crate::cli::args::DatasetOptions;
use crate::cli::progress::bar;

#[derive(Subcommand, Debug)]
pub enum TrainCommand {
    /// Train a Fair4Free generator (teacher, student, label head) and save it.
    Fair4free(TrainFair4FreeArgs),
}

#[derive(Args, Debug)]
pub struct TrainFair4FreeArgs {
    /// adult, german, compas or a CSV file; or an image dataset: colored-mnist,
    /// colored-fashion-mnist (a conv VAE teacher).
    #[arg(long, default_value = "adult")]
    pub dataset: String,
    /// Image datasets: probability that a training image takes its class's home colour.
    #[arg(long, default_value_t = 0.9)]
    pub rho: f64,
    /// Folder to write model.json and model.safetensors to.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Teacher and student epochs (default: 20 for tables; images: teacher 10, student 30).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// log10 of the penalty weight beta; `none` for beta = 0 (default: 1 for tables, 2 for
    /// images).
    #[arg(long)]
    pub beta_log10: Option<String>,
    /// Weight of the KL term.
    #[arg(long, default_value_t = 1.0)]
    pub kl_weight: f64,
    /// Weight of the teacher's joint label term (label head on z; 0: head trained afterwards;
    /// default: 1 for tables, 50 for images).
    #[arg(long)]
    pub label_weight: Option<f64>,
    /// The fairness penalty: distance correlation (Fair4Free) or FairDisCo's kernel distance
    /// covariance (its values are small: use a larger beta, e.g. --beta-log10 4).
    #[arg(long, value_enum, default_value_t = PenaltyArg::Dcor)]
    pub penalty: PenaltyArg,
    /// Teacher batch size (default: 128 for tables, 64 for images).
    #[arg(long)]
    pub batch_size: Option<usize>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub options: DatasetOptions,
}

/// The teacher's fairness penalty.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PenaltyArg {
    Dcor,
    Fairdisco,
}

impl From<PenaltyArg> for Penalty {
    fn from(p: PenaltyArg) -> Penalty {
        match p {
            PenaltyArg::Dcor => Penalty::DCor,
            PenaltyArg::Fairdisco => Penalty::FairDisCo,
        }
    }
}

/// A progress bar over every epoch of the three stages (teacher, student, head).
fn stages_bar(p: &Fair4FreeParams, quiet: bool) -> indicatif::ProgressBar {
    bar((p.epochs + p.student_epochs + p.head_epochs) as u64, "training", quiet)
}

/// Shows one finished epoch on the bar (the teacher's with its loss, KL and held-out dCor²).
fn show_epoch(progress: &indicatif::ProgressBar, e: &EpochLog) {
    progress.set_message(e.stage.clone());
    if let Some(d) = e.heldout_dcor_sq {
        progress.set_prefix(format!("loss {:.3} kl {:.3} dCor² {:.4}", e.loss, e.kl, d));
    }
    progress.inc(1);
}

/// Where a synthetic row's latent comes from.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SourceArg {
    /// The distilled student (Fair4Free).
    Student,
    /// The teacher's prior N(0, I).
    Prior,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// A folder written by `fairdistill train fair4free`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Rows (or images) to generate.
    #[arg(long)]
    pub n: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Tables: the CSV to write (original columns and label). Images: a folder, written whole
    /// or not at all, holding images-idx4-ubyte.gz (n x height x width x channels bytes),
    /// labels-idx1-ubyte.gz, groups-idx1-ubyte.gz and grid.png (docs/CLI.md).
    #[arg(long, value_name = "FILE.csv|DIR")]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = SourceArg::Student)]
    pub source: SourceArg,
    /// Draw every sensitive group equally often instead of the training marginal.
    #[arg(long)]
    pub balanced: bool,
    /// Generate even when the estimate (disk for table rows, memory for images) exceeds what the machine has free.
    #[arg(long)]
    pub force: bool,
}

fn parse_beta(b: &str) -> Result<Option<f64>> {
    match b {
        "none" => Ok(None),
        b => b.parse::<f64>().map(Some).map_err(|_| fairdistill::Error::InvalidParam {
            name: "beta_log10",
            value: b.into(),
            reason: "a number or `none`".into(),
        }),
    }
}

/// Refuses, before any training, a model folder that is an existing file or whose parent
/// folder cannot be written.
fn check_model_dir(dir: &std::path::Path) -> Result<()> {
    if dir.is_file() {
        return Err(fairdistill::Error::invalid("model", dir.display(), "is a file; give a folder for model.json and model.safetensors"));
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    check_output_dir(parent)
}

pub fn train(cmd: TrainCommand, quiet: bool) -> Result<()> {
    let TrainCommand::Fair4free(args) = cmd;
    check_model_dir(&args.model)?;
    if IMAGE_DATASETS.iter().any(|(n, _)| *n == args.dataset) {
        return train_images(args, quiet);
    }
    let dataset = args.options.load(&args.dataset)?;
    let beta = parse_beta(args.beta_log10.as_deref().unwrap_or("1"))?;
    let epochs = args.epochs.unwrap_or(20);
    let params = Fair4FreeParams::default()
        .epochs(epochs)
        .student_epochs(epochs)
        .beta_log10(beta)
        .kl_weight(args.kl_weight)
        .label_weight(args.label_weight.unwrap_or(1.0))
        .penalty(args.penalty.into())
        .batch_size(args.batch_size.unwrap_or(128))
        .seed(args.seed);
    let progress = stages_bar(&params, quiet);
    let mut model = Fair4Free::fit(&params, &dataset.train, &mut |e| show_epoch(&progress, e))?;
    progress.finish_and_clear();
    model.save(&args.model)?;
    if !quiet {
        let d = model.latent_dcor_sq(&dataset.test, 2000).map_err(|e| dataset.locate(e))?;
        let m = &dataset.missing;
        crate::cli::output::note(&format!(
            "fairdistill: saved {} (dCor²(mu, s) on test rows: {d:.4}; missing values: {} of {} rows dropped, {} cells imputed)",
            args.model.display(),
            m.rows_dropped,
            m.rows_read,
            m.cells_imputed
        ));
    }
    Ok(())
}

/// `train fair4free --dataset colored-mnist | colored-fashion-mnist`.
fn train_images(args: TrainFair4FreeArgs, quiet: bool) -> Result<()> {
    let colouring = ColouredParams { rho: Some(args.rho), seed: 0 };
    let ds = load_image_dataset(&args.dataset, args.options.data_dir.as_deref(), &colouring)?;
    let mut p = Fair4FreeImageParams::default();
    let m = &mut p.fair4free;
    if let Some(e) = args.epochs {
        m.epochs = e;
    }
    if let Some(b) = &args.beta_log10 {
        m.beta_log10 = parse_beta(b)?;
    }
    if let Some(w) = args.label_weight {
        m.label_weight = w;
    }
    if let Some(b) = args.batch_size {
        m.batch_size = b;
    }
    m.kl_weight = args.kl_weight;
    m.penalty = args.penalty.into();
    m.seed = args.seed;
    p.check()?;
    let progress = stages_bar(&p.fair4free, quiet);
    let mut model = Fair4FreeImage::fit(&p, &ds.train, ds.class_names.len(), ds.group_names.len(), &mut |e| show_epoch(&progress, e))?;
    progress.finish_and_clear();
    model.save(&args.model)?;
    if !quiet {
        let d = model.latent_dcor_sq(&ds.test, 2000)?;
        crate::cli::output::note(&format!("fairdistill: saved {} (dCor²(mu, s) on the balanced test images: {d:.4})", args.model.display()));
    }
    Ok(())
}

pub fn generate(args: GenerateArgs, quiet: bool) -> Result<()> {
    if fairdistill::methods::fair4free::is_image_model(&args.model) {
        return generate_images(args, quiet);
    }
    if args.out.is_dir() {
        return Err(fairdistill::Error::invalid("out", args.out.display(), "is a folder; a table model writes one CSV file"));
    }
    check_output_file(&args.out, &[], Some(&args.model))?;
    let mut model = Fair4Free::load(&args.model)?;
    if args.balanced {
        model.params.group_sampling = GroupSampling::Balanced;
    }
    let source = match args.source {
        SourceArg::Student => LatentSource::Student,
        SourceArg::Prior => LatentSource::Prior,
    };
    // Rows go to the file GENERATE_CHUNK at a time (bounded memory for any --n). After the first
    // chunk, the file's size is estimated and checked against the free disk space.
    let progress = crate::cli::progress::bar(args.n as u64, "generating (rows)", quiet);
    let mut clipped = Vec::new();
    let mut failure: Option<fairdistill::Error> = None;
    fairdistill::atomic::write_atomic_with(&args.out, &mut |w| {
        let mut csv = csv::Writer::from_writer(w);
        let mut rows = 0usize;
        let streamed = model.generate_chunks(args.n, args.seed, source, &mut |table| {
            table.write_csv_records(&mut csv, rows == 0)?;
            if rows == 0 && !args.force {
                csv.flush().map_err(|e| fairdistill::Error::io(&args.out, e))?;
                let per_row = csv_bytes(&table)? as f64 / table.n_rows() as f64;
                check_disk(&args.out, &format!("--n {}", args.n), (per_row * args.n as f64) as u128)?;
            }
            rows += table.n_rows();
            progress.set_position(rows as u64);
            Ok(())
        });
        match streamed {
            Ok(c) => {
                clipped = c;
                csv.flush()
            }
            Err(e) => {
                failure = Some(e);
                Err(std::io::Error::other("generation stopped"))
            }
        }
    })
    .map_err(|e| failure.take().unwrap_or(e))?;
    progress.finish_and_clear();
    if !quiet {
        crate::cli::output::note(&format!("fairdistill: wrote {} rows to {}", args.n, args.out.display()));
        let shown: Vec<String> = clipped
            .iter()
            .filter(|c| c.cells > 0)
            .map(|c| format!("{} {:.1} %", c.column, 100.0 * c.cells as f64 / args.n as f64))
            .collect();
        if !shown.is_empty() {
            crate::cli::output::note(&format!("fairdistill: clipped to the training range (share of rows): {}", shown.join(", ")));
        }
    }
    Ok(())
}

/// Bytes of `table` as CSV rows (no header).
fn csv_bytes(table: &fairdistill::data::Table) -> Result<usize> {
    let mut w = csv::Writer::from_writer(Vec::new());
    table.write_csv_records(&mut w, false)?;
    Ok(w.into_inner().map_err(|e| fairdistill::Error::io("<csv output>", e.into_error()))?.len())
}

/// `generate` from an image model: a folder of IDX files and a PNG grid.
fn generate_images(args: GenerateArgs, quiet: bool) -> Result<()> {
    if args.out.is_file() {
        return Err(fairdistill::Error::invalid("out", args.out.display(), "is a file; an image model writes a folder"));
    }
    if args.out.starts_with(&args.model) || args.model.starts_with(&args.out) {
        return Err(fairdistill::Error::invalid("out", args.out.display(), "would overwrite the model folder"));
    }
    let parent = args.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    check_output_dir(parent)?;
    let mut model = Fair4FreeImage::load(&args.model)?;
    // f32 pixels, their bytes and the decoder's batch buffers.
    let per_image = (model.height * model.width * model.channels) as u128;
    check_memory(&format!("--n {}", args.n), args.n as u128 * per_image * 6, args.force)?;
    if args.balanced {
        model.params.fair4free.group_sampling = GroupSampling::Balanced;
    }
    let source = match args.source {
        SourceArg::Student => LatentSource::Student,
        SourceArg::Prior => LatentSource::Prior,
    };
    let images = model.generate(&ImageMix::Sampled(args.n), args.seed, source)?;
    let one_each = vec![vec![1usize; model.n_groups]; model.n_classes];
    let grid = model.generate(&ImageMix::Cells(one_each), args.seed.wrapping_add(1), source)?;
    let png = grid_png(&grid, model.n_classes, model.n_groups, 3)?;
    let bytes: Vec<u8> = images.pixels.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect();
    let labels: Vec<u8> = images.labels.iter().map(|&y| y as u8).collect();
    let groups: Vec<u8> = images.groups.iter().map(|&g| g as u8).collect();
    let n = images.len();
    fairdistill::atomic::replace_dir(&args.out, |dir| {
        write_idx(&dir.join("images-idx4-ubyte.gz"), &[n, images.height, images.width, images.channels], &bytes)?;
        write_idx(&dir.join("labels-idx1-ubyte.gz"), &[n], &labels)?;
        write_idx(&dir.join("groups-idx1-ubyte.gz"), &[n], &groups)?;
        fairdistill::atomic::write_atomic(&dir.join("grid.png"), &png)
    })?;
    if !quiet {
        crate::cli::output::note(&format!("fairdistill: wrote {n} images with their classes and groups, and grid.png, to {}", args.out.display()));
    }
    Ok(())
}
