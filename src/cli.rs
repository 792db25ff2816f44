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
  aks-gw-logs incident search --gateway httpbin-gateway --since 12h
  aks-gw-logs patterns list

Every command that classifies also groups hits into incidents and records
them in the incident store (see --store, --no-store); `incident` searches it.

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

    /// The incident store (a directory of its own). Default:
    /// $XDG_DATA_HOME/aks-gw-logs/store, else ~/.local/share/aks-gw-logs/store.
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "no_store")]
    pub store: Option<PathBuf>,

    /// Do not record incidents in the store (classify only prints).
    #[arg(long, global = true)]
    pub no_store: bool,

    /// Keep secrets (tokens, keys, passwords, private keys) in what is printed and stored; by default they are redacted.
    #[arg(long, global = true)]
    pub no_redact: bool,

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
    /// Analyse a support bundle offline: which Gateway is broken and why.
    #[command(subcommand, after_help = BUNDLE_HELP)]
    Bundle(BundleCommand),
    /// Follow a live cluster: istiod and gateway logs, Events and Gateway API status, as incidents.
    #[command(after_help = FOLLOW_HELP)]
    Follow(FollowArgs),
    /// Search the incident store: what happened, where, and what to do.
    #[command(subcommand, after_help = INCIDENT_HELP)]
    Incident(IncidentCommand),
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

    /// The cluster the inputs come from (part of every incident's key).
    #[arg(long, default_value = "default", value_name = "NAME")]
    pub cluster: String,

    /// The pod the inputs were written by (default: the file name, when it
    /// is a pod name such as httpbin-gateway-istio-6d9f7c8b5d-x2kqz.log).
    #[arg(long, value_name = "NAME")]
    pub pod: Option<String>,

    /// The namespace of that pod.
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,

    /// An incident with no new hit for this long is closed; the next hit
    /// opens a new incident linked to it.
    #[arg(long, default_value = "15m", value_name = "DURATION", value_parser = parse_duration)]
    pub quiet_window: chrono::Duration,

    /// How often incidents are committed to the store while reading (they
    /// always are at the end).
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = parse_duration)]
    pub commit_interval: chrono::Duration,
}

const BUNDLE_HELP: &str = "\
Bundles: `istioctl bug-report` archives, `kubectl cluster-info dump` trees,
troubleshoot.sh support bundles, and plain directories or log files; read
as directories, .tar, .tar.gz/.tgz or .zip, in place (nothing is extracted).

Examples:
  aks-gw-logs bundle analyze bug-report.tar.gz
  aks-gw-logs bundle analyze ./cluster-dump --cluster aks-prod
  aks-gw-logs bundle analyze support-bundle.tar.gz --format json | jq .signature
  aks-gw-logs bundle analyze bug-report.tar.gz --format html > report.html";

/// `bundle` subcommands.
#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Classify every log, Event and object in a bundle and report incidents by Gateway.
    #[command(after_help = BUNDLE_HELP)]
    Analyze(BundleArgs),
}

/// `bundle analyze` options.
#[derive(Debug, ClapArgs)]
pub struct BundleArgs {
    /// The bundle: a directory, a .tar, .tar.gz/.tgz or .zip archive, or one log file.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// The cluster the bundle comes from (default: the bundle's file name).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// How to print the report.
    #[arg(long, value_enum, default_value_t = BundleFormat::Terminal, value_name = "FORMAT")]
    pub format: BundleFormat,

    /// Exit with status 1 when an incident at or above this severity is found.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "SEVERITY")]
    pub fail_on: FailOn,

    /// An incident with no new hit for this long is closed.
    #[arg(long, default_value = "15m", value_name = "DURATION", value_parser = parse_duration)]
    pub quiet_window: chrono::Duration,
}

/// `bundle analyze --format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BundleFormat {
    /// Gateways first, then their incidents with evidence, then what to do.
    Terminal,
    /// One JSON object per incident.
    Json,
    /// Markdown for a support ticket: a Gateway table, incidents with evidence, what to do.
    Markdown,
    /// One self-contained HTML file with a timeline chart of incidents per Gateway.
    Html,
}

fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    crate::when::parse_duration(text)
}

const FOLLOW_HELP: &str = "\
Follows the logs of every istiod pod (all revisions) in the istio namespace
and of every Gateway API gateway pod (label gateway.networking.k8s.io/gateway-name),
picking up new pods and restarted containers, and watches Events, Gateways,
routes, GatewayClasses, ReferenceGrants, ConfigMaps, Services, Deployments,
Nodes and Namespaces. Incidents are printed as they open, grow and close, and
go to the incident store. A dropped log stream resumes where it stopped,
without a lost or repeated line. Ctrl-C commits the store and exits with 130.

Needs get/list/watch on those resources and get on pods/log; a missing
permission is named once, with the RBAC rule that grants it, and the rest
is followed.

Examples:
  aks-gw-logs follow                                  # current context, every gateway
  aks-gw-logs follow --context aks-prod -n shop --gateway shop-gw
  aks-gw-logs follow --json | jq 'select(.event == \"open\")'
  aks-gw-logs follow --since 1h --duration 10m --fail-on critical   # a bounded check";

/// `follow` options.
#[derive(Debug, ClapArgs)]
pub struct FollowArgs {
    /// The kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context (default: the current one).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Where istiod runs.
    #[arg(long, default_value = "aks-istio-system", value_name = "NS")]
    pub istio_namespace: String,

    /// Follow gateways (and their Events and objects) in this namespace only; repeat for more (default: all).
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,

    /// Follow only the pods of this Gateway; repeat for more.
    #[arg(long = "gateway", value_name = "NAME")]
    pub gateways: Vec<String>,

    /// The backlog read at start: log lines and Events of this last stretch.
    #[arg(long, default_value = "10m", value_name = "DURATION", value_parser = parse_duration)]
    pub since: chrono::Duration,

    /// Stop after this long (default: run until Ctrl-C).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<chrono::Duration>,

    /// The most log streams open at once; the rest wait their turn.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub max_streams: usize,

    /// The most API requests a second (bursts of twice that).
    #[arg(long, default_value_t = 20.0, value_name = "N")]
    pub qps: f64,

    /// Print JSON lines: {\"event\": \"open\"|\"update\"|\"closed\", \"incident\": {...}}.
    #[arg(long)]
    pub json: bool,

    /// Also print every log line read, after its namespace/pod/container (JSON: {\"event\": \"line\", ...}).
    #[arg(long)]
    pub tail: bool,

    /// The least time between two prints of one incident's growth.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    pub update_interval: chrono::Duration,

    /// The cluster name incidents are stored under (default: the context's name).
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// An incident with no new hit for this long is closed.
    #[arg(long, default_value = "15m", value_name = "DURATION", value_parser = parse_duration)]
    pub quiet_window: chrono::Duration,

    /// With --duration: exit with status 1 when an incident at or above this severity was seen.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "SEVERITY")]
    pub fail_on: FailOn,
}

const INCIDENT_HELP: &str = "\
Incidents are the hits of one signature on one object (Gateway, Route,
Service, pod) of one cluster, from the first to the last, with sample lines
and what to do. `classify` records them; these commands read them and never
block a running writer.

Examples:
  aks-gw-logs incident search --gateway httpbin-gateway --since 12h
  aks-gw-logs incident search 'bind AND listener' --severity error
  aks-gw-logs incident search --signature lb.sync_failed --json | jq .object
  aks-gw-logs incident show 3f9a1c2b7d4e
  aks-gw-logs incident stats --since 7d";

/// `incident` subcommands.
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Find incidents, newest first: a table, or --json with one object per incident.
    #[command(after_help = SEARCH_HELP)]
    Search {
        /// tantivy query syntax over titles, messages, sample lines, object
        /// and pod names; empty for every incident.
        #[arg(value_name = "QUERY")]
        query: Option<String>,
        #[command(flatten)]
        filter: IncidentFilter,
        /// At most this many incidents.
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
        /// One JSON object per incident.
        #[arg(long)]
        json: bool,
    },
    /// Everything about one incident: its samples, pods and what to do.
    #[command(
        after_help = "Examples:\n  aks-gw-logs incident show 3f9a1c2b7d4e\n  aks-gw-logs incident show 3f9a1c2b --json"
    )]
    Show {
        /// The incident id (6 or more of its first hex digits are enough).
        #[arg(value_name = "ID")]
        id: String,
        /// The incident as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Incidents per signature and per Gateway, and a histogram over time.
    #[command(
        after_help = "Examples:\n  aks-gw-logs incident stats\n  aks-gw-logs incident stats --since 7d --gateway httpbin-gateway\n  aks-gw-logs incident stats 'cannot bind' --json"
    )]
    Stats {
        /// tantivy query syntax, as for `search`; empty for every incident.
        #[arg(value_name = "QUERY")]
        query: Option<String>,
        #[command(flatten)]
        filter: IncidentFilter,
        /// One JSON object with the counts and the histogram.
        #[arg(long)]
        json: bool,
    },
}

const SEARCH_HELP: &str = "\
Query syntax (tantivy): words must all appear (`cannot bind`), \"a phrase\",
OR / AND / NOT, +must -mustnot, (groups), and field:value with the fields
title, message, samples, object, pods, signature, severity, namespace,
gateway, cluster, id.

Examples:
  aks-gw-logs incident search
  aks-gw-logs incident search 'bind' --gateway default/httpbin-gateway
  aks-gw-logs incident search '\"address pending\"' --since 2025-08-26T00:00:00Z --until 2025-08-27
  aks-gw-logs incident search --severity critical --since 24h --json";

/// Filters shared by `incident search` and `incident stats`.
#[derive(Debug, Clone, ClapArgs)]
pub struct IncidentFilter {
    /// Only these signatures (repeat the option for more).
    #[arg(long, value_name = "ID")]
    pub signature: Vec<String>,
    /// Only this severity or worse.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub severity: Option<SeverityArg>,
    /// Only incidents in this namespace.
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Only incidents of this Gateway: `namespace/name`, or a name in any namespace.
    #[arg(long, value_name = "GATEWAY")]
    pub gateway: Option<String>,
    /// Only incidents of this cluster.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Only incidents active since: a duration ago (2h, 7d) or an RFC 3339 time or a date.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only incidents active until: a duration ago or an RFC 3339 time or a date.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

/// Severity names on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Warning,
    Error,
    Critical,
}

impl SeverityArg {
    /// As a [`Severity`].
    pub fn severity(self) -> Severity {
        match self {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Error => Severity::Error,
            SeverityArg::Critical => Severity::Critical,
        }
    }
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
