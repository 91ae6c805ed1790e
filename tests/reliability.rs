//! Bad input gets a clear error and loses nothing: strict CSV (quotes, ragged rows, BOM, line
//! ends, duplicate names), numeric columns that stay numeric, empty cells, unknown categories,
//! atomic output files. See docs/RELIABILITY.md.

use fairdistill::data::{
    load_builtin, load_csv, parse_table_like, ColumnData, ColumnKind, CsvColumns, CsvSpec, LoadOptions, MissingPolicy,
};
use fairdistill::Error;

fn write(dir: &tempfile::TempDir, name: &str, bytes: impl AsRef<[u8]>) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn sens(cols: &[&str]) -> LoadOptions {
    LoadOptions {
        sensitive: cols.iter().map(|s| s.to_string()).collect(),
        test_fraction: 0.5,
        ..LoadOptions::default()
    }
}

/// Eight data rows; the third holds `text` in its sensitive field.
fn eight_rows(third: &str) -> String {
    let mut s = String::from("y,p,sex\n");
    for i in 0..8 {
        let sex = if i == 2 { third.to_string() } else { ["F", "M"][i % 2].to_string() };
        s.push_str(&format!("{},{},{sex}\n", i % 2, (i / 2) % 2));
    }
    s
}

fn parse_err(bytes: &[u8]) -> String {
    CsvColumns::parse(bytes, "t.csv").unwrap_err().to_string()
}

// ---------- item 3: strict CSV ----------

#[test]
fn an_unclosed_quote_mid_file_is_an_error_not_a_shorter_table() {
    // The bug: the quote opened on line 4 swallowed lines 5-9 into one field; 3 of 8 rows were read.
    let text = eight_rows("\"F");
    let e = parse_err(text.as_bytes());
    assert_eq!(
        e,
        "t.csv: line 4: field 3 (column `sex`): unclosed quote: the quoted field does not end on this line (a stray quote? a field may not hold a line break)"
    );
    // Also through the dataset loader.
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "u.csv", &text);
    let err = load_csv(&CsvSpec::new(&p, "y"), &sens(&["sex"])).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 4, .. }), "{err}");
    assert!(err.to_string().contains("u.csv: line 4"), "{err}");
    // A quote left open on the last line (no line end after it).
    let e = parse_err(b"y,p,sex\n1,0,F\n0,1,\"M");
    assert_eq!(e, "t.csv: line 3: field 3 (column `sex`): unclosed quote: the quoted field runs to the end of the file");
    // Two stray quotes that pair up across lines would make one field of two lines: refused too.
    let e = parse_err(b"y,p,sex\n1,0,\"F\n0,1,\"\n1,1,M\n");
    assert!(e.starts_with("t.csv: line 2: field 3 (column `sex`): unclosed quote"), "{e}");
}

#[test]
fn stray_quotes_and_text_after_a_closing_quote_are_errors() {
    let e = parse_err(eight_rows("F\"").as_bytes());
    assert!(e.starts_with("t.csv: line 4: field 3 (column `sex`): stray quote"), "{e}");
    let e = parse_err(eight_rows("\"F\"emale").as_bytes());
    assert!(e.starts_with("t.csv: line 4: field 3 (column `sex`): text after the closing quote"), "{e}");
    // In the header: the field is named by its number.
    let e = parse_err(b"y,p\"x,sex\n1,0,F\n");
    assert!(e.starts_with("t.csv: line 1: field 2: stray quote"), "{e}");
}

#[test]
fn proper_quoting_is_read_as_written() {
    let c = CsvColumns::parse(b"y,p,name\n1,0,\"Doe, Jane\"\n0,1,\"5'10\"\"\"\n1,1,\"\"\n", "t.csv").unwrap();
    assert_eq!(c.strings("name").unwrap(), ["Doe, Jane", "5'10\"", ""]);
}

#[test]
fn bom_and_mixed_line_ends_are_read_and_lines_counted() {
    // UTF-8 BOM, then LF, CRLF and a lone CR as line ends.
    let text = b"\xEF\xBB\xBFy,p,sex\n1,0,F\r\n0,1,M\r1,1,F\n0,0,M\n";
    let c = CsvColumns::parse(text, "t.csv").unwrap();
    assert_eq!(c.header(), ["y", "p", "sex"], "the BOM is not part of the first name");
    assert_eq!(c.n_rows(), 4);
    assert_eq!(c.binary("y").unwrap(), [1, 0, 1, 0]);
    // The line after a lone CR is counted as a line of its own.
    let e = parse_err(b"y,p,sex\n1,0,F\r\n0,1,M\r1,1\n");
    assert_eq!(e, "t.csv: line 4: expected 3 fields, found 2");
    // UTF-16 is refused, with the reason.
    let e = parse_err(b"\xFF\xFEy\x00,\x00");
    assert!(e.starts_with("t.csv: line 1: the file is UTF-16 text"), "{e}");
    // Invalid UTF-8 names its line and field.
    let e = parse_err(b"y,p,sex\n1,0,F\n0,1,M\xFF\n");
    assert_eq!(e, "t.csv: line 3: field 3 is not valid UTF-8 text; save the file as UTF-8");
}

#[test]
fn ragged_rows_name_their_line() {
    for (text, line, found) in [
        ("y,p,sex\n1,0,F\n0,1\n", 3, 2),
        ("y,p,sex\n\n1,0,F\n0,1,M,extra\n", 4, 4),
        ("y,p,sex\n1,0,F,\n", 2, 4),
    ] {
        let e = parse_err(text.as_bytes());
        assert_eq!(e, format!("t.csv: line {line}: expected 3 fields, found {found}"), "{text:?}");
    }
}

#[test]
fn duplicate_column_names_are_an_error() {
    let e = parse_err(b"y,p,sex,p\n1,0,F,1\n");
    assert_eq!(e, "t.csv: line 1: column name `p` appears twice (fields 2 and 4); column names must be unique");
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "d.csv", "x,s,x,y\n1,a,2,0\n2,b,3,1\n");
    let err = load_csv(&CsvSpec::new(&p, "y"), &sens(&["s"])).unwrap_err();
    assert!(err.to_string().contains("d.csv: line 1: column name `x` appears twice"), "{err}");
}

#[test]
fn builtin_loaders_are_unchanged() {
    // The embedded files read exactly as before (tests/data_loaders.rs checks every quirk).
    let adult = load_builtin("adult", &LoadOptions::default()).unwrap();
    assert_eq!((adult.train.n_rows(), adult.test.n_rows()), (30_162, 15_060));
    let german = load_builtin("german", &LoadOptions::default()).unwrap();
    assert_eq!(german.train.n_rows() + german.test.n_rows(), 1000);
}

// ---------- item 4: numeric columns stay numeric ----------

#[test]
fn a_stray_non_number_in_a_numeric_column_is_an_error_naming_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "n.csv", "x,s,y\n1.5,a,0\n2,b,1\n3.25,a,1\nabc,b,0\n5,a,0\n6,b,1\n");
    let err = load_csv(&CsvSpec::new(&p, "y"), &sens(&["s"])).unwrap_err();
    let e = err.to_string();
    assert!(matches!(err, Error::Parse { line: 5, .. }), "{e}");
    assert!(e.contains("n.csv: line 5: column `x`: `abc` is not a number"), "{e}");
    assert!(e.contains("--categorical"), "the error says how to read it as categories: {e}");
    // Listed as categorical, the same file loads.
    let mut spec = CsvSpec::new(&p, "y");
    spec.categorical = vec!["x".into()];
    let d = load_csv(&spec, &sens(&["s"])).unwrap();
    assert_eq!(d.train.schema().columns[0], ("x".into(), ColumnKind::Categorical));
    // A column of words with a few numbers is categorical, as before.
    let p = write(&dir, "c.csv", "city,s,y\nOslo,a,0\nRome,b,1\n42,a,1\nParis,b,0\n");
    let d = load_csv(&CsvSpec::new(&p, "y"), &sens(&["s"])).unwrap();
    assert_eq!(d.train.schema().columns[0], ("city".into(), ColumnKind::Categorical));
}

#[test]
fn nan_and_inf_in_a_numeric_column() {
    let dir = tempfile::tempdir().unwrap();
    // `inf` is a number but not finite: an error naming the cell.
    let p = write(&dir, "i.csv", "x,s,y\n1,a,0\n2,b,1\ninf,a,1\n4,b,0\n");
    let e = load_csv(&CsvSpec::new(&p, "y"), &sens(&["s"])).unwrap_err().to_string();
    assert!(e.ends_with("i.csv: line 4: column `x`: `inf` is not a finite number"), "{e}");
    // `NaN` is one of the CSV loader's missing markers: the missing-value policy decides, and
    // says so (here `fail`).
    let p = write(&dir, "m.csv", "x,s,y\n1,a,0\n2,b,1\nNaN,a,1\n4,b,0\n");
    let opts = LoadOptions { missing: MissingPolicy::Fail, ..sens(&["s"]) };
    let e = load_csv(&CsvSpec::new(&p, "y"), &opts).unwrap_err().to_string();
    assert!(e.ends_with("m.csv: line 4: column `x` is missing and the missing-value policy is `fail`"), "{e}");
    // CsvColumns (audit, quality): NaN or inf in a numeric column is the same error everywhere.
    let c = CsvColumns::parse(b"a,b\n1,x\nnan,y\n3,z\n", "q.csv").unwrap();
    let e = c.typed_columns(&["a"], &[]).unwrap_err().to_string();
    assert_eq!(e, "q.csv: line 3: column `a`: `nan` is not a finite number");
    assert_eq!(c.numbers("a").unwrap_err().to_string(), e);
}

#[test]
fn typed_columns_use_the_majority_rule() {
    let c = CsvColumns::parse(b"a,b,c\n1,x,1\n2,y,2\n3o,z,3+\n4,w,0\n", "q.csv").unwrap();
    let e = c.typed_columns(&["a"], &[]).unwrap_err().to_string();
    assert!(e.starts_with("q.csv: line 4: column `a`: `3o` is not a number (most of the column's values are numbers"), "{e}");
    let cols = c.typed_columns(&["b", "c"], &["c".to_string()]).unwrap();
    assert!(matches!(cols[0].data, ColumnData::Categorical(_)));
    assert!(matches!(cols[1].data, ColumnData::Categorical(_)), "listed as categorical");
    let e = c.typed_columns(&["c"], &[]).unwrap_err().to_string();
    assert!(e.contains("line 4: column `c`: `3+` is not a number"), "{e}");
}

// ---------- item 3: empty cells in audit input ----------

#[test]
fn empty_cells_fail_or_are_dropped_and_counted() {
    let text = b"y,p,sex,x\n1,0,F,1\n0,1,,2\n1,1,M,\n0,0,M,4\n";
    let mut c = CsvColumns::parse(text, "a.csv").unwrap();
    let e = c.handle_empty_cells(&["y", "p", "sex"], MissingPolicy::Fail).unwrap_err();
    assert!(matches!(&e, Error::MissingValue { line: 3, column, .. } if column == "sex"), "{e}");
    assert!(e.to_string().starts_with("a.csv: line 3: column `sex` is missing"), "{e}");
    assert!(matches!(c.handle_empty_cells(&["y"], MissingPolicy::Impute), Err(Error::InvalidParam { .. })));
    // Drop: only the columns named count.
    assert_eq!(c.handle_empty_cells(&["y", "p", "sex"], MissingPolicy::Drop).unwrap(), 1);
    assert_eq!(c.strings("sex").unwrap(), ["F", "M", "M"], "no group named \"\"");
    assert_eq!(c.handle_empty_cells(&["x"], MissingPolicy::Drop).unwrap(), 1);
    assert_eq!(c.n_rows(), 2);
    // Without a policy, an empty label or number still names its line.
    let c = CsvColumns::parse(text, "a.csv").unwrap();
    assert_eq!(c.numbers("x").unwrap_err().to_string(), "a.csv: line 4: column `x` is empty where a number is expected");
    let c = CsvColumns::parse(b"y,s\n1,a\n,b\n", "a.csv").unwrap();
    assert!(c.binary("y").unwrap_err().to_string().starts_with("a.csv: line 3: column `y` is empty"));
}

// ---------- item 10: errors name the file, row, column and the choices ----------

#[test]
fn unknown_categories_name_the_file_line_and_the_known_ones() {
    let german = load_builtin("german", &LoadOptions::default()).unwrap();
    let mut buf = Vec::new();
    german.train.select_rows(&(0..20).collect::<Vec<_>>()).write_csv(&mut buf).unwrap();
    let good = String::from_utf8(buf).unwrap();
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    lines[5] = lines[5].replacen("A1", "Z9", 1);
    let bad = lines.join("\n");
    let e = parse_table_like(bad.as_bytes(), "synth.csv", &german.train).unwrap_err().to_string();
    assert!(e.starts_with("synth.csv: line 6: column `"), "{e}");
    assert!(e.contains("unknown category `Z9") && e.contains("known categories: `A1"), "{e}");

    // Quality's synthetic file: the real file's kinds and categories.
    let real = CsvColumns::parse(b"age,city\n30,a\n40,b\n50,c\n", "real.csv").unwrap();
    let cols = real.typed_columns(&["age", "city"], &[]).unwrap();
    let synth = CsvColumns::parse(b"age,city\n31,a\n41,zz\n", "synth.csv").unwrap();
    let e = synth.columns_like(&cols, "real.csv").unwrap_err().to_string();
    assert_eq!(e, "synth.csv: line 3: column `city`: unknown category `zz` (not in real.csv); known categories: `a`, `b`, `c`");
    let synth = CsvColumns::parse(b"age,city\n31,a\nold,b\n", "synth.csv").unwrap();
    let e = synth.columns_like(&cols, "real.csv").unwrap_err().to_string();
    assert_eq!(e, "synth.csv: line 3: column `age`: `old` is not a number");
}

#[test]
fn a_test_file_category_the_training_rows_lack_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(&dir, "train.csv", "x,city,s,y\n1,a,f,0\n2,b,m,1\n3,a,m,0\n4,b,f,1\n");
    let test = write(&dir, "test.csv", "x,city,s,y\n1,a,f,0\n2,c,m,1\n");
    let mut spec = CsvSpec::new(&train, "y");
    spec.test_path = Some(test.clone());
    let e = load_csv(&spec, &sens(&["s"])).unwrap_err().to_string();
    assert_eq!(e, format!("{}: line 3: column `city`: unknown category `c`; known categories: `a`, `b`", test.display()));
}

#[test]
fn a_category_the_split_puts_only_in_the_test_part_names_its_line() {
    use fairdistill::evaluate::{EvaluationParams, Evaluator};
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x,city,s,y\n");
    for i in 0..20 {
        let city = if i == 2 { "rare" } else { ["a", "b"][i % 2] };
        text += &format!("{i},{city},{},{}\n", ["f", "m"][(i / 2) % 2], i % 2);
    }
    let p = write(&dir, "one.csv", text);
    let mut located = 0;
    for seed in 0..12 {
        // Loading works (the rows are all valid); encoding the test part names the row's line.
        let d = load_csv(&CsvSpec::new(&p, "y"), &LoadOptions { seed, ..sens(&["s"]) }).unwrap();
        let in_test = match &d.test.columns()[1].data {
            ColumnData::Categorical(v) => v.iter().any(|c| c == "rare"),
            ColumnData::Numeric(_) => unreachable!(),
        };
        match Evaluator::new(&d, EvaluationParams::default()) {
            Ok(_) => assert!(!in_test),
            Err(e) => {
                assert!(in_test);
                located += 1;
                let e = e.to_string();
                assert!(
                    e.starts_with(&format!("{}: line 4: column `city`: category `rare` does not occur in the training rows (the train/test split (--test-fraction 0.5, --split-seed {seed}) put every row with it in the test part)", p.display())),
                    "{e}"
                );
            }
        }
    }
    assert!(located > 0, "some seed puts the rare row in the test part");
}

#[test]
fn schema_errors_name_the_file_and_the_choices() {
    let opts = LoadOptions { sensitive: vec!["age".into()], ..LoadOptions::default() };
    let e = load_builtin("german", &opts).unwrap_err().to_string();
    assert!(e.starts_with("german.data: sensitive column `age` is numeric"), "{e}");
    assert!(e.contains("categorical columns: checking_status, credit_history"), "{e}");
    assert!(!e.contains("schema mismatch"), "{e}");
}

// ---------- atomic output ----------

#[test]
fn csv_and_svg_outputs_are_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let german = load_builtin("german", &LoadOptions::default()).unwrap();
    let out = dir.path().join("synth.csv");
    std::fs::write(&out, "previous").unwrap();
    german.test.write_csv_path(&out).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 301);
    // A folder that does not exist: an error naming the path; nothing is left behind.
    let err = german.test.write_csv_path(&dir.path().join("no/such.csv")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("such.csv"), "{err}");
    let svg = fairdistill::report::Svg("<svg/>".into());
    svg.save(&dir.path().join("c.svg")).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
}
