//! `fairdistill reproduce fair4free`, `reproduce distillation` and `reproduce aim-fair`: the
//! reproduction reports.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use fairdistill::data::images::IMAGE_DATASETS;
use fairdistill::studies::{
    reproduce_aimfair, reproduce_aimfair_images, AimFairImageStudyParams, reproduce_distillation, reproduce_fair4free, reproduce_fair4free_images, AimFairStudyParams,
    DistillationStudyParams, Fair4FreeImageStudyParams, Fair4FreeStudyParams, StudyProgress,
};
use fairdistill::report::Render;
use fairdistill::studies::shard::Shard;
use fairdistill::Result;

use crate::cli::args::DatasetOptions;
use crate::cli::output::check_output_dir;
use crate::cli::progress::bar;

#[derive(Subcommand, Debug)]
pub enum ReproduceCommand {
    /// Fair4Free: fair VAE teacher, data-free student; TSTR utility and fairness, density and
    /// coverage, our numbers beside the paper's.
    Fair4free(Fair4FreeArgs),
    /// What's Left After Distillation?: ResNet teacher, LeNet-5 students with and without
    /// distillation at each temperature, on a procedural Trifeature stand-in; accuracy, DPD and
    /// EOD over colour, individual fairness, our numbers beside the paper's.
    Distillation(DistillationArgs),
    /// AIM-Fair on Adult / sex: a classifier pretrained on biased real rows, fine-tuned on
    /// balanced synthetic rows through the gradient-differential mask, beside five baselines.
    AimFair(AimFairArgs),
    /// Merges the cell files of sharded runs (`--shard i/n`) into the report files one process
    /// would have written (the same JSON but for `command` and `seconds`).
    Merge(MergeArgs),
    /// Rewrites the report files of earlier runs from their JSON (after a renderer changed),
    /// without training: any reproduce report, its kind read from the JSON.
    Render(RenderArgs),
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Report JSON files written by `reproduce` (`<stem>.json`).
    #[arg(required = true, value_name = "FILE.json")]
    pub files: Vec<PathBuf>,
    /// Folder for the rewritten files (default: each JSON's own folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Folders holding the shards' cell files (`<kind>-<hash>-cell<N>.json`).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Folder for the report files.
    #[arg(long, default_value = "audits")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct DistillationArgs {
    /// The short configuration of the notebook (1 seed, 2000 16x16 images, T = 1, 4, 10).
    #[arg(long)]
    pub quick: bool,
    /// Seeds (each trains its own teacher and students).
    #[arg(long)]
    pub seeds: Option<usize>,
    /// Temperatures of the distilled students, comma-separated (default 1,...,10; quick 1,4,10).
    #[arg(long, value_delimiter = ',')]
    pub temperatures: Option<Vec<f64>>,
    /// Student epochs.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Teacher epochs.
    #[arg(long)]
    pub teacher_epochs: Option<usize>,
    /// Depth of the teacher ResNet (6n + 2; default 20).
    #[arg(long)]
    pub teacher_depth: Option<usize>,
    /// Training images.
    #[arg(long)]
    pub train_images: Option<usize>,
    /// Test images.
    #[arg(long)]
    pub test_images: Option<usize>,
    /// Image height and width in pixels (16 to 224).
    #[arg(long)]
    pub image_size: Option<usize>,
    /// Probability that a training image takes its shape's own colour.
    #[arg(long)]
    pub colour_bias: Option<f64>,
    /// Multiply the soft term of the loss by T².
    #[arg(long)]
    pub t_squared: bool,
    /// Run only shard i of n (the cells are the seeds; cell c in shard c mod n) and write each
    /// cell to --out as `distillation-<hash>-cell<c>.json` instead of the report; a cell already
    /// there is not run again. `reproduce merge DIR...` writes the report.
    #[arg(long, value_name = "i/n")]
    pub shard: Option<Shard>,
    /// Folder for distillation-trifeature.{md,html,json}.
    #[arg(long, default_value = "audits")]
    pub out: PathBuf,
    /// Print the table only; write no files.
    #[arg(long)]
    pub no_write: bool,
}

#[derive(Args, Debug)]
pub struct AimFairArgs {
    /// colored-mnist (default), colored-fashion-mnist (images: ResNet-20, Fair4Free image
    /// generator) or adult (tabular: MLP, VAE rows).
    #[arg(long, default_value = "colored-mnist")]
    pub dataset: String,
    /// Folder of fetched data (default: $FAIRDISTILL_DATA, then ./data).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seeds (default: 5 images, 3 adult; 1 with --quick).
    #[arg(long)]
    pub seeds: Option<usize>,
    /// The short configuration of the notebook and CI (1 seed, small sets, short training).
    #[arg(long)]
    pub quick: bool,
    /// k of the mask (k smallest Δ1 ∩ k largest Δ2); default: the paper's 55/62 of the tensors.
    #[arg(long)]
    pub top_k: Option<usize>,
    /// Images: further k values to sweep, comma-separated (default 40,46,57; none with --quick).
    #[arg(long, value_delimiter = ',')]
    pub k_sweep: Option<Vec<usize>>,
    /// Rows (images) of the biased real training set D_R.
    #[arg(long)]
    pub real_rows: Option<usize>,
    /// Rows (images) of each synthetic set D_S1 and D_S2.
    #[arg(long)]
    pub synthetic_rows: Option<usize>,
    /// Images: pre-training epochs, also those of the models trained from scratch (default 10; 6 with --quick); the x0.1 drop moves with the length (after about two thirds).
    #[arg(long)]
    pub pretrain_epochs: Option<usize>,
    /// Images: fine-tuning epochs (default 3; 2 with --quick).
    #[arg(long)]
    pub finetune_epochs: Option<usize>,
    /// Images: folder caching trained generators and pre-trained models by a hash of their
    /// config, data and seed, so a rerun or a longer sweep trains each once.
    #[arg(long, value_name = "DIR", default_value = ".fairdistill-cache")]
    pub cache: PathBuf,
    /// Images: train everything afresh and cache nothing.
    #[arg(long)]
    pub no_cache: bool,
    /// Images: train nothing; write the report files again from a report JSON this command
    /// wrote (e.g. after a renderer changed), into --out.
    #[arg(long, value_name = "FILE.json")]
    pub render: Option<PathBuf>,
    /// Run only shard i of n (the cells are the seeds; cell c in shard c mod n) and write each
    /// cell to --out as `aim-fair-<hash>-cell<c>.json` instead of the report; a cell already
    /// there is not run again. `reproduce merge DIR...` writes the report. Images: the cache
    /// (--cache) serves every shard that can reach it.
    #[arg(long, value_name = "i/n")]
    pub shard: Option<Shard>,
    /// Folder for aim-fair-<dataset>-<sensitive>.{md,html,json}.
    #[arg(long, default_value = "audits")]
    pub out: PathBuf,
    /// Print the table only; write no files.
    #[arg(long)]
    pub no_write: bool,
}

#[derive(Args, Debug)]
pub struct Fair4FreeArgs {
    /// adult, compas or german; or an image dataset: colored-mnist, colored-fashion-mnist.
    #[arg(long, default_value = "adult")]
    pub dataset: String,
    /// Image datasets: probability that a training image takes its class's home colour
    /// (default 0.9).
    #[arg(long)]
    pub rho: Option<f64>,
    /// Seeds (each trains its own models and forests).
    #[arg(long)]
    pub seeds: Option<usize>,
    /// The short configuration of `cargo run --release` (1 seed, 15 epochs, no beta sweep).
    #[arg(long)]
    pub quick: bool,
    /// Skip the beta sweep.
    #[arg(long)]
    pub no_sweep: bool,
    /// Teacher epochs (default: 15 quick, 20 otherwise).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Leave the sensitive columns out of the forest's features.
    #[arg(long)]
    pub hide_sensitive: bool,
    /// Weight of the teacher's KL term (default: the model's, 1).
    #[arg(long)]
    pub kl_weight: Option<f64>,
    /// Weight of the teacher's joint label term (label head on z; 0: head trained afterwards only).
    #[arg(long)]
    pub label_weight: Option<f64>,
    /// Categorical decoding temperature at generation (0: arg-max; default: the model's).
    #[arg(long)]
    pub categorical_temperature: Option<f64>,
    /// Scale of the learned numeric noise at generation (0: the mean; default: the model's).
    #[arg(long)]
    pub numeric_noise: Option<f64>,
    /// Teacher batch size (default: the model's).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// log10 of the penalty weight beta (default: the model's).
    #[arg(long)]
    pub beta_log10: Option<f64>,
    /// Draw every sensitive group equally often in the synthetic rows.
    #[arg(long)]
    pub balanced: bool,
    /// Run only shard i of n (0 <= i < n; the cells are the seeds, cell c in shard c mod n) and
    /// write each cell's result to --out as `fair4free-<hash>-cell<c>.json` instead of the report;
    /// a cell already there is not run again. `reproduce merge DIR...` writes the report.
    #[arg(long, value_name = "i/n")]
    pub shard: Option<Shard>,
    /// Folder for fair4free-<dataset>-<sensitive>.{md,html,json}.
    #[arg(long, default_value = "audits")]
    pub out: PathBuf,
    /// Print the table only; write no files.
    #[arg(long)]
    pub no_write: bool,
    #[command(flatten)]
    pub options: DatasetOptions,
}

impl Fair4FreeArgs {
    /// What `fairdistill` with no command runs: the quick Adult / sex reproduction, printed.
    pub fn main_job() -> Self {
        Fair4FreeArgs {
            dataset: "adult".into(),
            rho: None,
            seeds: None,
            quick: true,
            no_sweep: true,
            epochs: None,
            hide_sensitive: false,
            kl_weight: None,
            label_weight: None,
            categorical_temperature: None,
            numeric_noise: None,
            batch_size: None,
            beta_log10: None,
            balanced: false,
            shard: None,
            out: PathBuf::from("audits"),
            no_write: true,
            options: DatasetOptions::default(),
        }
    }
}

impl Fair4FreeArgs {
    /// The model options shared by the tabular and the image study: KL weight, label weight,
    /// batch size and beta (each only when given).
    fn apply_model_options(&self, m: &mut fairdistill::methods::fair4free::Fair4FreeParams) {
        if let Some(w) = self.kl_weight {
            m.kl_weight = w;
        }
        if let Some(w) = self.label_weight {
            m.label_weight = w;
        }
        if let Some(b) = self.batch_size {
            m.batch_size = b;
        }
        if let Some(b) = self.beta_log10 {
            m.beta_log10 = Some(b);
        }
    }
}

pub fn run(cmd: ReproduceCommand, quiet: bool) -> Result<()> {
    match cmd {
        ReproduceCommand::Fair4free(args) => fair4free(args, quiet),
        ReproduceCommand::Distillation(args) => distillation(args, quiet),
        ReproduceCommand::AimFair(args) => aim_fair(args, quiet),
        ReproduceCommand::Merge(args) => merge(args, quiet),
        ReproduceCommand::Render(args) => {
            for file in &args.files {
                let out = match &args.out {
                    Some(o) => o.clone(),
                    None => file.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), |p| p.to_path_buf()),
                };
                check_output_dir(&out)?;
                render_report(file, &out, quiet)?;
            }
            Ok(())
        }
    }
}

/// Reads a report JSON, finds which study wrote it, and writes its report files into `out`.
/// The kinds are tried from the most specific (image studies) to the least.
fn render_report(path: &std::path::Path, out: &std::path::Path, quiet: bool) -> Result<()> {
    use fairdistill::studies::{AimFairImageReport, AimFairReport, DistillationReport, Fair4FreeImageReport, Fair4FreeReport};
    let text = std::fs::read_to_string(path).map_err(|e| fairdistill::Error::Io { path: path.to_path_buf(), source: e })?;
    if let Ok(mut r) = serde_json::from_str::<AimFairImageReport>(&text) {
        r.recompute_conclusions();
        return write_image_report(out, &r, quiet);
    }
    if let Ok(r) = serde_json::from_str::<AimFairReport>(&text) {
        return write_aimfair_report(out, &r, quiet);
    }
    if let Ok(r) = serde_json::from_str::<Fair4FreeImageReport>(&text) {
        return write_fair4free_images_report(out, &r, quiet);
    }
    if let Ok(r) = serde_json::from_str::<DistillationReport>(&text) {
        return write_distillation_report(out, &r, quiet);
    }
    match serde_json::from_str::<Fair4FreeReport>(&text) {
        Ok(mut r) => {
            r.recompute_conclusions();
            write_fair4free_report(out, &r, quiet)
        }
        Err(e) => Err(fairdistill::Error::Schema(format!(
            "{}: not a report of `reproduce` (fair4free, distillation or aim-fair; as Fair4Free tables: {e})",
            path.display()
        ))),
    }
}

fn write_fair4free_report(out: &std::path::Path, report: &fairdistill::studies::Fair4FreeReport, quiet: bool) -> Result<()> {
    let stem = format!("fair4free-{}-{}", report.dataset, report.sensitive.join("-"));
    let md = with_chart_files(out, &stem, report.to_markdown(), &report.charts())?;
    write_report(out, &stem, &report.command, &report.title(), &md, &report.to_html(), &report.to_json()?, quiet)
}

/// Writes each chart to `<out>/<stem>-<name>.svg` and appends a `## Charts` section linking
/// them to the Markdown (the HTML report carries the same charts inline).
fn with_chart_files(out: &std::path::Path, stem: &str, mut md: String, charts: &[(String, String)]) -> Result<String> {
    if charts.is_empty() {
        return Ok(md);
    }
    md.push_str("\n## Charts\n\n");
    std::fs::create_dir_all(out).map_err(|e| fairdistill::Error::Io { path: out.to_path_buf(), source: e })?;
    for (name, svg) in charts {
        let file = format!("{stem}-{name}.svg");
        fairdistill::atomic::write_atomic(&out.join(&file), svg.as_bytes())?;
        md.push_str(&format!("![{name}]({file})\n\n"));
    }
    Ok(md)
}

fn write_distillation_report(out: &std::path::Path, report: &fairdistill::studies::DistillationReport, quiet: bool) -> Result<()> {
    let stem = "distillation-trifeature";
    let md = with_chart_files(out, stem, report.to_markdown(), &report.charts())?;
    write_report(out, stem, &report.command, &report.title(), &md, &report.to_html(), &report.to_json()?, quiet)
}

fn write_aimfair_report(out: &std::path::Path, report: &fairdistill::studies::AimFairReport, quiet: bool) -> Result<()> {
    let stem = format!("aim-fair-{}-{}", report.dataset, report.sensitive);
    let md = with_chart_files(out, &stem, report.to_markdown(), &report.charts())?;
    write_report(out, &stem, &report.command, &report.title(), &md, &report.to_html(), &report.to_json()?, quiet)
}

/// The Fair4Free image report and its sample grids (`<stem>-<method>.png`, written when the
/// report holds their pixels; a report read back from JSON refers to the files already there).
fn write_fair4free_images_report(out: &std::path::Path, report: &fairdistill::studies::Fair4FreeImageReport, quiet: bool) -> Result<()> {
    let stem = format!("fair4free-{}-colour", report.dataset);
    let mut md = with_chart_files(out, &stem, report.to_markdown(), &report.charts())?;
    let mut html = report.to_html();
    md.push_str("\n## Samples (rows: colour red, green, blue; columns: class 0-9)\n\n");
    html.push_str("\n<h3>Samples (rows: colour red, green, blue; columns: class 0-9)</h3>\n");
    std::fs::create_dir_all(out).map_err(|e| fairdistill::Error::Io { path: out.to_path_buf(), source: e })?;
    for g in &report.grids {
        let name = format!("{stem}-{}.png", g.method);
        if !g.png.is_empty() {
            fairdistill::atomic::write_atomic(&out.join(&name), &g.png)?;
        }
        md.push_str(&format!("**{}**\n\n![{} samples]({name})\n\n", g.method, g.method));
        html.push_str(&format!("<p><b>{0}</b><br><img src=\"{name}\" alt=\"{0} samples\"></p>\n", g.method));
    }
    write_report(out, &stem, &report.command, &report.title(), &md, &html, &report.to_json()?, quiet)
}

pub fn fair4free(args: Fair4FreeArgs, quiet: bool) -> Result<()> {
    if IMAGE_DATASETS.iter().any(|(n, _)| *n == args.dataset) {
        return fair4free_images(args, quiet);
    }
    if !args.no_write {
        check_output_dir(&args.out)?;
    }
    let dataset = args.options.load(&args.dataset)?;
    let mut p = if args.quick { Fair4FreeStudyParams::quick() } else { Fair4FreeStudyParams::full() };
    if let Some(s) = args.seeds {
        p.seeds = s;
    }
    if let Some(e) = args.epochs {
        p.model.epochs = e;
        p.model.student_epochs = e;
    }
    args.apply_model_options(&mut p.model);
    if let Some(t) = args.categorical_temperature {
        p.model.categorical_temperature = t;
    }
    if let Some(a) = args.numeric_noise {
        p.model.numeric_noise = a;
    }
    if args.balanced {
        p.model.group_sampling = fairdistill::methods::fair4free::GroupSampling::Balanced;
    }
    if args.no_sweep {
        p.sweep.clear();
    }
    p.forest_sees_sensitive = !args.hide_sensitive;
    fairdistill::studies::check_fair4free_study(&p)?;
    if let Some(shard) = args.shard {
        return fair4free_shard(&dataset, &p, shard, &args.out, quiet);
    }
    let command = command_line();
    let per_model = (p.model.epochs + p.model.student_epochs + p.model.head_epochs) as u64;
    let total = per_model * (2 * p.seeds as u64 + p.sweep.len() as u64);
    let progress = bar(total, "training", quiet);
    let report = reproduce_fair4free(&dataset, &p, &command, &mut |what, e| {
        progress.set_message(format!("{what}: {}", e.stage));
        if let Some(d) = e.heldout_dcor_sq {
            progress.set_prefix(format!("loss {:.3} dCor² {:.4}", e.loss, d));
        }
        progress.inc(1);
    })?;
    progress.finish_and_clear();
    // The report files are written even when stdout is closed or full: a long study loses nothing.
    let printed = crate::cli::output::print_stdout(&report.to_text());
    if !args.no_write {
        write_fair4free_report(&args.out, &report, quiet)?;
    }
    printed
}

/// What identifies the data of a study's cells beside its parameters (name, sensitive columns,
/// rows).
fn dataset_identity(d: &fairdistill::studies::StudyDataset) -> String {
    format!("{} {} {} {}={} {}", d.name, d.sensitive.join(","), d.train_rows, d.label, d.positive, env!("CARGO_PKG_VERSION"))
}

/// `reproduce fair4free --shard i/n`: this shard's seeds, one cell file each.
fn fair4free_shard(dataset: &fairdistill::Dataset, p: &Fair4FreeStudyParams, shard: Shard, out: &std::path::Path, quiet: bool) -> Result<()> {
    let identity = dataset_identity(&fairdistill::studies::StudyDataset::of(dataset));
    let per_model = (p.model.epochs + p.model.student_epochs + p.model.head_epochs) as u64;
    let owned = (0..p.seeds).filter(|&c| shard.owns(c)).count() as u64;
    let progress = bar(per_model * (2 + p.sweep.len() as u64) * owned, "training", quiet);
    run_shard(out, "fair4free", &serde_json::to_value(p)?, &identity, p.seeds, shard, quiet, &mut |seed| {
        fairdistill::studies::fair4free_seed(dataset, p, seed as u64, &mut |what, e| {
            progress.set_message(format!("seed {seed} {what}: {}", e.stage));
            progress.inc(1);
        })
    })?;
    progress.finish_and_clear();
    Ok(())
}

/// Runs the cells `0..n_cells` this shard owns (skipping those already in `out`), each written
/// to its cell file, and says what it did.
#[allow(clippy::too_many_arguments, reason = "the parts of one shard's run")]
fn run_shard<T: serde::Serialize + serde::de::DeserializeOwned>(
    out: &std::path::Path,
    kind: &str,
    params: &serde_json::Value,
    identity: &str,
    n_cells: usize,
    shard: Shard,
    quiet: bool,
    run: &mut dyn FnMut(usize) -> Result<T>,
) -> Result<()> {
    check_output_dir(out)?;
    let (cells, ran) = fairdistill::studies::shard::run_cells(out, kind, params, identity, n_cells, shard, run)?;
    if !quiet {
        crate::cli::output::note(&format!(
            "fairdistill: shard {}/{}: {} cell(s) in {} ({ran} run, {} already done); merge all shards with `fairdistill reproduce merge DIR... --out DIR`",
            shard.index,
            shard.count,
            cells.len(),
            out.display(),
            cells.len() - ran
        ));
    }
    Ok(())
}

/// The `seeds` of a study's parameters (its number of cells).
fn seeds_of(params: &serde_json::Value) -> Result<usize> {
    params.get("seeds").and_then(serde_json::Value::as_u64).map(|s| s as usize).ok_or_else(|| fairdistill::Error::Schema("cells: params without `seeds`".into()))
}

/// `reproduce merge DIR... --out DIR`: the report of the shards' cells.
fn merge(args: MergeArgs, quiet: bool) -> Result<()> {
    use fairdistill::studies as st;
    check_output_dir(&args.out)?;
    let kind = fairdistill::studies::shard::cells_kind(&args.dirs)?;
    let (dirs, out) = (&args.dirs[..], args.out.as_path());
    match kind.as_str() {
        "fair4free" => merge_study(dirs, "fair4free", out, quiet, st::assemble_fair4free, |r: &st::Fair4FreeReport| r.to_text(), write_fair4free_report),
        "fair4free-images" => merge_study(dirs, "fair4free-images", out, quiet, st::assemble_fair4free_images, |r: &st::Fair4FreeImageReport| r.to_text(), write_fair4free_images_report),
        "distillation" => merge_study(dirs, "distillation", out, quiet, st::assemble_distillation, |r: &st::DistillationReport| r.to_text(), write_distillation_report),
        "aim-fair" => merge_study(dirs, "aim-fair", out, quiet, st::assemble_aimfair, |r: &st::AimFairReport| r.to_text(), write_aimfair_report),
        "aim-fair-images" => merge_study(dirs, "aim-fair-images", out, quiet, st::assemble_aimfair_images, |r: &st::AimFairImageReport| r.to_text(), write_image_report),
        other => Err(fairdistill::Error::Schema(format!("cells of kind `{other}`: this version merges fair4free, fair4free-images, distillation, aim-fair and aim-fair-images cells"))),
    }
}

/// One study's merge: its cells from `dirs`, its parameters from them, its report assembled,
/// printed and written as a single run writes it.
#[allow(clippy::too_many_arguments, reason = "the study's functions, each a plain fn")]
fn merge_study<C, P, R>(
    dirs: &[PathBuf],
    kind: &str,
    out: &std::path::Path,
    quiet: bool,
    assemble: fn(&P, &[C], &str) -> Result<R>,
    text: fn(&R) -> String,
    write: fn(&std::path::Path, &R, bool) -> Result<()>,
) -> Result<()>
where
    C: serde::de::DeserializeOwned + PartialEq,
    P: serde::de::DeserializeOwned,
{
    let (params, cells) = fairdistill::studies::shard::merge_cells::<C>(dirs, kind, &seeds_of)?;
    let p: P = serde_json::from_value(params)?;
    let report = assemble(&p, &cells, &command_line())?;
    let printed = crate::cli::output::print_stdout(&text(&report));
    write(out, &report, quiet)?;
    printed
}

/// `reproduce fair4free --dataset colored-mnist | colored-fashion-mnist`: the image study.
fn fair4free_images(args: Fair4FreeArgs, quiet: bool) -> Result<()> {
    let mut p = if args.quick { Fair4FreeImageStudyParams::quick(&args.dataset) } else { Fair4FreeImageStudyParams::full(&args.dataset) };
    p.data_dir = args.options.data_dir.clone();
    if let Some(s) = args.seeds {
        p.seeds = s;
    }
    if let Some(r) = args.rho {
        p.colouring.rho = Some(r);
    }
    let m = &mut p.model.fair4free;
    if let Some(e) = args.epochs {
        m.epochs = e;
    }
    args.apply_model_options(m);
    p.check()?;
    if let Some(shard) = args.shard {
        let data = fairdistill::studies::Fair4FreeImageData::new(&p)?;
        // The data's folder may differ between the machines of a job array: the hash names the
        // data by what was loaded, not where from.
        let mut hashed = p.clone();
        hashed.data_dir = None;
        let identity = serde_json::to_string(&data.context())?;
        let owned = (0..p.seeds).filter(|&c| shard.owns(c)).count();
        let progress = bar((p.total_epochs() / p.seeds.max(1) * owned) as u64, "training", quiet);
        run_shard(&args.out, "fair4free-images", &serde_json::to_value(&hashed)?, &identity, p.seeds, shard, quiet, &mut |seed| {
            fairdistill::studies::fair4free_images_seed(&p, &data, seed, &mut |e| show_study_progress(&progress, e))
        })?;
        progress.finish_and_clear();
        return Ok(());
    }
    if !args.no_write {
        check_output_dir(&args.out)?;
    }
    let progress = bar(p.total_epochs() as u64, "training", quiet);
    let report = reproduce_fair4free_images(&p, &command_line(), &mut |e| show_study_progress(&progress, e))?;
    progress.finish_and_clear();
    // The report files are written even when stdout is closed or full: a long study loses nothing.
    let printed = crate::cli::output::print_stdout(&report.to_text());
    if !args.no_write {
        write_fair4free_images_report(&args.out, &report, quiet)?;
    }
    printed
}

/// Shows one finished training epoch of a study (seed, model, loss) on the bar.
fn show_study_progress(progress: &indicatif::ProgressBar, e: &StudyProgress) {
    progress.set_message(format!("seed {} {}", e.seed, e.model));
    progress.set_prefix(format!("loss {:.3}", e.loss));
    progress.inc(1);
}

/// The command line as typed (arguments with spaces quoted).
fn command_line() -> String {
    std::env::args().map(|a| if a.contains(' ') { format!("'{a}'") } else { a }).collect::<Vec<_>>().join(" ")
}

/// Writes `<out>/<stem>.{md,html,json}`: the Markdown headed by the command; the HTML as a
/// standalone document (`report::html_document`: command, version, date, config hash, contents);
/// the JSON as it is.
#[allow(clippy::too_many_arguments, reason = "the parts of one report, each a plain string")]
fn write_report(out: &std::path::Path, stem: &str, command: &str, title: &str, markdown: &str, html: &str, json: &str, quiet: bool) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| fairdistill::Error::Io { path: out.to_path_buf(), source: e })?;
    let meta = fairdistill::report::DocumentMeta {
        command: command.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        config_hash: config_hash(json),
    };
    for (ext, text) in [
        ("md", format!("<!-- produced by: {command} -->\n\nCommand: `{command}`\n\n{markdown}")),
        ("html", fairdistill::report::html_document(title, html, &meta)),
        ("json", json.to_string()),
    ] {
        fairdistill::atomic::write_atomic(&out.join(format!("{stem}.{ext}")), text.as_bytes())?;
    }
    if !quiet {
        crate::cli::output::note(&format!("fairdistill: wrote {}/{stem}.{{md,html,json}}", out.display()));
    }
    Ok(())
}

/// FNV-1a of the report's `params` (its whole configuration), or of the whole JSON when it has
/// none: equal hashes, equal settings.
fn config_hash(json: &str) -> String {
    let params = serde_json::from_str::<serde_json::Value>(json).ok().and_then(|v| v.get("params").map(|p| p.to_string()));
    fairdistill::hash::fnv1a_hex(&[params.as_deref().unwrap_or(json).as_bytes()])
}

pub fn distillation(args: DistillationArgs, quiet: bool) -> Result<()> {
    let mut p = if args.quick { DistillationStudyParams::quick() } else { DistillationStudyParams::full() };
    if let Some(s) = args.seeds {
        p.seeds = s;
    }
    if let Some(t) = args.temperatures {
        p.temperatures = t;
    }
    if let Some(e) = args.epochs {
        p.student.epochs = e;
    }
    if let Some(e) = args.teacher_epochs {
        p.teacher_epochs = e;
    }
    if let Some(d) = args.teacher_depth {
        p.teacher_depth = d;
    }
    if let Some(n) = args.train_images {
        p.train_images = n;
    }
    if let Some(n) = args.test_images {
        p.test_images = n;
    }
    if let Some(s) = args.image_size {
        p.image_size = s;
    }
    if let Some(b) = args.colour_bias {
        p.train_colour_bias = b;
    }
    p.student.scale_soft_by_t_squared = args.t_squared;
    p.check()?;
    if let Some(shard) = args.shard {
        let owned = (0..p.seeds).filter(|&c| shard.owns(c)).count();
        let progress = bar((p.total_epochs() / p.seeds.max(1) * owned) as u64, "training", quiet);
        let data = fairdistill::studies::DistillationData::new(&p)?;
        run_shard(&args.out, "distillation", &serde_json::to_value(&p)?, "", p.seeds, shard, quiet, &mut |seed| {
            fairdistill::studies::distillation_seed(&p, &data, seed, &mut |e| show_study_progress(&progress, e))
        })?;
        progress.finish_and_clear();
        return Ok(());
    }
    if !args.no_write {
        check_output_dir(&args.out)?;
    }
    let progress = bar(p.total_epochs() as u64, "training", quiet);
    let report = reproduce_distillation(&p, &command_line(), &mut |e| show_study_progress(&progress, e))?;
    progress.finish_and_clear();
    // The report files are written even when stdout is closed or full: a long study loses nothing.
    let printed = crate::cli::output::print_stdout(&report.to_text());
    if !args.no_write {
        write_distillation_report(&args.out, &report, quiet)?;
    }
    printed
}

pub fn aim_fair(args: AimFairArgs, quiet: bool) -> Result<()> {
    match args.dataset.as_str() {
        "adult" => aim_fair_adult(args, quiet),
        "colored-mnist" | "colored-fashion-mnist" | "celeba" | "utkface" => aim_fair_images(args, quiet),
        other => Err(fairdistill::Error::invalid("dataset", other, "one of colored-mnist, colored-fashion-mnist, celeba, utkface, adult")),
    }
}

fn aim_fair_adult(args: AimFairArgs, quiet: bool) -> Result<()> {
    let options = fairdistill::LoadOptions { data_dir: args.data_dir.clone(), ..fairdistill::LoadOptions::default() };
    let dataset = fairdistill::data::load_builtin("adult", &options)?;
    let mut p = if args.quick { AimFairStudyParams::quick() } else { AimFairStudyParams::full() };
    if let Some(s) = args.seeds {
        p.seeds = s;
    }
    if let Some(k) = args.top_k {
        p.model.top_k = Some(k);
    }
    if let Some(n) = args.real_rows {
        p.real_rows = n;
    }
    if let Some(n) = args.synthetic_rows {
        p.synthetic_rows = n;
    }
    p.check()?;
    if let Some(shard) = args.shard {
        let owned = (0..p.seeds).filter(|&c| shard.owns(c)).count() as u64;
        let progress = bar(p.steps() / p.seeds.max(1) as u64 * owned, "training", quiet);
        let data = fairdistill::studies::AimFairData::new(&dataset, &p)?;
        let identity = format!("{} {} {}", dataset.name, dataset.train.n_rows(), dataset.test.n_rows());
        run_shard(&args.out, "aim-fair", &serde_json::to_value(&p)?, &identity, p.seeds, shard, quiet, &mut |seed| {
            fairdistill::studies::aimfair_seed(&data, &p, seed as u64, &mut |what| {
                progress.set_message(format!("seed {seed} {what}"));
                progress.inc(1);
            })
        })?;
        progress.finish_and_clear();
        return Ok(());
    }
    if !args.no_write {
        check_output_dir(&args.out)?;
    }
    let command = command_line();
    let progress = bar(p.steps(), "training", quiet);
    let report = reproduce_aimfair(&dataset, &p, &command, &mut |what| {
        progress.set_message(what.to_string());
        progress.inc(1);
    })?;
    progress.finish_and_clear();
    // The report files are written even when stdout is closed or full: a long study loses nothing.
    let printed = crate::cli::output::print_stdout(&report.to_text());
    if !args.no_write {
        write_aimfair_report(&args.out, &report, quiet)?;
    }
    printed
}

/// `reproduce aim-fair --dataset colored-mnist | colored-fashion-mnist`: the image study.
fn aim_fair_images(args: AimFairArgs, quiet: bool) -> Result<()> {
    if let Some(path) = &args.render {
        check_output_dir(&args.out)?;
        return render_report(path, &args.out, quiet);
    }
    let mut p = if args.quick { AimFairImageStudyParams::quick() } else { AimFairImageStudyParams::full() };
    if let Some(s) = args.seeds {
        p.seeds = s;
    }
    if let Some(k) = args.top_k {
        p.top_k = k;
    }
    if let Some(k) = args.k_sweep {
        p.k_sweep = k;
    }
    if let Some(n) = args.real_rows {
        p.real_images = n;
    }
    if let Some(n) = args.synthetic_rows {
        p.synthetic_images = n;
    }
    if let Some(e) = args.pretrain_epochs {
        // The drop keeps its place relative to the length (8 of 12 epochs: after two thirds).
        let old = p.pretrain.epochs.max(1);
        p.pretrain.milestones = p.pretrain.milestones.iter().map(|&m| (m * e + old / 2) / old).filter(|&m| m >= 1 && m < e).collect();
        p.pretrain.epochs = e;
    }
    if let Some(e) = args.finetune_epochs {
        p.finetune.epochs = e;
    }
    p.check()?;
    if !args.no_write {
        check_output_dir(&args.out)?;
    }
    let dataset = match args.dataset.as_str() {
        // The faces at 32 px, the size of the generator's conv VAE; CelebA: the first 40,000
        // images of each split (about 0.5 GB), target Smiling, protected Male (the paper's first task).
        "celeba" => {
            let mut c = fairdistill::data::images::CelebaParams { image_size: 32, max_images: Some(40_000), ..Default::default() };
            if let Some(d) = &args.data_dir {
                c.data_dir = d.clone();
            }
            fairdistill::data::images::load_celeba(&c)?
        }
        // UTKFace: target gender, protected race with White = 1 and every other group 0 (the paper).
        "utkface" => {
            let mut u = fairdistill::data::images::UtkfaceParams { image_size: 32, ..Default::default() };
            if let Some(d) = &args.data_dir {
                u.dir = d.clone();
            }
            p.protected_group = Some("White".into());
            fairdistill::data::images::load_utkface(&u)?
        }
        name => fairdistill::data::images::load_image_dataset(name, args.data_dir.as_deref(), &Default::default())?,
    };
    let cache = (!args.no_cache).then_some(args.cache.as_path());
    if let Some(shard) = args.shard {
        let data = fairdistill::studies::AimFairImageData::new(&dataset, &p)?;
        let identity = serde_json::to_string(data.context())?;
        let owned = (0..p.seeds).filter(|&c| shard.owns(c)).count() as u64;
        let progress = bar(p.steps() / p.seeds.max(1) as u64 * owned, "training", quiet);
        run_shard(&args.out, "aim-fair-images", &serde_json::to_value(&p)?, &identity, p.seeds, shard, quiet, &mut |seed| {
            fairdistill::studies::aimfair_images_seed(&data, &p, seed as u64, cache, &mut |what, log| {
                progress.set_message(format!("seed {seed} {what}: epoch {} loss {:.3}", log.epoch, log.loss));
                progress.inc(1);
            })
        })?;
        progress.finish_and_clear();
        return Ok(());
    }
    let progress = bar(p.steps(), "training", quiet);
    let report = reproduce_aimfair_images(&dataset, &p, &command_line(), cache, &mut |what, log| {
        progress.set_message(format!("{what}: epoch {} loss {:.3}", log.epoch, log.loss));
        progress.inc(1);
    })?;
    progress.finish_and_clear();
    // The report files are written even when stdout is closed or full: a long study loses nothing.
    let printed = crate::cli::output::print_stdout(&report.to_text());
    if !args.no_write {
        write_image_report(&args.out, &report, quiet)?;
    }
    printed
}

/// Writes `<out>/aim-fair-<dataset>-<sensitive>.{md,html,json}` and one SVG per chart.
fn write_image_report(out: &std::path::Path, report: &fairdistill::studies::AimFairImageReport, quiet: bool) -> Result<()> {
    let stem = format!("aim-fair-{}-{}", report.dataset, report.sensitive.to_lowercase());
    let md = with_chart_files(out, &stem, report.to_markdown(), &report.charts())?;
    write_report(out, &stem, &report.command, &report.title(), &md, &report.to_html(), &report.to_json()?, quiet)
}
