//! Frontdesk's fuzz targets (cargo-fuzz, libFuzzer): `fuzz_targets/*.rs` each call one check
//! of [`checks`]. See `docs/ops.md` ("Fuzzing").

pub mod checks;
