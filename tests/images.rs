//! Image data (IDX reader, MNIST family, Colored-MNIST) and Fair4Free on images: loaders on files
//! the tests write, the embedded Fashion-MNIST subset, training behaviour, generation, model files
//! and the study's rows.

use std::path::Path;

use fairdistill::data::images::{
    colourise, embedded_fashion_mnist, load_fashion_mnist, load_image_dataset, read_idx, write_idx, ColouredParams, ImageSplit,
};
use fairdistill::methods::fair4free::{Fair4FreeImage, Fair4FreeImageParams, ImageMix, LatentSource};
use fairdistill::studies::{reproduce_fair4free_images, Fair4FreeImageStudyParams, IMAGE_METHODS};

fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(data);
    v
}

fn write_pair(dir: &Path, prefix: &str, images: &[u8], labels: &[u8]) {
    std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte.gz")), images).unwrap();
    std::fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte.gz")), labels).unwrap();
}

#[test]
fn the_idx_writer_and_reader_round_trip_raw_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..2 * 3 * 4 * 3).map(|i| i as u8).collect();
    for name in ["a-idx4-ubyte", "a-idx4-ubyte.gz"] {
        let p = dir.path().join(name);
        write_idx(&p, &[2, 3, 4, 3], &data).unwrap();
        let a = read_idx(&p).unwrap();
        assert_eq!(a.dims, vec![2, 3, 4, 3]);
        assert_eq!(a.data, data);
    }
    assert!(write_idx(&dir.path().join("b"), &[5], &data).is_err(), "sizes that do not match the data are refused");
}

#[test]
fn bad_idx_files_give_one_error_naming_the_file() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("fashion-mnist");
    std::fs::create_dir(&dir).unwrap();
    let img = idx_bytes(&[3, 2, 2], &[0; 12]);
    let lab = idx_bytes(&[3], &[1, 2, 3]);
    write_pair(&dir, "t10k", &img, &lab);
    // Truncated images.
    write_pair(&dir, "train", &img[..img.len() - 2], &lab);
    let e = load_fashion_mnist(root.path()).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte.gz") && e.contains("truncated"), "{e}");
    // Wrong magic number.
    let mut bad = img.clone();
    bad[3] = 1;
    write_pair(&dir, "train", &bad, &lab);
    let e = load_fashion_mnist(root.path()).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte.gz"), "{e}");
    // Labels and images of different lengths.
    write_pair(&dir, "train", &img, &idx_bytes(&[2], &[1, 2]));
    let e = load_fashion_mnist(root.path()).unwrap_err().to_string();
    assert!(e.contains("3 images") && e.contains("2 labels"), "{e}");
    // A gzip stream cut in half.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &img).unwrap();
    let gz = gz.finish().unwrap();
    write_pair(&dir, "train", &gz[..gz.len() / 2], &lab);
    let e = load_fashion_mnist(root.path()).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte.gz") && e.contains("gzip"), "{e}");
    // A label outside 0..9.
    write_pair(&dir, "train", &img, &idx_bytes(&[3], &[1, 2, 12]));
    assert!(load_fashion_mnist(root.path()).unwrap_err().to_string().contains("label 12"));
    // Good files load.
    write_pair(&dir, "train", &img, &lab);
    let (train, test) = load_fashion_mnist(root.path()).unwrap();
    assert_eq!((train.len(), test.len(), train.size), (3, 3, 2));
}

#[test]
fn the_embedded_subset_has_160_and_40_images_per_class() {
    let (train, test) = embedded_fashion_mnist().unwrap();
    assert_eq!((train.len(), test.len(), train.size), (1600, 400, 28));
    for c in 0..10u8 {
        assert_eq!(train.labels.iter().filter(|&&y| y == c).count(), 160);
        assert_eq!(test.labels.iter().filter(|&&y| y == c).count(), 40);
    }
    // Real pixels: mostly background, some ink.
    let ink = train.pixels.iter().filter(|&&v| v > 128).count() as f64 / train.pixels.len() as f64;
    assert!(ink > 0.1 && ink < 0.7, "{ink}");
}

#[test]
fn coloured_datasets_load_by_name_and_say_what_is_missing() {
    let empty = tempfile::tempdir().unwrap();
    let ds = load_image_dataset("colored-fashion-mnist", Some(empty.path()), &ColouredParams::default()).unwrap();
    assert!(ds.source.contains("embedded"));
    assert_eq!((ds.train.len(), ds.test.len(), ds.train.channels), (1600, 400, 3));
    let s = ds.summary();
    // Biased train: about rho + (1 - rho)/3 in the home colour; balanced test: a third each.
    assert!((s.train.majority_group_share - 0.933).abs() < 0.03, "{}", s.train.majority_group_share);
    assert!(s.test.majority_group_share < 0.5);
    assert_eq!(s.test.counts.iter().map(|r| r.iter().sum::<usize>()).collect::<Vec<_>>(), vec![134, 133, 133]);
    let e = load_image_dataset("colored-mnist", Some(empty.path()), &ColouredParams::default()).unwrap_err().to_string();
    assert!(e.contains("scripts/fetch-data") && e.contains("mnist"), "{e}");
    assert!(load_image_dataset("cifar", None, &ColouredParams::default()).is_err());
}

/// 400 coloured Fashion-MNIST training images with a strong colour shortcut (rho 0.95).
fn small_biased() -> ImageSplit {
    let ds = load_image_dataset("colored-fashion-mnist", Some(Path::new("/nonexistent")), &ColouredParams { rho: Some(0.95), seed: 1 }).unwrap();
    ds.train.sample(400, 3)
}

fn tiny_params(beta_log10: Option<f64>) -> Fair4FreeImageParams {
    let mut p = Fair4FreeImageParams::default();
    p.widths = [8, 16];
    p.fair4free.latent = 8;
    p.fair4free.epochs = 4;
    p.fair4free.student_epochs = 3;
    p.fair4free.head_epochs = 2;
    p.fair4free.beta_log10 = beta_log10;
    p
}

#[test]
fn the_image_teacher_learns_and_the_penalty_lowers_the_measured_dependence() {
    let train = small_biased();
    let fair = Fair4FreeImage::fit(&tiny_params(Some(2.0)), &train, 10, 3, &mut |_| {}).unwrap();
    let unfair = Fair4FreeImage::fit(&tiny_params(None), &train, 10, 3, &mut |_| {}).unwrap();
    let teacher: Vec<_> = fair.log.iter().filter(|e| e.stage == "teacher").collect();
    assert!(teacher.last().unwrap().loss < 0.8 * teacher[0].loss, "reconstruction {} -> {}", teacher[0].loss, teacher.last().unwrap().loss);
    // On images in balanced colours, the fair latent depends on colour less than the unfair one.
    let ds = load_image_dataset("colored-fashion-mnist", Some(Path::new("/nonexistent")), &ColouredParams::default()).unwrap();
    let (df, du) = (fair.latent_dcor_sq(&ds.test, 400).unwrap(), unfair.latent_dcor_sq(&ds.test, 400).unwrap());
    assert!(df < du, "dCor² fair {df} vs unfair {du}");
}

#[test]
fn generation_is_seeded_fills_cells_exactly_and_survives_save_and_load() {
    let train = small_biased();
    let mut p = tiny_params(Some(2.0));
    p.fair4free.epochs = 1;
    let mut model = Fair4FreeImage::fit(&p, &train, 10, 3, &mut |_| {}).unwrap();
    let a = model.generate(&ImageMix::Sampled(50), 9, LatentSource::Student).unwrap();
    let b = model.generate(&ImageMix::Sampled(50), 9, LatentSource::Student).unwrap();
    assert_eq!(a, b, "same seed, same bits");
    assert_eq!((a.len(), a.height, a.channels), (50, 28, 3));
    assert!(a.pixels.iter().all(|v| (0.0..=1.0).contains(v)));
    let mut counts = vec![vec![0usize; 3]; 10];
    counts[2] = vec![3, 0, 1];
    counts[7] = vec![0, 2, 0];
    let c = model.generate(&ImageMix::Cells(counts.clone()), 1, LatentSource::Prior).unwrap();
    assert_eq!(c.cell_counts(10, 3), counts);
    assert!(model.generate(&ImageMix::Cells(vec![vec![1; 2]; 10]), 1, LatentSource::Prior).is_err(), "a wrong cell table is refused");
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("model");
    model.save(&m).unwrap();
    model.save(&m).unwrap(); // replacing a model folder leaves one folder, no leftovers
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let loaded = Fair4FreeImage::load(&m).unwrap();
    assert_eq!(loaded.generate(&ImageMix::Sampled(50), 9, LatentSource::Student).unwrap(), a);
    let text = std::fs::read_to_string(m.join("model.json")).unwrap();
    std::fs::write(m.join("model.json"), text.replace("\"n_groups\": 3", "\"n_groups\": 0")).unwrap();
    assert!(Fair4FreeImage::load(&m).unwrap_err().to_string().contains("two groups"), "a tampered model is an error, not a panic");
    std::fs::write(m.join("model.json"), "{").unwrap();
    assert!(Fair4FreeImage::load(&m).unwrap_err().to_string().contains("model.json"));
}

#[test]
fn colourise_refuses_a_colour_outside_rgb() {
    let (train, _) = embedded_fashion_mnist().unwrap();
    let small = fairdistill::data::images::GreyImages { size: 28, pixels: train.pixels[..784].to_vec(), labels: vec![3] };
    assert!(colourise(&small, &[3]).is_err());
    assert_eq!(colourise(&small, &[2]).unwrap().groups, vec![2]);
}

#[test]
fn the_tiny_study_has_every_row_and_its_json_keys() {
    let mut p = Fair4FreeImageStudyParams::tiny("colored-fashion-mnist");
    p.data_dir = Some("/nonexistent".into());
    let r = reproduce_fair4free_images(&p, "test", &mut |_| {}).unwrap();
    assert_eq!(r.rows.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(), IMAGE_METHODS.to_vec());
    let grey = r.row("grey").unwrap();
    assert_eq!(grey.equalized_odds_difference.mean, Some(0.0), "a colour-blind classifier has EOD exactly 0 on the counterfactual test set");
    assert!(r.row("fair4free").unwrap().coverage.mean.is_some());
    assert_eq!(r.grids.len(), 3);
    assert!(r.grids.iter().all(|g| g.png.starts_with(b"\x89PNG")));
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    for key in ["accuracy", "demographic_parity_difference", "equalized_odds_difference", "density", "coverage"] {
        assert!(json["rows"][0][key]["mean"].is_number(), "{key}");
    }
    assert_eq!(json["params"]["seeds"], 1);
    assert!(!r.conclusions.is_empty());
    assert!(r.to_markdown().contains("Conclusions"));
}

#[test]
fn image_study_cells_run_apart_assemble_to_the_single_run() {
    use fairdistill::studies::{assemble_fair4free_images, fair4free_images_seed, Fair4FreeImageData, Fair4FreeImageSeedCell};
    let mut p = Fair4FreeImageStudyParams::tiny("colored-fashion-mnist");
    p.data_dir = Some("/nonexistent".into());
    p.seeds = 2;
    let single = reproduce_fair4free_images(&p, "test", &mut |_| {}).unwrap();
    // Seed 1 first, each with its own data, through JSON (as a cell file carries it).
    let cells: Vec<Fair4FreeImageSeedCell> = [1, 0]
        .into_iter()
        .map(|seed| {
            let cell = fair4free_images_seed(&p, &Fair4FreeImageData::new(&p).unwrap(), seed, &mut |_| {}).unwrap();
            serde_json::from_str(&serde_json::to_string(&cell).unwrap()).unwrap()
        })
        .collect();
    let mut merged = assemble_fair4free_images(&p, &cells, "test").unwrap();
    merged.seconds = single.seconds;
    assert_eq!(merged, single);
    assert!(assemble_fair4free_images(&p, &cells[..1], "test").unwrap_err().to_string().contains("seeds 0..2"));
}
