//! `aks-gw-logs follow` against the fake API server (`tests/fake_kube/`),
//! run as a user runs it: a new gateway pod is picked up, a restarted
//! container's new instance is read, a stream dropped mid-line 20 times
//! loses and repeats no line of 10 000, a Gateway turning
//! `Programmed=False` opens an incident, a `403` is named once with its
//! RBAC rule while the rest is followed, Ctrl-C commits the store and exits
//! 130, and a bad kubeconfig, context or server is one clear line.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::fake_kube::FakeKube;
use crate::{json_lines, run, stderr, stdout};

const GW_POD: &str = "shop-gw-istio-7c9d8b6f5d-q8w2z";
const ISTIOD_POD: &str = "istiod-asm-1-26-5d6f7b8c9d-xk2p9";
const GATEWAY_LABEL: &str = "gateway.networking.k8s.io/gateway-name";
const WAIT: Duration = Duration::from_secs(30);

/// A running `follow`, its stdout lines arriving on a channel.
struct Follower {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<Value>,
    stderr: std::thread::JoinHandle<String>,
}

impl Follower {
    fn start(fake: &FakeKube, dir: &Path, extra: &[&str]) -> Follower {
        let kubeconfig = fake.kubeconfig(dir);
        let store = dir.join("store");
        let mut child = Command::new(env!("CARGO_BIN_EXE_aks-gw-logs"))
            .arg("--store")
            .arg(&store)
            .args(["follow", "--json", "--since", "1h", "--kubeconfig"])
            .arg(&kubeconfig)
            .args(extra)
            .env("XDG_DATA_HOME", dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                text.push_str(&line);
                text.push('\n');
            }
            text
        });
        Follower {
            child,
            lines,
            seen: Vec::new(),
            stderr,
        }
    }

    /// The first output line (already seen or new) that `want` accepts.
    fn wait_for(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        if let Some(v) = self.seen.iter().find(|v| want(v)) {
            return v.clone();
        }
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let value: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
                    self.seen.push(value.clone());
                    if want(&value) {
                        return value;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!("no {what} within {WAIT:?}; output: {:#?}", self.seen);
    }

    /// An incident opening of this signature.
    fn opened(&mut self, signature: &str) -> Value {
        self.wait_for(&format!("open {signature}"), |v| {
            v["event"] == "open" && v["incident"]["signature"] == signature
        })["incident"]
            .clone()
    }

    /// Ctrl-C; the exit code and stderr.
    fn interrupt(mut self) -> (Option<i32>, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("follow did not stop on SIGINT");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status.code(), self.stderr.join().unwrap())
    }
}

fn gateway_pod(fake: &FakeKube, ns: &str, pod: &str, gateway: &str) {
    fake.add_pod(ns, pod, &[(GATEWAY_LABEL, gateway)], &["istio-proxy"]);
}

fn istiod_pod(fake: &FakeKube) {
    fake.add_pod(
        "aks-istio-system",
        ISTIOD_POD,
        &[("app", "istiod"), ("istio.io/rev", "asm-1-26")],
        &["discovery"],
    );
}

fn append(fake: &FakeKube, ns: &str, pod: &str, lines: &[&str]) {
    let now = Utc::now();
    let stamped: Vec<(DateTime<Utc>, String)> =
        lines.iter().map(|l| (now, l.to_string())).collect();
    fake.append_log(ns, pod, "istio-proxy", &stamped);
}

const BIND: &str = "2025-08-26T10:00:00.000000Z\terror\tenvoy config external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150\tlistener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied\tthread=15";
const NOT_READY: &str = "2025-08-26T10:00:02.000000Z\twarn\tEnvoy proxy is NOT ready: config not received from XDS server (is Istiod running?)";
const UH: &str = "[2025-08-26T10:05:10.000Z] \"GET /cart HTTP/1.1\" 503 UH no_healthy_upstream - \"-\" 0 19 0 - \"203.0.113.9\" \"curl/8.5.0\" \"5c1b2a3d-0d1f-4c55-8e2a-7f0c1d2e3f41\" \"shop.contoso.com\" \"-\" outbound|8080||storefront.shop.svc.cluster.local - 10.244.2.8:80 203.0.113.9:40112 - shop.shop-gw.0";

#[test]
fn pods_that_come_and_restart_are_followed_and_ctrl_c_commits() {
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    istiod_pod(&fake);
    gateway_pod(&fake, "shop", GW_POD, "shop-gw");
    let mut follow = Follower::start(&fake, dir.path(), &[]);
    assert!(
        fake.wait_until(WAIT, |f| f.open_log_streams() >= 2),
        "two log follows: {:#?}",
        fake.requests()
    );
    append(&fake, "shop", GW_POD, &[BIND]);
    let bind = follow.opened("proxy.listener_bind_failed");
    assert_eq!(bind["gateway"], "shop/shop-gw");
    assert_eq!(bind["samples"][0]["container"], "istio-proxy");
    assert_eq!(
        bind["samples"][0]["input"],
        format!("shop/{GW_POD}/istio-proxy")
    );

    // A gateway pod that appears later.
    let web = "web-gw-istio-5f7d9c8b6d-m4k7t";
    gateway_pod(&fake, "apps", web, "web-gw");
    assert!(fake.wait_until(WAIT, |f| f.open_log_streams() >= 3));
    append(&fake, "apps", web, &[NOT_READY]);
    assert_eq!(follow.opened("proxy.not_ready")["gateway"], "apps/web-gw");

    // A restart: the new instance is another stream.
    fake.restart_container("shop", GW_POD, "istio-proxy");
    let requests_before = fake.requests().len();
    assert!(fake.wait_until(WAIT, |f| {
        f.requests()[requests_before..]
            .iter()
            .any(|r| r.contains(&format!("/pods/{GW_POD}/log")))
    }));
    append(&fake, "shop", GW_POD, &[UH]);
    assert_eq!(
        follow.opened("proxy.upstream_unhealthy")["gateway"],
        "shop/shop-gw"
    );

    let (code, errors) = follow.interrupt();
    assert_eq!(code, Some(130), "{errors}");
    assert!(errors.contains("followed"), "{errors}");
    let store = dir.path().join("store").display().to_string();
    let stored = json_lines(&stdout(&run(
        &["--store", &store, "incident", "search", "--json"],
        b"",
        &[],
    )));
    let ids: Vec<&str> = stored
        .iter()
        .map(|i| i["signature"].as_str().unwrap())
        .collect();
    for want in [
        "proxy.listener_bind_failed",
        "proxy.not_ready",
        "proxy.upstream_unhealthy",
    ] {
        assert!(ids.contains(&want), "{want} committed: {ids:?}");
    }
}

/// A deterministic xorshift, for the drop points.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn a_stream_dropped_mid_line_20_times_loses_and_repeats_no_line() {
    const LINES: usize = 10_000;
    const DROPS: usize = 20;
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    gateway_pod(&fake, "shop", GW_POD, "shop-gw");
    let mut follow = Follower::start(&fake, dir.path(), &["--tail"]);
    assert!(fake.wait_until(WAIT, |f| f.open_log_streams() >= 1));
    // Three lines share each millisecond, so resuming from a timestamp
    // must also count the lines already read at it.
    let start = Utc::now() - chrono::Duration::minutes(30);
    let sent: Vec<(DateTime<Utc>, String)> = (0..LINES)
        .map(|i| {
            let at = start + chrono::Duration::milliseconds((i / 3) as i64);
            (
                at,
                format!("line {i:05} of the drop test {}", "x".repeat(i % 97)),
            )
        })
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let chunk = LINES / DROPS;
    let log_requests = |f: &FakeKube| f.requests().iter().filter(|r| r.contains("/log?")).count();
    for part in sent.chunks(chunk) {
        // The drop comes within this chunk's bytes (at least 30 kB), at a
        // random point, often mid-line; then the follower must come back.
        let before = log_requests(&fake);
        fake.drop_log_streams_after(rng.below(20_000) as usize + 1);
        fake.append_log("shop", GW_POD, "istio-proxy", part);
        assert!(
            fake.wait_until(WAIT, |f| log_requests(f) > before),
            "resumed after a drop"
        );
    }
    let last = sent.last().unwrap().1.clone();
    follow.wait_for("the last line", |v| {
        v["event"] == "line" && v["line"].as_str().is_some_and(|l| l.ends_with(&last))
    });
    let read: Vec<String> = follow
        .seen
        .iter()
        .filter(|v| v["event"] == "line")
        .map(|v| {
            let line = v["line"].as_str().unwrap();
            line.split_once(' ').unwrap().1.to_string()
        })
        .collect();
    let want: Vec<&String> = sent.iter().map(|(_, l)| l).collect();
    assert_eq!(read.len(), LINES, "no line lost or repeated");
    for (i, (got, want)) in read.iter().zip(want).enumerate() {
        assert_eq!(got, want, "line {i}");
    }
    let reconnects = fake
        .requests()
        .iter()
        .filter(|r| r.contains("/log?") && r.contains("sinceTime="))
        .count();
    assert!(
        reconnects >= DROPS / 2,
        "resumed with sinceTime: {reconnects}"
    );
    let (code, _) = follow.interrupt();
    assert_eq!(code, Some(130));
}

fn gateway(programmed: (&str, &str, &str)) -> Value {
    let (status, reason, message) = programmed;
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"gatewayClassName": "istio", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
        "status": {"conditions": [
            {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "Resource accepted", "lastTransitionTime": Utc::now().to_rfc3339()},
            {"type": "Programmed", "status": status, "reason": reason, "message": message, "lastTransitionTime": Utc::now().to_rfc3339()}
        ]}
    })
}

#[test]
fn a_gateway_turning_not_programmed_opens_an_incident_once() {
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    fake.apply(gateway(("True", "Programmed", "Resource programmed")));
    let mut follow = Follower::start(&fake, dir.path(), &[]);
    assert!(fake.wait_until(WAIT, |f| {
        f.requests()
            .iter()
            .any(|r| r.contains("/gateways?") && r.contains("watch"))
    }));
    let pending = gateway((
        "False",
        "AddressNotAssigned",
        "Assigned to service(s) web-istio.apps.svc.cluster.local:80, but failed to assign to all requested addresses: address pending for hostname \"web-istio.apps.svc.cluster.local\"",
    ));
    fake.apply(pending.clone());
    let incident = follow.opened("lb.address_pending");
    assert_eq!(incident["gateway"], "apps/web");
    // The same status again (a resync, a label change) is no new hit.
    let mut relabelled = pending;
    relabelled["metadata"]["labels"] = json!({"team": "web"});
    fake.apply(relabelled);
    // After a 410 the watch lists again and still sees what changes next.
    fake.expire_watches();
    std::thread::sleep(Duration::from_secs(1));
    fake.apply(gateway((
        "False",
        "AddressNotUsable",
        "Failed to assign to any requested addresses: hostname \"web-istio.apps.svc.cluster.local\" not found",
    )));
    assert_eq!(
        follow.opened("gateway.service_missing")["gateway"],
        "apps/web"
    );
    let (code, _) = follow.interrupt();
    assert_eq!(code, Some(130));
    let store = dir.path().join("store").display().to_string();
    let stored = json_lines(&stdout(&run(
        &[
            "--store",
            &store,
            "incident",
            "search",
            "--json",
            "--signature",
            "lb.address_pending",
        ],
        b"",
        &[],
    )));
    assert_eq!(stored.len(), 1, "{stored:#?}");
    assert_eq!(
        stored[0]["count"], 1,
        "a condition enters on a transition only"
    );
}

#[test]
fn a_forbidden_resource_is_named_once_with_its_rbac_rule() {
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    fake.forbid("list", "events", None);
    fake.forbid("watch", "events", None);
    gateway_pod(&fake, "shop", GW_POD, "shop-gw");
    let mut follow = Follower::start(&fake, dir.path(), &[]);
    assert!(fake.wait_until(WAIT, |f| f.open_log_streams() >= 1));
    append(&fake, "shop", GW_POD, &[BIND]);
    follow.opened("proxy.listener_bind_failed");
    std::thread::sleep(Duration::from_secs(1));
    let (code, errors) = follow.interrupt();
    assert_eq!(code, Some(130));
    let forbidden: Vec<&str> = errors
        .lines()
        .filter(|l| l.contains("forbidden: cannot list events"))
        .collect();
    assert_eq!(forbidden.len(), 1, "named once: {errors}");
    assert!(
        forbidden[0]
            .contains(r#"apiGroups: [""], resources: ["events"], verbs: ["get", "list", "watch"]"#)
            && forbidden[0].contains("ClusterRole"),
        "{errors}"
    );
}

#[test]
fn without_the_gateway_api_crds_follow_says_so_and_goes_on() {
    let fake = FakeKube::start();
    fake.without_gateway_api();
    let dir = tempfile::tempdir().unwrap();
    gateway_pod(&fake, "shop", GW_POD, "shop-gw");
    let mut follow = Follower::start(&fake, dir.path(), &[]);
    assert!(fake.wait_until(WAIT, |f| f.open_log_streams() >= 1));
    append(&fake, "shop", GW_POD, &[BIND]);
    follow.opened("proxy.listener_bind_failed");
    let (_, errors) = follow.interrupt();
    assert!(
        errors.contains("gateways.gateway.networking.k8s.io is not served: the Gateway API CRDs are not installed"),
        "{errors}"
    );
}

#[test]
fn a_bad_kubeconfig_context_or_server_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken");
    std::fs::write(&broken, "apiVersion: v1\nclusters: [\n").unwrap();
    let unreachable = dir.path().join("unreachable");
    std::fs::write(
        &unreachable,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"http://127.0.0.1:1\"}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: ctx\n  context: {cluster: c, user: u}\ncurrent-context: ctx\n",
    )
    .unwrap();
    let cases: [(&Path, &[&str], &str); 4] = [
        (&broken, &[], "failed to parse kubeconfig YAML"),
        (&dir.path().join("missing"), &[], "No such file"),
        (
            &unreachable,
            &["--context", "prod"],
            "context \"prod\" is not in the kubeconfig (it has: ctx)",
        ),
        (
            &unreachable,
            &[],
            "cannot reach the API server at http://127.0.0.1:1/",
        ),
    ];
    for (kubeconfig, extra, want) in cases {
        let path = kubeconfig.display().to_string();
        let mut args = vec!["--no-store", "follow", "--kubeconfig", &path];
        args.extend_from_slice(extra);
        let out = run(&args, b"", &[]);
        assert_eq!(out.status.code(), Some(2), "{want}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(want), "{want}: {err}");
    }
}

#[test]
fn watched_objects_are_checked_while_following() {
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    istiod_pod(&fake);
    let mut follow = Follower::start(&fake, dir.path(), &[]);
    let mut legacy = gateway(("True", "Programmed", "Resource programmed"));
    legacy["metadata"]["name"] = json!("legacy");
    legacy["spec"]["gatewayClassName"] = json!("approuting-istio");
    fake.apply(legacy);
    let incident = follow.opened("class.not_istio");
    assert_eq!(incident["gateway"], "apps/legacy");
    assert_eq!(incident["samples"][0]["input"], "watch:gateway");
    let (code, _) = follow.interrupt();
    assert_eq!(code, Some(130));
}

#[test]
fn malformed_watch_events_do_not_stop_the_follower() {
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    gateway_pod(&fake, "shop", GW_POD, "shop-gw");
    let mut follow = Follower::start(&fake, dir.path(), &[]);
    assert!(fake.wait_until(WAIT, |f| f.open_watches() >= 5));
    fake.inject_watch_line("{\"type\":\"ADDED\",\"object\":{\"kind\":");
    fake.inject_watch_line("not json at all \u{1b}[31m");
    std::thread::sleep(Duration::from_millis(500));
    fake.apply(gateway((
        "False",
        "AddressNotAssigned",
        "Assigned to service(s) web-istio.apps.svc.cluster.local:80, but failed to assign to all requested addresses: address pending for hostname \"web-istio.apps.svc.cluster.local\"",
    )));
    assert_eq!(follow.opened("lb.address_pending")["gateway"], "apps/web");
    append(&fake, "shop", GW_POD, &[BIND]);
    follow.opened("proxy.listener_bind_failed");
    let (code, errors) = follow.interrupt();
    assert_eq!(code, Some(130), "{errors}");
    assert!(
        errors.contains("a malformed response from the API server"),
        "{errors}"
    );
    assert!(
        !errors.contains('\u{1b}'),
        "no escape reaches the terminal: {errors:?}"
    );
}

#[test]
fn incidents_are_printed_as_they_grow_and_close() {
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    gateway_pod(&fake, "shop", GW_POD, "shop-gw");
    let mut follow = Follower::start(
        &fake,
        dir.path(),
        &["--update-interval", "0s", "--quiet-window", "2s"],
    );
    assert!(fake.wait_until(WAIT, |f| f.open_log_streams() >= 1));
    let bind_now = || {
        let now = Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ");
        BIND.replacen("2025-08-26T10:00:00.000000Z", &now.to_string(), 1)
    };
    append(&fake, "shop", GW_POD, &[&bind_now()]);
    let opened = follow.opened("proxy.listener_bind_failed");
    append(&fake, "shop", GW_POD, &[&bind_now()]);
    let grown = follow.wait_for("an update", |v| v["event"] == "update");
    assert_eq!(grown["incident"]["id"], opened["id"]);
    assert_eq!(grown["incident"]["count"], 2);
    let closed = follow.wait_for("a close", |v| v["event"] == "closed");
    assert_eq!(closed["incident"]["id"], opened["id"]);
    assert_eq!(closed["incident"]["state"], "closed");
    let (code, _) = follow.interrupt();
    assert_eq!(code, Some(130));
}
