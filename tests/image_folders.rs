//! The CelebA and UTKFace loaders on tiny fixture folders.
//!
//! The fixtures are drawn here, into temporary folders, with the `image` crate (so no script and
//! no Python are needed): flat-coloured JPEGs whose centre square holds one colour and whose
//! cropped-off margins hold a darker shade of it (the same chroma, luma 80 lower, so that JPEG's
//! subsampled chroma does not bleed across the crop line, and the margins 8 px: whole JPEG
//! blocks). After the loader's centre crop and resize every pixel must be the centre colour.

use std::path::{Path, PathBuf};

use fairdistill::data::images::{load_celeba, load_utkface, CelebaParams, ImageDataset, UtkTarget, UtkfaceParams};
use fairdistill::Error;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

/// JPEG round-off allowed on a flat colour (of 1).
const TOL: f32 = 4.0 / 255.0;

/// Writes a `w x h` JPEG: the centred `min(w, h)` square in `colour`, the rest 80 darker.
fn draw(path: &Path, w: u32, h: u32, colour: [u8; 3]) {
    let side = w.min(h);
    let (x0, y0) = ((w - side) / 2, (h - side) / 2);
    let margin = colour.map(|c| c - 80);
    let img = RgbImage::from_fn(w, h, |x, y| {
        let inside = (x0..x0 + side).contains(&x) && (y0..y0 + side).contains(&y);
        Rgb(if inside { colour } else { margin })
    });
    let mut f = std::fs::File::create(path).unwrap();
    JpegEncoder::new_with_quality(&mut f, 100).encode_image(&img).unwrap();
}

/// Checks that every pixel of one image is `colour` / 255 (within [`TOL`]).
fn assert_colour(pixels: &[f32], colour: [u8; 3], what: &str) {
    for (k, px) in pixels.chunks_exact(3).enumerate() {
        for c in 0..3 {
            let want = colour[c] as f32 / 255.0;
            assert!((px[c] - want).abs() <= TOL, "{what}: pixel {k} channel {c} is {} (x255 = {}), expected {}", px[c], px[c] * 255.0, colour[c]);
        }
    }
}

fn is_colour(pixels: &[f32], colour: [u8; 3]) -> bool {
    pixels.chunks_exact(3).all(|px| (0..3).all(|c| (px[c] - colour[c] as f32 / 255.0).abs() <= TOL))
}

// ---------------------------------------------------------------------------------------------
// CelebA

const ATTRIBUTES: [&str; 40] = [
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips", "Big_Nose", "Black_Hair",
    "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair",
    "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face",
    "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair",
    "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young",
];

const CELEBA_COLOURS: [[u8; 3]; 8] = [
    [230, 110, 100],
    [100, 230, 110],
    [110, 100, 230],
    [230, 230, 100],
    [100, 230, 230],
    [230, 100, 230],
    [170, 170, 170],
    [250, 150, 120],
];
const SMILING: [bool; 8] = [true, false, true, false, false, true, false, true];
const MALE: [bool; 8] = [false, false, true, true, true, false, true, false];
/// 0 train, 1 valid, 2 test.
const PARTITION: [u8; 8] = [0, 0, 0, 0, 1, 2, 2, 2];

fn file(i: usize) -> String {
    format!("{:06}.jpg", i + 1)
}

fn attribute(i: usize, a: usize) -> bool {
    match ATTRIBUTES[a] {
        "Smiling" => SMILING[i],
        "Male" => MALE[i],
        _ => (i * 7 + a * 3) % 5 < 2,
    }
}

/// The attribute list as released: count, names, then rows with two-space separated values.
fn attr_text() -> String {
    let mut s = format!("{}\n{} \n", CELEBA_COLOURS.len(), ATTRIBUTES.join(" "));
    for i in 0..CELEBA_COLOURS.len() {
        s.push_str(&file(i));
        for a in 0..ATTRIBUTES.len() {
            s.push_str(if attribute(i, a) { "  1" } else { " -1" });
        }
        s.push('\n');
    }
    s
}

fn partition_text() -> String {
    (0..CELEBA_COLOURS.len()).map(|i| format!("{} {}\n", file(i), PARTITION[i])).collect()
}

/// A CelebA release in `root`: 8 aligned images of 16 x 32 px (portrait, like the release's
/// 178 x 218), the crop taking rows 8..24.
fn celeba_fixture(root: &Path) {
    std::fs::create_dir_all(root.join("img_align_celeba")).unwrap();
    for (i, &c) in CELEBA_COLOURS.iter().enumerate() {
        draw(&root.join("img_align_celeba").join(file(i)), 16, 32, c);
    }
    std::fs::write(root.join("list_attr_celeba.txt"), attr_text()).unwrap();
    std::fs::write(root.join("list_eval_partition.txt"), partition_text()).unwrap();
}

fn celeba(dir: &Path) -> CelebaParams {
    CelebaParams { data_dir: dir.to_path_buf(), image_size: 8, ..CelebaParams::default() }
}

fn celeba_err(p: &CelebaParams) -> (Error, String) {
    let e = load_celeba(p).expect_err("the loader should refuse this folder");
    let msg = e.to_string();
    (e, msg)
}

#[test]
fn celeba_loads_the_official_splits_with_cropped_resized_pixels() {
    let tmp = tempfile::tempdir().unwrap();
    celeba_fixture(tmp.path());
    let d: ImageDataset = load_celeba(&celeba(tmp.path())).unwrap();
    assert_eq!(d.name, "celeba");
    assert_eq!((d.label.as_str(), d.sensitive.as_str()), ("Smiling", "Male"));
    assert_eq!(d.class_names, ["not Smiling", "Smiling"]);
    assert_eq!(d.group_names, ["not Male", "Male"]);
    assert!(d.colouring.is_none() && d.grey_test.is_none() && d.grey_train.is_none());
    for (split, part) in [(&d.train, 0u8), (&d.test, 2)] {
        let idx: Vec<usize> = (0..8).filter(|&i| PARTITION[i] == part).collect();
        assert_eq!((split.height, split.width, split.channels), (8, 8, 3));
        assert_eq!(split.len(), idx.len());
        assert_eq!(split.labels, idx.iter().map(|&i| SMILING[i] as u32).collect::<Vec<_>>());
        assert_eq!(split.groups, idx.iter().map(|&i| MALE[i] as u32).collect::<Vec<_>>());
        for (k, &i) in idx.iter().enumerate() {
            assert_colour(split.image(k), CELEBA_COLOURS[i], &file(i));
        }
    }
    // The valid image (000005) is in neither split.
    assert!(!(0..d.train.len()).any(|k| is_colour(d.train.image(k), CELEBA_COLOURS[4])));
    assert!(!(0..d.test.len()).any(|k| is_colour(d.test.image(k), CELEBA_COLOURS[4])));
}

#[test]
fn celeba_other_attributes_sizes_and_caps() {
    let tmp = tempfile::tempdir().unwrap();
    // Under data_dir/celeba, found from data_dir.
    celeba_fixture(&tmp.path().join("celeba"));
    let young = ATTRIBUTES.iter().position(|&a| a == "Young").unwrap();
    let bangs = ATTRIBUTES.iter().position(|&a| a == "Bangs").unwrap();
    let p = CelebaParams { target: "Young".into(), sensitive: "Bangs".into(), image_size: 16, max_images: Some(2), ..celeba(tmp.path()) };
    let d = load_celeba(&p).unwrap();
    assert_eq!((d.train.len(), d.test.len()), (2, 2));
    assert_eq!((d.train.height, d.train.width), (16, 16));
    assert_eq!(d.group_names, ["not Bangs", "Bangs"]);
    assert_eq!(d.train.labels, [0, 1].map(|i| attribute(i, young) as u32));
    assert_eq!(d.test.groups, [5, 6].map(|i| attribute(i, bangs) as u32));
    assert_colour(d.train.image(1), CELEBA_COLOURS[1], "train image 1 at 16 px");
    assert_colour(d.test.image(0), CELEBA_COLOURS[5], "test image 0 at 16 px");
    // Upsampling works too.
    let d = load_celeba(&CelebaParams { image_size: 40, ..celeba(tmp.path()) }).unwrap();
    assert_eq!(d.test.pixels_per_image(), 40 * 40 * 3);
    assert_colour(d.test.image(2), CELEBA_COLOURS[7], "test image 2 at 40 px");
}

#[test]
fn celeba_missing_files_name_the_file_and_the_data_dir_flag() {
    for (remove, name) in [("list_attr_celeba.txt", "list_attr_celeba.txt"), ("list_eval_partition.txt", "list_eval_partition.txt"), ("img_align_celeba", "img_align_celeba")] {
        let tmp = tempfile::tempdir().unwrap();
        celeba_fixture(tmp.path());
        let p = tmp.path().join(remove);
        if p.is_dir() {
            std::fs::remove_dir_all(&p).unwrap();
        } else {
            std::fs::remove_file(&p).unwrap();
        }
        let (_, msg) = celeba_err(&celeba(tmp.path()));
        assert!(msg.contains(name) && msg.contains("--data-dir") && msg.contains("not found"), "{msg}");
    }
    // An empty folder: the first file missing is the attribute list.
    let tmp = tempfile::tempdir().unwrap();
    let (_, msg) = celeba_err(&celeba(tmp.path()));
    assert!(msg.contains("list_attr_celeba.txt") && msg.contains("--data-dir"), "{msg}");
}

#[test]
fn celeba_malformed_lists_give_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    celeba_fixture(tmp.path());
    let attr = tmp.path().join("list_attr_celeba.txt");
    let part = tmp.path().join("list_eval_partition.txt");
    let good = attr_text();
    let lines: Vec<&str> = good.lines().collect();

    // A value other than 1 / -1 on line 5 (image 000003), in the Smiling column.
    let smiling = ATTRIBUTES.iter().position(|&a| a == "Smiling").unwrap();
    let mut fields: Vec<&str> = lines[4].split_whitespace().collect();
    fields[smiling + 1] = "0";
    let bad = fields.join("  ");
    let text: Vec<&str> = lines.iter().enumerate().map(|(i, l)| if i == 4 { bad.as_str() } else { l }).collect();
    std::fs::write(&attr, text.join("\n")).unwrap();
    let (e, msg) = celeba_err(&celeba(tmp.path()));
    assert!(matches!(e, Error::Parse { line: 5, .. }), "{e:?}");
    assert!(msg.contains("list_attr_celeba.txt") && msg.contains("line 5") && msg.contains("Smiling") && msg.contains(&format!("field {}", smiling + 2)), "{msg}");

    // A row with a value missing (line 7).
    let short = lines[6].rsplit_once(' ').unwrap().0.trim_end().to_string();
    let text: Vec<&str> = lines.iter().enumerate().map(|(i, l)| if i == 6 { short.as_str() } else { l }).collect();
    std::fs::write(&attr, text.join("\n")).unwrap();
    let (e, msg) = celeba_err(&celeba(tmp.path()));
    assert!(matches!(e, Error::Parse { line: 7, .. }), "{e:?}");
    assert!(msg.contains("expected 41 fields") && msg.contains("found 40"), "{msg}");

    // Line 1 not a count, then a count that disagrees with the rows.
    std::fs::write(&attr, good.replacen("8\n", "eight\n", 1)).unwrap();
    let (e, _) = celeba_err(&celeba(tmp.path()));
    assert!(matches!(e, Error::Parse { line: 1, .. }), "{e:?}");
    std::fs::write(&attr, good.replacen("8\n", "9\n", 1)).unwrap();
    let (_, msg) = celeba_err(&celeba(tmp.path()));
    assert!(msg.contains("list_attr_celeba.txt") && msg.contains("9 images") && msg.contains("lists 8"), "{msg}");

    // A bad partition on line 3 of the partition list.
    std::fs::write(&attr, &good).unwrap();
    std::fs::write(&part, partition_text().replacen("000003.jpg 0", "000003.jpg 3", 1)).unwrap();
    let (e, msg) = celeba_err(&celeba(tmp.path()));
    assert!(matches!(e, Error::Parse { line: 3, .. }), "{e:?}");
    assert!(msg.contains("list_eval_partition.txt") && msg.contains("`3`"), "{msg}");

    // An image without a partition.
    std::fs::write(&part, partition_text().replacen("000004.jpg 0\n", "", 1)).unwrap();
    let (_, msg) = celeba_err(&celeba(tmp.path()));
    assert!(msg.contains("000004.jpg") && msg.contains("list_eval_partition.txt"), "{msg}");
}

#[test]
fn celeba_unknown_attribute_lists_the_attributes() {
    let tmp = tempfile::tempdir().unwrap();
    celeba_fixture(tmp.path());
    for p in [CelebaParams { target: "Smiles".into(), ..celeba(tmp.path()) }, CelebaParams { sensitive: "male".into(), ..celeba(tmp.path()) }] {
        let (e, msg) = celeba_err(&p);
        assert!(matches!(e, Error::ColumnMissing { .. }), "{e:?}");
        assert!(msg.contains("5_o_Clock_Shadow") && msg.contains("Wearing_Necktie") && msg.contains("list_attr_celeba.txt"), "{msg}");
    }
}

#[test]
fn celeba_bad_or_missing_images_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    celeba_fixture(tmp.path());
    let images = tmp.path().join("img_align_celeba");

    // Truncated to its first 100 bytes.
    let bytes = std::fs::read(images.join("000002.jpg")).unwrap();
    std::fs::write(images.join("000002.jpg"), &bytes[..100]).unwrap();
    let (_, msg) = celeba_err(&celeba(tmp.path()));
    assert!(msg.contains("000002.jpg") && msg.contains("decode"), "{msg}");

    // Cut off in the middle of the scan data.
    let bytes = std::fs::read(images.join("000001.jpg")).unwrap();
    std::fs::write(images.join("000002.jpg"), &bytes[..bytes.len() / 2]).unwrap();
    let (_, msg) = celeba_err(&celeba(tmp.path()));
    assert!(msg.contains("000002.jpg") && msg.contains("decode"), "{msg}");

    // Not an image at all.
    std::fs::write(images.join("000002.jpg"), "not a JPEG").unwrap();
    let (_, msg) = celeba_err(&celeba(tmp.path()));
    assert!(msg.contains("000002.jpg"), "{msg}");

    // Listed (line 8: image 000006, a test image) but missing.
    std::fs::write(images.join("000002.jpg"), &bytes).unwrap();
    std::fs::remove_file(images.join("000006.jpg")).unwrap();
    let (_, msg) = celeba_err(&celeba(tmp.path()));
    assert!(msg.contains("000006.jpg") && msg.contains("not found") && msg.contains("line 8"), "{msg}");
}

#[test]
fn celeba_parameters_are_checked_first() {
    let tmp = tempfile::tempdir().unwrap();
    for p in [
        CelebaParams { image_size: 0, ..celeba(tmp.path()) },
        CelebaParams { image_size: 513, ..celeba(tmp.path()) },
        CelebaParams { max_images: Some(0), ..celeba(tmp.path()) },
        CelebaParams { sensitive: "Smiling".into(), ..celeba(tmp.path()) },
    ] {
        let (e, _) = celeba_err(&p);
        assert!(matches!(e, Error::InvalidParam { .. }), "{e:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// UTKFace

/// (file name, width, height, colour, age, gender, race).
type Face = (&'static str, u32, u32, [u8; 3], u32, u32, u32);

/// Mixed sizes (each crop line on a JPEG block edge) and both name forms.
const FACES: [Face; 6] = [
    ("25_0_0_20170116174525125.jpg.chip.jpg", 16, 16, [230, 110, 100], 25, 0, 0),
    ("31_1_0_20170117120000000.jpg.chip.jpg", 32, 16, [100, 230, 110], 31, 1, 0),
    ("40_0_1_20170109142408075.jpg.chip.jpg", 16, 32, [110, 100, 230], 40, 0, 1),
    ("52_1_2_20170110150557335.jpg", 24, 24, [230, 230, 100], 52, 1, 2),
    ("8_1_3_20161219203650636.jpg.chip.jpg", 48, 32, [100, 230, 230], 8, 1, 3),
    ("76_0_4_20170104235421282.jpg.chip.jpg", 16, 48, [230, 100, 230], 76, 0, 4),
];

fn utk_fixture(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, w, h, c, ..) in FACES {
        draw(&dir.join(name), w, h, c);
    }
    // Ignored: hidden files and files that are not images.
    std::fs::write(dir.join(".DS_Store"), [0u8, 1, 2]).unwrap();
    std::fs::write(dir.join("README.txt"), "UTKFace").unwrap();
}

fn utk(dir: &Path) -> UtkfaceParams {
    UtkfaceParams { dir: dir.to_path_buf(), image_size: 8, ..UtkfaceParams::default() }
}

/// Which fixture each loaded image is (by colour), checking its label and group by `key`.
fn faces_of(d: &ImageDataset, key: impl Fn(u32, u32, u32) -> (u32, u32)) -> Vec<usize> {
    let mut seen = Vec::new();
    for split in [&d.train, &d.test] {
        for k in 0..split.len() {
            let f = FACES.iter().position(|f| is_colour(split.image(k), f.3)).unwrap_or_else(|| panic!("image {k} matches no fixture colour"));
            let (_, _, _, _, age, gender, race) = FACES[f];
            assert_eq!((split.labels[k], split.groups[k]), key(age, gender, race), "{}", FACES[f].0);
            seen.push(f);
        }
    }
    seen
}

#[test]
fn utkface_loads_file_name_annotations_with_a_seeded_split() {
    let tmp = tempfile::tempdir().unwrap();
    utk_fixture(tmp.path());
    let d = load_utkface(&utk(tmp.path())).unwrap();
    assert_eq!(d.name, "utkface");
    assert_eq!((d.label.as_str(), d.sensitive.as_str()), ("gender", "race"));
    assert_eq!(d.class_names, ["male", "female"]);
    assert_eq!(d.group_names, ["White", "Black", "Asian", "Indian", "Others"]);
    assert_eq!((d.train.len(), d.test.len()), (5, 1));
    assert_eq!((d.train.height, d.train.width, d.train.channels), (8, 8, 3));
    assert!(d.source.contains("2 non-image or hidden files ignored"), "{}", d.source);
    let mut seen = faces_of(&d, |_, g, r| (g, r));
    seen.sort();
    assert_eq!(seen, (0..6).collect::<Vec<_>>());

    // The same seed gives the same split; the fraction sets the test size.
    assert_eq!(load_utkface(&utk(tmp.path())).unwrap(), d);
    // (Two strata of three: everyone is 'age <= 100', three of each gender. With six singleton
    // strata the largest-remainder ties would always give the test places to the first strata.)
    let halves = |seed| UtkfaceParams { target: UtkTarget::AgeOver(100), sensitive: UtkTarget::Gender, test_fraction: 0.5, seed, ..utk(tmp.path()) };
    let half = load_utkface(&halves(7)).unwrap();
    assert_eq!((half.train.len(), half.test.len()), (3, 3));
    assert_eq!(half.test.groups.iter().sum::<u32>() + half.train.groups.iter().sum::<u32>(), 3);
    let other = (0..20).map(|seed| load_utkface(&halves(seed)).unwrap());
    assert!(other.map(|o| o.test.pixels).any(|p| p != half.test.pixels), "every seed gave the same split");
}

#[test]
fn utkface_age_and_race_targets_and_nested_folder() {
    let tmp = tempfile::tempdir().unwrap();
    utk_fixture(&tmp.path().join("UTKFace"));
    let p = UtkfaceParams { target: UtkTarget::AgeOver(40), sensitive: UtkTarget::Gender, image_size: 12, ..utk(tmp.path()) };
    let d = load_utkface(&p).unwrap();
    assert_eq!(d.label, "age over 40");
    assert_eq!(d.class_names, ["age <= 40", "age > 40"]);
    assert_eq!(d.group_names, ["male", "female"]);
    assert_eq!(d.train.pixels_per_image(), 12 * 12 * 3);
    assert_eq!(faces_of(&d, |a, g, _| ((a > 40) as u32, g)).len(), 6);
    let p = UtkfaceParams { target: UtkTarget::Race, sensitive: UtkTarget::AgeOver(30), ..utk(tmp.path()) };
    let d = load_utkface(&p).unwrap();
    assert_eq!(d.class_names.len(), 5);
    assert_eq!(faces_of(&d, |a, _, r| (r, (a > 30) as u32)).len(), 6);
    for t in [UtkTarget::Gender, UtkTarget::Race, UtkTarget::AgeOver(40)] {
        assert_eq!(t.to_string().parse::<UtkTarget>().unwrap(), t);
    }
    assert!("age".parse::<UtkTarget>().is_err());
}

#[test]
fn utkface_bad_names_and_images_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    utk_fixture(tmp.path());
    // A name lacking the race field (as a few files of the release do) and one with a bad gender.
    let src = tmp.path().join(FACES[0].0);
    for bad in ["39_1_20170116174525125.jpg.chip.jpg", "25_2_0_20170116174525125.jpg", "face.png"] {
        let path = tmp.path().join(bad);
        std::fs::copy(&src, &path).unwrap();
        let e = load_utkface(&utk(tmp.path())).expect_err(bad);
        let msg = e.to_string();
        assert!(msg.contains(bad) && msg.contains("age_gender_race_date"), "{msg}");
        std::fs::remove_file(&path).unwrap();
    }
    // Two bad names: the first is named and the other counted.
    std::fs::write(tmp.path().join("a.jpg"), "").unwrap();
    std::fs::write(tmp.path().join("b.jpg"), "").unwrap();
    let msg = load_utkface(&utk(tmp.path())).unwrap_err().to_string();
    assert!(msg.contains("a.jpg") && msg.contains("1 more"), "{msg}");
    std::fs::remove_file(tmp.path().join("a.jpg")).unwrap();
    std::fs::remove_file(tmp.path().join("b.jpg")).unwrap();

    // An undecodable image with a good name.
    let name = FACES[3].0;
    let bytes = std::fs::read(tmp.path().join(name)).unwrap();
    std::fs::write(tmp.path().join(name), &bytes[..bytes.len() / 3]).unwrap();
    let msg = load_utkface(&utk(tmp.path())).unwrap_err().to_string();
    assert!(msg.contains(name) && msg.contains("decode"), "{msg}");
}

#[test]
fn utkface_missing_folder_and_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let gone: PathBuf = tmp.path().join("nowhere");
    let msg = load_utkface(&utk(&gone)).unwrap_err().to_string();
    assert!(msg.contains("nowhere") && msg.contains("--data-dir"), "{msg}");
    // A folder without images.
    let e = load_utkface(&utk(tmp.path())).unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e:?}");
    for p in [
        UtkfaceParams { test_fraction: 0.0, ..utk(tmp.path()) },
        UtkfaceParams { test_fraction: 1.0, ..utk(tmp.path()) },
        UtkfaceParams { image_size: 0, ..utk(tmp.path()) },
        UtkfaceParams { image_size: 10_000, ..utk(tmp.path()) },
        UtkfaceParams { target: UtkTarget::AgeOver(20), sensitive: UtkTarget::AgeOver(40), ..utk(tmp.path()) },
        UtkfaceParams { sensitive: UtkTarget::Gender, ..utk(tmp.path()) },
    ] {
        let e = load_utkface(&p).unwrap_err();
        assert!(matches!(e, Error::InvalidParam { .. }), "{e:?}");
    }
}
