//! The fuzz targets' corpus and crash repros, replayed on stable (issue 26): every file
//! under `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes through the same
//! check as the fuzzer runs (`fuzz/src/checks.rs`, included here), so an input that once
//! failed stays fixed in `cargo test`. The long runs themselves: `./x fuzz` (docs/ops.md).

#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

/// Replays `fuzz/{corpus,regressions}/<target>/*` through `check`; returns how many.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let r = std::panic::catch_unwind(|| check(&data));
            assert!(r.is_ok(), "{target}: {} fails its check", path.display());
            n += 1;
        }
    }
    n
}

#[test]
fn fuzz_corpora_and_repros_pass_their_checks() {
    for (target, check) in [
        ("visitor_frames", checks::visitor_frames as fn(&[u8])),
        ("agent_request", checks::agent_request),
        ("reception_query", checks::reception_query),
        ("card", checks::card),
        ("faq_file", checks::faq_file),
        ("sniff", checks::sniff),
    ] {
        let n = replay(target, check);
        assert!(n > 0, "{target}: no corpus committed");
    }
}
