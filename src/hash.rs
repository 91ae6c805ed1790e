//! A short, stable fingerprint of bytes: cache keys of trained models and the config hash printed
//! in report headers. Not cryptographic; stable across platforms and versions of this crate.

/// FNV-1a 64 over `parts` (each part followed by a separator byte, so that `["ab", "c"]` and
/// `["a", "bc"]` differ), as 16 hex digits.
pub fn fnv1a_hex(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for part in parts {
        for &b in *part {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn parts_are_separated_and_the_value_is_stable() {
        assert_ne!(super::fnv1a_hex(&[b"ab", b"c"]), super::fnv1a_hex(&[b"a", b"bc"]));
        assert_eq!(super::fnv1a_hex(&[]), "cbf29ce484222325");
        assert_eq!(super::fnv1a_hex(&[b"x"]), super::fnv1a_hex(&[b"x"]));
    }
}
