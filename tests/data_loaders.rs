//! Loaders on tiny fixtures written here in the real formats, with every quirk of the real files.

use fairdistill::data::{
    load_builtin, load_csv, parse_adult, parse_compas, parse_german, CsvSpec, LoadOptions, MissingPolicy,
};
use fairdistill::Error;

const ADULT_TRAIN: &str = "\
39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K
50, Self-emp-not-inc, 83311, Bachelors, 13, Married-civ-spouse, Exec-managerial, Husband, White, Male, 0, 0, 13, United-States, >50K
54, ?, 180211, Some-college, 10, Married-civ-spouse, ?, Husband, Asian-Pac-Islander, Male, 0, 0, 60, South, >50K
38, Private, 215646, HS-grad, 9, Divorced, Handlers-cleaners, Not-in-family, White, Female, 0, 0, 40, United-States, <=50K

";

const ADULT_TEST: &str = "\
|1x3 Cross validator
25, Private, 226802, 11th, 7, Never-married, Machine-op-inspct, Own-child, Black, Male, 0, 0, 40, United-States, <=50K.
38, Private, 89814, HS-grad, 9, Married-civ-spouse, Farming-fishing, Husband, White, Female, 0, 0, 50, ?, >50K.

";

#[test]
fn adult_quirks_missing_junk_line_trailing_dots_blank_lines() {
    let d = parse_adult(ADULT_TRAIN.as_bytes(), ADULT_TEST.as_bytes(), &LoadOptions::default()).unwrap();
    assert_eq!(d.train.n_rows(), 3, "the row with `?` is dropped");
    assert_eq!(d.test.n_rows(), 1);
    assert_eq!(d.train.label(), &[0, 1, 0]);
    assert_eq!(d.test.label(), &[0], "`<=50K.` reads as the negative class");
    assert_eq!(d.missing.rows_read, 6);
    assert_eq!(d.missing.rows_dropped, 2);
    assert_eq!(d.missing.missing_by_column["workclass"], 1);
    assert_eq!(d.missing.missing_by_column["native-country"], 1);
    assert_eq!(d.train.sensitive_names(), ["sex"]);
    let ws = d.train.column("workclass").unwrap();
    assert_eq!(
        ws.data,
        fairdistill::data::ColumnData::Categorical(vec!["State-gov".into(), "Self-emp-not-inc".into(), "Private".into()]),
        "fields are trimmed of the space after the comma"
    );
}

#[test]
fn adult_impute_keeps_rows() {
    let opts = LoadOptions {
        missing: MissingPolicy::Impute,
        ..LoadOptions::default()
    };
    let d = parse_adult(ADULT_TRAIN.as_bytes(), ADULT_TEST.as_bytes(), &opts).unwrap();
    assert_eq!(d.train.n_rows(), 4);
    assert_eq!(d.test.n_rows(), 2);
    assert_eq!(d.missing.cells_imputed, 3);
}

#[test]
fn adult_fail_policy_names_line_and_column() {
    let opts = LoadOptions {
        missing: MissingPolicy::Fail,
        ..LoadOptions::default()
    };
    let err = parse_adult(ADULT_TRAIN.as_bytes(), ADULT_TEST.as_bytes(), &opts).unwrap_err();
    assert_eq!(
        err.to_string(),
        "adult.data: line 3: column `workclass` is missing and the missing-value policy is `fail`"
    );
}

#[test]
fn adult_malformed_line_names_its_line() {
    let bad = ADULT_TRAIN.replace("2174, 0, 40,", "2174, 0,");
    let err = parse_adult(bad.as_bytes(), ADULT_TEST.as_bytes(), &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Parse { line: 1, .. }), "{err}");
    assert_eq!(err.to_string(), "adult.data: line 1: expected 15 fields, found 14");
}

#[test]
fn adult_bad_number_and_bad_label_name_their_lines() {
    let bad = ADULT_TRAIN.replace("50, Self-emp", "fifty, Self-emp");
    let err = parse_adult(bad.as_bytes(), ADULT_TEST.as_bytes(), &LoadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "adult.data: line 2: column `age`: `fifty` is not a number");

    let bad = ADULT_TEST.replace("<=50K.", "maybe");
    let err = parse_adult(ADULT_TRAIN.as_bytes(), bad.as_bytes(), &LoadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "adult.test: line 2: label column `income` has value `maybe`, expected one of `>50K` or `<=50K`"
    );
}

#[test]
fn adult_unknown_sensitive_column_is_named() {
    let opts = LoadOptions {
        sensitive: vec!["gender".into()],
        ..LoadOptions::default()
    };
    let err = parse_adult(ADULT_TRAIN.as_bytes(), ADULT_TEST.as_bytes(), &opts).unwrap_err();
    assert!(matches!(&err, Error::ColumnMissing { name, .. } if name == "gender"), "{err}");
}

#[test]
fn adult_empty_input_is_an_error() {
    let err = parse_adult(b"", ADULT_TEST.as_bytes(), &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Empty { .. }), "{err}");
}

#[test]
fn embedded_adult_has_the_documented_row_counts() {
    let d = load_builtin("adult", &LoadOptions::default()).unwrap();
    assert_eq!(d.train.n_rows(), 30_162);
    assert_eq!(d.test.n_rows(), 15_060);
    assert_eq!(d.missing.rows_read, 32_561 + 16_281);
    let s = d.summary().unwrap();
    assert_eq!(s.n_features_encoded, 104);
    let groups: Vec<(&str, usize)> = s.groups.iter().map(|g| (g.group.as_str(), g.n)).collect();
    assert_eq!(groups, [("Female", 9_782), ("Male", 20_380)]);
}

#[test]
fn embedded_adult_race_and_intersectional() {
    let opts = LoadOptions {
        sensitive: vec!["sex".into(), "race".into()],
        ..LoadOptions::default()
    };
    let d = load_builtin("adult", &opts).unwrap();
    let s = d.summary().unwrap();
    assert_eq!(s.groups.len(), 10);
    assert_eq!(s.groups.iter().map(|g| g.n).sum::<usize>(), 30_162);
}

// ---------- German ----------

const GERMAN: &str = "\
A11 6 A34 A43 1169 A65 A75 4 A93 A101 4 A121 67 A143 A152 2 A173 1 A192 A201 1
A12 48 A32 A43 5951 A61 A73 2 A92 A101 2 A121 22 A143 A152 1 A173 1 A191 A201 2
A14 12 A34 A46 2096 A61 A74 2 A93 A101 3 A121 49 A143 A152 1 A172 2 A191 A201 1
A11 42 A32 A42 7882 A61 A74 2 A92 A103 4 A122 45 A143 A153 1 A173 2 A191 A201 1
A11 24 A33 A40 4870 A61 A73 3 A93 A101 4 A124 53 A143 A153 2 A173 2 A191 A201 2
A14 36 A32 A46 9055 A65 A73 2 A92 A101 4 A124 24 A143 A153 1 A172 2 A192 A201 1
";

#[test]
fn german_decodes_sex_and_age_group() {
    let opts = LoadOptions {
        test_fraction: 0.5,
        ..LoadOptions::default()
    };
    let d = parse_german(GERMAN.as_bytes(), &opts).unwrap();
    assert_eq!(d.train.n_rows() + d.test.n_rows(), 6);
    let all = [&d.train, &d.test];
    let mut female = 0;
    for t in all {
        if let fairdistill::data::ColumnData::Categorical(v) = &t.column("sex").unwrap().data {
            female += v.iter().filter(|s| *s == "female").count();
        }
    }
    assert_eq!(female, 3, "A92 rows are female");
    let opts = LoadOptions {
        sensitive: vec!["age_group".into()],
        test_fraction: 0.5,
        ..LoadOptions::default()
    };
    let d = parse_german(GERMAN.as_bytes(), &opts).unwrap();
    let mut groups: Vec<String> = d.train.group_keys().into_iter().chain(d.test.group_keys()).map(|g| g.to_string()).collect();
    groups.sort();
    groups.dedup();
    assert_eq!(groups, ["<25", ">=25"]);
}

#[test]
fn german_label_one_is_good_credit() {
    let d = parse_german(GERMAN.as_bytes(), &LoadOptions { test_fraction: 0.5, ..LoadOptions::default() }).unwrap();
    assert_eq!(d.train.label_spec().positive, "1");
    let pos: usize = d.train.label().iter().chain(d.test.label()).map(|&y| y as usize).sum();
    assert_eq!(pos, 4);
}

#[test]
fn german_malformed_line() {
    let bad = GERMAN.replace("A14 12 A34", "A14 A34");
    let err = parse_german(bad.as_bytes(), &LoadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "german.data: line 3: expected 21 fields, found 20");
}

#[test]
fn embedded_german_loads() {
    let d = load_builtin("german", &LoadOptions::default()).unwrap();
    assert_eq!(d.train.n_rows(), 700);
    assert_eq!(d.test.n_rows(), 300);
}

// ---------- COMPAS ----------

const COMPAS_HEADER: &str = "id,name,first,last,compas_screening_date,sex,dob,age,age_cat,race,juv_fel_count,decile_score,juv_misd_count,juv_other_count,priors_count,days_b_screening_arrest,c_jail_in,c_jail_out,c_case_number,c_offense_date,c_arrest_date,c_days_from_compas,c_charge_degree,c_charge_desc,is_recid,r_case_number,r_charge_degree,r_days_from_arrest,r_offense_date,r_charge_desc,r_jail_in,r_jail_out,violent_recid,is_violent_recid,vr_case_number,vr_charge_degree,vr_offense_date,vr_charge_desc,type_of_assessment,decile_score,score_text,screening_date,v_type_of_assessment,v_decile_score,v_score_text,v_screening_date,in_custody,out_custody,priors_count,start,end,event,two_year_recid";

/// One COMPAS row: every field empty except those given (by the first column of that name).
fn compas_row(fields: &[(&str, &str)]) -> String {
    let header: Vec<&str> = COMPAS_HEADER.split(',').collect();
    let mut row = vec![String::new(); header.len()];
    for (name, value) in fields {
        let i = header.iter().position(|h| h == name).unwrap();
        row[i] = if value.contains(',') { format!("\"{value}\"") } else { value.to_string() };
    }
    row.join(",")
}

fn compas_fixture() -> String {
    let base = |race: &'static str, sex: &'static str, days: &'static str, recid: &'static str, degree: &'static str, score: &'static str, y: &'static str| {
        compas_row(&[
            ("id", "1"),
            ("name", "doe, jane"),
            ("sex", sex),
            ("age", "30"),
            ("age_cat", "25 - 45"),
            ("race", race),
            ("juv_fel_count", "0"),
            ("juv_misd_count", "0"),
            ("juv_other_count", "1"),
            ("priors_count", "2"),
            ("days_b_screening_arrest", days),
            ("c_charge_degree", degree),
            ("c_charge_desc", "Battery, Domestic"),
            ("is_recid", recid),
            ("score_text", score),
            ("two_year_recid", y),
        ])
    };
    let rows = [
        base("African-American", "Male", "-1", "1", "F", "High", "1"),
        base("Caucasian", "Female", "0", "0", "M", "Low", "0"),
        base("African-American", "Female", "30", "1", "F", "Medium", "1"),
        base("Caucasian", "Male", "-30", "0", "M", "Low", "0"),
        base("Hispanic", "Male", "2", "0", "F", "Low", "0"),
        // Each of these fails one of ProPublica's conditions.
        base("Caucasian", "Male", "31", "0", "F", "Low", "0"),
        base("Caucasian", "Male", "", "0", "F", "Low", "0"),
        base("Caucasian", "Male", "1", "-1", "F", "Low", "0"),
        base("Caucasian", "Male", "1", "0", "O", "Low", "0"),
        base("Caucasian", "Male", "1", "0", "F", "N/A", "0"),
    ];
    let mut out = String::from(COMPAS_HEADER);
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r);
        out.push_str("\r\n");
    }
    out
}

#[test]
fn compas_filter_crlf_and_quoted_commas() {
    let text = compas_fixture();
    let opts = LoadOptions {
        sensitive: vec!["sex".into()],
        test_fraction: 0.4,
        ..LoadOptions::default()
    };
    let d = parse_compas(text.as_bytes(), &opts).unwrap();
    assert_eq!(d.train.n_rows() + d.test.n_rows(), 5, "ProPublica's filter keeps 5 of 10 rows");
    // Race default: African-American vs Caucasian only.
    let opts = LoadOptions {
        test_fraction: 0.5,
        ..LoadOptions::default()
    };
    let d = parse_compas(text.as_bytes(), &opts).unwrap();
    assert_eq!(d.train.n_rows() + d.test.n_rows(), 4);
    assert_eq!(d.train.sensitive_names(), ["race"]);
}

#[test]
fn compas_missing_column_is_named() {
    let text = compas_fixture().replace("score_text", "score_txt");
    let err = parse_compas(text.as_bytes(), &LoadOptions::default()).unwrap_err();
    assert!(matches!(&err, Error::ColumnMissing { name, .. } if name == "score_text"), "{err}");
}

#[test]
fn compas_not_fetched_names_the_fetch_command() {
    let dir = tempfile::tempdir().unwrap();
    let opts = LoadOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..LoadOptions::default()
    };
    let err = load_builtin("compas", &opts).unwrap_err();
    assert!(matches!(err, Error::DataMissing { .. }));
    assert!(err.to_string().contains("scripts/fetch-data"), "{err}");
}

// ---------- any CSV ----------

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn sens(cols: &[&str]) -> LoadOptions {
    LoadOptions {
        sensitive: cols.iter().map(|s| s.to_string()).collect(),
        test_fraction: 0.5,
        ..LoadOptions::default()
    }
}

#[test]
fn csv_with_named_columns_and_inferred_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "loans.csv",
        "income,city,group,approved\r\n1.5,\"Paris, FR\",a,yes\r\n2.25,Oslo,b,no\r\n3,Oslo,a,no\r\n4,Rome,b,yes\r\n",
    );
    let mut spec = CsvSpec::new(&p, "approved");
    spec.positive = Some("yes".into());
    let d = load_csv(&spec, &sens(&["group"])).unwrap();
    assert_eq!(d.name, "loans");
    let s = d.train.schema();
    assert_eq!(s.columns[0], ("income".into(), fairdistill::data::ColumnKind::Numeric));
    assert_eq!(s.columns[1], ("city".into(), fairdistill::data::ColumnKind::Categorical));
    assert_eq!(d.train.n_rows() + d.test.n_rows(), 4);
}

#[test]
fn csv_bad_inputs_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ok = "x,s,y\n1,a,0\n2,b,1\n3,a,1\n4,b,0\n";
    let p = write(&dir, "ok.csv", ok);

    // Missing label column.
    let err = load_csv(&CsvSpec::new(&p, "label"), &sens(&["s"])).unwrap_err();
    assert!(matches!(&err, Error::ColumnMissing { name, .. } if name == "label"), "{err}");
    // Missing sensitive column.
    let err = load_csv(&CsvSpec::new(&p, "y"), &sens(&["sex"])).unwrap_err();
    assert!(matches!(&err, Error::ColumnMissing { name, .. } if name == "sex"), "{err}");
    // No sensitive column named.
    let err = load_csv(&CsvSpec::new(&p, "y"), &LoadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("--sensitive"), "{err}");
    // Not binary.
    let p3 = write(&dir, "three.csv", "x,s,y\n1,a,0\n2,b,1\n3,a,2\n");
    let err = load_csv(&CsvSpec::new(&p3, "y"), &sens(&["s"])).unwrap_err();
    assert!(err.to_string().contains("3 distinct values"), "{err}");
    // Malformed row.
    let pm = write(&dir, "bad.csv", "x,s,y\n1,a,0\n2,b\n");
    let err = load_csv(&CsvSpec::new(&pm, "y"), &sens(&["s"])).unwrap_err();
    assert!(err.to_string().ends_with("bad.csv: line 3: expected 3 fields, found 2"), "{err}");
    // Header only.
    let pe = write(&dir, "empty.csv", "x,s,y\n");
    let err = load_csv(&CsvSpec::new(&pe, "y"), &sens(&["s"])).unwrap_err();
    assert!(matches!(err, Error::Empty { .. }), "{err}");
    // Completely empty.
    let pe = write(&dir, "void.csv", "");
    let err = load_csv(&CsvSpec::new(&pe, "y"), &sens(&["s"])).unwrap_err();
    assert!(matches!(err, Error::Empty { .. }), "{err}");
    // File absent.
    let err = load_csv(&CsvSpec::new(dir.path().join("nope.csv"), "y"), &sens(&["s"])).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}

#[test]
fn csv_test_file_must_match_train_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(&dir, "train.csv", "x,s,y\n1,a,0\n2,b,1\n3,a,1\n");
    let test = write(&dir, "test.csv", "x,s,y\n1,a,0\nten,b,1\n");
    let mut spec = CsvSpec::new(&train, "y");
    spec.test_path = Some(test);
    let err = load_csv(&spec, &sens(&["s"])).unwrap_err();
    assert!(err.to_string().ends_with("test.csv: line 3: column `x`: `ten` is not a number"), "{err}");
}

#[test]
fn split_is_seeded_and_stratified() {
    let a = load_builtin("german", &LoadOptions::default()).unwrap();
    let b = load_builtin("german", &LoadOptions::default()).unwrap();
    assert_eq!(a.test, b.test, "same seed, same split");
    let c = load_builtin("german", &LoadOptions { seed: 7, ..LoadOptions::default() }).unwrap();
    assert_ne!(a.test, c.test, "another seed, another split");
    // Every (label, group) cell keeps its share within one row.
    let full_pos = 700.0; // german.data: 700 good of 1000
    let test_pos = a.test.label().iter().filter(|&&y| y == 1).count() as f64;
    assert!((test_pos - full_pos * 0.3).abs() <= 2.0, "{test_pos}");
}
