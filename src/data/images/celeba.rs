//! CelebA (Liu et al. 2015) in its released layout: 202,599 aligned face images of 178 x 218
//! pixels, each with 40 binary attributes and an official train/valid/test partition. The images
//! are not redistributable, so nothing is fetched: download the release from the CelebA site and
//! point `--data-dir` at the folder holding these files (docs/DATA.md):
//!
//! - `list_attr_celeba.txt`: line 1 the number of images; line 2 the attribute names (40 in the
//!   release) separated by spaces; then one line per image, `000001.jpg  -1  1  1 ...`, the file
//!   name and one value per attribute, `1` (has it) or `-1` (has not), separated by any amount
//!   of whitespace.
//! - `list_eval_partition.txt`: one line per image, `000001.jpg 0`, with 0 = train, 1 = valid,
//!   2 = test.
//! - `img_align_celeba/`: the JPEG files named in the two lists.
//!
//! If the folder given does not hold `list_attr_celeba.txt` but its subfolder `celeba/` does, that
//! subfolder is read (so `--data-dir data` finds `data/celeba/`).
//!
//! The train split is partition 0 and the test split partition 2, in file order; the valid
//! partition (1) is not loaded. The label is the target attribute and the group the sensitive
//! attribute, each `1` -> 1 and `-1` -> 0. Every image is centre-cropped to a square (the shorter
//! side; 178 x 178 for the release), resized to `image_size` pixels with a triangle (bilinear)
//! filter, converted to RGB and divided by 255.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use image::{ImageReader, Limits};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::images::dataset::ImageDataset;
use crate::data::images::grey::default_data_dir;
use crate::data::images::ImageSplit;
use crate::error::{Error, Result};

/// The attribute list of the release.
pub const CELEBA_ATTRIBUTES_FILE: &str = "list_attr_celeba.txt";
/// The partition list of the release.
pub const CELEBA_PARTITION_FILE: &str = "list_eval_partition.txt";
/// The folder of aligned images of the release.
pub const CELEBA_IMAGE_DIR: &str = "img_align_celeba";

/// Largest `image_size` the face loaders accept (one 512 px image is 3 MiB of `f32`).
pub const MAX_IMAGE_SIZE: usize = 512;

/// Largest width or height of a source image the face loaders decode.
const MAX_SOURCE_SIDE: u32 = 16_384;

/// What to load from a CelebA release.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CelebaParams {
    /// The folder holding `list_attr_celeba.txt`, `list_eval_partition.txt` and
    /// `img_align_celeba/` (or a folder whose `celeba/` subfolder does). Default
    /// `$FAIRDISTILL_DATA`, then `./data`.
    pub data_dir: PathBuf,
    /// The attribute used as the label. Default `Smiling`.
    pub target: String,
    /// The attribute used as the sensitive group. Default `Male`.
    pub sensitive: String,
    /// Side of the square images loaded, 1..=512. Default 64.
    pub image_size: usize,
    /// At most this many images per split (the first in file order); `None` loads them all
    /// (162,770 train and 19,962 test images: about 8 GB of `f32` at 64 px).
    pub max_images: Option<usize>,
}

impl Default for CelebaParams {
    fn default() -> Self {
        CelebaParams { data_dir: default_data_dir(), target: "Smiling".into(), sensitive: "Male".into(), image_size: 64, max_images: None }
    }
}

impl CelebaParams {
    pub fn check(&self) -> Result<&Self> {
        check_image_size(self.image_size)?;
        if self.max_images == Some(0) {
            return Err(Error::invalid("max_images", 0, "must be at least 1 (or unset to load every image)"));
        }
        for (name, v) in [("target", &self.target), ("sensitive", &self.sensitive)] {
            if v.trim().is_empty() || v.chars().any(char::is_whitespace) {
                return Err(Error::invalid(name, format!("`{v}`"), "an attribute name of list_attr_celeba.txt (no spaces)"));
            }
        }
        if self.target == self.sensitive {
            return Err(Error::invalid("sensitive", &self.sensitive, "must differ from the target attribute"));
        }
        Ok(self)
    }
}

pub(super) fn check_image_size(size: usize) -> Result<()> {
    if size == 0 || size > MAX_IMAGE_SIZE {
        return Err(Error::invalid("image_size", size, format!("must lie in 1..={MAX_IMAGE_SIZE}")));
    }
    Ok(())
}

/// An error for a release file that is not there.
fn missing(path: &Path, what: &str) -> Error {
    Error::io(
        path,
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "{what} not found; CelebA is not fetched by scripts/fetch-data: download the release and point --data-dir at the folder holding {CELEBA_ATTRIBUTES_FILE}, {CELEBA_PARTITION_FILE} and {CELEBA_IMAGE_DIR}/ (docs/DATA.md)"
            ),
        ),
    )
}

fn read_text(path: &Path, what: &str) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(missing(path, what)),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// The parsed attribute list: names, and per image its file name, line and values (true = `1`).
struct Attributes {
    names: Vec<String>,
    rows: Vec<(String, u64, Vec<bool>)>,
}

/// Lines with their 1-based numbers, blank lines left out.
fn numbered_lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l.trim())).filter(|(_, l)| !l.is_empty())
}

fn parse_attributes(text: &str, source: &str) -> Result<Attributes> {
    let parse = |line: u64, message: String| Error::Parse { source_name: source.into(), line, message };
    let mut lines = numbered_lines(text);
    let (l1, first) = lines.next().ok_or_else(|| Error::Empty { what: format!("{source}: no lines") })?;
    let count: usize = first.parse().map_err(|_| parse(l1, format!("expected the number of images, found `{first}`")))?;
    let (l2, header) = lines.next().ok_or_else(|| parse(l1 + 1, "expected the attribute names, found the end of the file".into()))?;
    let names: Vec<String> = header.split_whitespace().map(str::to_string).collect();
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(parse(l2, format!("attribute `{n}` named twice")));
        }
    }
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, l) in lines {
        let mut fields = l.split_whitespace();
        let file = fields.next().unwrap_or_default().to_string();
        let values: Vec<&str> = fields.collect();
        if values.len() != names.len() {
            return Err(parse(line, format!("expected {} fields (the file name and {} attribute values), found {}", names.len() + 1, names.len(), values.len() + 1)));
        }
        let mut row = Vec::with_capacity(values.len());
        for (k, v) in values.iter().enumerate() {
            row.push(match *v {
                "1" => true,
                "-1" => false,
                other => {
                    return Err(parse(line, format!("field {} (attribute `{}`) is `{other}`, expected 1 or -1", k + 2, names[k])));
                }
            });
        }
        if let Some(prev) = seen.insert(file.clone(), line) {
            return Err(parse(line, format!("image `{file}` already listed on line {prev}")));
        }
        rows.push((file, line, row));
    }
    if rows.len() != count {
        return Err(Error::Schema(format!("{source}: line {l1} gives {count} images but the file lists {}", rows.len())));
    }
    if rows.is_empty() {
        return Err(Error::Empty { what: format!("{source}: no images listed") });
    }
    Ok(Attributes { names, rows })
}

fn parse_partitions(text: &str, source: &str) -> Result<HashMap<String, u8>> {
    let parse = |line: u64, message: String| Error::Parse { source_name: source.into(), line, message };
    let mut out: HashMap<String, u8> = HashMap::new();
    for (line, l) in numbered_lines(text) {
        let fields: Vec<&str> = l.split_whitespace().collect();
        let [file, part] = fields[..] else {
            return Err(parse(line, format!("expected 2 fields (the file name and the partition), found {}", fields.len())));
        };
        let p = match part {
            "0" => 0,
            "1" => 1,
            "2" => 2,
            other => return Err(parse(line, format!("field 2 (partition) is `{other}`, expected 0 (train), 1 (valid) or 2 (test)"))),
        };
        if out.insert(file.to_string(), p).is_some() {
            return Err(parse(line, format!("image `{file}` listed twice")));
        }
    }
    Ok(out)
}

/// The folder holding the release files: `dir`, or `dir/celeba` if only that holds them.
fn release_dir(dir: &Path) -> PathBuf {
    if !dir.join(CELEBA_ATTRIBUTES_FILE).exists() && dir.join("celeba").join(CELEBA_ATTRIBUTES_FILE).exists() {
        dir.join("celeba")
    } else {
        dir.to_path_buf()
    }
}

/// Loads CelebA's train (partition 0) and test (partition 2) splits from the released layout
/// (see the module docs), labelled by `params.target` and grouped by `params.sensitive`.
pub fn load_celeba(params: &CelebaParams) -> Result<ImageDataset> {
    params.check()?;
    let dir = release_dir(&params.data_dir);
    let attr_path = dir.join(CELEBA_ATTRIBUTES_FILE);
    let part_path = dir.join(CELEBA_PARTITION_FILE);
    let image_dir = dir.join(CELEBA_IMAGE_DIR);
    let attr_text = read_text(&attr_path, "the CelebA attribute list")?;
    let part_text = read_text(&part_path, "the CelebA partition list")?;
    if !image_dir.is_dir() {
        return Err(missing(&image_dir, "the CelebA image folder"));
    }
    let attr_name = attr_path.display().to_string();
    let part_name = part_path.display().to_string();
    let attrs = parse_attributes(&attr_text, &attr_name)?;
    let parts = parse_partitions(&part_text, &part_name)?;
    let column = |name: &str| {
        attrs.names.iter().position(|n| n == name).ok_or_else(|| Error::ColumnMissing {
            source_name: attr_name.clone(),
            name: name.into(),
            available: attrs.names.join(", "),
        })
    };
    let (yi, si) = (column(&params.target)?, column(&params.sensitive)?);
    let listed: HashSet<&str> = attrs.rows.iter().map(|(f, _, _)| f.as_str()).collect();
    if let Some(file) = parts.keys().filter(|f| !listed.contains(f.as_str())).min() {
        return Err(Error::Schema(format!("{part_name} lists `{file}`, which {attr_name} does not")));
    }
    let cap = params.max_images.unwrap_or(usize::MAX);
    let (mut train, mut test): (Vec<FaceItem>, Vec<FaceItem>) = (Vec::new(), Vec::new());
    for (file, line, values) in &attrs.rows {
        let part = *parts.get(file).ok_or_else(|| Error::Schema(format!("{attr_name} lists `{file}` (line {line}), which {part_name} does not")))?;
        let split = match part {
            0 => &mut train,
            2 => &mut test,
            _ => continue,
        };
        if split.len() < cap {
            split.push(FaceItem {
                path: image_dir.join(file),
                listed: format!("listed on line {line} of {CELEBA_ATTRIBUTES_FILE}"),
                label: values[yi] as u32,
                group: values[si] as u32,
            });
        }
    }
    for (items, name) in [(&train, "train (partition 0)"), (&test, "test (partition 2)")] {
        if items.is_empty() {
            return Err(Error::Empty { what: format!("{part_name}: no {name} images") });
        }
    }
    let size = params.image_size;
    let binary = |attr: &str| vec![format!("not {attr}"), attr.to_string()];
    Ok(ImageDataset {
        name: "celeba".into(),
        source: format!(
            "{} (CelebA release; train = partition 0, test = partition 2, valid not loaded; centre-cropped, {size} px)",
            dir.display()
        ),
        train: load_faces(&train, size)?,
        test: load_faces(&test, size)?,
        label: params.target.clone(),
        class_names: binary(&params.target),
        sensitive: params.sensitive.clone(),
        group_names: binary(&params.sensitive),
        colouring: None,
        grey_test: None,
        grey_train: None,
    })
}

/// One image to load: its file, where it was listed (for errors), its label and group.
pub(super) struct FaceItem {
    pub path: PathBuf,
    pub listed: String,
    pub label: u32,
    pub group: u32,
}

/// Decodes `items` (in parallel) into one split of `size x size` RGB images.
pub(super) fn load_faces(items: &[FaceItem], size: usize) -> Result<ImageSplit> {
    let per = size * size * 3;
    let total = items.len().checked_mul(per).ok_or_else(|| Error::invalid("image_size", size, "too many pixel values for this machine"))?;
    let mut pixels: Vec<f32> = Vec::new();
    pixels.try_reserve_exact(total).map_err(|_| {
        Error::invalid("image_size", size, format!("{} images of {size} px need {} MiB; load fewer or smaller images", items.len(), total / (1 << 18)))
    })?;
    pixels.resize(total, 0.0);
    pixels.par_chunks_mut(per).zip(items.par_iter()).try_for_each(|(out, item)| square_rgb(&item.path, &item.listed, size, out))?;
    ImageSplit::new(size, size, 3, pixels, items.iter().map(|i| i.label).collect(), items.iter().map(|i| i.group).collect())
}

/// Decodes the image at `path`, centre-crops it to a square (the shorter side), resizes it to
/// `size x size` (triangle filter) and writes its RGB values / 255 into `out`, channels-last.
pub(super) fn square_rgb(path: &Path, listed: &str, size: usize, out: &mut [f32]) -> Result<()> {
    let bad = |e: &dyn std::fmt::Display| Error::io(path, std::io::Error::new(std::io::ErrorKind::InvalidData, format!("cannot decode the image: {e}")));
    let reader = match ImageReader::open(path) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::NotFound, format!("image {listed} not found"))));
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut reader = reader.with_guessed_format().map_err(|e| Error::io(path, e))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| bad(&e))?;
    let (w, h) = (img.width(), img.height());
    let side = w.min(h);
    if side == 0 {
        return Err(bad(&"the image has no pixels"));
    }
    let square = img.crop_imm((w - side) / 2, (h - side) / 2, side, side).to_rgb8();
    let s = size as u32;
    let square = if side == s { square } else { image::imageops::resize(&square, s, s, FilterType::Triangle) };
    for (o, &v) in out.iter_mut().zip(square.as_raw()) {
        *o = v as f32 / 255.0;
    }
    Ok(())
}
