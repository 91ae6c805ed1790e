//! `fairdistill audit`: audit predictions stored in a CSV file.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use fairdistill::audit::{AuditParams, AuditReport, FairnessAudit, UndefinedPolicy};
use fairdistill::data::{CsvColumns, MissingPolicy};
use fairdistill::report::{Render, ReportTable};
use fairdistill::Result;
use serde::Serialize;

use crate::cli::output::{check_memory, check_output_file};
use crate::cli::args::{render, write_output, ReportFormat};

/// What undefined group rates do in the disparities.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum UndefinedArg {
    /// Leave the group out (a metric needs two groups with a defined rate).
    Exclude,
    /// Count the rate as 0, as fairlearn does.
    Zero,
}

/// What an empty cell in a column the audit reads does.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MissingArg {
    /// Stop with an error naming the file, line and column.
    Fail,
    /// Drop the row; the report says how many rows were dropped.
    Drop,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// CSV file with a header line holding labels, predictions and sensitive columns.
    #[arg(long, value_name = "FILE.csv", required_unless_present = "counts")]
    pub input: Option<PathBuf>,
    /// Column of the true labels (0/1).
    #[arg(long, value_name = "COL", required_unless_present = "counts")]
    pub y_true: Option<String>,
    /// Column of the predicted labels (0/1).
    #[arg(long, value_name = "COL", required_unless_present = "counts")]
    pub y_pred: Option<String>,
    /// Sensitive column(s), comma-separated; several give intersectional groups. With --counts:
    /// the columns to group by (default: every sensitive column of the counts table).
    #[arg(long, value_delimiter = ',', required_unless_present = "counts", value_name = "COL[,COL...]")]
    pub sensitive: Vec<String>,
    /// Audit a counts table instead of rows: a CSV with the sensitive columns, then `y_true`,
    /// `y_pred` and `count` (rows per combination; any SQL engine's GROUP BY makes it, see
    /// docs/CLI.md). Every count-based metric comes out exactly as from the rows; bootstrap
    /// intervals, individual fairness and ROC need rows and are refused.
    #[arg(long, value_name = "FILE.csv", conflicts_with_all = ["input", "y_true", "y_pred", "score", "features", "emit_counts"])]
    pub counts: Option<PathBuf>,
    /// Also write the counts table of the input rows here (CSV: the sensitive columns, `y_true`,
    /// `y_pred`, `count`).
    #[arg(long, value_name = "FILE.csv")]
    pub emit_counts: Option<PathBuf>,
    /// Column of predicted probabilities (for the Lipschitz measure; needs --features).
    #[arg(long, value_name = "COL")]
    pub score: Option<String>,
    /// Numeric feature columns, comma-separated, for individual fairness.
    #[arg(long, value_delimiter = ',', value_name = "COL,...")]
    pub features: Vec<String>,
    /// Neighbours of the consistency score (the point itself included).
    #[arg(long, default_value_t = 5)]
    pub k: usize,
    /// Bootstrap resamples for the confidence intervals (0 = none; default 200, 0 with --counts).
    #[arg(long)]
    pub n_boot: Option<usize>,
    /// Run even when the estimated memory (of the bootstrap's resampled statistics) exceeds what
    /// the machine has available.
    #[arg(long)]
    pub force: bool,
    /// Seed of the bootstrap and of the pair sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Pairs sampled for the Lipschitz measure.
    #[arg(long, default_value_t = 10_000)]
    pub lipschitz_pairs: usize,
    /// What undefined group rates (a group with no positives) do in the disparities.
    #[arg(long, value_enum, default_value_t = UndefinedArg::Exclude)]
    pub undefined: UndefinedArg,
    /// What a row with an empty cell in a column the audit reads (labels, predictions, sensitive,
    /// score, features) does.
    #[arg(long, value_enum, default_value_t = MissingArg::Fail)]
    pub missing: MissingArg,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write the per-group bar chart (SVG) here.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

/// The report with what was read from the input: printed and serialised together (the JSON
/// report gains an `input` object).
#[derive(Serialize)]
struct AuditOutput<'a> {
    #[serde(flatten)]
    report: &'a AuditReport,
    input: InputSummary,
}

/// Rows read from the input and dropped for an empty cell.
#[derive(Serialize)]
struct InputSummary {
    file: String,
    rows_read: usize,
    rows_dropped: usize,
    /// The `--missing` policy: `fail` or `drop`; `counts` for a counts table.
    missing: &'static str,
}

impl Render for AuditOutput<'_> {
    fn title(&self) -> String {
        self.report.title()
    }

    fn tables(&self) -> Vec<ReportTable> {
        let mut tables = self.report.tables();
        if self.input.missing == "drop" {
            let mut input = ReportTable::new("Input", ["file", "rows read", "rows dropped (empty cell)", "rows audited"]);
            input.row([
                self.input.file.clone(),
                self.input.rows_read.to_string(),
                self.input.rows_dropped.to_string(),
                (self.input.rows_read - self.input.rows_dropped).to_string(),
            ]);
            tables.push(input);
        }
        tables
    }

    fn svg(&self) -> Option<String> {
        self.report.svg()
    }
}

fn audit_params(args: &AuditArgs, n_boot: usize) -> AuditParams {
    AuditParams::default()
        .n_boot(n_boot)
        .seed(args.seed)
        .consistency_k(args.k)
        .lipschitz_pairs(args.lipschitz_pairs)
        .undefined(match args.undefined {
            UndefinedArg::Exclude => UndefinedPolicy::Exclude,
            UndefinedArg::Zero => UndefinedPolicy::Zero,
        })
}

/// `audit --counts FILE`: the audit of a counts table.
fn run_counts(args: &AuditArgs, path: &std::path::Path) -> Result<()> {
    for out in [&args.out, &args.plot].into_iter().flatten() {
        check_output_file(out, &[path], None)?;
    }
    let counts = fairdistill::audit::CountsTable::read_csv(path, &args.sensitive)?;
    let report = counts.audit(&audit_params(args, args.n_boot.unwrap_or(0)))?;
    let rows = report.n as usize;
    let output = AuditOutput { report: &report, input: InputSummary { file: path.display().to_string(), rows_read: rows, rows_dropped: 0, missing: "counts" } };
    let text = render(&output, args.format)?;
    write_output(args.out.as_deref(), &text)?;
    if let Some(plot) = &args.plot {
        report.group_chart()?.save(plot)?;
    }
    Ok(())
}

pub fn run(args: AuditArgs, quiet: bool) -> Result<()> {
    if let Some(path) = args.counts.clone() {
        return run_counts(&args, &path);
    }
    // clap requires these without --counts.
    let missing_arg = |name: &'static str| fairdistill::Error::invalid(name, "(none)", "required without --counts");
    let input = args.input.clone().ok_or_else(|| missing_arg("input"))?;
    let y_true_col = args.y_true.clone().ok_or_else(|| missing_arg("y-true"))?;
    let y_pred_col = args.y_pred.clone().ok_or_else(|| missing_arg("y-pred"))?;
    let n_boot = args.n_boot.unwrap_or(200);
    for out in [&args.out, &args.plot, &args.emit_counts].into_iter().flatten() {
        check_output_file(out, &[&input], None)?;
    }
    let mut csv = CsvColumns::read(&input)?;
    let rows_read = csv.n_rows();
    let used: Vec<&String> = [&y_true_col, &y_pred_col]
        .into_iter()
        .chain(&args.sensitive)
        .chain(&args.score)
        .chain(&args.features)
        .collect();
    let (policy, missing) = match args.missing {
        MissingArg::Fail => (MissingPolicy::Fail, "fail"),
        MissingArg::Drop => (MissingPolicy::Drop, "drop"),
    };
    let rows_dropped = csv.handle_empty_cells(&used, policy)?;
    let y_true = csv.binary(&y_true_col)?;
    let y_pred = csv.binary(&y_pred_col)?;
    let sensitive: Vec<Vec<String>> = args.sensitive.iter().map(|c| csv.strings(c)).collect::<Result<_>>()?;
    let scores = args.score.as_deref().map(|c| csv.numbers(c)).transpose()?;
    let features = if args.features.is_empty() { None } else { Some(csv.matrix(&args.features)?) };
    // The bootstrap keeps every resample's statistics (about 40 + 3 per group, 16 bytes each).
    let groups: std::collections::HashSet<Vec<&str>> =
        (0..y_true.len()).map(|i| sensitive.iter().map(|c| c[i].as_str()).collect()).collect();
    let stats = 40 + 3 * groups.len() as u128;
    check_memory(&format!("--n-boot {n_boot}"), n_boot as u128 * (24 + 16 * stats), args.force)?;
    let params = audit_params(&args, n_boot);
    let mut audit = FairnessAudit::new(&y_true, &y_pred).params(params);
    for (name, col) in args.sensitive.iter().zip(&sensitive) {
        audit = audit.sensitive(name, col);
    }
    if let Some(s) = &scores {
        audit = audit.scores(s);
    }
    if let Some(x) = &features {
        audit = audit.features(x.view());
    }
    if let Some(path) = &args.emit_counts {
        let counts = audit.counts()?;
        fairdistill::atomic::write_atomic_with(path, &mut |w| counts.write_csv(w).map_err(|e| std::io::Error::other(e.to_string())))?;
    }
    let bar = crate::cli::progress::bar(features.as_ref().map_or(0, |x| x.nrows() as u64), "consistency (rows)", quiet || features.is_none());
    let show = |_: &str, done: usize, _: usize| bar.set_position(done as u64);
    let report = audit.progress(&show).run()?;
    bar.finish_and_clear();
    let output = AuditOutput {
        report: &report,
        input: InputSummary { file: input.display().to_string(), rows_read, rows_dropped, missing },
    };
    let text = render(&output, args.format)?;
    write_output(args.out.as_deref(), &text)?;
    if let Some(path) = &args.plot {
        report.group_chart()?.save(path)?;
    }
    Ok(())
}
