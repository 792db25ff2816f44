//! Startup cost: loading and compiling the whole built-in signature library
//! (TOML parse, checks, one multi-pattern automaton per field, capture
//! regexes and the prefilter). The target is under 50 ms.
//!
//! Run: `cargo bench --bench signatures`.

use std::hint::black_box;

use aks_gw_logs::input::Engine;
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("signatures");
    g.sample_size(20);
    g.bench_function("load_and_compile", |b| {
        b.iter(|| black_box(Engine::new(aks_gw_logs::load_signatures(None).unwrap())))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
