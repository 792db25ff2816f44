//! aks-gw-logs: named failures from Istio Gateway API ingress evidence on AKS.
//!
//! Data flows one way:
//!
//! ```text
//! input ──bytes──▶ parse ──Record──▶ classify ──Hit──▶ group ──Incident──▶ store
//! (input.rs:       (parse/: nom      (classify.rs: one   (group.rs:    (store/: tantivy
//!  files, stdin,    line parsers,     multi-pattern pass  key, window,   index; search,
//!  prefilter)       Events, status)   per record)         samples)       stats)
//!                                           └──Hit──▶ output (human, JSON lines, counts)
//! ```
//!
//! - [`record`]: the one normalised [`record::Record`] every parser emits.
//! - [`parse`]: text formats to records; [`input`]: reading an input, with the
//!   [`prefilter`] that skips lines that cannot hit.
//! - [`signature`]: the pattern library (`patterns/*.toml`, embedded at build
//!   time) compiled into one automaton per field; [`classify`]: records to hits.
//! - [`group`]: hits to [`incident::Incident`]s, with [`template`] grouping
//!   unclassified lines by shape; [`store`]: the incident index on disk;
//!   [`pipeline`]: printer, grouper and store behind one sink.
//! - [`follow`]: a live cluster through kube-rs (pods, log streams,
//!   watches) into the same pipeline; [`checks`] evaluate the [check]
//!   signatures on the objects of a bundle or a cluster ([`inventory`]).
//! - [`cli`] holds the raw command line; [`commands`] one module per subcommand;
//!   [`output`] and [`sanitize`] print safely; [`when`] reads times and durations.

pub mod bundle;
pub mod checks;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod follow;
#[doc(hidden)]
pub mod fuzzing;
pub mod group;
pub mod incident;
pub mod input;
pub mod inventory;
pub mod output;
pub mod parse;
pub mod pipeline;
pub mod prefilter;
pub mod record;
pub mod redact;
pub mod sanitize;
pub mod signature;
pub mod store;
pub mod template;
pub mod when;

use std::io::IsTerminal;

use cli::{Args, BundleCommand, ColorChoice, Command, IncidentCommand, PatternsCommand};
use input::Engine;
use output::Style;
use signature::SignatureSet;
use store::{Mode, Store};

/// The store a classifying command writes to, or none with `--no-store`.
fn writing_store(args: &Args) -> anyhow::Result<Option<Store>> {
    if args.no_store {
        return Ok(None);
    }
    Ok(Some(Store::open(&store_dir(args)?, Mode::Write)?))
}

/// The store directory: `--store DIR`, else the default in the user's data directory.
fn store_dir(args: &Args) -> anyhow::Result<std::path::PathBuf> {
    match &args.store {
        Some(dir) => Ok(dir.clone()),
        None => store::default_dir().ok_or_else(|| {
            anyhow::anyhow!("cannot tell where the incident store goes (neither XDG_DATA_HOME nor HOME is set); pass --store DIR or --no-store")
        }),
    }
}

/// How a run ended; `main` turns it into the process exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: nothing at or above `--fail-on` was found.
    Ok,
    /// 1: something was found (or an example/lint check failed).
    Found,
    /// 2: an error: an unreadable input, bad pattern files.
    Error,
    /// 130: stopped by Ctrl-C (after committing what was found).
    Interrupted,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Found => 1,
            ExitStatus::Error => 2,
            ExitStatus::Interrupted => 130,
        }
    }
}

/// Loads the built-in signatures plus `--patterns DIR`.
pub fn load_signatures(user_dir: Option<&std::path::Path>) -> anyhow::Result<SignatureSet> {
    let mut files = signature::builtin_files();
    if let Some(dir) = user_dir {
        files.extend(signature::user_files(dir)?);
    }
    SignatureSet::compile(&files).map_err(|diags| {
        let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        anyhow::anyhow!(
            "{} problem(s) in pattern files:\n\n{}",
            diags.len(),
            text.join("\n\n")
        )
    })
}

/// The engine of a classifying command: the signatures, and `--no-redact`.
fn engine_of(args: &Args) -> anyhow::Result<Engine> {
    let mut engine = Engine::new(load_signatures(args.patterns.as_deref())?);
    engine.redact = !args.no_redact;
    Ok(engine)
}

/// Whether to colour stdout.
fn use_color(args: &Args) -> bool {
    color_enabled(
        args.color,
        args.no_color,
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
        std::io::stdout().is_terminal(),
    )
}

/// The colour decision: `--no-color` and `--color never` win, `always`
/// colours, and `auto` colours a terminal unless `NO_COLOR` is set and not
/// empty (no-color.org) or `TERM` is `dumb`.
fn color_enabled(
    choice: ColorChoice,
    no_color_flag: bool,
    no_color_env: Option<&std::ffi::OsStr>,
    term: Option<&std::ffi::OsStr>,
    is_tty: bool,
) -> bool {
    if no_color_flag {
        return false;
    }
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            no_color_env.is_none_or(|v| v.is_empty()) && term.is_none_or(|t| t != "dumb") && is_tty
        }
    }
}

/// Runs the command line.
pub fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let style = Style {
        color: use_color(&args),
    };
    match &args.command {
        Command::Patterns(PatternsCommand::Lint { paths }) => {
            commands::patterns::lint(args.patterns.as_ref(), paths)
        }
        Command::Patterns(PatternsCommand::List { json, regexes }) => {
            let set = load_signatures(args.patterns.as_deref())?;
            Ok(commands::patterns::list(&set, *json, *regexes, style)?)
        }
        Command::Patterns(PatternsCommand::Test { ids }) => {
            let engine = engine_of(&args)?;
            Ok(commands::patterns::test(&engine, ids, style)?)
        }
        Command::Classify(c) => {
            let engine = engine_of(&args)?;
            let style = Style {
                color: style.color && !c.json,
            };
            let store = writing_store(&args)?;
            Ok(commands::classify::run(c, &engine, store, style))
        }
        Command::Bundle(BundleCommand::Analyze(b)) => {
            let engine = engine_of(&args)?;
            let style = Style {
                color: style.color && b.format == cli::BundleFormat::Terminal,
            };
            let store = writing_store(&args)?;
            commands::bundle::analyze(b, &engine, store, style)
        }
        Command::Follow(f) => {
            let engine = engine_of(&args)?;
            let style = Style {
                color: style.color && !f.json,
            };
            let store = writing_store(&args)?;
            commands::follow::run(f, &engine, store, style)
        }
        Command::Incident(command) => {
            if args.no_store {
                anyhow::bail!("`incident` reads the incident store; drop --no-store");
            }
            let store = Store::open(&store_dir(&args)?, Mode::Read)?;
            let now = chrono::Utc::now();
            let search = |query: &Option<String>, filter, limit| {
                commands::incident::search_of(query.as_deref(), filter, limit, now)
                    .map_err(anyhow::Error::msg)
            };
            match command {
                IncidentCommand::Search {
                    query,
                    filter,
                    limit,
                    json,
                } => commands::incident::search(
                    &store,
                    &search(query, filter, *limit)?,
                    *json,
                    style,
                ),
                IncidentCommand::Show { id, json } => {
                    commands::incident::show(&store, id, *json, style)
                }
                IncidentCommand::Stats {
                    query,
                    filter,
                    json,
                } => commands::incident::stats(&store, &search(query, filter, 0)?, *json, style),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        let auto =
            |no_color, term, tty| color_enabled(ColorChoice::Auto, false, no_color, term, tty);
        assert!(auto(None, Some(OsStr::new("xterm")), true));
        assert!(
            !auto(None, Some(OsStr::new("xterm")), false),
            "not a terminal"
        );
        assert!(
            !auto(Some(OsStr::new("1")), Some(OsStr::new("xterm")), true),
            "NO_COLOR set"
        );
        assert!(
            auto(Some(OsStr::new("")), None, true),
            "empty NO_COLOR is unset"
        );
        assert!(!auto(None, Some(OsStr::new("dumb")), true), "TERM=dumb");
        assert!(color_enabled(
            ColorChoice::Always,
            false,
            Some(OsStr::new("1")),
            None,
            false
        ));
        assert!(
            !color_enabled(ColorChoice::Always, true, None, None, true),
            "--no-color wins"
        );
        assert!(!color_enabled(ColorChoice::Never, false, None, None, true));
    }
}
