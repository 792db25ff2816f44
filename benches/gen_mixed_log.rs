//! Writes the benches' mixed gateway/istiod log to a file, for tools outside
//! criterion (`benches/compare_rg.sh` times `rg` and `aks-gw-logs` on it).
//!
//! ```text
//! cargo bench --bench gen_mixed_log -- OUT_PATH [SIZE_MB] [SEED]
//! ```
//!
//! Flags that `cargo bench` passes to every bench target (`--bench`, ...) are
//! ignored; with no `OUT_PATH` it prints its usage and does nothing, so a
//! plain `cargo bench` stays green.

#[path = "mixed_log.rs"]
mod mixed_log;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let Some(out) = args.first() else {
        eprintln!("usage: cargo bench --bench gen_mixed_log -- OUT_PATH [SIZE_MB] [SEED]");
        return ExitCode::SUCCESS;
    };
    let parse = |i: usize, default: u64, what: &str| -> Result<u64, String> {
        match args.get(i) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("gen_mixed_log: {what} must be a whole number, got {v:?}")),
        }
    };
    let (mb, seed) = match (parse(1, 100, "SIZE_MB"), parse(2, 42, "SEED")) {
        (Ok(mb), Ok(seed)) => (mb, seed),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let path = Path::new(out);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("gen_mixed_log: cannot create {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let bytes = (mb as usize) << 20;
    if let Err(e) = mixed_log::write_file(path, bytes, seed) {
        eprintln!("gen_mixed_log: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    eprintln!(
        "gen_mixed_log: wrote {mb} MB (seed {seed}) to {}",
        path.display()
    );
    ExitCode::SUCCESS
}
