//! `fairdistill audit`: audit predictions stored in a CSV, Parquet or Arrow IPC file, or a counts
//! table.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use fairdistill::audit::{AuditParams, AuditReport, FairnessAudit, UndefinedPolicy};
use fairdistill::audit::CountsTable;
#[cfg(feature = "columnar")]
use fairdistill::data::columnar::{binary_column, number_column, text_column, CellSite, ColumnarFile};
use fairdistill::data::columnar::ColumnarFormat;
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
    /// File of rows holding labels, predictions and sensitive columns: CSV with a header line,
    /// or Parquet (`.parquet`, `.pq`) / Arrow IPC (`.arrow`, `.feather`, `.ipc`, `.arrows`), read
    /// by column. A Parquet or Arrow file with no --n-boot, --score or --features streams into
    /// counts in bounded memory (any number of rows).
    #[arg(long, value_name = "FILE", required_unless_present = "counts")]
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
    /// Audit a counts table instead of rows: CSV, Parquet or Arrow IPC (by extension) with the
    /// sensitive columns, then `y_true`, `y_pred` and `count` (rows per combination; any SQL
    /// engine's GROUP BY makes it, see docs/CLI.md). Repeat it for shards: their counts add up.
    /// Every count-based metric comes out exactly as from the rows; bootstrap intervals,
    /// individual fairness and ROC need rows and are refused.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["input", "y_true", "y_pred", "score", "features"])]
    pub counts: Vec<PathBuf>,
    /// Also write the counts table of the input (rows, or the summed --counts) here: the
    /// sensitive columns, `y_true`, `y_pred`, `count`; Parquet or Arrow IPC by extension, CSV
    /// otherwise.
    #[arg(long, value_name = "FILE")]
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
    /// Bootstrap resamples for the confidence intervals (0 = none; default 200 for CSV rows, 0
    /// for --counts and for Parquet / Arrow input, which then streams).
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

/// `audit --counts FILE...`: the audit of the counts tables, added up.
fn run_counts(args: &AuditArgs) -> Result<()> {
    let paths: Vec<&std::path::Path> = args.counts.iter().map(PathBuf::as_path).collect();
    for out in [&args.out, &args.plot, &args.emit_counts].into_iter().flatten() {
        check_output_file(out, &paths, None)?;
    }
    let tables = paths.iter().map(|p| CountsTable::read(p, &args.sensitive)).collect::<Result<Vec<_>>>()?;
    let counts = CountsTable::merge(tables)?;
    let file = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" + ");
    audit_counts(args, &counts, InputSummary { file, rows_read: 0, rows_dropped: 0, missing: "counts" })
}

/// The audit of a counts table, written as every audit is (report, plot, emitted counts).
fn audit_counts(args: &AuditArgs, counts: &CountsTable, mut input: InputSummary) -> Result<()> {
    let report = counts.audit(&audit_params(args, args.n_boot.unwrap_or(0)))?;
    if input.missing == "counts" {
        input.rows_read = report.n as usize;
    }
    if let Some(path) = &args.emit_counts {
        counts.write(path)?;
    }
    let output = AuditOutput { report: &report, input };
    let text = render(&output, args.format)?;
    write_output(args.out.as_deref(), &text)?;
    if let Some(plot) = &args.plot {
        report.group_chart()?.save(plot)?;
    }
    Ok(())
}

/// The columns of the rows the audit reads, from whichever file format.
struct Rows {
    y_true: Vec<u8>,
    y_pred: Vec<u8>,
    sensitive: Vec<Vec<String>>,
    scores: Option<Vec<f64>>,
    features: Option<ndarray::Array2<f64>>,
    rows_read: usize,
    rows_dropped: usize,
}

fn missing_policy(args: &AuditArgs) -> (MissingPolicy, &'static str) {
    match args.missing {
        MissingArg::Fail => (MissingPolicy::Fail, "fail"),
        MissingArg::Drop => (MissingPolicy::Drop, "drop"),
    }
}

/// The columns a row audit reads, in this order: labels, predictions, the sensitive columns,
/// the score, the features.
fn used_columns<'a>(args: &'a AuditArgs, y_true_col: &'a str, y_pred_col: &'a str) -> Vec<&'a str> {
    [y_true_col, y_pred_col]
        .into_iter()
        .chain(args.sensitive.iter().map(String::as_str))
        .chain(args.score.as_deref())
        .chain(args.features.iter().map(String::as_str))
        .collect()
}

fn read_csv_rows(args: &AuditArgs, input: &std::path::Path, y_true_col: &str, y_pred_col: &str) -> Result<Rows> {
    let mut csv = CsvColumns::read(input)?;
    let rows_read = csv.n_rows();
    let used = used_columns(args, y_true_col, y_pred_col);
    let rows_dropped = csv.handle_empty_cells(&used, missing_policy(args).0)?;
    Ok(Rows {
        y_true: csv.binary(y_true_col)?,
        y_pred: csv.binary(y_pred_col)?,
        sensitive: args.sensitive.iter().map(|c| csv.strings(c)).collect::<Result<_>>()?,
        scores: args.score.as_deref().map(|c| csv.numbers(c)).transpose()?,
        features: if args.features.is_empty() { None } else { Some(csv.matrix(&args.features)?) },
        rows_read,
        rows_dropped,
    })
}

/// What a Parquet or Arrow input gives: counts streamed from it (the count-based audit), or its
/// rows in memory.
#[cfg_attr(not(feature = "columnar"), allow(dead_code, reason = "built only from Parquet and Arrow files"))]
enum ColumnarInput {
    Streamed(CountsTable, InputSummary),
    Rows(Rows),
}

#[cfg(not(feature = "columnar"))]
fn columnar_input(_args: &AuditArgs, input: &std::path::Path, _y_true_col: &str, _y_pred_col: &str) -> Result<ColumnarInput> {
    Err(fairdistill::Error::Schema(format!("{}: Parquet and Arrow files need the `columnar` feature (on by default); this build was made without it", input.display())))
}

/// Count-based metrics only (no --n-boot, --score or --features): the file streams into
/// counts, whatever its size; otherwise its rows are read into memory.
#[cfg(feature = "columnar")]
fn columnar_input(args: &AuditArgs, input: &std::path::Path, y_true_col: &str, y_pred_col: &str) -> Result<ColumnarInput> {
    let file = ColumnarFile::open(input)?;
    if args.n_boot.unwrap_or(0) == 0 && args.score.is_none() && args.features.is_empty() {
        let (policy, missing) = missing_policy(args);
        let (counts, read) = CountsTable::count_columnar(&file, y_true_col, y_pred_col, &args.sensitive, policy)?;
        let summary = InputSummary { file: input.display().to_string(), rows_read: read.read as usize, rows_dropped: read.dropped as usize, missing };
        return Ok(ColumnarInput::Streamed(counts, summary));
    }
    Ok(ColumnarInput::Rows(read_columnar_rows(args, &file, y_true_col, y_pred_col)?))
}

/// Every row of a Parquet or Arrow file in memory (for the bootstrap, scores and features); a
/// row with a null in a column read fails or is dropped as `--missing` says.
#[cfg(feature = "columnar")]
fn read_columnar_rows(args: &AuditArgs, file: &ColumnarFile, y_true_col: &str, y_pred_col: &str) -> Result<Rows> {
    let used = used_columns(args, y_true_col, y_pred_col);
    let (policy, _) = missing_policy(args);
    let k = args.sensitive.len();
    let has_score = args.score.is_some();
    let source = file.path().display().to_string();
    let mut rows = Rows { y_true: Vec::new(), y_pred: Vec::new(), sensitive: vec![Vec::new(); k], scores: has_score.then(Vec::new), features: None, rows_read: 0, rows_dropped: 0 };
    let mut features: Vec<f64> = Vec::new();
    let read = file.for_each_batch(&used, &mut |batch| {
        let site = |c: usize| CellSite { source_name: &source, column: used[c], first_row: batch.first_row };
        let truth = binary_column(&batch.columns[0], &site(0))?;
        let pred = binary_column(&batch.columns[1], &site(1))?;
        let groups = (0..k).map(|c| text_column(&batch.columns[2 + c], &site(2 + c))).collect::<Result<Vec<_>>>()?;
        let numbers = (2 + k..used.len()).map(|c| number_column(&batch.columns[c], &site(c))).collect::<Result<Vec<_>>>()?;
        for i in 0..batch.len() {
            use arrow_array::Array;
            let null = [truth[i].is_none(), pred[i].is_none()]
                .into_iter()
                .chain(groups.iter().map(|g| g.is_null(i)))
                .chain(numbers.iter().map(|n| n[i].is_none()))
                .position(|b| b);
            if let Some(c) = null {
                if policy == MissingPolicy::Drop {
                    rows.rows_dropped += 1;
                    continue;
                }
                return Err(site(c).error(i, "is empty and the missing-value policy is `fail`".into()));
            }
            rows.y_true.push(truth[i].unwrap_or(0));
            rows.y_pred.push(pred[i].unwrap_or(0));
            for (c, g) in groups.iter().enumerate() {
                rows.sensitive[c].push(g.value(i).to_string());
            }
            let mut values = numbers.iter().map(|n| n[i].unwrap_or(f64::NAN));
            if let (Some(s), Some(v)) = (rows.scores.as_mut(), if has_score { values.next() } else { None }) {
                s.push(v);
            }
            features.extend(values);
        }
        Ok(())
    })?;
    if read == 0 {
        return Err(fairdistill::Error::Empty { what: format!("{source} has no data rows") });
    }
    rows.rows_read = read as usize;
    if !args.features.is_empty() {
        let n = rows.y_true.len();
        rows.features = Some(
            ndarray::Array2::from_shape_vec((n, args.features.len()), features)
                .map_err(|e| fairdistill::Error::Schema(format!("{source}: features: {e}")))?,
        );
    }
    Ok(rows)
}

pub fn run(args: AuditArgs, quiet: bool) -> Result<()> {
    if !args.counts.is_empty() {
        return run_counts(&args);
    }
    // clap requires these without --counts.
    let missing_arg = |name: &'static str| fairdistill::Error::invalid(name, "(none)", "required without --counts");
    let input = args.input.clone().ok_or_else(|| missing_arg("input"))?;
    let y_true_col = args.y_true.clone().ok_or_else(|| missing_arg("y-true"))?;
    let y_pred_col = args.y_pred.clone().ok_or_else(|| missing_arg("y-pred"))?;
    for out in [&args.out, &args.plot, &args.emit_counts].into_iter().flatten() {
        check_output_file(out, &[&input], None)?;
    }
    let columnar = ColumnarFormat::of(&input).is_some();
    let missing = missing_policy(&args).1;
    let rows = if columnar {
        match columnar_input(&args, &input, &y_true_col, &y_pred_col)? {
            ColumnarInput::Streamed(counts, summary) => return audit_counts(&args, &counts, summary),
            ColumnarInput::Rows(rows) => rows,
        }
    } else {
        read_csv_rows(&args, &input, &y_true_col, &y_pred_col)?
    };
    let n_boot = args.n_boot.unwrap_or(if columnar { 0 } else { 200 });
    let Rows { y_true, y_pred, sensitive, scores, features, rows_read, rows_dropped } = rows;
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
        audit.counts()?.write(path)?;
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
