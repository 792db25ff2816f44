//! The fake API server (`tests/fake_kube/`) against the real client: the
//! real `kubectl` gets pods (as a Table and as JSON, by label), follows and
//! filters logs, watches events, lists Gateways (and reports them unknown
//! without the Gateway API) and reports Forbidden, all against the fake.
//! Then the fake's own wire behaviour over raw HTTP: watches replay,
//! follow selectors, expire with 410, bookmark and time out; log follows
//! are cut mid-line by an injected drop; log errors are the server's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::fake_kube::FakeKube;

/// Every kubectl run ends within this, or is killed and fails the test.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(60);

/// The real kubectl: `$KUBECTL` if set, else /usr/bin/kubectl or the
/// first on PATH. Missing, the test fails: it is never skipped.
fn kubectl_path() -> PathBuf {
    let candidates: Vec<PathBuf> = match std::env::var_os("KUBECTL") {
        Some(path) => vec![PathBuf::from(path)],
        None => {
            let mut candidates = vec![PathBuf::from("/usr/bin/kubectl")];
            if let Some(path) = std::env::var_os("PATH") {
                candidates.extend(std::env::split_paths(&path).map(|d| d.join("kubectl")));
            }
            candidates
        }
    };
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "kubectl not found (looked at {candidates:?}): these tests run the real \
                 kubectl against the fake API server; `.ci/run` installs it"
            )
        })
}

/// A running kubectl whose output is collected as it comes.
struct Kubectl {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
    started: Instant,
}

fn collect(
    pipe: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
            into.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&line));
            line.clear();
        }
    })
}

impl Kubectl {
    /// Starts `kubectl --kubeconfig <dir>/kubeconfig --cache-dir <dir>/cache ARGS`.
    fn start(dir: &Path, args: &[&str]) -> Kubectl {
        let kubeconfig = dir.join("kubeconfig");
        assert!(kubeconfig.is_file(), "write the kubeconfig first");
        let mut child = Command::new(kubectl_path())
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .args(args)
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl starts");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            collect(child.stdout.take().unwrap(), stdout.clone()),
            collect(child.stderr.take().unwrap(), stderr.clone()),
        ];
        Kubectl {
            child,
            stdout,
            stderr,
            readers,
            started: Instant::now(),
        }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stdout satisfies `condition`; panics (killing kubectl)
    /// after the timeout or if kubectl exits first.
    fn wait_for_stdout(&mut self, what: &str, condition: impl Fn(&str) -> bool) {
        loop {
            if condition(&self.stdout()) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                // The readers may still hold the last output.
                std::thread::sleep(Duration::from_millis(100));
                if condition(&self.stdout()) {
                    return;
                }
                panic!(
                    "kubectl exited ({status}) before {what}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            if self.started.elapsed() > KUBECTL_TIMEOUT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "kubectl: timed out waiting for {what}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for kubectl to exit; kills it and panics on timeout.
    fn finish(mut self) -> (ExitStatus, String, String) {
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if self.started.elapsed() > KUBECTL_TIMEOUT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "kubectl did not exit within {KUBECTL_TIMEOUT:?}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        (status, self.stdout(), self.stderr())
    }

    /// Kills it (a watch never ends by itself) and returns its output.
    fn kill(mut self) -> (String, String) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        (self.stdout(), self.stderr())
    }
}

impl Drop for Kubectl {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs kubectl to its end: (exit status, stdout, stderr).
fn kubectl(dir: &Path, args: &[&str]) -> (ExitStatus, String, String) {
    Kubectl::start(dir, args).finish()
}

/// Runs kubectl, which must succeed; its stdout.
fn kubectl_ok(dir: &Path, args: &[&str]) -> String {
    let (status, stdout, stderr) = kubectl(dir, args);
    assert!(
        status.success(),
        "kubectl {args:?} failed ({status})\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

/// A fake with its kubeconfig in a temp dir.
fn fake() -> (FakeKube, tempfile::TempDir) {
    let fake = FakeKube::start();
    let dir = tempfile::tempdir().unwrap();
    fake.kubeconfig(dir.path());
    (fake, dir)
}

const GATEWAY_LABEL: &str = "gateway.networking.k8s.io/gateway-name";

/// Three pods: two of the shop-gw gateway (in shop and in a second
/// namespace) and one application pod.
fn add_pods(fake: &FakeKube) {
    fake.add_pod(
        "shop",
        "shop-gw-istio-7d9c6b5f4-x2x9k",
        &[(GATEWAY_LABEL, "shop-gw"), ("app", "shop-gw-istio")],
        &["istio-proxy"],
    );
    fake.add_pod(
        "shop",
        "cart-5f7b8c9d6-abcde",
        &[("app", "cart")],
        &["cart", "istio-proxy"],
    );
    fake.add_pod(
        "edge",
        "shop-gw-istio-66b8f9c7d-qq7lm",
        &[(GATEWAY_LABEL, "shop-gw")],
        &["istio-proxy"],
    );
}

fn at(h: u32, m: u32, s: u32, nanos: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 8, 26, h, m, s).unwrap()
        + chrono::Duration::nanoseconds(i64::from(nanos))
}

fn lines(items: &[(DateTime<Utc>, &str)]) -> Vec<(DateTime<Utc>, String)> {
    items.iter().map(|(t, s)| (*t, s.to_string())).collect()
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn kubectl_get_pods_prints_a_table_with_running_pods() {
    let (fake, dir) = fake();
    add_pods(&fake);
    let out = kubectl_ok(dir.path(), &["get", "pods", "-n", "shop"]);
    let header = out.lines().next().unwrap_or_default();
    for column in ["NAME", "READY", "STATUS", "RESTARTS", "AGE"] {
        assert!(header.contains(column), "no {column} column:\n{out}");
    }
    let row = out
        .lines()
        .find(|l| l.starts_with("shop-gw-istio-7d9c6b5f4-x2x9k "))
        .unwrap_or_else(|| panic!("no gateway pod row:\n{out}"));
    assert!(row.contains("1/1") && row.contains("Running"), "{row}");
    let cart = out.lines().find(|l| l.starts_with("cart-")).unwrap();
    assert!(cart.contains("2/2") && cart.contains("Running"), "{cart}");
    assert!(!out.contains("qq7lm"), "a pod of another namespace:\n{out}");
    // kubectl asked for a server-side Table. (client-go sends no
    // credentials to an http:// server: the token stays unsent.)
    let requests = fake.recorded_requests();
    let list = requests
        .iter()
        .find(|r| r.target.starts_with("/api/v1/namespaces/shop/pods"))
        .expect("a pod list request");
    assert!(
        list.accept.as_deref().unwrap_or("").contains("as=Table"),
        "{list:?}"
    );
    assert_eq!(list.authorization, None);
    // kubectl asked for aggregated discovery, got the legacy documents and
    // fell back to one request per group version.
    let api = requests
        .iter()
        .find(|r| r.target.starts_with("/api?"))
        .unwrap();
    assert!(
        api.accept
            .as_deref()
            .unwrap_or("")
            .contains("as=APIGroupDiscoveryList"),
        "{api:?}"
    );
    assert!(
        requests.iter().any(|r| r.target.starts_with("/api/v1?")),
        "{requests:#?}"
    );
}

#[test]
fn kubectl_get_pods_watch_prints_a_new_row_when_a_container_restarts() {
    let (fake, dir) = fake();
    add_pods(&fake);
    let mut watch = Kubectl::start(dir.path(), &["get", "pods", "-n", "shop", "--watch"]);
    watch.wait_for_stdout("the pod rows", |out| out.lines().count() >= 3);
    assert!(
        fake.wait_until(KUBECTL_TIMEOUT, |f| f.open_watches() == 1),
        "kubectl never watched: {:#?}",
        fake.requests()
    );
    fake.restart_container("shop", "cart-5f7b8c9d6-abcde", "cart");
    watch.wait_for_stdout("the restarted row", |out| out.lines().count() >= 4);
    let (out, err) = watch.kill();
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 4, "{out}\n{err}");
    assert!(rows[0].starts_with("NAME "), "one header only:\n{out}");
    assert!(
        rows[3].starts_with("cart-5f7b8c9d6-abcde ") && rows[3].contains("1 ("),
        "{out}"
    );
    // The watch asked for Tables too.
    let watch = fake
        .recorded_requests()
        .into_iter()
        .find(|r| r.target.contains("watch=true"))
        .unwrap();
    assert!(watch.accept.unwrap_or_default().contains("as=Table"));
}

#[test]
fn kubectl_get_pods_as_json_and_by_label() {
    let (fake, dir) = fake();
    add_pods(&fake);
    let all: Value = serde_json::from_str(&kubectl_ok(
        dir.path(),
        &["get", "pods", "-A", "-o", "json"],
    ))
    .unwrap();
    assert_eq!(
        names(&all),
        [
            "cart-5f7b8c9d6-abcde",
            "shop-gw-istio-66b8f9c7d-qq7lm",
            "shop-gw-istio-7d9c6b5f4-x2x9k"
        ]
    );
    let pod = &all["items"][0];
    assert_eq!(pod["kind"], "Pod");
    assert_eq!(pod["status"]["phase"], "Running");
    let id = pod["status"]["containerStatuses"][0]["containerID"]
        .as_str()
        .unwrap();
    assert!(
        id.starts_with("containerd://") && id.len() == 13 + 64,
        "{id}"
    );
    let selector = format!("{GATEWAY_LABEL}=shop-gw");
    let selected: Value = serde_json::from_str(&kubectl_ok(
        dir.path(),
        &["get", "pods", "-A", "-l", &selector, "-o", "json"],
    ))
    .unwrap();
    assert_eq!(
        names(&selected),
        [
            "shop-gw-istio-66b8f9c7d-qq7lm",
            "shop-gw-istio-7d9c6b5f4-x2x9k"
        ]
    );
    let not: Value = serde_json::from_str(&kubectl_ok(
        dir.path(),
        &[
            "get",
            "pods",
            "-n",
            "shop",
            "-l",
            &format!("{GATEWAY_LABEL}!=shop-gw,app"),
            "-o",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(names(&not), ["cart-5f7b8c9d6-abcde"]);
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.starts_with("GET /api/v1/pods?")
                && r.contains("labelSelector=gateway.networking.k8s.io%2Fgateway-name%3Dshop-gw")),
        "{:#?}",
        fake.requests()
    );
}

#[test]
fn kubectl_logs_follow_prints_timestamps_and_new_lines_and_ends_on_restart() {
    let (fake, dir) = fake();
    add_pods(&fake);
    let pod = "shop-gw-istio-7d9c6b5f4-x2x9k";
    fake.append_log(
        "shop",
        pod,
        "istio-proxy",
        &lines(&[
            (at(10, 0, 0, 123_456_789), "first line"),
            (at(10, 0, 1, 0), "second line"),
        ]),
    );
    let mut follow = Kubectl::start(
        dir.path(),
        &[
            "logs",
            "-f",
            "--timestamps",
            "-n",
            "shop",
            pod,
            "-c",
            "istio-proxy",
        ],
    );
    follow.wait_for_stdout("the existing lines", |out| out.contains("second line"));
    assert_eq!(
        follow.stdout(),
        "2025-08-26T10:00:00.123456789Z first line\n2025-08-26T10:00:01.000000000Z second line\n"
    );
    fake.append_log(
        "shop",
        pod,
        "istio-proxy",
        &lines(&[(at(10, 0, 2, 500), "third line, appended while following")]),
    );
    follow.wait_for_stdout("the appended line", |out| out.contains("third line"));
    fake.restart_container("shop", pod, "istio-proxy");
    let (status, out, err) = follow.finish();
    assert!(status.success(), "kubectl logs -f: {status}\n{err}");
    assert!(
        out.ends_with("2025-08-26T10:00:02.000000500Z third line, appended while following\n"),
        "{out}"
    );
    assert!(
        fake.requests().iter().any(|r| r
            .starts_with(&format!("GET /api/v1/namespaces/shop/pods/{pod}/log?"))
            && r.contains("follow=true")
            && r.contains("timestamps=true")
            && r.contains("container=istio-proxy")),
        "{:#?}",
        fake.requests()
    );
    // The old instance stays readable with --previous; the new one is empty.
    let previous = kubectl_ok(
        dir.path(),
        &["logs", "--previous", "-n", "shop", pod, "-c", "istio-proxy"],
    );
    assert_eq!(
        previous,
        "first line\nsecond line\nthird line, appended while following\n"
    );
    let current = kubectl_ok(
        dir.path(),
        &["logs", "-n", "shop", pod, "-c", "istio-proxy"],
    );
    assert_eq!(current, "");
    let listed = kubectl_ok(dir.path(), &["get", "pods", "-n", "shop", pod]);
    assert!(listed.contains("1 ("), "restarts with an age:\n{listed}");
}

#[test]
fn kubectl_logs_since_time_returns_only_later_lines() {
    let (fake, dir) = fake();
    add_pods(&fake);
    let pod = "shop-gw-istio-7d9c6b5f4-x2x9k";
    fake.append_log(
        "shop",
        pod,
        "istio-proxy",
        &lines(&[
            (at(10, 0, 0, 0), "before"),
            (at(10, 0, 4, 999_999_999), "just before"),
            (at(10, 0, 5, 0), "at the second"),
            (at(10, 0, 9, 1), "after"),
        ]),
    );
    let out = kubectl_ok(
        dir.path(),
        &[
            "logs",
            "--since-time=2025-08-26T10:00:05Z",
            "--timestamps",
            "-n",
            "shop",
            pod,
            "-c",
            "istio-proxy",
        ],
    );
    assert_eq!(
        out,
        "2025-08-26T10:00:05.000000000Z at the second\n2025-08-26T10:00:09.000000001Z after\n"
    );
    let tail = kubectl_ok(
        dir.path(),
        &["logs", "--tail=1", "-n", "shop", pod, "-c", "istio-proxy"],
    );
    assert_eq!(tail, "after\n");
}

fn event(name: &str, reason: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "shop"},
        "involvedObject": {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "name": "shop-gw",
            "namespace": "shop"
        },
        "reason": reason,
        "message": "Failed to ensure load balancer: PublicIPCountLimitReached",
        "type": "Warning",
        "source": {"component": "service-controller"},
        "firstTimestamp": "2025-08-26T10:00:00Z",
        "lastTimestamp": "2025-08-26T10:00:00Z",
        "count": 1
    })
}

#[test]
fn kubectl_get_events_watch_prints_an_event_applied_later() {
    let (fake, dir) = fake();
    fake.apply(event("shop-gw.old", "Old"));
    let mut watch = Kubectl::start(
        dir.path(),
        &[
            "get",
            "events",
            "-n",
            "shop",
            "--watch",
            "--output-watch-events",
            "-o",
            "json",
        ],
    );
    watch.wait_for_stdout("the existing event", |out| out.contains("shop-gw.old"));
    assert!(
        fake.wait_until(Duration::from_secs(30), |f| f.open_watches() == 1),
        "kubectl never watched: {:#?}",
        fake.requests()
    );
    fake.apply(event("shop-gw.1858a2b3c4d5e6f7", "SyncLoadBalancerFailed"));
    watch.wait_for_stdout("the new event", |out| {
        out.contains("SyncLoadBalancerFailed")
    });
    let (out, _) = watch.kill();
    let events: Vec<Value> = serde_json::Deserializer::from_str(&out)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect();
    let new = events
        .iter()
        .find(|e| e["object"]["reason"] == "SyncLoadBalancerFailed")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(new["type"], "ADDED");
    assert_eq!(new["object"]["metadata"]["namespace"], "shop");
    let watch_request = fake
        .requests()
        .into_iter()
        .find(|r| r.contains("watch=true"))
        .unwrap();
    assert!(
        watch_request.starts_with("GET /api/v1/namespaces/shop/events?"),
        "{watch_request}"
    );
    assert!(
        watch_request.contains("resourceVersion="),
        "{watch_request}"
    );
}

fn gateway() -> Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "shop-gw", "namespace": "shop"},
        "spec": {
            "gatewayClassName": "istio",
            "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]
        },
        "status": {
            "addresses": [{"type": "IPAddress", "value": "20.61.1.2"}],
            "conditions": [{
                "type": "Programmed", "status": "True", "reason": "Programmed",
                "message": "Resource programmed", "observedGeneration": 1,
                "lastTransitionTime": "2025-08-26T10:00:00Z"
            }]
        }
    })
}

#[test]
fn kubectl_lists_gateways_and_reports_them_unknown_without_the_crds() {
    let (fake, dir) = fake();
    fake.apply(gateway());
    let out = kubectl_ok(
        dir.path(),
        &[
            "get",
            "gateways.gateway.networking.k8s.io",
            "-A",
            "-o",
            "json",
        ],
    );
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(names(&list), ["shop-gw"]);
    assert_eq!(
        list["items"][0]["apiVersion"],
        "gateway.networking.k8s.io/v1"
    );
    assert_eq!(list["items"][0]["metadata"]["generation"], 1);
    let table = kubectl_ok(dir.path(), &["get", "gtw", "-n", "shop"]);
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|row| row.starts_with("shop-gw ")
                && row.contains("istio")
                && row.contains("20.61.1.2")
                && row.contains("True")),
        "{table}"
    );

    let (bare, bare_dir) = self::fake();
    bare.without_gateway_api();
    bare.apply(gateway());
    let (status, out, err) = kubectl(
        bare_dir.path(),
        &[
            "get",
            "gateways.gateway.networking.k8s.io",
            "-A",
            "-o",
            "json",
        ],
    );
    assert!(!status.success(), "{out}");
    assert!(
        err.contains("the server doesn't have a resource type \"gateways"),
        "{err}"
    );
}

#[test]
fn kubectl_reports_a_forbidden_resource() {
    let (fake, dir) = fake();
    fake.apply(event("shop-gw.old", "Old"));
    fake.forbid("list", "events", Some("shop"));
    let (status, out, err) = kubectl(dir.path(), &["get", "events", "-n", "shop"]);
    assert!(!status.success(), "{out}");
    assert!(
        err.contains(
            "Error from server (Forbidden): events is forbidden: User \
             \"system:serviceaccount:default:aks-gw-logs\" cannot list resource \"events\" \
             in API group \"\" in the namespace \"shop\""
        ),
        "{err}"
    );
    // Other namespaces and verbs are not affected.
    kubectl_ok(dir.path(), &["get", "events", "-n", "edge"]);
    fake.forbid("get", "pods/log", None);
    fake.add_pod("shop", "p", &[], &["c"]);
    let (status, _, err) = kubectl(dir.path(), &["logs", "-n", "shop", "p"]);
    assert!(!status.success());
    assert!(
        err.contains(
            "Error from server (Forbidden): pods \"p\" is forbidden: User \
             \"system:serviceaccount:default:aks-gw-logs\" cannot get resource \"pods/log\" \
             in API group \"\" in the namespace \"shop\""
        ),
        "{err}"
    );
}

// ---- The fake's wire behaviour over raw HTTP ----

/// A response read off a raw connection, its chunked body decoded as it
/// arrives.
struct Raw {
    status: u16,
    head: String,
    reader: BufReader<TcpStream>,
    chunked: bool,
    /// Decoded body bytes not yet consumed as lines.
    pending: Vec<u8>,
    /// The final (zero) chunk arrived.
    finished: bool,
}

impl Raw {
    fn get(fake: &FakeKube, target: &str) -> Raw {
        let address = fake.url().trim_start_matches("http://").to_string();
        let mut stream = TcpStream::connect(&address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer raw\r\nAccept: application/json\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        Raw {
            status,
            head,
            reader,
            chunked,
            pending: Vec::new(),
            finished: false,
        }
    }

    /// The whole body of a response with a content-length.
    fn body(mut self) -> Value {
        assert!(!self.chunked, "{}", self.head);
        let length: usize = self
            .head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length: ")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap();
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// The next chunk: Ok(None) after the final chunk; Err when the
    /// connection ends (or times out) without it.
    fn chunk(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut size = String::new();
        if self.reader.read_line(&mut size)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let size = usize::from_str_radix(size.trim(), 16)
            .map_err(|_| std::io::Error::other(format!("bad chunk size {size:?}")))?;
        let mut data = vec![0; size + 2];
        self.reader.read_exact(&mut data)?;
        data.truncate(size);
        if size == 0 {
            self.finished = true;
            return Ok(None);
        }
        Ok(Some(data))
    }

    /// The next newline-terminated line of the body; None at the clean end.
    fn line(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return Some(String::from_utf8(line).unwrap());
            }
            match self.chunk() {
                Ok(Some(data)) => self.pending.extend(data),
                Ok(None) => return None,
                Err(e) => panic!(
                    "stream broken: {e}; pending {:?}",
                    String::from_utf8_lossy(&self.pending)
                ),
            }
        }
    }

    /// The next watch event.
    fn event(&mut self) -> Option<Value> {
        self.line().map(|l| serde_json::from_str(&l).unwrap())
    }
}

fn configmap(name: &str, labels: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "shop", "labels": labels},
        "data": {"mesh": "accessLogFile: /dev/stdout"}
    })
}

#[test]
fn raw_list_and_watch_replay_changes_after_a_resource_version() {
    let fake = FakeKube::start();
    fake.apply(configmap("a", json!({"team": "gw"})));
    let list = Raw::get(&fake, "/api/v1/namespaces/shop/configmaps").body();
    let seen = &fake.recorded_requests()[0];
    assert_eq!(seen.target, "/api/v1/namespaces/shop/configmaps");
    assert_eq!(seen.authorization.as_deref(), Some("Bearer raw"));
    assert_eq!(list["kind"], "ConfigMapList");
    assert_eq!(list["apiVersion"], "v1");
    let rv: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(rv, fake.resource_version());
    assert_eq!(list["items"][0]["metadata"]["name"], "a");
    assert!(
        list["items"][0].get("kind").is_none(),
        "built-in list items carry no kind"
    );
    fake.apply(configmap("b", json!({"team": "gw"})));
    fake.apply(configmap("a", json!({"team": "other"})));
    fake.delete("v1", "ConfigMap", Some("shop"), "b");
    let mut watch = Raw::get(
        &fake,
        &format!(
            "/api/v1/namespaces/shop/configmaps?watch=1&resourceVersion={rv}&labelSelector=team%3Dgw"
        ),
    );
    assert_eq!(watch.status, 200);
    assert!(watch.chunked, "{}", watch.head);
    let seen: Vec<(String, String)> = (0..3)
        .map(|_| {
            let e = watch.event().unwrap();
            (
                e["type"].as_str().unwrap().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    // a stops matching the selector: DELETED to this watch.
    assert_eq!(
        seen,
        [
            ("ADDED".to_string(), "b".to_string()),
            ("DELETED".to_string(), "a".to_string()),
            ("DELETED".to_string(), "b".to_string())
        ]
    );
    fake.apply(configmap("c", json!({"team": "gw"})));
    let live = watch.event().unwrap();
    assert_eq!(live["type"], "ADDED");
    assert_eq!(live["object"]["kind"], "ConfigMap");
    assert_eq!(
        live["object"]["metadata"]["resourceVersion"],
        fake.resource_version().to_string()
    );
}

#[test]
fn raw_watch_after_expire_gets_410_and_open_watches_end() {
    let fake = FakeKube::start();
    fake.apply(configmap("a", json!({})));
    let rv = fake.resource_version();
    let mut open = Raw::get(
        &fake,
        &format!("/api/v1/configmaps?watch=true&resourceVersion={rv}"),
    );
    assert!(fake.wait_until(Duration::from_secs(5), |f| f.open_watches() == 1));
    fake.expire_watches();
    assert_eq!(open.event(), None, "an open watch ends cleanly");
    let mut old = Raw::get(
        &fake,
        &format!("/api/v1/configmaps?watch=true&resourceVersion={rv}"),
    );
    assert_eq!(old.status, 200);
    let error = old.event().unwrap();
    assert_eq!(error["type"], "ERROR");
    assert_eq!(error["object"]["kind"], "Status");
    assert_eq!(error["object"]["code"], 410);
    assert_eq!(error["object"]["reason"], "Expired");
    assert!(
        error["object"]["message"]
            .as_str()
            .unwrap()
            .starts_with("too old resource version: "),
        "{error}"
    );
    assert_eq!(old.event(), None);
    // A relist gives a resourceVersion that can be watched from.
    let list = Raw::get(&fake, "/api/v1/configmaps").body();
    let fresh = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut new = Raw::get(
        &fake,
        &format!("/api/v1/configmaps?watch=true&resourceVersion={fresh}"),
    );
    fake.apply(configmap("b", json!({})));
    assert_eq!(new.event().unwrap()["type"], "ADDED");
}

#[test]
fn raw_watch_sends_bookmarks_and_honours_timeout_seconds() {
    let fake = FakeKube::start();
    fake.set_bookmark_interval(Duration::from_millis(100));
    fake.apply(gateway());
    let rv = fake.resource_version();
    let started = Instant::now();
    let mut watch = Raw::get(
        &fake,
        &format!(
            "/apis/gateway.networking.k8s.io/v1/gateways?watch=1&allowWatchBookmarks=true&resourceVersion={rv}&timeoutSeconds=1"
        ),
    );
    let bookmark = watch.event().unwrap();
    assert_eq!(bookmark["type"], "BOOKMARK");
    assert_eq!(bookmark["object"]["kind"], "Gateway");
    assert_eq!(
        bookmark["object"]["apiVersion"],
        "gateway.networking.k8s.io/v1"
    );
    assert_eq!(
        bookmark["object"]["metadata"]["resourceVersion"],
        rv.to_string()
    );
    while let Some(event) = watch.event() {
        assert_eq!(event["type"], "BOOKMARK");
    }
    assert!(watch.finished);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    // Without a resourceVersion the current objects come first, as ADDED,
    // and the same CRD is served at v1beta1 too.
    let mut fresh = Raw::get(
        &fake,
        "/apis/gateway.networking.k8s.io/v1beta1/namespaces/shop/gateways?watch=1",
    );
    let added = fresh.event().unwrap();
    assert_eq!(added["type"], "ADDED");
    assert_eq!(
        added["object"]["apiVersion"],
        "gateway.networking.k8s.io/v1beta1"
    );
}

#[test]
fn raw_log_follow_is_cut_mid_line_by_an_injected_drop() {
    let fake = FakeKube::start();
    fake.add_pod("shop", "gw", &[], &["istio-proxy"]);
    fake.append_log(
        "shop",
        "gw",
        "istio-proxy",
        &lines(&[(at(10, 0, 0, 0), "0123456789")]),
    );
    let mut follow = Raw::get(
        &fake,
        "/api/v1/namespaces/shop/pods/gw/log?container=istio-proxy&follow=true&timestamps=true",
    );
    assert_eq!(follow.status, 200);
    assert!(follow.chunked);
    assert_eq!(
        follow.line().unwrap(),
        "2025-08-26T10:00:00.000000000Z 0123456789\n"
    );
    assert_eq!(fake.open_log_streams(), 1);
    fake.drop_log_streams_after(45);
    fake.append_log(
        "shop",
        "gw",
        "istio-proxy",
        &lines(&[
            (at(10, 0, 1, 0), "abcdefghij"),
            (at(10, 0, 2, 0), "klmnopqrst"),
        ]),
    );
    // The 42 bytes of the first line, then 3 of the second, then the connection
    // closes without the final chunk.
    let mut received = Vec::new();
    let end = loop {
        match follow.chunk() {
            Ok(Some(data)) => received.extend(data),
            other => break other,
        }
    };
    assert!(end.is_err(), "the stream ended cleanly: {end:?}");
    assert!(!follow.finished);
    assert_eq!(
        String::from_utf8(received).unwrap(),
        "2025-08-26T10:00:01.000000000Z abcdefghij\n202"
    );
    assert!(fake.wait_until(Duration::from_secs(5), |f| f.open_log_streams() == 0));
    assert_eq!(fake.log_bytes_sent(), 42 + 45);
    assert_eq!(fake.log_lines_sent(), 2);
    // A new follow is not affected, and starts from the beginning again.
    let mut again = Raw::get(
        &fake,
        "/api/v1/namespaces/shop/pods/gw/log?container=istio-proxy&follow=true&tailLines=1",
    );
    assert_eq!(again.line().unwrap(), "klmnopqrst\n");
    fake.delete("v1", "Pod", Some("shop"), "gw");
    assert_eq!(again.line(), None, "a deleted pod's follow ends cleanly");
}

#[test]
fn raw_log_errors_are_the_servers() {
    let fake = FakeKube::start();
    fake.add_pod("shop", "gw", &[], &["istio-proxy", "app"]);
    let cases = [
        (
            "/api/v1/namespaces/shop/pods/nope/log",
            404,
            "NotFound",
            "pods \"nope\" not found",
        ),
        (
            "/api/v1/namespaces/shop/pods/gw/log?container=x",
            400,
            "BadRequest",
            "container x is not valid for pod gw",
        ),
        (
            "/api/v1/namespaces/shop/pods/gw/log",
            400,
            "BadRequest",
            "a container name must be specified for pod gw, choose one of: [istio-proxy app]",
        ),
        (
            "/api/v1/namespaces/shop/pods/gw/log?container=app&previous=true",
            400,
            "BadRequest",
            "previous terminated container \"app\" in pod \"gw\" not found",
        ),
        (
            "/apis/gateway.networking.k8s.io/v1/namespaces/shop/gateways/none",
            404,
            "NotFound",
            "gateways.gateway.networking.k8s.io \"none\" not found",
        ),
    ];
    for (target, code, reason, message) in cases {
        let response = Raw::get(&fake, target);
        assert_eq!(response.status, code, "{target}");
        let status = response.body();
        assert_eq!(status["kind"], "Status", "{target}");
        assert_eq!(status["status"], "Failure");
        assert_eq!(status["code"], code);
        assert_eq!(status["reason"], reason, "{target}");
        assert_eq!(status["message"], message, "{target}");
    }
    fake.without_gateway_api();
    let gone = Raw::get(&fake, "/apis/gateway.networking.k8s.io/v1/gateways");
    assert_eq!(gone.status, 404);
    let groups = Raw::get(&fake, "/apis").body();
    assert!(
        !groups.to_string().contains("gateway.networking.k8s.io"),
        "{groups}"
    );
}

// ---- kube-rs (the client `follow` uses) against the fake ----

/// The next watcher event, skipping none; panics after 10 s.
async fn next<S>(events: &mut S) -> S::Item
where
    S: futures::Stream + Unpin,
{
    use futures::StreamExt;
    tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("a watcher event within 10 s")
        .expect("the watcher goes on")
}

#[test]
fn kube_rs_lists_watches_through_a_relist_and_follows_logs() {
    use futures::{AsyncBufReadExt, StreamExt};
    use k8s_openapi::api::core::v1::{ConfigMap, Pod};
    use kube::api::{Api, ListParams, LogParams};
    use kube::runtime::watcher::{self, Event, watcher};

    let (fake, dir) = fake();
    add_pods(&fake);
    fake.apply(configmap("a", json!({})));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let kubeconfig =
            kube::config::Kubeconfig::read_from(dir.path().join("kubeconfig")).unwrap();
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .unwrap();
        let client = kube::Client::try_from(config).unwrap();

        let pods: Api<Pod> = Api::all(client.clone());
        let selected = pods
            .list(&ListParams::default().labels(&format!("{GATEWAY_LABEL}=shop-gw")))
            .await
            .unwrap();
        assert_eq!(selected.items.len(), 2);
        let status = selected.items[0].status.as_ref().unwrap();
        assert_eq!(status.phase.as_deref(), Some("Running"));

        let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), "shop");
        let mut events = std::pin::pin!(watcher(configmaps, watcher::Config::default()));
        let name = |e: &Event<ConfigMap>| match e {
            Event::Apply(o) | Event::InitApply(o) | Event::Delete(o) => o.metadata.name.clone(),
            Event::Init | Event::InitDone => None,
        };
        assert!(matches!(next(&mut events).await.unwrap(), Event::Init));
        assert_eq!(
            name(&next(&mut events).await.unwrap()).as_deref(),
            Some("a")
        );
        assert!(matches!(next(&mut events).await.unwrap(), Event::InitDone));
        // Written before kube starts its watch: replayed from the list's
        // resourceVersion.
        fake.apply(configmap("b", json!({})));
        let b = next(&mut events).await.unwrap();
        assert!(matches!(&b, Event::Apply(_)) && name(&b).as_deref() == Some("b"));
        // Expired: the watch ends, the re-watch gets 410, kube relists.
        fake.expire_watches();
        let gone = next(&mut events).await;
        match gone {
            Err(watcher::Error::WatchError(status)) => assert_eq!(status.code, 410),
            other => panic!("expected the 410, got {other:?}"),
        }
        assert!(matches!(next(&mut events).await.unwrap(), Event::Init));
        let relisted = [
            next(&mut events).await.unwrap(),
            next(&mut events).await.unwrap(),
        ];
        let relisted: Vec<_> = relisted.iter().filter_map(name).collect();
        assert_eq!(relisted, ["a", "b"]);
        assert!(matches!(next(&mut events).await.unwrap(), Event::InitDone));
        fake.apply(configmap("c", json!({})));
        assert_eq!(
            name(&next(&mut events).await.unwrap()).as_deref(),
            Some("c")
        );

        let shop: Api<Pod> = Api::namespaced(client.clone(), "shop");
        let pod = "shop-gw-istio-7d9c6b5f4-x2x9k";
        fake.append_log(
            "shop",
            pod,
            "istio-proxy",
            &lines(&[(at(10, 0, 0, 5), "one")]),
        );
        let params = LogParams {
            container: Some("istio-proxy".into()),
            follow: true,
            timestamps: true,
            ..LogParams::default()
        };
        let mut log = shop.log_stream(pod, &params).await.unwrap().lines();
        let line = tokio::time::timeout(Duration::from_secs(10), log.next()).await;
        assert_eq!(
            line.unwrap().unwrap().unwrap(),
            "2025-08-26T10:00:00.000000005Z one"
        );
        fake.append_log(
            "shop",
            pod,
            "istio-proxy",
            &lines(&[(at(10, 0, 1, 0), "two")]),
        );
        let line = tokio::time::timeout(Duration::from_secs(10), log.next()).await;
        assert_eq!(
            line.unwrap().unwrap().unwrap(),
            "2025-08-26T10:00:01.000000000Z two"
        );
        fake.restart_container("shop", pod, "istio-proxy");
        let end = tokio::time::timeout(Duration::from_secs(10), log.next()).await;
        assert!(end.unwrap().is_none(), "the follow ends at the restart");
    });
    // kube-rs sends the token even over http.
    let with_token = fake
        .recorded_requests()
        .iter()
        .filter(|r| r.authorization.as_deref() == Some("Bearer fake-token"))
        .count();
    assert_eq!(with_token, fake.requests().len());
}
