//! The command line as typed: clap derive types holding raw values only.
//! Decisions that depend on the environment (colour, the signature set) are
//! made in `lib.rs` once, from these values.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

use crate::signature::Severity;

const ABOUT: &str =
    "Name Istio Gateway API ingress failures on AKS from istiod, Envoy and Kubernetes evidence";

const LONG_ABOUT: &str = "\
Reads istiod and gateway-pod (istio-proxy/Envoy) logs, Kubernetes Events and
Gateway/Route status, names each failure after a known signature from the AKS
troubleshooting guide, and says what to do about it.";

const AFTER_HELP: &str = "\
Examples:
  kubectl logs -n aks-istio-system deploy/istiod-asm-1-26 | aks-gw-logs classify -
  aks-gw-logs classify gateway-pod.log events.txt gateway.yaml
  aks-gw-logs classify --count --json istio-proxy.log
  aks-gw-logs patterns list

Exit status: 0 when nothing at or above --fail-on was found, 1 when something
was, 2 on errors (an input that cannot be read, a bad pattern file).";

/// The whole command line.
#[derive(Debug, Parser)]
#[command(name = "aks-gw-logs", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Args {
    /// Extra pattern files (*.toml) that add signatures or override built-in ones by id.
    #[arg(long, global = true, value_name = "DIR")]
    pub patterns: Option<PathBuf>,

    /// When to colour output; `auto` colours only a terminal and honours NO_COLOR.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Never colour output (same as --color never).
    #[arg(long, global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// `--color` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify log lines, Events and status conditions from files or stdin.
    #[command(after_help = CLASSIFY_HELP)]
    Classify(ClassifyArgs),
    /// List, test and lint the signature library.
    #[command(
        subcommand,
        after_help = "Examples:\n  aks-gw-logs patterns list\n  aks-gw-logs patterns test proxy.not_ready\n  aks-gw-logs --patterns ./my-patterns patterns lint"
    )]
    Patterns(PatternsCommand),
}

const CLASSIFY_HELP: &str = "\
Inputs may be any mix of: istiod/pilot-agent text or JSON logs, istio-proxy
(Envoy) logs, access logs, klog, `kubectl logs --timestamps` output, CRI
container log files, `kubectl get events` tables or `-o json/yaml`,
`kubectl describe` output, and Gateway/HTTPRoute objects as YAML or JSON.

Examples:
  kubectl logs -n aks-istio-system -l app=istiod --timestamps | aks-gw-logs classify -
  aks-gw-logs classify /var/log/containers/httpbin-gateway-istio-*.log
  kubectl get gateway,httproute -A -o yaml | aks-gw-logs classify -
  aks-gw-logs classify --json gw.log | jq 'select(.severity == \"critical\")'
  aks-gw-logs classify --all --json gw.log      # every record, matched or not
  aks-gw-logs classify --count gw.log           # hits per signature";

/// `classify` options.
#[derive(Debug, ClapArgs)]
pub struct ClassifyArgs {
    /// Files to read; `-` (or nothing) reads stdin.
    #[arg(value_name = "FILE|-")]
    pub inputs: Vec<PathBuf>,

    /// Print JSON lines: one object per hit (or per record with --all, per signature with --count).
    #[arg(long)]
    pub json: bool,

    /// Print every record, matched or not (`"signature": null` when unmatched), with its line number.
    #[arg(long, conflicts_with = "count")]
    pub all: bool,

    /// Print how many hits each signature had instead of the hits.
    #[arg(long)]
    pub count: bool,

    /// Print a summary of what was read (lines, records, hits, speed) to stderr at the end.
    #[arg(long)]
    pub stats: bool,

    /// Exit with status 1 when a hit at or above this severity is found.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "SEVERITY")]
    pub fail_on: FailOn,
}

/// `--fail-on` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Error,
    Critical,
    /// Never exit 1 because of hits.
    Never,
}

impl FailOn {
    /// The lowest severity that fails, if any does.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Error => Some(Severity::Error),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::Never => None,
        }
    }
}

/// `patterns` subcommands.
#[derive(Debug, Subcommand)]
pub enum PatternsCommand {
    /// List the signatures: id, severity, sources and title.
    #[command(
        after_help = "Examples:\n  aks-gw-logs patterns list\n  aks-gw-logs patterns list --json | jq -r .id\n  aks-gw-logs patterns list --regexes > regexes.txt   # for grep -f / rg -f"
    )]
    List {
        /// One JSON object per signature, with its guide step, remediation and regexes.
        #[arg(long, conflicts_with = "regexes")]
        json: bool,
        /// Print every signature regex, one per line (an equivalent set for `rg -f`).
        #[arg(long)]
        regexes: bool,
    },
    /// Run every signature's inline examples through the classifier.
    #[command(
        after_help = "Each `match` example must produce a hit of its signature, each `no_match`\nexample must not. Exit status 1 when any example fails.\n\nExamples:\n  aks-gw-logs patterns test\n  aks-gw-logs patterns test proxy.not_ready\n  aks-gw-logs --patterns ./my-patterns patterns test"
    )]
    Test {
        /// Test only these signature ids.
        ids: Vec<String>,
    },
    /// Check pattern files and report errors as file:line:col with a caret.
    #[command(
        after_help = "Without arguments, lints the built-in library and --patterns DIR.\n\nExamples:\n  aks-gw-logs patterns lint\n  aks-gw-logs patterns lint ./my-patterns/extra.toml"
    )]
    Lint {
        /// Pattern files or directories to check.
        #[arg(value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
    },
}
