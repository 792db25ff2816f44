//! Classify throughput over a generated mixed gateway/istiod log of about
//! 100 MB (about 98% benign), one thread: bytes/s and lines/s with the
//! prefilter, for `classify --count` (signature ids only) and for `classify`
//! and `--json` (hits with their captures), and on a 10 MB
//! slice with every line parsed (what `classify --all` does).
//!
//! Run: `cargo bench --bench classify` (set `AKS_GW_LOGS_BENCH_MB` to change the size).

#[path = "mixed_log.rs"]
mod mixed_log;

use std::hint::black_box;

use aks_gw_logs::classify::Hit;
use aks_gw_logs::input::{Engine, Scope, Sink, scan};
use aks_gw_logs::parse::Problem;
use aks_gw_logs::record::Record;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[derive(Default)]
struct Count {
    hits: u64,
    records: u64,
}

impl Sink for Count {
    fn record(&mut self, _record: &Record, hit: Option<&Hit>) {
        self.records += 1;
        self.hits += u64::from(hit.is_some());
    }
    fn problem(&mut self, _problem: &Problem) {}
}

fn bench(c: &mut Criterion) {
    let mb: usize = std::env::var("AKS_GW_LOGS_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let log = mixed_log::generate(mb << 20, 42);
    let lines = log.bytes().filter(|&b| b == b'\n').count() as u64;
    let engine = Engine::new(aks_gw_logs::load_signatures(None).unwrap());

    let run = |text: &str, scope: Scope| {
        let mut sink = Count::default();
        let stats = scan(&engine, text.as_bytes(), scope, &mut sink).unwrap();
        black_box((stats, sink.hits))
    };
    let (stats, hits) = run(&log, Scope::Hits);
    eprintln!(
        "mixed log: {} bytes, {lines} lines, {hits} hits, {} lines skipped by the prefilter",
        log.len(),
        stats.skipped
    );

    // `classify --count` (ids only) and `classify`/`--json` (with captures).
    for (name, scope) in [
        ("classify_counts", Scope::Counts),
        ("classify_hits", Scope::Hits),
    ] {
        let mut g = c.benchmark_group(name);
        g.sample_size(10);
        g.throughput(Throughput::Bytes(log.len() as u64));
        g.bench_function("bytes", |b| b.iter(|| run(&log, scope)));
        g.throughput(Throughput::Elements(lines));
        g.bench_function("lines", |b| b.iter(|| run(&log, scope)));
        g.finish();
    }

    let slice_end = log[..(10 << 20).min(log.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let slice = &log[..slice_end];
    let slice_lines = slice.bytes().filter(|&b| b == b'\n').count() as u64;
    let mut g = c.benchmark_group("classify_all_records");
    g.sample_size(10);
    g.throughput(Throughput::Elements(slice_lines));
    g.bench_function("lines", |b| b.iter(|| run(slice, Scope::All)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
