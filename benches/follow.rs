//! `follow` under load, printed as figures: 200 gateway containers on the
//! fake API server (`tests/fake_kube/`) writing 20 000 lines/s in all for
//! `AKS_GW_LOGS_FOLLOW_SECS` seconds (default 20), with failure lines that
//! open new incidents sprinkled in. It reports:
//!
//! - lines appended, lines the fake sent, lines `follow` says it read (no
//!   line may be lost);
//! - line-to-incident latency: from appending a line that opens an incident
//!   to its `open` event on `follow`'s stdout, p50/p99/max;
//! - `follow`'s peak resident memory (VmHWM) and CPU (user+system seconds
//!   per wall second, so 1.0 is one core);
//! - a baseline from the same run: the CPU `classify --count` takes for the
//!   same number of lines from a file, so the cost of following is a ratio.
//!
//! Run: `cargo bench --bench follow` (builds nothing itself: it runs
//! `target/release/aks-gw-logs`, so run `cargo build --release` first).

#[path = "../tests/fake_kube/mod.rs"]
#[allow(dead_code)]
mod fake_kube;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use fake_kube::FakeKube;
use serde_json::Value;

const CONTAINERS: usize = 200;
const LINES_PER_SEC: usize = 20_000;
/// Appends happen in ticks of this many milliseconds.
const TICK_MS: u64 = 20;

fn benign(pod: &str, i: usize) -> String {
    format!(
        "[2025-08-26T10:05:11.000Z] \"GET /api/{i} HTTP/1.1\" 200 - via_upstream - \"-\" 0 612 3 2 \"-\" \"curl/8.5.0\" \"5c1b2a3d-0d1f-4c55-8e2a-{i:012}\" \"shop.contoso.com\" \"10.244.4.7:8080\" outbound|8080||storefront.shop.svc.cluster.local 10.244.2.8:41113 10.244.2.8:80 10.244.7.9:40113 - {pod}.0"
    )
}

/// Lines that open an incident (one per signature per Gateway).
const FAILURES: [(&str, &str); 3] = [
    (
        "proxy.listener_bind_failed",
        "2025-08-26T10:00:00.000000Z\terror\tenvoy config external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150\tlistener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied\tthread=15",
    ),
    (
        "proxy.not_ready",
        "2025-08-26T10:00:02.000000Z\twarn\tEnvoy proxy is NOT ready: config not received from XDS server (is Istiod running?)",
    ),
    (
        "proxy.upstream_unhealthy",
        "[2025-08-26T10:05:10.000Z] \"GET /cart HTTP/1.1\" 503 UH no_healthy_upstream - \"-\" 0 19 0 - \"203.0.113.9\" \"curl/8.5.0\" \"5c1b2a3d-0d1f-4c55-8e2a-7f0c1d2e3f41\" \"shop.contoso.com\" \"-\" outbound|8080||storefront.shop.svc.cluster.local - 10.244.2.8:80 203.0.113.9:40112 - shop.shop-gw.0",
    ),
];

fn proc_field(pid: u32, file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// user+system CPU seconds of a process.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the command name: state is field 0; utime 11, stime 12.
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let secs: u64 = std::env::var("AKS_GW_LOGS_FOLLOW_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/aks-gw-logs");
    assert!(bin.exists(), "run `cargo build --release` first");
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeKube::start();
    let pods: Vec<(String, String, String)> = (0..CONTAINERS)
        .map(|i| {
            let ns = format!("ns-{}", i % 20);
            let gw = format!("gw-{i}");
            let pod = format!("{gw}-istio-6d9f7c8b5d-x{:04}", i);
            fake.add_pod(
                &ns,
                &pod,
                &[("gateway.networking.k8s.io/gateway-name", &gw)],
                &["istio-proxy"],
            );
            (ns, pod, gw)
        })
        .collect();
    let kubeconfig = fake.kubeconfig(dir.path());
    let mut child = Command::new(&bin)
        .args([
            "--no-store",
            "follow",
            "--json",
            "--since",
            "1m",
            "--max-streams",
            "250",
            "--qps",
            "200",
            "--kubeconfig",
        ])
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let opened: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let out = child.stdout.take().unwrap();
    let seen = opened.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let at = Instant::now();
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if v["event"] == "open" {
                let key = format!(
                    "{} {}",
                    v["incident"]["signature"].as_str().unwrap_or(""),
                    v["incident"]["gateway"].as_str().unwrap_or("")
                );
                seen.lock().unwrap().entry(key).or_insert(at);
            }
        }
    });
    let started = Instant::now();
    assert!(
        fake.wait_until(Duration::from_secs(60), |f| f.open_log_streams()
            >= CONTAINERS),
        "follow opened {} of {CONTAINERS} streams",
        fake.open_log_streams()
    );
    eprintln!(
        "follow: {CONTAINERS} streams open after {:?}",
        started.elapsed()
    );

    // The load: every tick, each container gets its share of lines.
    let per_tick_total = LINES_PER_SEC as u64 * TICK_MS / 1000;
    let ticks = secs * 1000 / TICK_MS;
    let mut appended = 0u64;
    let mut sent_failures: Vec<(String, Instant)> = Vec::new();
    let cpu_before = cpu_seconds(pid);
    let load_start = Instant::now();
    for tick in 0..ticks {
        let due = load_start + Duration::from_millis(tick * TICK_MS);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        for k in 0..per_tick_total as usize {
            let c = (tick as usize * per_tick_total as usize + k) % CONTAINERS;
            let (ns, pod, gw) = &pods[c];
            // A failure line every 5th tick (10 a second), each signature
            // of each Gateway once: every one opens an incident.
            let line =
                if k == 0 && tick % 5 == 0 && (tick / 5) < (CONTAINERS * FAILURES.len()) as u64 {
                    let n = (tick / 5) as usize;
                    let (sig, text) = FAILURES[n / CONTAINERS];
                    let (ns2, pod2, gw2) = &pods[n % CONTAINERS];
                    fake.append_log(ns2, pod2, "istio-proxy", &[(Utc::now(), text.to_string())]);
                    sent_failures.push((format!("{sig} {ns2}/{gw2}"), Instant::now()));
                    appended += 1;
                    continue;
                } else {
                    benign(pod, appended as usize)
                };
            let _ = (ns, gw);
            fake.append_log(ns, pod, "istio-proxy", &[(Utc::now(), line)]);
            appended += 1;
        }
    }
    let load_secs = load_start.elapsed().as_secs_f64();
    let cpu = (cpu_seconds(pid) - cpu_before) / load_secs;
    // Let follow catch up, then read its figures.
    let caught_up = fake.wait_until(Duration::from_secs(30), |f| f.log_lines_sent() >= appended);
    std::thread::sleep(Duration::from_secs(2));
    let rss_kb = proc_field(pid, "status", "VmHWM:").unwrap_or(0);
    Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let read: u64 = stderr
        .lines()
        .find_map(|l| {
            let rest = l.split_once("log streams, ")?.1;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or(0);

    let opened = opened.lock().unwrap();
    let mut latencies: Vec<f64> = sent_failures
        .iter()
        .filter_map(|(key, at)| {
            opened
                .get(key)
                .map(|o| o.saturating_duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    let missing = sent_failures.len() - latencies.len();
    latencies.sort_by(f64::total_cmp);

    // Baseline: classify --count on the same number of lines from a file.
    let file = dir.path().join("lines.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        for i in 0..appended as usize {
            let stamp = Utc::now().format("%Y-%m-%dT%H:%M:%S%.9fZ");
            writeln!(f, "{stamp} {}", benign("gw-0-istio-6d9f7c8b5d-x0000", i)).unwrap();
        }
    }
    let t = Instant::now();
    let base = Command::new(&bin)
        .args(["--no-store", "classify", "--count"])
        .arg(&file)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let base_secs = t.elapsed().as_secs_f64();
    assert!(base.code().is_some());

    println!(
        "follow: {CONTAINERS} containers, {LINES_PER_SEC} lines/s target, {secs} s of load ({load_secs:.1} s wall)"
    );
    println!(
        "lines: appended {appended}, sent by the fake {}, read by follow {read}; lost {} (caught up: {caught_up})",
        fake.log_lines_sent(),
        appended.saturating_sub(read)
    );
    println!(
        "line-to-incident latency over {} openings: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {missing} not seen (target p99 < 100 ms)",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "peak RSS {:.1} MB (target < 150 MB); CPU {:.2} cores during the load (target < 1)",
        rss_kb as f64 / 1024.0,
        cpu
    );
    println!(
        "baseline: classify --count of the same {appended} lines from a file took {base_secs:.2} s; follow spent {:.2} CPU-s on them ({:.1}x)",
        cpu * load_secs,
        cpu * load_secs / base_secs.max(1e-9)
    );
    println!(
        "follow exit: {:?}; {}",
        status.code(),
        stderr.lines().last().unwrap_or("")
    );
}
