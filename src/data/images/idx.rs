//! The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a big-endian header, then the data.
//!
//! Header: two zero bytes, a type byte (0x08 = unsigned byte, the only type these datasets use),
//! the number of dimensions d, then d big-endian `u32` sizes; then the product of the sizes in
//! bytes. Images are magic `0x00000803` (count, rows, columns), labels `0x00000801` (count).
//! Files may be gzip-compressed (recognised by the gzip magic `1f 8b`, whatever their name).

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Largest file this reader accepts after decompression (the 60,000-image MNIST train set is
/// 47 MB): a corrupt header can then not ask for an absurd allocation.
const MAX_IDX_BYTES: u64 = 1 << 31;

/// An unsigned-byte IDX array: its sizes and its values in row-major order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

fn corrupt(source: &str, message: impl Into<String>) -> Error {
    Error::Schema(format!("{source}: not a valid IDX file: {}", message.into()))
}

/// Reads an IDX file (raw or gzip). Errors name the file: unreadable, truncated or corrupt gzip,
/// a wrong magic number or type, a header whose sizes disagree with the file's length.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_idx_bytes(&bytes, &path.display().to_string())
}

/// [`read_idx`] on bytes in memory; `source` names them in errors.
pub fn read_idx_bytes(bytes: &[u8], source: &str) -> Result<IdxArray> {
    let raw: std::borrow::Cow<[u8]> = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_IDX_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| corrupt(source, format!("gzip stream: {e}")))?;
        if out.len() as u64 > MAX_IDX_BYTES {
            return Err(corrupt(source, format!("more than {MAX_IDX_BYTES} bytes after decompression")));
        }
        out.into()
    } else {
        bytes.into()
    };
    parse(&raw, source)
}

fn parse(raw: &[u8], source: &str) -> Result<IdxArray> {
    if raw.len() < 4 {
        return Err(corrupt(source, format!("{} bytes, shorter than the 4-byte magic number", raw.len())));
    }
    if raw[0] != 0 || raw[1] != 0 {
        return Err(corrupt(source, format!("magic number {:02x}{:02x}{:02x}{:02x} does not start with two zero bytes", raw[0], raw[1], raw[2], raw[3])));
    }
    if raw[2] != 0x08 {
        return Err(corrupt(source, format!("data type 0x{:02x}; only unsigned bytes (0x08) are supported", raw[2])));
    }
    let d = raw[3] as usize;
    if d == 0 || d > 4 {
        return Err(corrupt(source, format!("{d} dimensions; expected 1 to 4")));
    }
    let header = 4 + 4 * d;
    if raw.len() < header {
        return Err(corrupt(source, format!("{} bytes, shorter than its {header}-byte header", raw.len())));
    }
    let dims: Vec<usize> = (0..d).map(|i| u32::from_be_bytes([raw[4 + 4 * i], raw[5 + 4 * i], raw[6 + 4 * i], raw[7 + 4 * i]]) as usize).collect();
    let expected = dims.iter().try_fold(1u64, |acc, &x| acc.checked_mul(x as u64)).filter(|&n| n <= MAX_IDX_BYTES);
    let Some(expected) = expected else {
        return Err(corrupt(source, format!("sizes {dims:?} ask for more than {MAX_IDX_BYTES} bytes")));
    };
    let got = (raw.len() - header) as u64;
    if got != expected {
        return Err(corrupt(
            source,
            format!("the header's sizes {dims:?} need {expected} data bytes, the file has {got} ({})", if got < expected { "truncated" } else { "trailing bytes" }),
        ));
    }
    Ok(IdxArray { dims, data: raw[header..].to_vec() })
}

/// Writes an unsigned-byte IDX file (gzip-compressed when the name ends in `.gz`), atomically:
/// a temporary file in the same folder, renamed into place.
pub fn write_idx(path: &Path, dims: &[usize], data: &[u8]) -> Result<()> {
    if dims.is_empty() || dims.len() > 4 || dims.iter().product::<usize>() != data.len() || dims.iter().any(|&x| x > u32::MAX as usize) {
        return Err(Error::invalid("IDX sizes", format!("{dims:?} for {} bytes", data.len()), "1 to 4 sizes whose product is the data length"));
    }
    let mut raw = vec![0u8, 0, 0x08, dims.len() as u8];
    for &x in dims {
        raw.extend_from_slice(&(x as u32).to_be_bytes());
    }
    raw.extend_from_slice(data);
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&raw).map_err(|e| Error::io(path, e))?;
        enc.finish().map_err(|e| Error::io(path, e))?
    } else {
        raw
    };
    crate::atomic::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(n: u32, r: u32, c: u32, data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, 3];
        for x in [n, r, c] {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn reads_raw_and_gzip_and_checks_the_length() {
        let raw = images(2, 2, 2, &[1, 2, 3, 4, 5, 6, 7, 8]);
        let a = read_idx_bytes(&raw, "x").unwrap();
        assert_eq!(a.dims, vec![2, 2, 2]);
        assert_eq!(a.data, vec![1, 2, 3, 4, 5, 6, 7, 8]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &raw).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(read_idx_bytes(&gz, "x").unwrap(), a);
        let e = read_idx_bytes(&raw[..raw.len() - 1], "short.idx").unwrap_err().to_string();
        assert!(e.contains("short.idx") && e.contains("truncated"), "{e}");
        let e = read_idx_bytes(&gz[..gz.len() / 2], "half.gz").unwrap_err().to_string();
        assert!(e.contains("half.gz") && e.contains("gzip"), "{e}");
        let mut bad = raw.clone();
        bad[2] = 0x0d;
        assert!(read_idx_bytes(&bad, "f").unwrap_err().to_string().contains("data type"));
        assert!(read_idx_bytes(&[0, 0], "f").unwrap_err().to_string().contains("magic"));
        // A header that asks for 2^32 * 2^32 bytes is refused before any allocation.
        let huge = images(u32::MAX, u32::MAX, 2, &[]);
        assert!(read_idx_bytes(&huge, "f").unwrap_err().to_string().contains("more than"));
    }
}
