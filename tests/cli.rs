//! The command line: contracts of the JSON output and one clear line per error.

use std::process::Command;

fn fairdistill(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fairdistill"))
        .args(args)
        .output()
        .expect("run fairdistill");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn describe_adult_json_contract() {
    let (code, stdout, stderr) = fairdistill(&["data", "describe", "adult", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["name"], "adult");
    assert_eq!(v["rows_train"], 30_162);
    assert_eq!(v["rows_test"], 15_060);
    assert_eq!(v["n_features_encoded"], 104);
    let rate = v["label_positive_rate"].as_f64().unwrap();
    assert!((rate - 7508.0 / 30162.0).abs() < 1e-12, "{rate}");
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    for g in groups {
        assert!(g["group"].is_string() && g["n"].is_u64() && g["positive_rate"].is_f64(), "{g}");
    }
}

#[test]
fn reproduce_fair4free_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (code, stdout, stderr) = fairdistill(&[
        "--quiet", "reproduce", "fair4free", "--dataset", "german", "--quick", "--epochs", "2", "--no-sweep", "--out", out,
    ]);
    assert_eq!(code, 0, "{stderr}");
    for method in ["real", "vae-unfair", "fair-teacher", "fair4free", "constant majority class"] {
        assert!(stdout.contains(method), "{method} missing: {stdout}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("fair4free-german-sex.json")).unwrap()).unwrap();
    assert!(json["command"].as_str().unwrap().contains("reproduce fair4free"));
    let rows = json["rows"].as_array().unwrap();
    let methods: Vec<&str> = rows.iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(&methods[..4], ["real", "vae-unfair", "fair-teacher", "fair4free"]);
    for key in ["accuracy", "f1", "recall", "demographic_parity_ratio", "equalized_odds_ratio", "density", "coverage"] {
        assert!(rows[3][key]["mean"].is_number() && rows[3][key]["std"].is_number(), "{key}: {}", rows[3][key]);
    }
    assert!(json.get("paper").is_some());
    let md = std::fs::read_to_string(dir.path().join("fair4free-german-sex.md")).unwrap();
    assert!(md.starts_with("<!-- produced by: "), "{md}");
}

#[test]
fn list_names_the_builtin_datasets() {
    let (code, stdout, _) = fairdistill(&["data", "list"]);
    assert_eq!(code, 0);
    for name in ["adult", "german", "compas"] {
        assert!(stdout.contains(name), "{stdout}");
    }
}

#[test]
fn errors_are_one_line_and_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "x,s,y\n1,a,0\n2,b\n").unwrap();
    let bad = bad.to_str().unwrap();
    let empty_dir = dir.path().to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["data", "describe", "nosuch"], "unknown dataset"),
        (vec!["data", "describe", "compas", "--data-dir", empty_dir], "scripts/fetch-data"),
        (vec!["data", "describe", bad, "--label", "y", "--sensitive", "s"], "line 3: expected 3 fields, found 2"),
        (vec!["data", "describe", bad], "--label"),
        (vec!["data", "describe", "adult", "--sensitive", "gender"], "column `gender` not found"),
        (vec!["data", "describe", "german", "--test-fraction", "1.5"], "test_fraction"),
    ];
    for (args, expected) in cases {
        let (code, stdout, stderr) = fairdistill(&args);
        assert_ne!(code, 0, "{args:?} should fail");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(expected), "{args:?}: {stderr}");
    }
}

fn preds_csv(dir: &tempfile::TempDir) -> String {
    let mut text = String::from("y,p,prob,sex,race,x1,x2\n");
    for i in 0..60 {
        let y = (i % 3 == 0) as u8;
        let p = (i % 4 == 0) as u8;
        let sex = if i % 2 == 0 { "F" } else { "M" };
        let race = if i % 5 < 2 { "A" } else { "B" };
        text.push_str(&format!("{y},{p},{:.3},{sex},{race},{},{}\n", (i % 10) as f64 / 10.0, i % 7, (i * 3) % 11));
    }
    let path = dir.path().join("preds.csv");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn audit_json_contract() {
    let dir = tempfile::tempdir().unwrap();
    let input = preds_csv(&dir);
    let svg = dir.path().join("g.svg");
    let (code, stdout, stderr) = fairdistill(&[
        "audit", "--input", &input, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex,race", "--score", "prob",
        "--features", "x1,x2", "--n-boot", "50", "--format", "json", "--plot", svg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["n"], 60);
    assert_eq!(v["groups"].as_array().unwrap().len(), 4, "sex x race");
    for key in [
        "demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference", "equalized_odds_ratio",
        "equalized_odds_difference_mean", "equalized_odds_ratio_mean", "equal_opportunity_difference", "eo_aimfair",
        "worst_group_accuracy", "worst_group", "group_accuracy_std", "consistency", "lipschitz_individual_unfairness",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let c = v["consistency"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&c));
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("TPR"));
}

#[test]
fn audit_from_emitted_counts_equals_the_audit_of_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = preds_csv(&dir);
    let counts = dir.path().join("counts.csv");
    let base = ["audit", "--input", &input, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex,race", "--n-boot", "0", "--format", "json"];
    let mut with_emit: Vec<&str> = base.to_vec();
    with_emit.extend(["--emit-counts", counts.to_str().unwrap()]);
    let (code, direct, stderr) = fairdistill(&with_emit);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&counts).unwrap();
    assert!(text.starts_with("sex,race,y_true,y_pred,count\n"), "{text}");
    let (code, from_counts, stderr) = fairdistill(&["audit", "--counts", counts.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let (mut a, mut b): (serde_json::Value, serde_json::Value) = (serde_json::from_str(&direct).unwrap(), serde_json::from_str(&from_counts).unwrap());
    for v in [&mut a, &mut b] {
        v.as_object_mut().unwrap().remove("input");
    }
    assert_eq!(a, b, "every count-based metric, exactly");
    // What needs rows is refused with a clear message; a flag that needs rows cannot be combined.
    let (code, _, stderr) = fairdistill(&["audit", "--counts", counts.to_str().unwrap(), "--n-boot", "100"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("bootstrap") && stderr.contains("rows"), "{stderr}");
    let (code, _, stderr) = fairdistill(&["audit", "--counts", counts.to_str().unwrap(), "--features", "x1"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--features") || stderr.contains("cannot be used"), "{stderr}");
}

#[test]
fn audit_formats_and_out_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = preds_csv(&dir);
    for (fmt, marker) in [("text", "By group"), ("md", "| group | n |"), ("html", "<table")] {
        let out = dir.path().join(format!("r.{fmt}"));
        let (code, stdout, stderr) = fairdistill(&[
            "audit", "--input", &input, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex", "--n-boot", "0", "--format", fmt,
            "--out", out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.is_empty());
        assert!(std::fs::read_to_string(out).unwrap().contains(marker), "{fmt}");
    }
}

#[test]
fn audit_bad_inputs_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = preds_csv(&dir);
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "y,p,sex\n1,0,F\n0,2,M\n").unwrap();
    let bad = bad.to_str().unwrap();
    let nan = dir.path().join("nan.csv");
    std::fs::write(&nan, "y,p,sex,x\n1,0,F,1\n0,1,M,NaN\n").unwrap();
    let nan = nan.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["audit", "--input", bad, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex"], "line 3: column `p`: `2` is not a binary label"),
        (vec!["audit", "--input", &input, "--y-true", "y", "--y-pred", "p", "--sensitive", "gender"], "column `gender` not found"),
        (vec!["audit", "--input", &input, "--y-true", "label", "--y-pred", "p", "--sensitive", "sex"], "column `label` not found"),
        (vec!["audit", "--input", nan, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex", "--features", "x"], "line 3: column `x`: `NaN` is not a finite number"),
    ];
    for (args, expected) in cases {
        let (code, _, stderr) = fairdistill(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(expected), "{args:?}: {stderr}");
    }
    // A single group.
    let one = dir.path().join("one.csv");
    std::fs::write(&one, "y,p,sex\n1,0,F\n0,1,F\n").unwrap();
    let (code, _, stderr) = fairdistill(&["audit", "--input", one.to_str().unwrap(), "--y-true", "y", "--y-pred", "p", "--sensitive", "sex"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("single group"), "{stderr}");
}

#[test]
fn quality_json_contract_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut real = String::from("age,city,score\n");
    let mut synth = String::from("age,city,score\n");
    for i in 0..80 {
        real.push_str(&format!("{},{},{:.2}\n", 20 + i % 37, ["a", "b", "c"][i % 3], (i % 11) as f64 / 10.0));
        synth.push_str(&format!("{},{},{:.2}\n", 22 + i % 31, ["a", "b", "c"][(i + 1) % 3], (i % 7) as f64 / 10.0));
    }
    let r = dir.path().join("real.csv");
    let s = dir.path().join("synth.csv");
    std::fs::write(&r, &real).unwrap();
    std::fs::write(&s, &synth).unwrap();
    let (r, s) = (r.to_str().unwrap(), s.to_str().unwrap());
    let (code, stdout, stderr) = fairdistill(&["quality", "--real", r, "--synthetic", s, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in ["precision", "recall", "density", "coverage"] {
        let x = v[key].as_f64().unwrap();
        assert!(x >= 0.0, "{key} = {x}");
    }
    assert_eq!((v["k"].as_u64(), v["n_real"].as_u64(), v["n_synthetic"].as_u64()), (Some(5), Some(80), Some(80)));
    // The same file against itself: every measure is 1.
    let (_, stdout, _) = fairdistill(&["quality", "--real", r, "--synthetic", r, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["coverage"].as_f64(), Some(1.0));

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "age,city\n1,a\n").unwrap();
    let unseen = dir.path().join("unseen.csv");
    std::fs::write(&unseen, synth.replacen(",a,", ",zz,", 1)).unwrap();
    for (args, expected) in [
        (vec!["quality", "--real", r, "--synthetic", bad.to_str().unwrap()], "column `score` not found"),
        (vec!["quality", "--real", r, "--synthetic", s, "--k", "0"], "k"),
        (vec!["quality", "--real", r, "--synthetic", unseen.to_str().unwrap()], "category `zz`"),
    ] {
        let (code, _, stderr) = fairdistill(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(!stderr.contains("panicked") && stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
}

#[test]
fn train_generate_evaluate_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let csv = dir.path().join("synth.csv");
    let (m, c) = (model.to_str().unwrap(), csv.to_str().unwrap());
    let (code, _, stderr) = fairdistill(&["--quiet", "train", "fair4free", "--dataset", "german", "--model", m, "--epochs", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(model.join("model.safetensors").exists() && model.join("model.json").exists());
    let (code, _, stderr) = fairdistill(&["--quiet", "generate", "--model", m, "--n", "120", "--seed", "3", "--out", c]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 121);
    assert!(text.starts_with("checking_status,duration,"));
    let (code, stdout, stderr) = fairdistill(&["--quiet", "evaluate", "--dataset", "german", "--train-on", c, "--trees", "10", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["rows"][1]["source"], "synth");
    for key in ["accuracy", "precision", "recall", "f1", "roc_auc", "demographic_parity_ratio", "equalized_odds_ratio", "demographic_parity_difference", "equalized_odds_difference"] {
        assert!(v["rows"][1].get(key).is_some(), "{key}");
    }
    let (code, _, stderr) = fairdistill(&["generate", "--model", dir.path().join("none").to_str().unwrap(), "--n", "5", "--out", c]);
    assert_ne!(code, 0);
    assert!(stderr.starts_with("error: ") && !stderr.contains("panicked"), "{stderr}");
}

#[test]
fn reproduce_distillation_writes_its_report_and_rejects_bad_temperatures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (code, stdout, stderr) = fairdistill(&[
        "--quiet", "reproduce", "distillation", "--quick", "--temperatures", "1,4", "--epochs", "1", "--teacher-epochs", "1",
        "--teacher-depth", "8", "--train-images", "100", "--test-images", "100", "--image-size", "16", "--out", out,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("teacher") && stdout.contains("NDS") && stdout.contains("paper"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("distillation-trifeature.json")).unwrap()).unwrap();
    assert!(json["command"].as_str().unwrap().contains("reproduce distillation"));
    let methods: Vec<&str> = json["rows"].as_array().unwrap().iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["teacher", "nds", "ds-t1", "ds-t4"]);
    assert_eq!(json["paper"].as_array().unwrap().len(), 12);
    let md = std::fs::read_to_string(dir.path().join("distillation-trifeature.md")).unwrap();
    assert!(md.starts_with("<!-- produced by: ") && md.contains("Command: `"), "{md}");
    let html = std::fs::read_to_string(dir.path().join("distillation-trifeature.html")).unwrap();
    assert!(html.contains("<svg"), "the chart is in the HTML");

    let (code, _, stderr) = fairdistill(&["--quiet", "reproduce", "distillation", "--quick", "--temperatures", "0", "--no-write"]);
    assert_ne!(code, 0);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("temperatures"), "{stderr}");
}

#[test]
fn reproduce_aim_fair_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (code, stdout, stderr) = fairdistill(&[
        "--quiet", "reproduce", "aim-fair", "--dataset", "adult", "--quick", "--real-rows", "400", "--synthetic-rows", "400", "--out", out,
    ]);
    assert_eq!(code, 0, "{stderr}");
    for method in ["erm-real", "synthetic-only", "real+synthetic", "full-finetune", "random-mask", "aim-fair"] {
        assert!(stdout.contains(method), "{method} missing: {stdout}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("aim-fair-adult-sex.json")).unwrap()).unwrap();
    assert!(json["command"].as_str().unwrap().contains("reproduce aim-fair"));
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8, "six methods and two reference rows");
    assert_eq!(rows[5]["method"], "aim-fair");
    for key in ["accuracy", "eo", "wst", "std"] {
        assert!(rows[5][key]["mean"].is_number() && rows[5][key]["std"].is_number(), "{key}: {}", rows[5][key]);
    }
    let tensors = json["selected_tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 8);
    assert!(tensors.iter().all(|t| t["delta_domain"].is_number() && t["delta_bias"].is_number() && t["selected"].is_boolean()));
    assert_eq!(json["paper"]["main_tables_available"], false);
    let md = std::fs::read_to_string(dir.path().join("aim-fair-adult-sex.md")).unwrap();
    assert!(md.starts_with("<!-- produced by: "), "{md}");
    // The HTML report is a standalone document: doctype, head, contents, the run's metadata.
    let html = std::fs::read_to_string(dir.path().join("aim-fair-adult-sex.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<style>") && html.contains("<nav class=\"toc\""), "{html}");
    for label in ["Command", "Version", "Date", "Config hash"] {
        assert!(html.contains(&format!("<dt>{label}</dt>")), "{label}");
    }
    assert!(html.contains("<svg"), "the chart is inline");
    // `reproduce render` rewrites the files from the JSON alone: the same JSON to the byte (floats
    // round-trip exactly), the same Markdown, the HTML again a document.
    let again = dir.path().join("again");
    let json = dir.path().join("aim-fair-adult-sex.json");
    let (code, _, stderr) = fairdistill(&["--quiet", "reproduce", "render", json.to_str().unwrap(), "--out", again.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    for ext in ["json", "md"] {
        let name = format!("aim-fair-adult-sex.{ext}");
        assert_eq!(std::fs::read(again.join(&name)).unwrap(), std::fs::read(dir.path().join(&name)).unwrap(), "{name}");
    }
    assert!(std::fs::read_to_string(again.join("aim-fair-adult-sex.html")).unwrap().starts_with("<!DOCTYPE html>"));
    let (code, _, stderr) = fairdistill(&["reproduce", "render", dir.path().join("again").join("aim-fair-adult-sex.md").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("not a report of `reproduce`"), "{stderr}");
}

#[test]
fn reproduce_aim_fair_rejects_a_bad_k_in_one_line() {
    let (code, stdout, stderr) = fairdistill(&["--quiet", "reproduce", "aim-fair", "--dataset", "adult", "--quick", "--top-k", "9", "--no-write"]);
    assert_ne!(code, 0);
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("top_k") && stderr.contains("9"), "{stderr}");
    // Images (the default dataset): ResNet-20 has 59 tensors; checked before any data is read.
    let empty = tempfile::tempdir().unwrap();
    let data = empty.path().to_str().unwrap();
    let (code, _, stderr) = fairdistill(&["--quiet", "reproduce", "aim-fair", "--data-dir", data, "--quick", "--top-k", "60", "--no-write"]);
    assert_ne!(code, 0);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("top_k") && stderr.contains("59"), "{stderr}");
    // CelebA and UTKFace read the released layouts: a missing folder is a one-line error.
    for dataset in ["celeba", "utkface"] {
        let (code, _, stderr) = fairdistill(&["--quiet", "reproduce", "aim-fair", "--dataset", dataset, "--data-dir", data, "--quick", "--no-write"]);
        assert_ne!(code, 0);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(data), "{stderr}");
    }
    // colored-mnist needs the fetched digits: a one-line error naming scripts/fetch-data.
    let (code, _, stderr) = fairdistill(&["--quiet", "reproduce", "aim-fair", "--data-dir", data, "--quick", "--no-write"]);
    assert_ne!(code, 0);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("fetch-data"), "{stderr}");
}

#[test]
fn image_datasets_describe_train_and_generate() {
    let empty = tempfile::tempdir().unwrap();
    let data = empty.path().to_str().unwrap();
    let (code, stdout, stderr) = fairdistill(&["data", "describe", "colored-fashion-mnist", "--data-dir", data, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((v["train"]["n"].as_u64(), v["test"]["n"].as_u64()), (Some(1600), Some(400)));
    assert_eq!(v["group_names"], serde_json::json!(["red", "green", "blue"]));
    assert_eq!(v["train"]["counts"].as_array().unwrap().len(), 3);
    // colored-mnist needs the fetch: one line naming the script, no panic.
    let (code, _, stderr) = fairdistill(&["data", "describe", "colored-mnist", "--data-dir", data]);
    assert_eq!(code, 1);
    assert!(stderr.contains("scripts/fetch-data") && !stderr.contains("panicked"), "{stderr}");
    // Train a tiny image model and generate from it.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let (code, _, stderr) = fairdistill(&[
        "--quiet", "train", "fair4free", "--dataset", "colored-fashion-mnist", "--data-dir", data, "--epochs", "1", "--model", model.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let out = dir.path().join("synth");
    let (code, _, stderr) = fairdistill(&["--quiet", "generate", "--model", model.to_str().unwrap(), "--n", "30", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let images = fairdistill::data::images::read_idx(&out.join("images-idx4-ubyte.gz")).unwrap();
    assert_eq!(images.dims, vec![30, 28, 28, 3]);
    assert_eq!(fairdistill::data::images::read_idx(&out.join("groups-idx1-ubyte.gz")).unwrap().dims, vec![30]);
    assert!(std::fs::read(out.join("grid.png")).unwrap().starts_with(b"\x89PNG"));
    // An output inside the model folder is refused before anything is written.
    let (code, _, stderr) = fairdistill(&["generate", "--model", model.to_str().unwrap(), "--n", "5", "--out", model.join("x").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("model folder"), "{stderr}");
    assert!(!model.join("x").exists());
}

// ---------- reliability (docs/RELIABILITY.md) ----------

fn audit_args<'a>(input: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["audit", "--input", input, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex", "--n-boot", "0"];
    a.extend_from_slice(extra);
    a
}

fn assert_one_line_error(code: i32, stdout: &str, stderr: &str, expected: &str) {
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(expected), "expected `{expected}` in: {stderr}");
}

#[test]
fn an_unclosed_quote_stops_the_audit_instead_of_shortening_the_table() {
    // The reported bug: 8 rows, a quote opened on line 4; the audit ran on 3 rows with exit 0.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("y,p,sex\n");
    for i in 0..8 {
        let sex = if i == 2 { "\"F" } else { ["F", "M"][i % 2] };
        text.push_str(&format!("{},{},{sex}\n", i % 2, (i / 2) % 2));
    }
    let p = dir.path().join("preds.csv");
    std::fs::write(&p, &text).unwrap();
    let (code, stdout, stderr) = fairdistill(&audit_args(p.to_str().unwrap(), &[]));
    assert_one_line_error(code, &stdout, &stderr, "preds.csv: line 4: field 3 (column `sex`): unclosed quote");
    // Other malformed CSV, through `data describe`.
    for (name, text, expected) in [
        ("stray.csv", "x,s,y\n1,a\"b,0\n2,b,1\n", "stray.csv: line 2: field 2 (column `s`): stray quote"),
        ("dup.csv", "x,s,x,y\n1,a,2,0\n", "dup.csv: line 1: column name `x` appears twice"),
        ("ragged.csv", "x,s,y\r\n1,a,0\r2,b\n", "ragged.csv: line 3: expected 3 fields, found 2"),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let (code, stdout, stderr) = fairdistill(&["data", "describe", p.to_str().unwrap(), "--label", "y", "--sensitive", "s"]);
        assert_one_line_error(code, &stdout, &stderr, expected);
    }
}

#[test]
fn audit_empty_cells_fail_by_default_or_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("y,p,sex\n");
    for i in 0..20 {
        let sex = if i == 5 { "" } else { ["F", "M"][i % 2] };
        text.push_str(&format!("{},{},{sex}\n", i % 2, (i / 3) % 2));
    }
    let p = dir.path().join("gaps.csv");
    std::fs::write(&p, &text).unwrap();
    let input = p.to_str().unwrap();
    let (code, stdout, stderr) = fairdistill(&audit_args(input, &[]));
    assert_one_line_error(code, &stdout, &stderr, "gaps.csv: line 7: column `sex` is missing and the missing-value policy is `fail`");
    let (code, stdout, stderr) = fairdistill(&audit_args(input, &["--missing", "drop", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["n"], 19);
    assert_eq!((v["input"]["rows_read"].as_u64(), v["input"]["rows_dropped"].as_u64()), (Some(20), Some(1)));
    assert_eq!(v["input"]["missing"], "drop");
    let groups: Vec<&str> = v["groups"].as_array().unwrap().iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(groups, ["F", "M"], "no group named \"\"");
    let (code, stdout, _) = fairdistill(&audit_args(input, &["--missing", "drop"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("rows dropped (empty cell)") && stdout.contains("gaps.csv"), "{stdout}");
}

#[test]
fn a_stray_non_number_is_an_error_unless_the_column_is_categorical() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("income,s,y\n");
    for i in 0..30 {
        let income = if i == 11 { "12k".to_string() } else { format!("{}.5", 10 + i) };
        text.push_str(&format!("{income},{},{}\n", ["a", "b"][i % 2], (i / 2) % 2));
    }
    let p = dir.path().join("typo.csv");
    std::fs::write(&p, &text).unwrap();
    let path = p.to_str().unwrap();
    let (code, stdout, stderr) = fairdistill(&["data", "describe", path, "--label", "y", "--sensitive", "s"]);
    assert_one_line_error(code, &stdout, &stderr, "typo.csv: line 13: column `income`: `12k` is not a number");
    assert!(stderr.contains("--categorical"), "{stderr}");
    let (code, _, stderr) = fairdistill(&["data", "describe", path, "--label", "y", "--sensitive", "s", "--categorical", "income"]);
    assert_eq!(code, 0, "{stderr}");
    // quality: NaN in a numeric column of the real file; an unknown category in the synthetic one.
    let real = dir.path().join("real.csv");
    let synth = dir.path().join("synth.csv");
    let mut r = String::from("age,city\n");
    for i in 0..20 {
        r.push_str(&format!("{},{}\n", if i == 4 { "NaN".to_string() } else { (20 + i).to_string() }, ["a", "b"][i % 2]));
    }
    std::fs::write(&real, &r).unwrap();
    std::fs::write(&synth, "age,city\n30,a\n31,b\n").unwrap();
    let (code, stdout, stderr) = fairdistill(&["quality", "--real", real.to_str().unwrap(), "--synthetic", synth.to_str().unwrap()]);
    assert_one_line_error(code, &stdout, &stderr, "real.csv: line 6: column `age`: `NaN` is not a finite number");
    std::fs::write(&real, r.replace("NaN", "24")).unwrap();
    std::fs::write(&synth, "age,city\n30,a\n31,c\n").unwrap();
    let (code, stdout, stderr) = fairdistill(&["quality", "--real", real.to_str().unwrap(), "--synthetic", synth.to_str().unwrap()]);
    assert_one_line_error(code, &stdout, &stderr, "synth.csv: line 3: column `city`: unknown category `c`");
    assert!(stderr.contains("known categories: `a`, `b`"), "{stderr}");
}

#[test]
fn a_closed_pipe_exits_quietly() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_fairdistill"))
        .args(["data", "describe", "adult", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the command writes (loading Adult takes far longer).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 141)), "{:?}: {stderr}", out.status);
    assert!(stderr.is_empty(), "no message, no panic: {stderr}");
}

#[test]
fn a_closed_or_full_stderr_loses_nothing() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    // The log line after training goes to a closed pipe, then to a full device: the model is
    // saved either way, exit 0, no panic.
    for (i, full) in [false, true].into_iter().enumerate() {
        let model = dir.path().join(format!("m{i}"));
        let args = ["train", "fair4free", "--dataset", "german", "--epochs", "1", "--model", model.to_str().unwrap()];
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fairdistill"));
        cmd.args(args).stdout(Stdio::null());
        let status = if full {
            let Ok(dev) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { continue };
            cmd.stderr(dev).status().unwrap()
        } else {
            let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
            drop(child.stderr.take());
            child.wait().unwrap()
        };
        assert_eq!(status.code(), Some(0), "{status:?}");
        assert!(model.join("model.safetensors").exists());
    }
}

#[test]
fn rows_dropped_for_missing_values_are_counted_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x,z,s,y\n");
    for i in 0..80 {
        let x = if i % 10 == 3 { String::new() } else { format!("{}", i % 13) };
        text += &format!("{x},{},{},{}\n", (i * 7) % 11, ["f", "m"][i % 2], (i / 2) % 2);
    }
    let data = dir.path().join("d.csv");
    std::fs::write(&data, text).unwrap();
    let d = data.to_str().unwrap();
    let base = ["evaluate", "--dataset", d, "--label", "y", "--sensitive", "s", "--trees", "5"];
    let (code, stdout, stderr) = fairdistill(&[&base[..], &["--format", "json"]].concat());
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((v["missing"]["rows_read"].as_u64(), v["missing"]["rows_dropped"].as_u64()), (Some(80), Some(8)));
    for format in ["text", "md", "html"] {
        let (code, stdout, stderr) = fairdistill(&[&base[..], &["--format", format]].concat());
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("missing values: 8 of 80 rows dropped"), "{format}: {stdout}");
    }
    let model = dir.path().join("m");
    let (code, _, stderr) = fairdistill(&["train", "fair4free", "--dataset", d, "--label", "y", "--sensitive", "s", "--epochs", "1", "--model", model.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("missing values: 8 of 80 rows dropped"), "{stderr}");
}

#[test]
fn absurd_sizes_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let input = preds_csv(&dir);
    let started = std::time::Instant::now();
    let (code, _, stderr) = fairdistill(&["audit", "--input", &input, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex", "--n-boot", "100000000000"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--n-boot 100000000000") && stderr.contains("GiB") && stderr.contains("--force"), "{stderr}");
    let (code, _, stderr) = fairdistill(&["evaluate", "--dataset", "german", "--trees", "100000000000"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--trees 100000000000") && stderr.contains("GiB") && stderr.contains("--force"), "{stderr}");
    assert!(started.elapsed().as_secs() < 30, "refused at once");
}

#[test]
fn a_full_stdout_is_a_one_line_error() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not Linux
    };
    for args in [&["data", "describe", "german"][..], &["data", "list"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_fairdistill")).args(args).stdout(full.try_clone().unwrap()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end(), "error: standard output: No space left on device (os error 28)", "{args:?}");
    }
}

#[test]
fn out_files_are_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let input = preds_csv(&dir);
    let out = dir.path().join("report.json");
    std::fs::write(&out, "an older, longer report that must not leave a tail behind ".repeat(100)).unwrap();
    let (code, _, stderr) = fairdistill(&audit_args(&input, &["--format", "json", "--out", out.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["n"], 60);
    let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
}

#[test]
fn output_paths_are_checked_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let input = preds_csv(&dir);
    // The report may not replace its own input.
    let (code, _, stderr) = fairdistill(&["audit", "--input", &input, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex", "--out", &input]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is also an input"), "{stderr}");
    assert!(std::fs::read_to_string(&input).unwrap().starts_with("y,"), "the input is untouched");
    // A folder where a file is wanted.
    let (code, _, stderr) = fairdistill(&["audit", "--input", &input, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is a folder"), "{stderr}");
    // An output folder that is a file: refused before any training (the command returns at once).
    let started = std::time::Instant::now();
    let (code, _, stderr) = fairdistill(&["reproduce", "fair4free", "--dataset", "german", "--quick", "--out", &input]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is a file"), "{stderr}");
    let (code, _, stderr) = fairdistill(&["reproduce", "distillation", "--quick", "--out", &input]);
    assert_eq!(code, 1, "{stderr}");
    assert!(started.elapsed().as_secs() < 20, "checked before training");
    // A model folder under a file.
    let (code, _, stderr) = fairdistill(&["train", "fair4free", "--dataset", "german", "--model", &format!("{input}/m")]);
    assert_eq!(code, 1);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Starts `generate` of many rows into `out` (which holds a previous result), waits until its
/// temporary file beside `out` has grown, and returns the child and the temporary file's path.
fn generate_until_writing(model: &std::path::Path, out: &std::path::Path) -> (std::process::Child, std::path::PathBuf) {
    let child = Command::new(env!("CARGO_BIN_EXE_fairdistill"))
        .args(["--quiet", "generate", "--model", model.to_str().unwrap(), "--n", "20000000", "--force", "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let tmp = out.with_file_name(format!(".{}.tmp-{}", out.file_name().unwrap().to_string_lossy(), child.id()));
    let started = std::time::Instant::now();
    while std::fs::metadata(&tmp).map_or(true, |m| m.len() < 200_000) {
        assert!(started.elapsed().as_secs() < 120, "generate never started writing {}", tmp.display());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (child, tmp)
}

#[test]
fn killing_generate_mid_write_leaves_the_previous_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let (code, _, stderr) = fairdistill(&["--quiet", "train", "fair4free", "--dataset", "german", "--model", model.to_str().unwrap(), "--epochs", "1"]);
    assert_eq!(code, 0, "{stderr}");
    let out = dir.path().join("synth.csv");
    let previous = "the previous result, which an interrupted run must not touch\n";
    // SIGTERM (as Ctrl-C, a job scheduler's stop): the handler removes the temporary file.
    std::fs::write(&out, previous).unwrap();
    let (child, tmp) = generate_until_writing(&model, &out);
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out_status = child.wait_with_output().unwrap().status;
    assert_eq!(out_status.code(), Some(130), "{out_status:?}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), previous, "the previous file is byte-identical");
    assert!(!tmp.exists(), "the temporary file is removed");
    // SIGKILL (out-of-memory killer, power loss): nothing can run, but the file under the final
    // name is still the previous one; only the temporary file remains.
    let (mut child, tmp) = generate_until_writing(&model, &out);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), previous, "the previous file is byte-identical");
    let _ = std::fs::remove_file(tmp);
}

#[test]
fn generate_refuses_an_absurd_n_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let (code, _, stderr) = fairdistill(&["--quiet", "train", "fair4free", "--dataset", "german", "--model", model.to_str().unwrap(), "--epochs", "1"]);
    assert_eq!(code, 0, "{stderr}");
    let out = dir.path().join("synth.csv");
    let (code, _, stderr) = fairdistill(&["generate", "--model", model.to_str().unwrap(), "--n", "100000000000", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("GiB") && stderr.contains("--force"), "{stderr}");
    assert!(!out.exists());
    // Inside the model folder: refused.
    let (code, _, stderr) = fairdistill(&["generate", "--model", model.to_str().unwrap(), "--n", "10", "--out", model.join("x.csv").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("inside the model folder"), "{stderr}");
}

#[test]
fn quality_scale_none_gives_prdc_numbers_and_states_its_feature_space() {
    // prdc 0.2's golden case (fixtures/golden/prdc_cases.json), written as two CSV files.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/golden/prdc_cases.json")).unwrap();
    let golden: serde_json::Value = serde_json::from_str(&text).unwrap();
    let case = &golden["cases"][0];
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, rows: &serde_json::Value| {
        let rows = rows.as_array().unwrap();
        let d = rows[0].as_array().unwrap().len();
        let mut s = (0..d).map(|j| format!("x{j}")).collect::<Vec<_>>().join(",") + "\n";
        for r in rows {
            s += &r.as_array().unwrap().iter().map(|v| format!("{:?}", v.as_f64().unwrap())).collect::<Vec<_>>().join(",");
            s += "\n";
        }
        let p = dir.path().join(name);
        std::fs::write(&p, s).unwrap();
        p.to_str().unwrap().to_string()
    };
    let (real, fake) = (write("real.csv", &case["real"]), write("fake.csv", &case["fake"]));
    let k = case["nearest_k"].to_string();
    let (code, stdout, stderr) = fairdistill(&["quality", "--real", &real, "--synthetic", &fake, "--k", &k, "--scale", "none", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in ["precision", "recall", "density", "coverage"] {
        let (ours, theirs) = (v[key].as_f64().unwrap(), case[key].as_f64().unwrap());
        assert!((ours - theirs).abs() < 1e-9, "{key}: {ours} vs prdc {theirs}");
    }
    assert_eq!(v["scale"], "none");
    assert_eq!(v["features"][0]["encoding"], "as given");
    // The default states its standardisation.
    let (code, stdout, _) = fairdistill(&["quality", "--real", &real, "--synthetic", &fake, "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["features"][0]["encoding"].as_str().unwrap().starts_with("standardised"), "{v}");
    // Duplicated real rows: a warning in the text output.
    let dup = dir.path().join("dup.csv");
    std::fs::write(&dup, "a,b\n".to_string() + &"1,2\n".repeat(40) + &"3,4\n".repeat(10)).unwrap();
    let two = dir.path().join("two.csv");
    std::fs::write(&two, "a,b\n".to_string() + &"1.5,2.5\n3,4.5\n".repeat(10)).unwrap();
    let (code, stdout, stderr) = fairdistill(&["quality", "--real", dup.to_str().unwrap(), "--synthetic", two.to_str().unwrap(), "--scale", "none"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("k-NN radius of 0"), "{stdout}");
}

#[cfg(feature = "columnar")]
/// The rows of `preds_csv` as a Parquet file (labels as Int64, sexes as text, races as a
/// dictionary, scores and features as floats) and one bad file (a label of 2 at row 3).
fn preds_parquet(dir: &tempfile::TempDir, csv: &str) -> (String, String) {
    use arrow_array::{ArrayRef, DictionaryArray, Float64Array, Int64Array, StringArray};
    use arrow_array::types::Int32Type;
    use std::sync::Arc;
    let text = std::fs::read_to_string(csv).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let ints = |c: usize| Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r[c].parse::<i64>().unwrap()))) as ArrayRef;
    let floats = |c: usize| Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r[c].parse::<f64>().unwrap()))) as ArrayRef;
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(header, ["y", "p", "prob", "sex", "race", "x1", "x2"]);
    let race: DictionaryArray<Int32Type> = rows.iter().map(|r| r[4]).collect();
    let columns = vec![
        ("y", ints(0)),
        ("p", ints(1)),
        ("prob", floats(2)),
        ("sex", Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r[3]))) as ArrayRef),
        ("race", Arc::new(race) as ArrayRef),
        ("x1", floats(5)),
        ("x2", floats(6)),
    ];
    let write = |name: &str, columns: Vec<(&str, ArrayRef)>| {
        let batch = fairdistill::data::columnar::record_batch(columns).unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, fairdistill::data::columnar::parquet_bytes(&batch).unwrap()).unwrap();
        path.to_str().unwrap().to_string()
    };
    let good = write("preds.parquet", columns.clone());
    let mut bad = columns;
    bad[1].1 = Arc::new(Int64Array::from_iter_values((0..rows.len() as i64).map(|i| if i == 2 { 2 } else { i % 2 })));
    (good, write("bad.parquet", bad))
}

#[cfg(feature = "columnar")]
#[test]
fn audit_of_parquet_rows_equals_the_audit_of_csv_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = preds_csv(&dir);
    let (parquet, bad) = preds_parquet(&dir, &csv);
    let strip = |json: &str| {
        let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
        v.as_object_mut().unwrap().remove("input");
        v
    };
    // With bootstrap, scores and features (the rows in memory), and streamed (counts only).
    for extra in [&["--n-boot", "50", "--score", "prob", "--features", "x1,x2"][..], &["--n-boot", "0"][..]] {
        let run = |input: &str| {
            let mut args = vec!["audit", "--input", input, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex,race", "--format", "json"];
            args.extend(extra);
            let (code, out, stderr) = fairdistill(&args);
            assert_eq!(code, 0, "{stderr}");
            strip(&out)
        };
        assert_eq!(run(&parquet), run(&csv), "{extra:?}");
    }
    // Counts emitted as Parquet from the streamed rows, read back, two copies summed.
    let counts = dir.path().join("c.parquet");
    let (code, _, stderr) = fairdistill(&["audit", "--input", &parquet, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex", "--emit-counts", counts.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let c = counts.to_str().unwrap();
    let (code, twice, stderr) = fairdistill(&["audit", "--counts", c, "--counts", c, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let (once, twice) = (strip(&fairdistill(&["audit", "--counts", c, "--format", "json"]).1), strip(&twice));
    assert_eq!(twice["n"].as_u64().unwrap(), 2 * once["n"].as_u64().unwrap());
    assert_eq!(twice["demographic_parity_difference"], once["demographic_parity_difference"], "doubling every count keeps every rate");
    // A bad cell names the file, the row and the column.
    let (code, _, stderr) = fairdistill(&["audit", "--input", &bad, "--y-true", "y", "--y-pred", "p", "--sensitive", "sex"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("bad.parquet: row 3, column `p`: `2` is not a binary label"), "{stderr}");
}

/// Runs `base` once whole and as shards 0/2 and 1/2, merges the shards, and checks that the
/// merged report `file` equals the single run's but for `command` and `seconds`.
fn assert_shards_merge(base: &[&str], file: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend(extra);
        let (code, _, stderr) = fairdistill(&args);
        assert_eq!(code, 0, "{stderr}");
        stderr
    };
    run(&["--out", &d("single")]);
    run(&["--shard", "0/2", "--out", &d("s0")]);
    run(&["--shard", "1/2", "--out", &d("s1")]);
    let (code, _, stderr) = fairdistill(&["reproduce", "merge", &d("s0"), &d("s1"), "--out", &d("merged")]);
    assert_eq!(code, 0, "{stderr}");
    let read = |folder: &str| {
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(folder).join(file)).unwrap()).unwrap();
        let o = v.as_object_mut().unwrap();
        assert!(o.remove("command").is_some());
        o.remove("seconds");
        v
    };
    assert_eq!(read("merged"), read("single"), "{base:?}: the merged report is the single run's, but for command and seconds");
}

#[test]
fn sharded_distillation_and_aim_fair_merge_to_the_single_run() {
    assert_shards_merge(
        &["reproduce", "distillation", "--quick", "--seeds", "2", "--train-images", "200", "--test-images", "300", "--epochs", "1", "--teacher-epochs", "1", "--temperatures", "2", "--teacher-depth", "8"],
        "distillation-trifeature.json",
    );
    assert_shards_merge(&["reproduce", "aim-fair", "--dataset", "adult", "--quick", "--seeds", "2", "--real-rows", "800", "--synthetic-rows", "800"], "aim-fair-adult-sex.json");
}

#[test]
fn sharded_fair4free_merges_to_the_single_run() {
    let base = ["reproduce", "fair4free", "--dataset", "german", "--quick", "--seeds", "3", "--epochs", "1"];
    assert_shards_merge(&base, "fair4free-german-sex.json");
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let shard = |s: &str| {
        let mut args = base.to_vec();
        args.extend(["--shard", s, "--out"]);
        let out = d("s1");
        args.push(&out);
        let (code, _, stderr) = fairdistill(&args);
        assert_eq!(code, 0, "{stderr}");
        stderr
    };
    shard("1/2");
    // A rerun of a shard (a killed job resumed) runs nothing again.
    assert!(shard("1/2").contains("(0 run, 1 already done)"));
    // One shard alone cannot make the report, and says which cells are missing.
    let (code, _, stderr) = fairdistill(&["reproduce", "merge", &d("s1"), "--out", &d("merged")]);
    assert_ne!(code, 0);
    assert!(stderr.contains("cells [0, 2] of 0..3 are missing"), "{stderr}");
    let (code, _, stderr) = fairdistill(&["reproduce", "fair4free", "--quick", "--shard", "2/2"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("0 <= i < n"), "{stderr}");
}
