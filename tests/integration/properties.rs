//! Property tests (proptest): reading then classifying never panics,
//! whatever the bytes, and grouping loses or invents no hit: the counts of
//! a run's incidents add up, per signature, to the hits the pipeline saw.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use aks_gw_logs::classify::Hit;
use aks_gw_logs::group::{DEFAULT_QUIET, Grouper};
use aks_gw_logs::input::{Engine, Scope, Sink, scan};
use aks_gw_logs::parse::{InputKind, Problem, parse_document};
use aks_gw_logs::pipeline::Pipeline;
use aks_gw_logs::record::Record;
use chrono::{DateTime, Utc};
use proptest::prelude::*;

/// The built-in engine, built once for every case.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(aks_gw_logs::load_signatures(None).unwrap()))
}

/// Counts the hits of each signature that reach the printer.
#[derive(Default)]
struct Tally {
    hits: BTreeMap<String, u64>,
    records: u64,
}

impl Sink for Tally {
    fn record(&mut self, _record: &Record, hit: Option<&Hit>) {
        self.records += 1;
        if let Some(hit) = hit {
            let id = hit.signature.map_or_else(
                || "unclassified".to_string(),
                |i| engine().set.signatures()[i].id.clone(),
            );
            *self.hits.entry(id).or_default() += 1;
        }
    }

    fn problem(&mut self, _problem: &Problem) {}
}

fn read_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_756_202_400, 0).unwrap()
}

/// Reads `bytes` as `classify` does (every record, or only hits) through
/// the whole pipeline: redaction, printer and grouper. Returns the tally
/// and the incident counts per signature.
fn classify(bytes: &[u8], scope: Scope) -> (Tally, BTreeMap<String, u64>, usize) {
    let engine = engine();
    let mut tally = Tally::default();
    let grouper = Grouper::new(&engine.set, DEFAULT_QUIET, read_at());
    let mut pipeline = Pipeline::new(&mut tally, grouper, None, Duration::from_secs(5), false)
        .redacting(engine.redactor());
    scan(engine, bytes, scope, &mut pipeline).expect("reading memory cannot fail");
    let mut grouped: BTreeMap<String, u64> = BTreeMap::new();
    let mut incidents = 0;
    for inc in pipeline.grouper().incidents() {
        assert!(inc.count >= 1, "an incident of no hit: {inc:?}");
        *grouped.entry(inc.signature.clone()).or_default() += inc.count;
        incidents += 1;
    }
    drop(pipeline);
    (tally, grouped, incidents)
}

/// Pieces of the real formats, so that random lines reach past the
/// first checks of each parser.
const PIECES: [&str; 24] = [
    "2025-08-26T10:00:00.000000Z",
    "\t",
    "error",
    "warn",
    "info\tads\t",
    "envoy config external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150",
    "[2025-08-26 10:00:07.123][15][warning][upstream] ",
    "E0826 10:01:00.000000    1234 controller.go:320] ",
    "{\"level\":\"error\",\"time\":\"2025-08-26T10:00:04Z\",\"msg\":\"",
    "\"}",
    "[2025-08-26T10:05:11.000Z] \"GET / HTTP/1.1\" 503 UF ",
    "{\"response_code\":503,\"response_flags\":\"UH\",\"path\":\"/\"}",
    "LAST SEEN   TYPE      REASON    OBJECT      MESSAGE\n",
    "2m          Warning   Unhealthy pod/gw-1   Readiness probe failed\n",
    "2025-08-26T10:02:00.000000000Z stderr F ",
    "2025-08-26T10:02:00.000000000Z stdout P ",
    "Aug 26 10:01:01 aks-node kubelet[1234]: ",
    "==== START logs for container istio-proxy of pod shop/gw-1 ====\n",
    "Events:\n  Type     Reason   Age   From     Message\n  ----     ------   ----  ----     -------\n",
    "apiVersion: v1\nkind: Event\nmessage: ",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl ",
    "\n",
    "\u{1b}[31m\u{0}\u{fffd}",
];

/// Text made of format pieces and arbitrary bytes.
fn format_soup() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => (0..PIECES.len()).prop_map(|i| PIECES[i].as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..12),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|parts| parts.concat())
}

/// Lines of signatures a run must group: an object from a small pool (so
/// keys repeat), at times whose gaps sometimes pass the quiet window, in
/// any order.
fn grouped_lines() -> impl Strategy<Value = Vec<u8>> {
    let line = (0usize..5, 0u32..4, 0i64..3_600).prop_map(|(template, object, secs)| {
        let ts = read_at() + chrono::Duration::seconds(secs);
        let iso = ts.format("%Y-%m-%dT%H:%M:%S%.6fZ");
        let klog = ts.format("%m%d %H:%M:%S%.6f");
        match template {
            0 => format!(
                "E{klog}       1 controller.go:320] error processing service shop/svc-{object} (will retry): failed to ensure load balancer: Code=\"PublicIPCountLimitReached\"\n"
            ),
            1 => format!(
                "{iso}\terror\tenvoy config external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150\tlistener '0.0.0.0_8{object}' failed to bind or apply socket options: cannot bind '0.0.0.0:8{object}': Permission denied\tthread=15\n"
            ),
            2 => format!(
                "[{}] \"GET /p{object} HTTP/1.1\" 503 UF upstream_reset_before_response_started{{connection_failure}} - \"-\" 0 91 1 - \"-\" \"curl/8.5.0\" \"id\" \"shop.contoso.com\" \"10.244.4.7:8080\" outbound|8080||svc-{object}.shop.svc.cluster.local - 10.244.2.8:80 10.244.7.9:40113 - -\n",
                ts.format("%Y-%m-%dT%H:%M:%S%.3fZ")
            ),
            3 => format!("{iso}\terror\tads\tan error no signature knows about svc-{object}\n"),
            _ => format!("{iso}\tinfo\tads\tPush debounce stable[{object}] 3 for config Gateway/shop/gw\n"),
        }
    });
    proptest::collection::vec(line, 0..80).prop_map(|lines| lines.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn reading_and_classifying_arbitrary_bytes_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..2_048)
    ) {
        for scope in [Scope::All, Scope::Hits, Scope::Counts] {
            classify(&bytes, scope);
        }
        let text = String::from_utf8_lossy(&bytes);
        for kind in [InputKind::Lines, InputKind::Json, InputKind::Yaml] {
            parse_document(&text, kind, &mut Vec::new());
        }
    }

    #[test]
    fn reading_and_classifying_format_soup_never_panics(bytes in format_soup()) {
        let (tally, grouped, _) = classify(&bytes, Scope::All);
        prop_assert_eq!(&tally.hits, &grouped);
        classify(&bytes, Scope::Hits);
        let text = String::from_utf8_lossy(&bytes);
        for kind in [InputKind::Json, InputKind::Yaml] {
            parse_document(&text, kind, &mut Vec::new());
        }
    }

    #[test]
    fn incident_counts_add_up_to_the_hits_grouped(bytes in grouped_lines()) {
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        let (tally, grouped, incidents) = classify(&bytes, Scope::Hits);
        prop_assert_eq!(&tally.hits, &grouped);
        let hits: u64 = tally.hits.values().sum();
        // Only the info lines are not hits.
        let info = String::from_utf8_lossy(&bytes).matches("\tinfo\t").count() as u64;
        prop_assert_eq!(hits, lines - info);
        prop_assert!(incidents as u64 <= hits);
    }
}
