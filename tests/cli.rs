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
fn no_command_runs_the_main_job() {
    let (code, stdout, stderr) = fairdistill(&["--quiet"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("30162 train / 15060 test"), "{stdout}");
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
