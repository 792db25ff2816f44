//! `aks-gw-logs follow`: a live cluster, read continuously. Async tasks on
//! a tokio runtime talk to the API server and send [`Message`]s over one
//! bounded channel to a single synchronous consumer ([`live`]) that owns
//! the classifier, the grouper and the store, exactly as `classify` and
//! `bundle analyze` do:
//!
//! ```text
//! discover.rs ─ pods (istiod, gateways) ─▶ logs.rs ─ one task per container ─┐
//! watch.rs ─ Events, Gateway API objects, ConfigMaps, Services, ... ─────────┼─▶ live.rs ─▶ pipeline ─▶ store
//!                                                                            │      └─▶ incidents on stdout
//! ctrl-c ─ Stop ─────────────────────────────────────────────────────────────┘
//! ```
//!
//! [`client`] connects (kubeconfig, context or in-cluster) behind the
//! `--qps` bucket of [`limits`], which also bounds open log streams.

pub mod client;
pub mod discover;
pub mod limits;
pub mod live;
pub mod logs;
pub mod watch;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kube::Client;
use serde_json::Value;
use tokio::sync::{Semaphore, mpsc};

/// One container instance whose log is followed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Stream {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The runtime's id of this instance (`containerd://...`).
    pub container_id: String,
    /// The Gateway the pod serves, `namespace/name`, from its label.
    pub gateway: Option<String>,
}

impl Stream {
    /// `namespace/pod/container`: the input name of its lines.
    pub fn input(&self) -> String {
        format!("{}/{}/{}", self.namespace, self.pod, self.container)
    }
}

/// What the tasks tell the consumer.
#[derive(Debug)]
pub enum Message {
    /// A log line, with the kubelet's timestamp prefix, without its newline.
    Line {
        stream: Arc<Stream>,
        line: String,
        /// When it arrived (for latency figures).
        received: Instant,
    },
    /// A log stream connected (again).
    Opened(Arc<Stream>),
    /// A log stream ended for good (the container or pod is gone).
    Closed(Arc<Stream>),
    /// An object was added or changed (`deleted`: removed).
    Object { value: Value, deleted: bool },
    /// A line for the user (a permission or an API problem), shown once.
    Notice(String),
    /// A problem that ends the run (nothing can be read).
    Fatal(String),
    /// Ctrl-C: commit and stop.
    Stop,
}

/// What the tasks share.
pub struct Shared {
    pub client: Client,
    pub tx: mpsc::Sender<Message>,
    /// Open log streams are bounded by `--max-streams`.
    pub streams: Arc<Semaphore>,
    /// The container id followed for each (namespace, pod, container).
    pub current: Mutex<HashMap<(String, String, String), String>>,
    /// The backlog at start, in seconds (`--since`).
    pub since_seconds: Option<i64>,
    /// Log lines read, across streams.
    pub lines: AtomicU64,
}

impl Shared {
    /// Sends a message; `false` once the consumer is gone (the run ends).
    pub async fn send(&self, message: Message) -> bool {
        self.tx.send(message).await.is_ok()
    }
}

/// The one line for an API error: a 403 names the verb and resource that
/// are missing and the RBAC rule that grants them.
pub fn api_problem(
    error: &kube::Error,
    verb: &str,
    group: &str,
    resource: &str,
    namespace: Option<&str>,
) -> String {
    let place = namespace.map_or_else(
        || "cluster-wide".to_string(),
        |ns| format!("in namespace {ns}"),
    );
    match error {
        kube::Error::Api(status) if status.code == 403 => format!(
            "forbidden: cannot {verb} {resource} {place}; following without them. Grant it with the RBAC rule `apiGroups: [\"{group}\"], resources: [\"{resource}\"], verbs: [\"get\", \"list\", \"watch\"]` in a {} bound to your user",
            if namespace.is_some() {
                "Role"
            } else {
                "ClusterRole"
            }
        ),
        kube::Error::Api(status) if status.code == 404 && group == "gateway.networking.k8s.io" => {
            format!(
                "{resource}.{group} is not served: the Gateway API CRDs are not installed; enable the Managed Gateway API (`az aks update -g <group> -n <cluster> --enable-gateway-api`)"
            )
        }
        kube::Error::Api(status) => format!(
            "cannot {verb} {resource} {place}: {} {}: {}",
            status.code,
            status.reason,
            crate::sanitize::for_terminal(&status.message)
        ),
        kube::Error::SerdeError(e) => format!(
            "{verb} {resource} {place}: a malformed response from the API server ({e}); reading goes on"
        ),
        other => format!(
            "cannot {verb} {resource} {place}: {}",
            crate::sanitize::for_terminal(&client::first_line(other))
        ),
    }
}

/// Whether an error is the API server saying no (4xx other than 429):
/// retrying will not help until something changes.
pub fn is_refusal(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(s) if (400..500).contains(&s.code) && s.code != 429 && s.code != 410)
}
