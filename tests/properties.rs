//! Property tests (proptest, bounded case counts so CI stays quick): the CSV reader never panics
//! and never returns a shortened table, and the audit's invariants hold on random data.

use fairdistill::audit::{AuditParams, FairnessAudit};
use fairdistill::data::CsvColumns;
use proptest::prelude::*;

/// Bytes drawn mostly from the characters that make CSV hard (quotes, separators, line ends, a
/// BOM, digits), so that the cases reach the reader's edge cases rather than one long field.
fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> = b"ab,,,\"\"\n\n\r 0123.5-e;\t".iter().copied().chain([0xef, 0xbb, 0xbf, 0xff, 0x00]).collect();
    prop::collection::vec(prop::sample::select(alphabet), 0..300)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any bytes: a table whose every column has every row, or a clean error; never a panic.
    #[test]
    fn the_csv_reader_never_panics_nor_shortens(bytes in prop_oneof![csvish(), prop::collection::vec(any::<u8>(), 0..200)]) {
        if let Ok(t) = CsvColumns::parse(&bytes, "fuzz.csv") {
            for name in t.header() {
                let col = t.strings(name).expect("a header name is a column");
                prop_assert_eq!(col.len(), t.n_rows());
            }
        }
    }

    /// A well-formed file with a quoted field reads back every row.
    #[test]
    fn well_formed_rows_are_all_read(rows in prop::collection::vec((0u8..2, 0u8..2, "[a-c]{1,3}"), 1..60)) {
        let mut text = String::from("y,p,\"s\"\n");
        for (y, p, s) in &rows {
            text.push_str(&format!("{y},{p},\"{s}\"\n"));
        }
        let t = CsvColumns::parse(text.as_bytes(), "ok.csv").unwrap();
        prop_assert_eq!(t.n_rows(), rows.len());
        let s = t.strings("s").unwrap();
        for ((_, _, want), got) in rows.iter().zip(&s) {
            prop_assert_eq!(want, got);
        }
    }
}

fn audit_of(y: &[u8], p: &[u8], s: &[String]) -> fairdistill::AuditReport {
    FairnessAudit::new(y, p).sensitive("s", s).params(AuditParams::default().n_boot(0)).run().unwrap()
}

fn data() -> impl Strategy<Value = Vec<(u8, u8, u8)>> {
    // Every group present, with both labels, so that the rates are defined.
    prop::collection::vec((0u8..2, 0u8..2, 0u8..3), 12..150).prop_map(|mut v| {
        for g in 0..3u8 {
            v.push((0, 0, g));
            v.push((1, 1, g));
        }
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// DPD and EOD lie in [0, 1]; a permutation of the rows changes no metric; duplicating every
    /// row changes no rate.
    #[test]
    fn audit_invariants(rows in data(), seed in any::<u64>()) {
        let y: Vec<u8> = rows.iter().map(|r| r.0).collect();
        let p: Vec<u8> = rows.iter().map(|r| r.1).collect();
        let s: Vec<String> = rows.iter().map(|r| ["a", "b", "c"][r.2 as usize].to_string()).collect();
        let base = audit_of(&y, &p, &s);
        for v in [base.demographic_parity_difference.get(), base.equalized_odds_difference.get()].into_iter().flatten() {
            prop_assert!((0.0..=1.0).contains(&v), "{}", v);
        }
        // A permutation (a seeded shuffle).
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let mut state = seed | 1;
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let pick = |v: &Vec<u8>| order.iter().map(|&i| v[i]).collect::<Vec<u8>>();
        let ps: Vec<String> = order.iter().map(|&i| s[i].clone()).collect();
        let perm = audit_of(&pick(&y), &pick(&p), &ps);
        prop_assert_eq!(base.demographic_parity_difference.get(), perm.demographic_parity_difference.get());
        prop_assert_eq!(base.equalized_odds_difference.get(), perm.equalized_odds_difference.get());
        prop_assert_eq!(base.worst_group_accuracy.get(), perm.worst_group_accuracy.get());
        // Every row twice.
        let twice = |v: &Vec<u8>| v.iter().chain(v.iter()).copied().collect::<Vec<u8>>();
        let s2: Vec<String> = s.iter().chain(s.iter()).cloned().collect();
        let dup = audit_of(&twice(&y), &twice(&p), &s2);
        for (a, b) in base.groups.iter().zip(&dup.groups) {
            prop_assert_eq!(a.selection_rate.get(), b.selection_rate.get());
            prop_assert_eq!(a.tpr.get(), b.tpr.get());
            prop_assert_eq!(a.fpr.get(), b.fpr.get());
        }
        prop_assert_eq!(base.demographic_parity_difference.get(), dup.demographic_parity_difference.get());
    }
}
