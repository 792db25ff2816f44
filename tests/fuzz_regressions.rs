//! Replays, through the functions the fuzz targets call
//! (`aks_gw_logs::fuzzing`), every crasher the fuzzers found
//! (`fuzz/regressions/<target>/`) and every seed input the targets start
//! from (`fuzz/seeds.txt`), so that a fixed crash that comes back fails
//! `cargo test` on the stable toolchain, without libFuzzer. A target
//! function fails by panicking: on a crash, or on an invariant it checks.

use std::path::{Path, PathBuf};

use aks_gw_logs::fuzzing::TARGETS;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files under `dir`, recursively, in name order.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The target function of a name.
fn target(name: &str) -> fn(&[u8]) {
    TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no fuzz target named {name:?}"))
        .1
}

/// Runs `file` through the target `name`, naming the file if it panics.
fn replay(name: &str, file: &Path) {
    let data = std::fs::read(file).unwrap();
    let run = target(name);
    if std::panic::catch_unwind(|| run(&data)).is_err() {
        panic!(
            "fuzz target {name} fails on {} (reproduce: cargo test --test fuzz_regressions)",
            file.display()
        );
    }
}

/// Replays the crashers kept for each target (none yet: the directory
/// appears with the first one).
fn replay_crashers() {
    let Ok(targets) = std::fs::read_dir(root().join("fuzz/regressions")) else {
        return;
    };
    for target_dir in targets {
        let target_dir = target_dir.unwrap().path();
        let name = target_dir
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        for file in files_under(&target_dir) {
            replay(&name, &file);
        }
    }
}

#[test]
fn every_target_runs_clean_on_its_seeds_and_past_crashers() {
    replay_crashers();
    let list = std::fs::read_to_string(root().join("fuzz/seeds.txt")).unwrap();
    let mut targets_seeded = Vec::new();
    for line in list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap();
        let mut seeds = 0;
        for dir in words {
            if dir == "@tars" {
                // As `fuzz/run.sh` does: the sample tar.gz bundles, unpacked.
                for gz in files_under(&root().join("corpus/bundles")) {
                    if gz.to_string_lossy().ends_with(".tar.gz") {
                        let mut tar = Vec::new();
                        let bytes = std::fs::read(&gz).unwrap();
                        std::io::Read::read_to_end(
                            &mut flate2::read::GzDecoder::new(&bytes[..]),
                            &mut tar,
                        )
                        .unwrap();
                        target(name)(&tar);
                        seeds += 1;
                    }
                }
                continue;
            }
            for file in files_under(&root().join(dir)) {
                replay(name, &file);
                seeds += 1;
            }
        }
        assert!(seeds > 0, "no seed for fuzz target {name}");
        targets_seeded.push(name.to_string());
    }
    let mut all: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    all.sort();
    targets_seeded.sort();
    assert_eq!(targets_seeded, all, "fuzz/seeds.txt must seed every target");
}
