//! A deterministic, realistic mixed log for the benches: what `kubectl logs`
//! of a few gateway pods plus istiod looks like when concatenated, about 98%
//! benign (2xx/3xx access logs, info lines, routine `closed: 0` reconnects,
//! debug lines) and about 2% failure lines drawn from many signatures, in the
//! formats the parsers read (istio text and JSON, Envoy text and JSON, access
//! log text and JSON, klog), some of them behind a CRI or `--timestamps`
//! prefix. A tiny xorshift generator keeps it reproducible with no extra
//! crates: the same `(target_bytes, seed)` always gives the same text.
//!
//! Included by the benches and the `gen_mixed_log` target with
//! `#[path = "mixed_log.rs"] mod mixed_log;`.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// xorshift64* (Vigna): tiny, fast, good enough for picking log lines.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // Never zero, and nearby seeds give unrelated streams.
        let mut s = seed ^ 0x9E37_79B9_7F4A_7C15;
        s = (s ^ (s >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        s = (s ^ (s >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((s ^ (s >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// A clock that only moves forward, in microseconds since the Unix epoch.
struct Clock {
    us: u64,
}

impl Clock {
    /// 2025-08-26T10:00:00Z
    const START: u64 = 1_756_202_400_000_000;

    fn tick(&mut self, rng: &mut Rng) {
        self.us += 200 + rng.below(4_000);
    }

    fn parts(&self) -> (i64, u32, u32, u64, u64, u64, u64) {
        let secs = self.us / 1_000_000;
        let micros = self.us % 1_000_000;
        let days = (secs / 86_400) as i64;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, rem / 3600, (rem / 60) % 60, rem % 60, micros)
    }

    /// `2025-08-26T10:00:00.123456Z` (istio, Envoy).
    fn micro(&self, out: &mut String) {
        let (y, mo, d, h, mi, s, us) = self.parts();
        let _ = write!(out, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z");
    }

    /// `2025-08-26T10:00:00.123Z` (access log START_TIME).
    fn milli(&self, out: &mut String) {
        let (y, mo, d, h, mi, s, us) = self.parts();
        let _ = write!(
            out,
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
            us / 1000
        );
    }

    /// `2025-08-26T10:00:00.123456789Z` (kubelet, CRI), a little later than the line's own stamp.
    fn nano(&self, out: &mut String, extra: u64) {
        let (y, mo, d, h, mi, s, us) = self.parts();
        let _ = write!(
            out,
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}{:03}Z",
            extra % 1000
        );
    }

    /// klog header: `E0826 10:00:00.123456`
    fn klog(&self, out: &mut String, level: char) {
        let (_, mo, d, h, mi, s, us) = self.parts();
        let _ = write!(out, "{level}{mo:02}{d:02} {h:02}:{mi:02}:{s:02}.{us:06}");
    }
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

struct Gw {
    ns: &'static str,
    name: &'static str,
    pod: &'static str,
    ip: &'static str,
    host: &'static str,
    svc: &'static str,
    port: u16,
}

const GATEWAYS: [Gw; 5] = [
    Gw {
        ns: "default",
        name: "httpbin-gateway",
        pod: "httpbin-gateway-istio-6d9f7c8b5d-x2kqz",
        ip: "10.244.1.23",
        host: "httpbin.example.com",
        svc: "httpbin.default.svc.cluster.local",
        port: 8000,
    },
    Gw {
        ns: "web",
        name: "web-gw",
        pod: "web-gw-istio-5c9d8b7f6-hx2lq",
        ip: "10.244.1.37",
        host: "www.contoso.com",
        svc: "frontend.web.svc.cluster.local",
        port: 80,
    },
    Gw {
        ns: "shop",
        name: "shop-gw",
        pod: "shop-gw-istio-7f8d6c5b4-ab12c",
        ip: "10.244.2.8",
        host: "shop.contoso.com",
        svc: "storefront.shop.svc.cluster.local",
        port: 8080,
    },
    Gw {
        ns: "apps",
        name: "api-gateway",
        pod: "api-gateway-istio-5d8c7b9f4-w9z2q",
        ip: "10.244.0.41",
        host: "api.apps.contoso.com",
        svc: "orders.apps.svc.cluster.local",
        port: 8080,
    },
    Gw {
        ns: "edge",
        name: "edge-gw",
        pod: "edge-gw-istio-6b7c8d9e5-q8w2e",
        ip: "10.244.3.17",
        host: "edge.fabrikam.io",
        svc: "edge-api.edge.svc.cluster.local",
        port: 443,
    },
];

const ISTIOD: &str = "istiod-asm-1-26.aks-istio-system.svc:15012";
const GRPC_STREAM: &str =
    "external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:193";
const DELTA_STATE: &str =
    "external/envoy/source/extensions/config_subscription/grpc/delta_subscription_state.cc:297";
const LISTENER_MGR: &str =
    "external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150";
const CDS_HELPER: &str = "external/envoy/source/common/upstream/cds_api_helper.cc:32";
const LDS_API: &str = "external/envoy/source/common/listener_manager/lds_api.cc:109";

const PATHS: [&str; 14] = [
    "/",
    "/get",
    "/headers",
    "/api/v1/orders",
    "/api/v1/orders/1042",
    "/api/v1/products?page=2",
    "/login",
    "/static/app.js",
    "/static/site.css",
    "/images/logo.svg",
    "/healthz",
    "/cart",
    "/checkout",
    "/api/v1/errors?since=1h",
];
const AGENTS: [&str; 6] = [
    "curl/8.5.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "okhttp/4.12.0",
    "python-requests/2.32.3",
    "Go-http-client/2.0",
];

/// How a line is wrapped, as it would be read back from a collector.
#[derive(Clone, Copy)]
enum Wrap {
    None,
    Cri(&'static str),
    Timestamps,
}

struct Gen {
    rng: Rng,
    clock: Clock,
    out: String,
    line: String,
}

impl Gen {
    fn uuid(&mut self) {
        let a = self.rng.next();
        let b = self.rng.next();
        let _ = write!(
            self.line,
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        );
    }

    fn client_ip(&mut self) {
        let first = *self.rng.pick(&[203u64, 198, 20, 52, 10]);
        let _ = match first {
            203 => write!(self.line, "203.0.113.{}", 1 + self.rng.below(250)),
            198 => write!(self.line, "198.51.100.{}", 1 + self.rng.below(250)),
            10 => write!(
                self.line,
                "10.244.{}.{}",
                self.rng.below(8),
                2 + self.rng.below(250)
            ),
            n => write!(
                self.line,
                "{n}.{}.{}.{}",
                self.rng.below(256),
                self.rng.below(256),
                1 + self.rng.below(254)
            ),
        };
    }

    /// istio default text access log, one request.
    #[allow(clippy::too_many_arguments)]
    fn access(
        &mut self,
        gw: &Gw,
        method: &str,
        path: &str,
        code: u16,
        flags: &str,
        details: &str,
        upstream: bool,
        ua: &str,
    ) {
        self.line.push('[');
        self.clock.milli(&mut self.line);
        let dur = self.rng.below(40);
        let tx = if code == 304 || code == 301 || code == 302 {
            0
        } else {
            20 + self.rng.below(9000)
        };
        let _ = write!(
            self.line,
            "] \"{method} {path} HTTP/1.1\" {code} {flags} {details} - \"-\" 0 {tx} {dur} "
        );
        if upstream {
            let _ = write!(self.line, "{} \"", dur.saturating_sub(1));
        } else {
            self.line.push_str("- \"");
        }
        let start = self.line.len();
        self.client_ip();
        let ip = self.line[start..].to_string();
        let _ = write!(self.line, "\" \"{ua}\" \"");
        self.uuid();
        let _ = write!(self.line, "\" \"{}\" \"", gw.host);
        if upstream {
            let _ = write!(
                self.line,
                "10.244.{}.{}:{}\" outbound|{}||{} {}:{} ",
                3 + self.rng.below(4),
                2 + self.rng.below(200),
                gw.port,
                gw.port,
                gw.svc,
                gw.ip,
                40000 + self.rng.below(20000)
            );
        } else {
            let _ = write!(self.line, "-\" outbound|{}||{} - ", gw.port, gw.svc);
        }
        let _ = write!(
            self.line,
            "{}:80 {ip}:{} - {}.{}.0",
            gw.ip,
            1024 + self.rng.below(60000),
            gw.ns,
            gw.name
        );
    }

    /// istio JSON access log (sorted keys, nulls), one successful request.
    fn access_json(&mut self, gw: &Gw) {
        let path = *self.rng.pick(&PATHS);
        let ua = *self.rng.pick(&AGENTS);
        let _ = write!(
            self.line,
            "{{\"authority\":\"{}\",\"bytes_received\":0,\"bytes_sent\":{},\"connection_termination_details\":null,\"downstream_local_address\":\"{}:80\",\"downstream_remote_address\":\"10.224.0.{}:{}\",\"duration\":{},\"method\":\"GET\",\"path\":\"{path}\",\"protocol\":\"HTTP/1.1\",\"request_id\":\"",
            gw.host,
            100 + self.rng.below(5000),
            gw.ip,
            4 + self.rng.below(4),
            30000 + self.rng.below(30000),
            1 + self.rng.below(30)
        );
        self.uuid();
        let _ = write!(
            self.line,
            "\",\"requested_server_name\":null,\"response_code\":200,\"response_code_details\":\"via_upstream\",\"response_flags\":\"-\",\"route_name\":\"{}.{}.0\",\"start_time\":\"",
            gw.ns, gw.name
        );
        self.clock.milli(&mut self.line);
        let _ = write!(
            self.line,
            "\",\"upstream_cluster\":\"outbound|{}||{}\",\"upstream_host\":\"10.244.4.{}:{}\",\"upstream_local_address\":\"{}:{}\",\"upstream_service_time\":\"{}\",\"upstream_transport_failure_reason\":null,\"user_agent\":\"{ua}\",\"x_forwarded_for\":\"198.51.100.{}\"}}",
            gw.port,
            gw.svc,
            2 + self.rng.below(200),
            gw.port,
            gw.ip,
            40000 + self.rng.below(20000),
            self.rng.below(20),
            1 + self.rng.below(250)
        );
    }

    /// istiod / pilot-agent text line: `time\tlevel\t[scope\t]msg`.
    fn istio(&mut self, level: &str, scope: &str) {
        self.clock.micro(&mut self.line);
        self.line.push('\t');
        self.line.push_str(level);
        self.line.push('\t');
        if !scope.is_empty() {
            self.line.push_str(scope);
            self.line.push('\t');
        }
    }

    /// istiod JSON line up to and including `"msg":"`; the caller closes it.
    fn istio_json(&mut self, level: &str, scope: &str) {
        let _ = write!(self.line, "{{\"level\":\"{level}\",\"time\":\"");
        self.clock.micro(&mut self.line);
        self.line.push_str("\",");
        if !scope.is_empty() {
            let _ = write!(self.line, "\"scope\":\"{scope}\",");
        }
        self.line.push_str("\"msg\":\"");
    }

    /// Envoy text inside istio-proxy: `time\tlevel\tenvoy logger file:line\t`.
    fn envoy(&mut self, level: &str, logger: &str, caller: &str) {
        self.clock.micro(&mut self.line);
        let _ = write!(self.line, "\t{level}\tenvoy {logger} {caller}\t");
    }

    fn envoy_end(&mut self) {
        let _ = write!(self.line, "\tthread={}", 14 + self.rng.below(4));
    }

    fn benign(&mut self) {
        let gw = &GATEWAYS[self.rng.below(GATEWAYS.len() as u64) as usize];
        match self.rng.below(1000) {
            0..=559 => {
                let path = *self.rng.pick(&PATHS);
                let ua = *self.rng.pick(&AGENTS);
                let code = *self.rng.pick(&[
                    200u16, 200, 200, 200, 200, 200, 201, 204, 301, 302, 304, 304,
                ]);
                let method = if code == 201 { "POST" } else { "GET" };
                self.access(gw, method, path, code, "-", "via_upstream", true, ua);
            }
            560..=599 => self.access_json(gw),
            600..=649 => {
                self.istio("info", "gateway");
                let msg = if self.rng.chance(500) {
                    "reconciling"
                } else {
                    "gateway updated"
                };
                let _ = write!(self.line, "{msg}\tgateway={}/{}", gw.ns, gw.name);
            }
            650..=699 => {
                self.istio("info", "ads");
                let n = self.rng.below(400);
                let _ = write!(
                    self.line,
                    "Push debounce stable[{n}] {} for config HTTPRoute/{}/{}: 100.{}ms since last change, 100.{}ms since last push, full=true",
                    1 + self.rng.below(3),
                    gw.ns,
                    gw.name,
                    self.rng.below(999),
                    self.rng.below(999)
                );
            }
            700..=739 => {
                self.istio("info", "delta");
                let ty = *self.rng.pick(&["CDS", "EDS", "LDS", "RDS"]);
                let _ = write!(
                    self.line,
                    "{ty}: PUSH request for node:{}.{} resources:{} removed:0 size:{}.{}kB",
                    gw.pod,
                    gw.ns,
                    1 + self.rng.below(30),
                    1 + self.rng.below(30),
                    self.rng.below(10)
                );
            }
            740..=759 => {
                self.istio("info", "ads");
                let _ = write!(
                    self.line,
                    "XDS: Pushing Services:{} ConnectedEndpoints:{} Version:",
                    20 + self.rng.below(40),
                    2 + self.rng.below(8)
                );
                self.clock.micro(&mut self.line);
            }
            760..=779 => {
                self.istio("info", "cache");
                let _ = write!(
                    self.line,
                    "generated new workload certificate\tresourceName=default latency={}.{}ms ttl=23h59m59.{}s",
                    80 + self.rng.below(100),
                    self.rng.below(999_999),
                    self.rng.below(999_999_999)
                );
            }
            780..=799 => {
                self.istio("info", "xdsproxy");
                let _ = write!(
                    self.line,
                    "connected to delta upstream XDS server: {ISTIOD}\tid={}",
                    1 + self.rng.below(40)
                );
            }
            800..=819 => {
                self.istio_json("info", "gateway");
                let _ = write!(
                    self.line,
                    "reconciling\",\"gateway\":{{\"Namespace\":\"{}\",\"Name\":\"{}\"}}}}",
                    gw.ns, gw.name
                );
            }
            820..=869 => {
                self.envoy("info", "upstream", CDS_HELPER);
                let _ = write!(
                    self.line,
                    "cds: added/updated {} cluster(s), skipped {} unmodified cluster(s)",
                    1 + self.rng.below(4),
                    20 + self.rng.below(40)
                );
                self.envoy_end();
            }
            870..=889 => {
                self.envoy("info", "upstream", LDS_API);
                self.line.push_str("lds: add/update listener '0.0.0.0_80'");
                self.envoy_end();
            }
            890..=959 => {
                self.istio("debug", "delta");
                let ty = *self.rng.pick(&["CDS", "EDS", "LDS", "RDS"]);
                let _ = write!(
                    self.line,
                    "ADS:{ty}: ACK {}.{}-{} ",
                    gw.pod,
                    gw.ns,
                    1 + self.rng.below(30)
                );
                self.uuid();
            }
            960..=979 => {
                self.clock.micro(&mut self.line);
                let _ = write!(
                    self.line,
                    "\tdebug\tenvoy router external/envoy/source/common/router/router.cc:740\t[Tags: \"ConnectionId\":\"{}\",\"StreamId\":\"{}\"] router decoding headers:",
                    self.rng.below(90_000),
                    self.rng.next() >> 1
                );
                self.envoy_end();
            }
            980..=989 => {
                self.envoy("warning", "config", GRPC_STREAM);
                self.line.push_str(
                    "DeltaAggregatedResources gRPC config stream to xds-grpc closed: 0, ",
                );
                self.envoy_end();
            }
            _ => {
                self.istio("info", "");
                let _ = write!(
                    self.line,
                    "Readiness succeeded in {}.{}s",
                    1 + self.rng.below(2),
                    self.rng.below(999_999)
                );
            }
        }
    }

    fn failure(&mut self) {
        let gw = &GATEWAYS[self.rng.below(GATEWAYS.len() as u64) as usize];
        let ua = *self.rng.pick(&AGENTS);
        match self.rng.below(24) {
            0 | 1 => self.access(gw, "GET", "/api/v1/orders", 503, "UH", "no_healthy_upstream", false, ua),
            2 => self.access(gw, "GET", "/checkout", 503, "UF", "upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}", false, ua),
            3 => self.access(gw, "GET", "/v2/products", 404, "NR", "route_not_found", false, ua),
            4 => self.access(gw, "GET", "/get", 500, "NC", "cluster_not_found", false, ua),
            5 => {
                self.line.push('[');
                self.clock.milli(&mut self.line);
                let node = 4 + self.rng.below(4);
                let _ = write!(self.line, "] \"GET / HTTP/1.1\" 404 NR route_not_found - \"-\" 0 0 0 - \"10.224.0.{node}\" \"-\" \"");
                self.uuid();
                let _ = write!(self.line, "\" \"20.81.10.5\" \"-\" - - {}:80 10.224.0.{node}:{} - -", gw.ip, 30000 + self.rng.below(30000));
            }
            6 | 7 => {
                self.istio("warn", "");
                self.line.push_str("Envoy proxy is NOT ready: config not received from XDS server (is Istiod running?): cds updates: 0 successful, 0 rejected; lds updates: 0 successful, 0 rejected");
            }
            8 => {
                self.envoy("warning", "config", GRPC_STREAM);
                let _ = write!(self.line, "DeltaAggregatedResources gRPC config stream to xds-grpc closed since {}s ago: 14, connection error: desc = \"transport: Error while dialing: dial tcp 10.0.112.34:15012: i/o timeout\"", 31 + self.rng.below(300));
                self.envoy_end();
            }
            9 => {
                self.istio("error", "xdsproxy");
                let _ = write!(self.line, "failed to connect to upstream {ISTIOD}: rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial tcp 10.0.112.34:15012: connect: connection refused\"");
            }
            10 => {
                self.envoy("warning", "config", DELTA_STATE);
                self.line.push_str("delta config for type.googleapis.com/envoy.config.listener.v3.Listener rejected: Error adding/updating listener(s) 0.0.0.0_443: error adding listener '0.0.0.0:443': multiple filter chains with the same matching rules are defined");
                self.envoy_end();
            }
            11 => {
                self.envoy("error", "config", LISTENER_MGR);
                self.line.push_str("listener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied");
                self.envoy_end();
            }
            12 => {
                self.istio("warn", "sds");
                self.line.push_str("failed to warm certificate: failed to generate workload certificate: create certificate: rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial tcp 10.0.112.34:15012: i/o timeout\"");
            }
            13 => {
                self.envoy("warning", "config", DELTA_STATE);
                self.line.push_str("delta config: initial fetch timed out for type.googleapis.com/envoy.config.cluster.v3.Cluster");
                self.envoy_end();
            }
            14 => {
                self.istio("error", "gateway");
                let _ = write!(self.line, "error rendering templates: parametersRef targeting configmap \"{}/{}-options\", but configmap does not exist\tgateway={}/{}", gw.ns, gw.name, gw.ns, gw.name);
            }
            15 => {
                self.istio_json("error", "gateway");
                let _ = write!(self.line, "error rendering templates: unsupported overlay \\\"hpa\\\" (supported: [deployment horizontalPodAutoscaler podDisruptionBudget service serviceAccount])\",\"gateway\":{{\"Namespace\":\"{}\",\"Name\":\"{}\"}}}}", gw.ns, gw.name);
            }
            16 => {
                self.istio("error", "controllers");
                let _ = write!(self.line, "error handling {}/{}, retrying (retry count: {}): apply failed: patch autoscaling/v2, Kind=HorizontalPodAutoscaler/{}/{}-istio: HorizontalPodAutoscaler.autoscaling \"{}-istio\" is invalid: spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`\tcontroller=gateway deployment", gw.ns, gw.name, 1 + self.rng.below(4), gw.ns, gw.name, gw.name);
            }
            17 => {
                self.istio("error", "controllers");
                let _ = write!(self.line, "error handling {}/{}, and retry budget exceeded: apply failed: patch apps/v1, Kind=Deployment/{}/{}-istio: admission webhook \"validation.gatekeeper.sh\" denied the request: [azurepolicy-k8sazurev2noprivilege-a1b2c3d4e5f6] Privileged container is not allowed: istio-proxy\tcontroller=gateway deployment", gw.ns, gw.name, gw.ns, gw.name);
            }
            18 => {
                self.istio("debug", "gateway");
                let _ = write!(self.line, "gateway is not for this revision, skipping\tgateway={}/{}", gw.ns, gw.name);
            }
            19 => {
                self.istio("warn", "ads");
                let _ = write!(self.line, "failed to fetch key and certificate for kubernetes-gateway://{}/{}-tls: secret {}/{}-tls not found", gw.ns, gw.name, gw.ns, gw.name);
            }
            20 => {
                self.istio("error", "");
                self.line.push_str("watch error in cluster Kubernetes: failed to list *v1.Gateway: the server could not find the requested resource (get gateways.gateway.networking.k8s.io)");
            }
            21 => {
                self.istio_json("warn", "delta");
                let _ = write!(self.line, "ADS:LDS: ACK ERROR {}.{}-{} Internal:Error adding/updating listener(s) 0.0.0.0_80: cannot bind '0.0.0.0:80': Permission denied\"}}", gw.pod, gw.ns, 1 + self.rng.below(20));
            }
            22 => {
                self.clock.klog(&mut self.line, 'E');
                let _ = write!(self.line, "       1 controller.go:298] error processing service {}/{}-istio (will retry): failed to ensure load balancer: network.LoadBalancersClient#CreateOrUpdate: Failure sending request: StatusCode=400 -- Original Error: Code=\"PublicIPCountLimitReached\" Message=\"Cannot create more than 10 public IP addresses for this subscription in this region.\"", gw.ns, gw.name);
            }
            _ => {
                // A warning no signature knows: reported as unclassified.
                self.istio("warn", "");
                let _ = write!(self.line, "constructed http route config for route http.{} on port {} with no vhosts; Setting up a default 404 vhost", gw.port, gw.port);
            }
        }
    }

    fn emit(&mut self, wrap: Wrap) {
        match wrap {
            Wrap::None => {}
            Wrap::Cri(stream) => {
                self.clock.nano(&mut self.out, self.rng.below(1000));
                let _ = write!(self.out, " {stream} F ");
            }
            Wrap::Timestamps => {
                self.clock.nano(&mut self.out, self.rng.below(1000));
                self.out.push(' ');
            }
        }
        self.out.push_str(&self.line);
        self.out.push('\n');
        self.line.clear();
    }
}

/// About `target_bytes` of mixed log (it stops at the first line past the
/// target), the same text for the same `(target_bytes, seed)`.
pub fn generate(target_bytes: usize, seed: u64) -> String {
    let mut g = Gen {
        rng: Rng::new(seed),
        clock: Clock { us: Clock::START },
        out: String::with_capacity(target_bytes + 1024),
        line: String::with_capacity(1024),
    };
    while g.out.len() < target_bytes {
        g.clock.tick(&mut g.rng);
        // 20 in 1000 lines are failures.
        if g.rng.chance(20) {
            g.failure();
        } else {
            g.benign();
        }
        let wrap = match g.rng.below(100) {
            0..=9 => Wrap::Cri(if g.line.contains("\tenvoy ") {
                "stderr"
            } else {
                "stdout"
            }),
            10..=12 => Wrap::Timestamps,
            _ => Wrap::None,
        };
        g.emit(wrap);
    }
    g.out
}

/// Writes [`generate`]'s text to `path`.
pub fn write_file(path: &Path, target_bytes: usize, seed: u64) -> io::Result<()> {
    std::fs::write(path, generate(target_bytes, seed))
}
