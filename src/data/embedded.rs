//! Datasets compiled into the binary (CC BY 4.0 files, gzipped; see `src/data/embedded/NOTICE`).

use std::io::Read;

use crate::error::{Error, Result};

const ADULT_DATA: &[u8] = include_bytes!("embedded/adult.data.gz");
const ADULT_TEST: &[u8] = include_bytes!("embedded/adult.test.gz");
const GERMAN_DATA: &[u8] = include_bytes!("embedded/german.data.gz");

/// The embedded file called `name` (`adult.data`, `adult.test`, `german.data`), decompressed.
pub(crate) fn embedded_file(name: &str) -> Result<Vec<u8>> {
    let gz = match name {
        "adult.data" => ADULT_DATA,
        "adult.test" => ADULT_TEST,
        "german.data" => GERMAN_DATA,
        other => {
            return Err(Error::invalid("embedded file", other, "not embedded (adult.data, adult.test, german.data are)"))
        }
    };
    let mut out = Vec::with_capacity(gz.len() * 10);
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .map_err(|e| Error::io(format!("<embedded {name}>"), e))?;
    Ok(out)
}
