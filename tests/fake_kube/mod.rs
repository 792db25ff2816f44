//! A fake Kubernetes API server for tests and benchmarks: the real wire
//! protocol (HTTP/1.1, JSON, chunked watches and log follows, `Status`
//! errors, discovery, server-side Tables) on 127.0.0.1 at an OS-assigned
//! port, scripted by the test through synchronous methods. It runs its
//! own tokio runtime on a background thread, so it works from plain
//! `#[test]` functions and from benchmarks; dropping it stops the server.
//!
//! Include it with `#[path = "../fake_kube/mod.rs"] mod fake_kube;` (from
//! `tests/integration/`) or `#[path = "../tests/fake_kube/mod.rs"]` (from
//! `benches/`). It depends on nothing of the crate under test.
//!
//! What it knows: the resources in `resources.rs` (pods, events,
//! configmaps, services, namespaces, nodes, deployments,
//! mutatingwebhookconfigurations and the Gateway API kinds), get/list/watch
//! on them, and pod logs. Writes from clients (POST, PUT, PATCH, DELETE)
//! are refused with 405; the test writes through `apply()` and friends.
//!
//! Declare it with `#[allow(dead_code)]` on the `mod` line: no includer
//! uses every method.

mod logs;
mod resources;
mod selector;
mod server;
mod store;
mod table;
mod wire;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use logs::{Line, Logs};
use store::Store;

/// The user every token authenticates as (named in Forbidden messages).
pub const USER: &str = "system:serviceaccount:default:aks-gw-logs";

/// A request the fake received.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, as sent (`/api/v1/namespaces/shop/pods?watch=1&...`).
    pub target: String,
    /// The Authorization header (`Bearer fake-token`).
    pub authorization: Option<String>,
    pub accept: Option<String>,
    pub user_agent: Option<String>,
}

/// Everything the server and the test share.
struct State {
    store: Store,
    logs: Logs,
    /// `forbid()` rules: (verb or `*`, resource, namespace or every one).
    forbidden: Vec<(String, String, Option<String>)>,
    gateway_api: bool,
    requests: Vec<RecordedRequest>,
    bookmark_interval: Duration,
    log_bytes_sent: u64,
    log_lines_sent: u64,
    /// Open log follows, with the bytes left before an injected drop.
    log_streams: HashMap<u64, Option<usize>>,
    next_stream: u64,
    /// Bumped by `expire_watches()`: open watches end.
    watch_epoch: u64,
    open_watches: usize,
    /// Raw lines sent to every open watch (malformed events), in order.
    watch_garbage: Vec<String>,
}

struct Shared {
    state: Mutex<State>,
    /// Bumped after every change to the store (and `expire_watches()`);
    /// watches wait on it.
    changed: tokio::sync::watch::Sender<u64>,
    /// Bumped when log follows have something to check besides their log
    /// (an injected drop); each log has its own channel for new lines.
    control: tokio::sync::watch::Sender<u64>,
    /// `127.0.0.1:PORT`.
    address: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn notify_log_streams(&self) {
        self.control.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// `n` random lowercase hex digits (not for cryptography).
pub fn random_hex(n: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static SEED: OnceLock<u64> = OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        nanos ^ (u64::from(std::process::id()) << 32)
    });
    let mut out = String::with_capacity(n + 16);
    while out.len() < n {
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        // splitmix64
        let mut x = seed.wrapping_add(count.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        out.push_str(&format!("{x:016x}"));
    }
    out.truncate(n);
    out
}

/// The image a container of this name runs (the AKS Istio add-on's).
fn image(container: &str) -> String {
    match container {
        "istio-proxy" | "istio-init" => {
            "mcr.microsoft.com/oss/istio/proxyv2:1.25.3-distroless".into()
        }
        "discovery" => "mcr.microsoft.com/oss/istio/pilot:1.25.3-distroless".into(),
        other => format!("mcr.microsoft.com/oss/kubernetes/{other}:v1.0.0"),
    }
}

fn container_id() -> String {
    format!("containerd://{}", random_hex(64))
}

/// The container IDs of a pod's current instances.
fn current_container_ids(pod: &Value) -> Vec<String> {
    ["containerStatuses", "initContainerStatuses"]
        .iter()
        .filter_map(|f| pod["status"][f].as_array())
        .flatten()
        .filter_map(|s| s["containerID"].as_str())
        .filter(|id| !id.is_empty())
        .map(String::from)
        .collect()
}

/// The fake API server. All methods are synchronous and may be called
/// from any thread while clients are connected.
pub struct FakeKube {
    shared: Arc<Shared>,
    url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeKube {
    /// Starts the server on 127.0.0.1:0.
    pub fn start() -> FakeKube {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("fake_kube: bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("fake_kube: nonblocking listener");
        let address = listener.local_addr().unwrap().to_string();
        let (changed, _) = tokio::sync::watch::channel(0u64);
        let (control, _) = tokio::sync::watch::channel(0u64);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                store: Store::new(),
                logs: Logs::default(),
                forbidden: Vec::new(),
                gateway_api: true,
                requests: Vec::new(),
                bookmark_interval: Duration::from_secs(1),
                log_bytes_sent: 0,
                log_lines_sent: 0,
                log_streams: HashMap::new(),
                next_stream: 0,
                watch_epoch: 0,
                open_watches: 0,
                watch_garbage: Vec::new(),
            }),
            changed,
            control,
            address: address.clone(),
        });
        let (shutdown, stop) = tokio::sync::oneshot::channel();
        let server_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fake-kube".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("fake-kube-worker")
                    .enable_all()
                    .build()
                    .expect("fake_kube: tokio runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("fake_kube: tokio listener");
                    server::serve(listener, server_shared, stop).await;
                });
                // Dropping the runtime cancels every connection and stream.
            })
            .expect("fake_kube: server thread");
        FakeKube {
            shared,
            url: format!("http://{address}"),
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// http://127.0.0.1:PORT
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Writes a kubeconfig (cluster "fake", user "fake" with a token,
    /// context "fake", current-context "fake", server = url(), no TLS)
    /// into `dir/kubeconfig` and returns its path.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {url}
users:
- name: fake
  user:
    token: fake-token
contexts:
- name: fake
  context:
    cluster: fake
    user: fake
current-context: fake
preferences: {{}}
",
            url = self.url
        );
        std::fs::write(&path, text).expect("fake_kube: write kubeconfig");
        path
    }

    /// Creates or replaces an object (any resource the fake serves), as
    /// the API server would store it: assigns metadata.resourceVersion
    /// (one global increasing counter), and uid, creationTimestamp and
    /// generation when missing (kept from the stored object on a
    /// replacement; generation moves when spec changes); fills
    /// metadata.namespace with `default` on a namespaced kind when
    /// missing. Watchers get ADDED or MODIFIED (or, for a selector the
    /// object starts or stops matching, ADDED or DELETED). Replacing a pod
    /// whose containerIDs change ends the follows of the old instances.
    /// Panics on a kind the fake does not serve.
    pub fn apply(&self, object: Value) {
        apply_locked(&mut self.shared.lock(), object);
        self.shared.notify();
    }

    /// The stored object, if any.
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let resource = resources::find_kind(api_version, kind)?;
        let state = self.shared.lock();
        state
            .store
            .get(resource, namespace, name)
            .map(|o| (**o).clone())
    }

    /// Deletes an object (nothing if absent); DELETED to watchers. A
    /// deleted pod's log follows end.
    pub fn delete(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) {
        let resource = resources::find_kind(api_version, kind).unwrap_or_else(|| {
            panic!("fake_kube: {api_version} {kind} is not a resource the fake serves")
        });
        {
            let mut state = self.shared.lock();
            let namespace = resources::RESOURCES[resource]
                .namespaced
                .then(|| namespace.unwrap_or("default"));
            if let Some(last) = state.store.delete(resource, namespace, name)
                && kind == "Pod"
            {
                for id in current_container_ids(&last) {
                    state.logs.end(&id);
                }
            }
        }
        self.shared.notify();
    }

    /// A pod with its containers running (phase Running, Ready,
    /// containerStatuses with containerID `containerd://<64 hex>`,
    /// restartCount 0, ready, state.running.startedAt), on node
    /// `aks-nodepool1-12345678-vmss000000`; replaces a pod of that name.
    pub fn add_pod(
        &self,
        namespace: &str,
        name: &str,
        labels: &[(&str, &str)],
        containers: &[&str],
    ) {
        let now = store::timestamp(Utc::now());
        let labels: serde_json::Map<String, Value> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        let spec: Vec<Value> = containers
            .iter()
            .map(|c| {
                json!({
                    "name": c,
                    "image": image(c),
                    "imagePullPolicy": "IfNotPresent",
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File"
                })
            })
            .collect();
        let statuses: Vec<Value> = containers
            .iter()
            .map(|c| {
                json!({
                    "name": c,
                    "image": image(c),
                    "imageID": format!("{}@sha256:{}", image(c).split(':').next().unwrap(), random_hex(64)),
                    "containerID": container_id(),
                    "ready": true,
                    "started": true,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": now}},
                    "lastState": {}
                })
            })
            .collect();
        let octets = random_hex(4);
        let pod_ip = format!(
            "10.244.{}.{}",
            u8::from_str_radix(&octets[0..2], 16).unwrap(),
            u8::from_str_radix(&octets[2..4], 16).unwrap().max(2)
        );
        let condition = |kind: &str| json!({"type": kind, "status": "True", "lastProbeTime": null, "lastTransitionTime": now});
        self.apply(json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {
                "containers": spec,
                "nodeName": "aks-nodepool1-12345678-vmss000000",
                "restartPolicy": "Always",
                "schedulerName": "default-scheduler",
                "serviceAccountName": "default",
                "dnsPolicy": "ClusterFirst",
                "terminationGracePeriodSeconds": 30
            },
            "status": {
                "phase": "Running",
                "conditions": [
                    condition("PodReadyToStartContainers"),
                    condition("Initialized"),
                    condition("Ready"),
                    condition("ContainersReady"),
                    condition("PodScheduled")
                ],
                "hostIP": "10.224.0.4",
                "hostIPs": [{"ip": "10.224.0.4"}],
                "podIP": pod_ip,
                "podIPs": [{"ip": pod_ip}],
                "startTime": now,
                "qosClass": "Burstable",
                "containerStatuses": statuses
            }
        }));
    }

    /// The containerID of a container's current instance.
    pub fn container_id(&self, namespace: &str, pod: &str, container: &str) -> String {
        let state = self.shared.lock();
        current_status(&state, namespace, pod, container)["containerID"]
            .as_str()
            .unwrap_or_else(|| {
                panic!("fake_kube: {namespace}/{pod} {container} has no containerID")
            })
            .to_string()
    }

    /// Appends log lines (each without newline) to the current instance of
    /// a container, stamped with the given times (written with nine
    /// fraction digits, as the kubelet does); followers receive them.
    /// Panics if the pod or container does not exist.
    pub fn append_log(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        lines: &[(DateTime<Utc>, String)],
    ) {
        let mut state = self.shared.lock();
        let id = current_status(&state, namespace, pod, container)["containerID"]
            .as_str()
            .unwrap_or_else(|| {
                panic!("fake_kube: {namespace}/{pod} {container} has no containerID")
            })
            .to_string();
        let log = state.logs.log_mut(&id);
        log.lines
            .extend(lines.iter().map(|(at, text)| Line::new(*at, text)));
        log.notify();
    }

    /// Restarts a container: new containerID, restartCount+1,
    /// lastState.terminated (exit code 1, reason Error) naming the old
    /// instance, state.running from now, and a new empty log (the old one
    /// stays readable with previous=true); follows of the old instance end
    /// with a clean EOF; MODIFIED to pod watchers.
    pub fn restart_container(&self, namespace: &str, pod: &str, container: &str) {
        {
            let mut state = self.shared.lock();
            let pods = resources::find_kind("v1", "Pod").unwrap();
            let mut object = (**state
                .store
                .get(pods, Some(namespace), pod)
                .unwrap_or_else(|| panic!("fake_kube: no pod {namespace}/{pod}")))
            .clone();
            let now = store::timestamp(Utc::now());
            let status = object["status"]["containerStatuses"]
                .as_array_mut()
                .and_then(|ss| ss.iter_mut().find(|s| s["name"] == container))
                .unwrap_or_else(|| {
                    panic!("fake_kube: no container {container} in {namespace}/{pod}")
                });
            let started = status
                .pointer("/state/running/startedAt")
                .cloned()
                .unwrap_or_else(|| json!(now));
            status["lastState"] = json!({"terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": started,
                "finishedAt": now,
                "containerID": status["containerID"].clone()
            }});
            status["state"] = json!({"running": {"startedAt": now}});
            status["containerID"] = json!(container_id());
            status["restartCount"] = json!(status["restartCount"].as_i64().unwrap_or(0) + 1);
            status["ready"] = json!(true);
            apply_locked(&mut state, object);
        }
        self.shared.notify();
    }

    /// Makes requests matching verb (get/list/watch, or `*`) and resource
    /// (plural, e.g. "events", or "pods/log") — in `namespace`, or in every
    /// namespace and at cluster scope when None — answer 403 Forbidden
    /// with the authorizer's Status (`events is forbidden: User
    /// "system:serviceaccount:default:aks-gw-logs" cannot list resource
    /// "events" in API group "" in the namespace "shop"`).
    pub fn forbid(&self, verb: &str, resource: &str, namespace: Option<&str>) {
        self.shared.lock().forbidden.push((
            verb.to_string(),
            resource.to_string(),
            namespace.map(String::from),
        ));
    }

    /// Lifts every `forbid()`.
    pub fn allow_all(&self) {
        self.shared.lock().forbidden.clear();
    }

    /// Drops (closes the TCP connection of) every open log follow stream
    /// after it has sent `bytes` more bytes, possibly mid-line. Streams
    /// opened later are not affected.
    pub fn drop_log_streams_after(&self, bytes: usize) {
        {
            let mut state = self.shared.lock();
            for budget in state.log_streams.values_mut() {
                *budget = Some(bytes);
            }
        }
        self.shared.notify_log_streams();
    }

    /// Ends every open watch (clean EOF); a watch from any
    /// resourceVersion given out so far then gets a 410 ERROR event ("too
    /// old resource version"), forcing a relist.
    pub fn expire_watches(&self) {
        {
            let mut state = self.shared.lock();
            state.store.expire();
            state.watch_epoch += 1;
        }
        self.shared.notify();
    }

    /// Sends `raw` (plus a newline) as it is to every open watch: a
    /// malformed event, as a broken proxy or server might.
    pub fn inject_watch_line(&self, raw: &str) {
        self.shared.lock().watch_garbage.push(raw.to_string());
        self.shared.notify();
    }

    /// Removes the gateway.networking.k8s.io group (404 on its paths,
    /// absent from /apis), as on a cluster without the CRDs.
    pub fn without_gateway_api(&self) {
        self.shared.lock().gateway_api = false;
    }

    /// How often watches with allowWatchBookmarks get a BOOKMARK (1 s by
    /// default); applies to watches opened afterwards.
    pub fn set_bookmark_interval(&self, interval: Duration) {
        self.shared.lock().bookmark_interval = interval;
    }

    /// Every request line seen so far ("GET /api/v1/namespaces/shop/pods/x/log?follow=true&...").
    pub fn requests(&self) -> Vec<String> {
        self.shared
            .lock()
            .requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.target))
            .collect()
    }

    /// Every request seen so far, with its headers of interest.
    pub fn recorded_requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Bytes sent on log streams (plain and followed) so far.
    pub fn log_bytes_sent(&self) -> u64 {
        self.shared.lock().log_bytes_sent
    }

    /// Whole lines sent on log streams so far.
    pub fn log_lines_sent(&self) -> u64 {
        self.shared.lock().log_lines_sent
    }

    /// Log follows open now.
    pub fn open_log_streams(&self) -> usize {
        self.shared.lock().log_streams.len()
    }

    /// Watches open now.
    pub fn open_watches(&self) -> usize {
        self.shared.lock().open_watches
    }

    /// The last resourceVersion given out.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().store.rv
    }

    /// Polls `condition` every 10 ms until it holds (true) or `timeout`
    /// passes (false).
    pub fn wait_until(&self, timeout: Duration, condition: impl Fn(&FakeKube) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if condition(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The status of a container of a stored pod (panics when absent).
fn current_status<'s>(state: &'s State, namespace: &str, pod: &str, container: &str) -> &'s Value {
    let pods = resources::find_kind("v1", "Pod").unwrap();
    let object = state
        .store
        .get(pods, Some(namespace), pod)
        .unwrap_or_else(|| panic!("fake_kube: no pod {namespace}/{pod}"));
    ["containerStatuses", "initContainerStatuses"]
        .iter()
        .filter_map(|f| object["status"][f].as_array())
        .flatten()
        .find(|s| s["name"] == container)
        .unwrap_or_else(|| panic!("fake_kube: no container {container} in {namespace}/{pod}"))
}

/// `apply()` under the lock; ends the follows of pod container instances
/// the new object no longer runs.
fn apply_locked(state: &mut State, object: Value) {
    let stored = state.store.apply(object);
    if stored["kind"] != "Pod" {
        return;
    }
    let Some(old) = state
        .store
        .history
        .back()
        .and_then(|change| change.old.clone())
    else {
        return;
    };
    let now = current_container_ids(&stored);
    for id in current_container_ids(&old) {
        if !now.contains(&id) {
            state.logs.end(&id);
        }
    }
}
