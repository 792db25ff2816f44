//! Incident store figures, printed (the machine is shared and noisy: read
//! them as ratios to the baselines printed beside them):
//!
//! - incident updates/s into a fresh store (upserts of new and of growing
//!   incidents, one commit at the end), beside the rate of building the
//!   same documents without indexing them;
//! - bytes on disk per incident in a store of 1 000 000 incidents (built
//!   once into `target/bench-data/store-1m` and reused);
//! - `incident search` latency on that store for a term query plus two
//!   filters: p50/p99 in-process, and p50/p99 of the whole command
//!   (`aks-gw-logs incident search ...` as a process), beside the p50 of
//!   `aks-gw-logs --version` (process start alone).
//!
//! Run: `cargo bench --bench store` (`AKS_GW_LOGS_STORE_N` changes the
//! store size; `AKS_GW_LOGS_STORE_REBUILD=1` rebuilds it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aks_gw_logs::incident::{Incident, ObjectRef, Sample, State, stable_id};
use aks_gw_logs::signature::Severity;
use aks_gw_logs::store::{Mode, Search, Store};
use chrono::{DateTime, Utc};

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NAMESPACES: u64 = 200;
const GATEWAYS_PER_NS: u64 = 25;
const CLUSTERS: u64 = 10;

/// Incident `n` of a synthetic fleet: signatures and texts from the
/// built-in library, 5 000 Gateways in 200 namespaces, 10 clusters, first
/// hits spread over 30 days.
fn incident(n: u64, sigs: &[Sig], t0: DateTime<Utc>) -> Incident {
    let mut rng = Rng(n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let sig = &sigs[rng.below(sigs.len() as u64) as usize];
    let (id, title, severity, example) = (&sig.id, &sig.title, &sig.severity, &sig.example);
    let ns = format!("ns-{}", rng.below(NAMESPACES));
    let gw = format!("gw-{}", rng.below(GATEWAYS_PER_NS));
    let cluster = format!("aks-{}", rng.below(CLUSTERS));
    let first = t0 + chrono::Duration::seconds(rng.below(30 * 86_400) as i64);
    let last = first + chrono::Duration::seconds(rng.below(3600) as i64);
    let pod = format!("{gw}-istio-6d9f7c8b5d-{:05x}", rng.below(1 << 20));
    let mut sample = |ts| Sample {
        input: format!("{ns}/{pod}/istio-proxy"),
        line: rng.below(1_000_000),
        ts: Some(ts),
        text: example.clone(),
        container: Some("istio-proxy".into()),
        previous: false,
    };
    let samples = vec![sample(first), sample(last)];
    Incident {
        id: stable_id(&[&n.to_string()]),
        key: stable_id(&[&cluster, id, &ns, &gw]),
        signature: id.clone(),
        title: title.clone(),
        severity: *severity,
        cluster,
        object: ObjectRef::new("Gateway", Some(&ns), &gw),
        gateway: Some(format!("{ns}/{gw}")),
        first_seen: first,
        last_seen: last,
        count: 1 + rng.below(500),
        pods: vec![pod],
        samples,
        details: vec![("reason".into(), "synthetic".into())],
        guide_step: sig.guide_step.clone(),
        remediation: sig.remediation.clone(),
        previous: None,
        state: State::Closed,
    }
}

/// What an incident takes from its signature.
struct Sig {
    id: String,
    title: String,
    severity: Severity,
    example: String,
    guide_step: String,
    remediation: String,
}

fn signatures() -> Vec<Sig> {
    let set = aks_gw_logs::load_signatures(None).expect("built-in signatures");
    set.signatures()
        .iter()
        .filter(|s| !s.benign)
        .map(|s| Sig {
            id: s.id.clone(),
            title: s.title.clone(),
            severity: s.severity,
            example: s
                .examples_match
                .first()
                .map(|e| e.chars().take(400).collect())
                .unwrap_or_default(),
            guide_step: s.guide_step.clone(),
            remediation: s.remediation.clone(),
        })
        .collect()
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => dir_bytes(&e.path()),
                    _ => e.metadata().map_or(0, |m| m.len()),
                })
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Upserts `n` incident updates into a fresh store: each incident is
/// written once new and once grown. Returns updates/s, and the rate of
/// building the same incidents alone (the baseline).
fn upsert_rate(dir: &Path, n: u64, sigs: &[Sig], t0: DateTime<Utc>) -> (f64, f64) {
    let _ = std::fs::remove_dir_all(dir);
    let started = Instant::now();
    let mut built = 0u64;
    for i in 0..n / 2 {
        // As below: each incident built and cloned once.
        built += incident(i, sigs, t0).clone().count;
    }
    let build_secs = started.elapsed().as_secs_f64();
    std::hint::black_box(built);

    let mut store = Store::open(dir, Mode::Write).expect("new store");
    let started = Instant::now();
    for i in 0..n / 2 {
        let inc = incident(i, sigs, t0);
        let mut grown = inc.clone();
        store.upsert(inc).expect("upsert");
        grown.count += 1;
        grown.last_seen += chrono::Duration::seconds(5);
        store.upsert(grown).expect("upsert");
    }
    store.close("bench").expect("commit");
    let secs = started.elapsed().as_secs_f64();
    let check = Store::open(dir, Mode::Read).expect("reopen");
    assert_eq!(
        check.len(),
        n / 2,
        "one document per incident after the updates"
    );
    (n as f64 / secs, (n / 2) as f64 / build_secs)
}

fn ensure_store(dir: &Path, n: u64, sigs: &[Sig], t0: DateTime<Utc>) {
    let rebuild = std::env::var_os("AKS_GW_LOGS_STORE_REBUILD").is_some();
    if !rebuild
        && let Ok(store) = Store::open(dir, Mode::Read)
        && store.len() == n
    {
        return;
    }
    let _ = std::fs::remove_dir_all(dir);
    eprintln!("building a store of {n} incidents in {}", dir.display());
    let started = Instant::now();
    let mut store = Store::open(dir, Mode::Write).expect("new store");
    for i in 0..n {
        store.upsert(incident(i, sigs, t0)).expect("upsert");
        if i % 200_000 == 199_999 {
            store.commit("bench").expect("commit");
        }
    }
    store.close("bench").expect("commit");
    eprintln!("built in {:.1} s", started.elapsed().as_secs_f64());
}

/// The searches timed: a term from the titles plus a severity and a Gateway.
fn searches(n: usize) -> Vec<(String, String, String)> {
    let terms = [
        "bind",
        "probe",
        "certificate",
        "load",
        "route",
        "webhook",
        "template",
        "image",
    ];
    let mut rng = Rng(42);
    (0..n)
        .map(|_| {
            let term = terms[rng.below(terms.len() as u64) as usize].to_string();
            let gw = format!(
                "ns-{}/gw-{}",
                rng.below(NAMESPACES),
                rng.below(GATEWAYS_PER_NS)
            );
            (term, "warning".to_string(), gw)
        })
        .collect()
}

fn binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "aks-gw-logs"])
        .current_dir(root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "release build");
    root.join("target/release/aks-gw-logs")
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("target/bench-data");
    std::fs::create_dir_all(&data).unwrap();
    let n: u64 = std::env::var("AKS_GW_LOGS_STORE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let sigs = signatures();
    let t0 = DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);

    let mut runs: Vec<(f64, f64)> = (0..3)
        .map(|_| upsert_rate(&data.join("store-upsert"), 200_000, &sigs, t0))
        .collect();
    runs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let rates: Vec<String> = runs
        .iter()
        .map(|(r, b)| format!("{r:.0}/s ({:.3} of building alone, {b:.0}/s)", r / b))
        .collect();
    println!(
        "upserts, 3 runs of 200000 incident updates, best first: {} (target >= 50000/s)",
        rates.join(", ")
    );
    let _ = std::fs::remove_dir_all(data.join("store-upsert"));

    let dir = data.join(format!(
        "store-{}",
        if n == 1_000_000 {
            "1m".to_string()
        } else {
            n.to_string()
        }
    ));
    ensure_store(&dir, n, &sigs, t0);
    let bytes = dir_bytes(&dir);
    println!(
        "store: {n} incidents, {bytes} bytes on disk, {:.0} bytes per incident",
        bytes as f64 / n as f64
    );

    let store = Store::open(&dir, Mode::Read).unwrap();
    let queries = searches(320);
    let mut found = 0usize;
    let mut times = Vec::new();
    // The first 20 queries warm the page cache and the readers; the first
    // one's time is reported on its own.
    let mut first = None;
    for (n, (term, severity, gw)) in queries.iter().enumerate() {
        let search = Search {
            text: term.clone(),
            severity: Severity::from_name(severity),
            gateway: Some(gw.clone()),
            limit: 20,
            ..Search::default()
        };
        let started = Instant::now();
        let hits = store.search(&search).unwrap().len();
        let took = started.elapsed();
        first.get_or_insert(took);
        if n >= 20 {
            found += hits;
            times.push(took);
        }
    }
    times.sort();
    println!(
        "search in-process (term + severity + gateway, limit 20, {} queries after 20 to warm up, {found} incidents found): p50 {} p99 {} max {} (target p99 < 20 ms); the very first query: {}",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(percentile(&times, 1.0)),
        ms(first.unwrap_or_default())
    );

    let bin = binary();
    let run = |args: &[&str]| {
        let started = Instant::now();
        let out = Command::new(&bin).args(args).output().expect("binary runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        started.elapsed()
    };
    let store_arg = dir.display().to_string();
    let mut starts: Vec<Duration> = (0..30).map(|_| run(&["--version"])).collect();
    starts.sort();
    let mut whole: Vec<Duration> = queries
        .iter()
        .skip(20)
        .take(100)
        .map(|(term, severity, gw)| {
            run(&[
                "--store",
                &store_arg,
                "incident",
                "search",
                term,
                "--severity",
                severity,
                "--gateway",
                gw,
                "--json",
            ])
        })
        .collect();
    whole.sort();
    println!(
        "search as a command ({} runs): p50 {} p99 {}; process start alone (--version): p50 {}",
        whole.len(),
        ms(percentile(&whole, 0.5)),
        ms(percentile(&whole, 0.99)),
        ms(percentile(&starts, 0.5))
    );
}
