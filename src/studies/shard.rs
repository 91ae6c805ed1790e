//! Sweeps on job arrays: a study's cells (one per seed) split over `n` processes by
//! `--shard i/n`, each cell written to its own file named by a hash of the study's
//! configuration and the crate version, and merged afterwards into the report one process would
//! have written. A cell whose file exists is not run again, so a killed job resumes where it
//! stopped.
//!
//! A cell file is JSON: `{"kind", "version", "config_hash", "params", "cell", "result"}`.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Shard `index` of `count` (`--shard i/n`, 0 <= i < n): it runs the cells `c` with
/// `c % count == index`, a deterministic partition of the cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The whole study in one process.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn new(index: usize, count: usize) -> Result<Shard> {
        if count == 0 || index >= count {
            return Err(Error::invalid("shard", format!("{index}/{count}"), "needs 0 <= i < n (e.g. 0/4 ... 3/4)"));
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard runs cell `cell`.
    pub fn owns(&self, cell: usize) -> bool {
        cell % self.count == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = Error;

    fn from_str(s: &str) -> Result<Shard> {
        let bad = || Error::invalid("shard", s, "write it as i/n, e.g. 0/4 (Slurm: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        Shard::new(i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?)
    }
}

/// One cell's file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CellFile<T> {
    /// The study (`fair4free`, ...).
    pub kind: String,
    /// The crate version that wrote it.
    pub version: String,
    /// [`config_hash`] of the study's configuration.
    pub config_hash: String,
    /// The study's parameters, as the report's `params`.
    pub params: serde_json::Value,
    pub cell: usize,
    pub result: T,
}

/// The hash naming a configuration's cells: FNV-1a of the crate version, the study's kind and
/// its parameters' JSON (and whatever else identifies the input, e.g. the dataset).
pub fn config_hash(kind: &str, params: &serde_json::Value, input: &str) -> String {
    crate::hash::fnv1a_hex(&[env!("CARGO_PKG_VERSION").as_bytes(), kind.as_bytes(), params.to_string().as_bytes(), input.as_bytes()])
}

/// The file of cell `cell`: `<dir>/<kind>-<hash>-cell<cell>.json`.
pub fn cell_path(dir: &Path, kind: &str, hash: &str, cell: usize) -> PathBuf {
    dir.join(format!("{kind}-{hash}-cell{cell}.json"))
}

/// Runs the cells `0..n_cells` this shard owns with `run`, writing each to its file in `dir`
/// as soon as it is done (atomically); a cell whose file is already there (same configuration
/// hash) is read instead of run. Returns the shard's cells in order, and how many were run.
pub fn run_cells<T: Serialize + DeserializeOwned>(
    dir: &Path,
    kind: &str,
    params: &serde_json::Value,
    input: &str,
    n_cells: usize,
    shard: Shard,
    run: &mut dyn FnMut(usize) -> Result<T>,
) -> Result<(Vec<T>, usize)> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let hash = config_hash(kind, params, input);
    let mut out = Vec::new();
    let mut ran = 0;
    for cell in (0..n_cells).filter(|&c| shard.owns(c)) {
        let path = cell_path(dir, kind, &hash, cell);
        if path.is_file() {
            out.push(read_cell::<T>(&path)?.result);
            continue;
        }
        let result = run(cell)?;
        let file = CellFile { kind: kind.to_string(), version: env!("CARGO_PKG_VERSION").to_string(), config_hash: hash.clone(), params: params.clone(), cell, result };
        crate::atomic::write_atomic(&path, serde_json::to_string(&file)?.as_bytes())?;
        out.push(file.result);
        ran += 1;
    }
    Ok((out, ran))
}

fn read_cell<T: DeserializeOwned>(path: &Path) -> Result<CellFile<T>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Schema(format!("{}: not a cell file of this version: {e}", path.display())))
}

/// The kind (`fair4free`, ...) of the cell files in `dirs`: all must be of one kind and one
/// configuration.
pub fn cells_kind(dirs: &[PathBuf]) -> Result<String> {
    let files = cell_files(dirs)?;
    let mut kinds = std::collections::BTreeSet::new();
    for f in &files {
        let head: CellFile<serde::de::IgnoredAny> = read_cell(f)?;
        kinds.insert((head.kind, head.config_hash));
    }
    match kinds.len() {
        1 => Ok(kinds.into_iter().next().map(|(k, _)| k).unwrap_or_default()),
        0 => Err(Error::Empty { what: "no cell files (*-cell<N>.json) in the folders given".into() }),
        _ => Err(Error::Schema(format!(
            "the folders hold cells of {} configurations ({}); merge one at a time",
            kinds.len(),
            kinds.iter().map(|(k, h)| format!("{k} {h}")).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn cell_files(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for d in dirs {
        let entries = std::fs::read_dir(d).map_err(|e| Error::io(d, e))?;
        for e in entries {
            let path = e.map_err(|e| Error::io(d, e))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".json") && name.contains("-cell") && !name.starts_with('.') {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Every cell of one configuration from the folders `dirs` (shards' outputs): its parameters and
/// the cells in order `0..n_cells`, where `n_cells` comes from the parameters. A missing cell is
/// an error naming it (and the shard that should have written it); a cell found twice must be
/// the same.
pub fn merge_cells<T: DeserializeOwned + PartialEq>(dirs: &[PathBuf], kind: &str, n_cells: &dyn Fn(&serde_json::Value) -> Result<usize>) -> Result<(serde_json::Value, Vec<T>)> {
    let files = cell_files(dirs)?;
    let mut found: std::collections::BTreeMap<usize, (PathBuf, T)> = std::collections::BTreeMap::new();
    let mut head: Option<(String, serde_json::Value)> = None;
    for f in files {
        let cell: CellFile<T> = read_cell(&f)?;
        if cell.kind != kind {
            continue;
        }
        match &head {
            None => head = Some((cell.config_hash.clone(), cell.params.clone())),
            Some((h, _)) if *h != cell.config_hash => {
                return Err(Error::Schema(format!("{}: configuration {} differs from the other cells' {h}", f.display(), cell.config_hash)));
            }
            _ => {}
        }
        if let Some((other, prev)) = found.get(&cell.cell) {
            if *prev != cell.result {
                return Err(Error::Schema(format!("cell {} is in {} and {} with different results", cell.cell, other.display(), f.display())));
            }
            continue;
        }
        found.insert(cell.cell, (f, cell.result));
    }
    let (_, params) = head.ok_or_else(|| Error::Empty { what: format!("no {kind} cell files in the folders given") })?;
    let n = n_cells(&params)?;
    let missing: Vec<usize> = (0..n).filter(|c| !found.contains_key(c)).collect();
    if !missing.is_empty() {
        return Err(Error::Schema(format!("{kind}: cells {missing:?} of 0..{n} are missing (run their shards, or rerun a killed one: done cells are kept)")));
    }
    if let Some(extra) = found.keys().find(|&&c| c >= n) {
        return Err(Error::Schema(format!("{kind}: cell {extra} is beyond the configuration's {n} cells")));
    }
    Ok((params, found.into_values().map(|(_, r)| r).collect()))
}

/// `cells` sorted by their seed, which must be `0..seeds`, each once (the input of a study's
/// `assemble_*`); `study` names the study in the error.
pub fn cells_by_seed<'a, C>(study: &str, cells: &'a [C], seed: fn(&C) -> u64, seeds: usize) -> Result<Vec<&'a C>> {
    let mut sorted: Vec<&C> = cells.iter().collect();
    sorted.sort_by_key(|c| seed(c));
    let got: Vec<u64> = sorted.iter().map(|c| seed(c)).collect();
    if got != (0..seeds as u64).collect::<Vec<_>>() {
        return Err(Error::Schema(format!("the {study} study needs the cells of seeds 0..{seeds}, one each; got seeds {got:?}")));
    }
    if sorted.is_empty() {
        return Err(Error::invalid("seeds", 0, "run at least one seed"));
    }
    Ok(sorted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_cells() {
        let shards: Vec<Shard> = (0..3).map(|i| format!("{i}/3").parse().unwrap()).collect();
        for c in 0..10 {
            assert_eq!(shards.iter().filter(|s| s.owns(c)).count(), 1);
        }
        for bad in ["3/3", "1", "a/2", "0/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn cells_resume_and_merge_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let params = serde_json::json!({"seeds": 3});
        let mut calls = 0;
        let (got, ran) = run_cells(&a, "toy", &params, "", 3, Shard::new(0, 2).unwrap(), &mut |c| {
            calls += 1;
            Ok(c * 10)
        })
        .unwrap();
        assert_eq!((got, ran, calls), (vec![0, 20], 2, 2));
        // Rerun (a resumed job): nothing runs again.
        let (_, ran) = run_cells(&a, "toy", &params, "", 3, Shard::new(0, 2).unwrap(), &mut |_| -> Result<usize> { panic!("ran a done cell") }).unwrap();
        assert_eq!(ran, 0);
        let n = |p: &serde_json::Value| Ok(p["seeds"].as_u64().unwrap_or(0) as usize);
        let err = merge_cells::<usize>(&[a.clone()], "toy", &n).unwrap_err().to_string();
        assert!(err.contains("[1]") && err.contains("missing"), "{err}");
        run_cells(&b, "toy", &params, "", 3, Shard::new(1, 2).unwrap(), &mut |c| Ok(c * 10)).unwrap();
        let (p, cells) = merge_cells::<usize>(&[a.clone(), b.clone()], "toy", &n).unwrap();
        assert_eq!((p, cells), (params.clone(), vec![0, 10, 20]));
        assert_eq!(cells_kind(&[a.clone(), b]).unwrap(), "toy");
        // Another configuration in the same folder is refused.
        run_cells(&a, "toy", &serde_json::json!({"seeds": 4}), "", 4, Shard::new(1, 2).unwrap(), &mut |c| Ok(c)).unwrap();
        assert!(cells_kind(&[a]).unwrap_err().to_string().contains("2 configurations"));
    }
}
