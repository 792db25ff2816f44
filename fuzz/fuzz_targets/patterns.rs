//! Fuzz target `patterns`: arbitrary bytes into `aks_gw_logs::fuzzing::patterns`
//! (see `src/fuzzing.rs` for what it exercises and checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| aks_gw_logs::fuzzing::patterns(data));
