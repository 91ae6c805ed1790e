//! UTKFace (Zhang, Song and Qi 2017): about 23,700 face images whose file names carry the
//! annotations, `[age]_[gender]_[race]_[date&time].jpg` (the aligned and cropped release,
//! `UTKFace.tar.gz`, adds `.chip.jpg`: `25_0_1_20170116174525125.jpg.chip.jpg`). Age is in years,
//! gender 0 = male and 1 = female, race 0 = White, 1 = Black, 2 = Asian, 3 = Indian, 4 = Others.
//! Nothing is fetched: download the release and point `--data-dir` at the folder holding the
//! images (docs/DATA.md). If that folder has a `UTKFace/` subfolder, the subfolder is read.
//!
//! Which files are read: every file of the folder (not of its subfolders) ending in `.jpg`,
//! `.jpeg` or `.png` (any case) must follow the pattern, each field decimal digits; a name that
//! does not is an error naming the file (nothing is skipped silently). Hidden files (`.DS_Store`)
//! and files with other endings (`README.txt`, `Thumbs.db`) are ignored, and the number ignored is
//! recorded in the dataset's `source`.
//!
//! The images may differ in size: each is centre-cropped to a square (the shorter side), resized
//! to `image_size` pixels with a triangle (bilinear) filter, converted to RGB and divided by 255.
//! UTKFace has no official split: the test split is a seeded (ChaCha8) split stratified by
//! (label, group), as [`crate::data::stratified_split`] makes for tables; both splits keep the
//! file-name order.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::data::images::celeba::{check_image_size, load_faces, FaceItem};
use crate::data::images::dataset::ImageDataset;
use crate::data::images::grey::default_data_dir;
use crate::data::split::stratified_test_mask;
use crate::error::{Error, Result};

/// UTKFace's race codes 0..4, in order.
pub const UTKFACE_RACES: [&str; 5] = ["White", "Black", "Asian", "Indian", "Others"];
/// UTKFace's gender codes 0 and 1, in order.
pub const UTKFACE_GENDERS: [&str; 2] = ["male", "female"];

/// An annotation of UTKFace used as the label or as the sensitive group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UtkTarget {
    /// 0 = male, 1 = female.
    Gender,
    /// 1 when the age is over (strictly greater than) this many years, else 0.
    AgeOver(u32),
    /// The five race codes, 0 = White ... 4 = Others.
    Race,
}

impl UtkTarget {
    /// Name of the attribute (`gender`, `age over 40`, `race`).
    pub fn name(&self) -> String {
        match self {
            UtkTarget::Gender => "gender".into(),
            UtkTarget::AgeOver(a) => format!("age over {a}"),
            UtkTarget::Race => "race".into(),
        }
    }

    /// Names of the values, in code order.
    pub fn value_names(&self) -> Vec<String> {
        match self {
            UtkTarget::Gender => UTKFACE_GENDERS.iter().map(|s| s.to_string()).collect(),
            UtkTarget::AgeOver(a) => vec![format!("age <= {a}"), format!("age > {a}")],
            UtkTarget::Race => UTKFACE_RACES.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn value(&self, f: &UtkFace) -> u32 {
        match self {
            UtkTarget::Gender => f.gender,
            UtkTarget::AgeOver(a) => (f.age > *a) as u32,
            UtkTarget::Race => f.race,
        }
    }
}

/// `gender`, `race` or `age-over:N`.
impl FromStr for UtkTarget {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "gender" => Ok(UtkTarget::Gender),
            "race" => Ok(UtkTarget::Race),
            _ => s
                .strip_prefix("age-over:")
                .and_then(|a| a.parse().ok())
                .map(UtkTarget::AgeOver)
                .ok_or_else(|| Error::invalid("UTKFace attribute", s, "gender, race or age-over:N (N years)")),
        }
    }
}

impl fmt::Display for UtkTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UtkTarget::Gender => write!(f, "gender"),
            UtkTarget::AgeOver(a) => write!(f, "age-over:{a}"),
            UtkTarget::Race => write!(f, "race"),
        }
    }
}

/// What to load from a UTKFace folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UtkfaceParams {
    /// The folder holding the images (or a folder whose `UTKFace/` subfolder does). Default
    /// `$FAIRDISTILL_DATA`, then `./data`.
    pub dir: PathBuf,
    /// The label. Default gender.
    pub target: UtkTarget,
    /// The sensitive attribute. Default race (five groups).
    pub sensitive: UtkTarget,
    /// Side of the square images loaded, 1..=512. Default 64.
    pub image_size: usize,
    /// Share of the images in the test split, strictly between 0 and 1. Default 0.2.
    pub test_fraction: f64,
    /// Seed of the split. Default 0.
    pub seed: u64,
}

impl Default for UtkfaceParams {
    fn default() -> Self {
        UtkfaceParams {
            dir: default_data_dir(),
            target: UtkTarget::Gender,
            sensitive: UtkTarget::Race,
            image_size: 64,
            test_fraction: 0.2,
            seed: 0,
        }
    }
}

impl UtkfaceParams {
    pub fn check(&self) -> Result<&Self> {
        check_image_size(self.image_size)?;
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return Err(Error::invalid("test_fraction", self.test_fraction, "must lie strictly between 0 and 1"));
        }
        if std::mem::discriminant(&self.target) == std::mem::discriminant(&self.sensitive) {
            return Err(Error::invalid("sensitive", self.sensitive, format!("must be another attribute than the target ({})", self.target)));
        }
        Ok(self)
    }
}

/// The annotations of one file name.
struct UtkFace {
    age: u32,
    gender: u32,
    race: u32,
}

/// Parses `age_gender_race_date.ext` (optionally followed by `.chip.jpg`).
fn parse_name(name: &str) -> std::result::Result<UtkFace, String> {
    let stem = name.strip_suffix(".chip.jpg").unwrap_or(name);
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
    let fields: Vec<&str> = stem.split('_').collect();
    let [age, gender, race, date] = fields[..] else {
        return Err(format!("{} `_`-separated fields before the extension, expected 4", fields.len()));
    };
    for (what, v) in [("age", age), ("gender", gender), ("race", race), ("date", date)] {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("the {what} field is `{v}`, expected decimal digits"));
        }
    }
    let age: u32 = age.parse().map_err(|_| format!("the age field `{age}` is too large"))?;
    let gender = match gender {
        "0" => 0,
        "1" => 1,
        g => return Err(format!("the gender field is `{g}`, expected 0 (male) or 1 (female)")),
    };
    let race = match race {
        "0" => 0,
        "1" => 1,
        "2" => 2,
        "3" => 3,
        "4" => 4,
        r => return Err(format!("the race field is `{r}`, expected 0..4 ({})", UTKFACE_RACES.join(", "))),
    };
    Ok(UtkFace { age, gender, race })
}

fn is_image_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".jpg", ".jpeg", ".png"].iter().any(|e| lower.ends_with(e))
}

/// The image files of `dir` in name order, and how many other files were ignored.
fn list_images(dir: &Path) -> Result<(Vec<(PathBuf, String)>, usize)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::io(
                dir,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the UTKFace folder not found; UTKFace is not fetched by scripts/fetch-data: download the release and point --data-dir at the folder holding its images (docs/DATA.md)",
                ),
            ))
        }
        Err(e) => return Err(Error::io(dir, e)),
    };
    let (mut images, mut ignored) = (Vec::new(), 0usize);
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if !path.is_file() {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
            return Err(Error::Schema(format!("{}: file name is not UTF-8, so not a UTKFace file name", path.display())));
        };
        if name.starts_with('.') || !is_image_name(&name) {
            ignored += 1;
            continue;
        }
        images.push((path, name));
    }
    images.sort_by(|a, b| a.1.cmp(&b.1));
    Ok((images, ignored))
}

/// Which images go to the test part: the crate's stratified split over (label, group)
/// ([`stratified_test_mask`]).
fn stratified_test(keys: &[(u32, u32)], fraction: f64, seed: u64) -> Vec<bool> {
    stratified_test_mask(keys, fraction, seed)
}

/// Loads a UTKFace folder (see the module docs): labels from `params.target`, groups from
/// `params.sensitive`, a seeded stratified train/test split.
pub fn load_utkface(params: &UtkfaceParams) -> Result<ImageDataset> {
    params.check()?;
    let nested = params.dir.join("UTKFace");
    let dir = if nested.is_dir() { nested } else { params.dir.clone() };
    let (files, ignored) = list_images(&dir)?;
    let mut faces = Vec::with_capacity(files.len());
    let mut bad: Vec<(&Path, String)> = Vec::new();
    for (path, name) in &files {
        match parse_name(name) {
            Ok(f) => faces.push((path, f)),
            Err(why) => bad.push((path, why)),
        }
    }
    if let Some((path, why)) = bad.first() {
        let more = match bad.len() {
            1 => String::new(),
            k => format!(" (and {} more such files)", k - 1),
        };
        return Err(Error::Schema(format!(
            "{}: not a UTKFace file name (`age_gender_race_date.jpg`, gender 0 or 1, race 0..4): {why}; rename or remove it{more}",
            path.display()
        )));
    }
    if faces.len() < 2 {
        return Err(Error::Empty { what: format!("{}: {} UTKFace images; a train/test split needs at least 2", dir.display(), faces.len()) });
    }
    let keys: Vec<(u32, u32)> = faces.iter().map(|(_, f)| (params.target.value(f), params.sensitive.value(f))).collect();
    let is_test = stratified_test(&keys, params.test_fraction, params.seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (((path, _), &(label, group)), &t) in faces.iter().zip(&keys).zip(&is_test) {
        let item = FaceItem { path: path.to_path_buf(), listed: "in the UTKFace folder".into(), label, group };
        if t {
            test.push(item);
        } else {
            train.push(item);
        }
    }
    let size = params.image_size;
    let ignored_note = match ignored {
        0 => String::new(),
        k => format!(", {k} non-image or hidden files ignored"),
    };
    Ok(ImageDataset {
        name: "utkface".into(),
        source: format!(
            "{} (UTKFace, {} images{ignored_note}; stratified split, test fraction {}, seed {}; centre-cropped, {size} px)",
            dir.display(),
            faces.len(),
            params.test_fraction,
            params.seed
        ),
        train: load_faces(&train, size)?,
        test: load_faces(&test, size)?,
        label: params.target.name(),
        class_names: params.target.value_names(),
        sensitive: params.sensitive.name(),
        group_names: params.sensitive.value_names(),
        colouring: None,
        grey_test: None,
        grey_train: None,
    })
}

