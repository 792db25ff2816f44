//! The `aks-gw-logs` binary: parses the command line, runs the library, and
//! turns the outcome into an exit code (0 nothing found, 1 found, 2 error).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = aks_gw_logs::cli::Args::parse();
    match aks_gw_logs::run(args) {
        Ok(status) => ExitCode::from(status.code()),
        Err(err) => {
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("aks-gw-logs: {err:#}");
            ExitCode::from(2)
        }
    }
}
