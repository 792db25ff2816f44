//! Which containers to follow, as pods come and go: istiod pods of every
//! revision (`app=istiod` in the istio namespace) and Gateway API gateway
//! pods (label `gateway.networking.k8s.io/gateway-name`, narrowed with
//! `--gateway`) in the namespaces in scope, watched with relists on
//! `410 Gone` and bookmarks. Every container instance with an id gets its
//! own log stream (a restart's new id, a new stream); the pods also go to
//! the consumer as objects, for the resource checks.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};

use super::{Message, Shared, Stream, api_problem, logs};

/// The pods one watcher looks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodScope {
    /// `None`: every namespace.
    pub namespace: Option<String>,
    pub label_selector: String,
}

/// The label selector of gateway pods, of some Gateways or all.
pub fn gateway_selector(gateways: &[String]) -> String {
    const LABEL: &str = "gateway.networking.k8s.io/gateway-name";
    match gateways {
        [] => LABEL.to_string(),
        [one] => format!("{LABEL}={one}"),
        many => format!("{LABEL} in ({})", many.join(",")),
    }
}

/// Watches the pods of a scope and starts a log stream for each new
/// container instance, until the consumer is gone.
pub async fn pods(shared: Arc<Shared>, scope: PodScope) {
    let api: Api<Pod> = match &scope.namespace {
        Some(ns) => Api::namespaced(shared.client.clone(), ns),
        None => Api::all(shared.client.clone()),
    };
    let config = watcher::Config::default().labels(&scope.label_selector);
    let mut events = std::pin::pin!(watcher(api, config).default_backoff());
    let mut started = false;
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)) => {
                if !apply(&shared, &pod, started).await {
                    return;
                }
            }
            Ok(watcher::Event::Delete(pod)) => {
                forget(&shared, &pod);
                if !send_object(&shared, &pod, true).await {
                    return;
                }
            }
            Ok(watcher::Event::InitDone) => started = true,
            Ok(watcher::Event::Init) => {}
            // A `410 Gone` is routine: the watcher lists again by itself.
            Err(watcher::Error::WatchError(status)) if status.code == 410 => {
                continue;
            }
            Err(e) => {
                let notice = match &e {
                    watcher::Error::InitialListFailed(err) => {
                        api_problem(err, "list", "", "pods", scope.namespace.as_deref())
                    }
                    watcher::Error::WatchStartFailed(err) | watcher::Error::WatchFailed(err) => {
                        api_problem(err, "watch", "", "pods", scope.namespace.as_deref())
                    }
                    other => format!("watching pods: {other}"),
                };
                if !shared.send(Message::Notice(notice)).await {
                    return;
                }
            }
        }
    }
}

/// Starts streams for the pod's container instances not followed yet.
/// Instances that exist when following starts read the `--since` backlog;
/// later ones (new pods, restarts) are read from their start.
async fn apply(shared: &Arc<Shared>, pod: &Pod, started: bool) -> bool {
    if !send_object(shared, pod, false).await {
        return false;
    }
    let (Some(ns), Some(name)) = (pod.metadata.namespace.clone(), pod.metadata.name.clone()) else {
        return true;
    };
    let gateway = pod
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("gateway.networking.k8s.io/gateway-name"))
        .map(|g| format!("{ns}/{g}"));
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default();
    for status in statuses {
        let Some(id) = status.container_id.filter(|id| !id.is_empty()) else {
            continue;
        };
        let key = (ns.clone(), name.clone(), status.name.clone());
        let new = {
            let mut current = shared.current.lock().expect("current lock");
            let known = current.get(&key);
            if known == Some(&id) {
                false
            } else {
                current.insert(key, id.clone());
                true
            }
        };
        if new {
            let stream = Arc::new(Stream {
                namespace: ns.clone(),
                pod: name.clone(),
                container: status.name.clone(),
                container_id: id,
                gateway: gateway.clone(),
            });
            let backlog = if started { None } else { shared.since_seconds };
            tokio::spawn(logs::follow(shared.clone(), stream, backlog));
        }
    }
    true
}

/// A deleted pod's instances are followed no more.
fn forget(shared: &Shared, pod: &Pod) {
    let (Some(ns), Some(name)) = (&pod.metadata.namespace, &pod.metadata.name) else {
        return;
    };
    shared
        .current
        .lock()
        .expect("current lock")
        .retain(|(n, p, _), _| n != ns || p != name);
}

async fn send_object(shared: &Shared, pod: &Pod, deleted: bool) -> bool {
    match serde_json::to_value(pod) {
        Ok(mut value) => {
            if let Some(obj) = value.as_object_mut() {
                obj.insert("kind".into(), "Pod".into());
                obj.insert("apiVersion".into(), "v1".into());
            }
            shared.send(Message::Object { value, deleted }).await
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_of_gateway_pods() {
        assert_eq!(
            gateway_selector(&[]),
            "gateway.networking.k8s.io/gateway-name"
        );
        assert_eq!(
            gateway_selector(&["web".into()]),
            "gateway.networking.k8s.io/gateway-name=web"
        );
        assert_eq!(
            gateway_selector(&["a".into(), "b".into()]),
            "gateway.networking.k8s.io/gateway-name in (a,b)"
        );
    }
}
