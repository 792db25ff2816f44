//! Watching the objects the signatures and checks read: core/v1 Events in
//! the namespaces in scope, the Gateway API objects, and the ConfigMaps,
//! Services, Deployments, Nodes, Namespaces and webhook configurations the
//! **[check]** signatures need. kube's watcher lists, then watches from the
//! list's `resourceVersion` with bookmarks, and lists again on `410 Gone`;
//! every added, changed or deleted object goes to the consumer. A `403`
//! or a missing API group is one notice, and the rest goes on.

use std::sync::Arc;

use futures::StreamExt;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::{WatchStreamExt, watcher};

use super::{Message, Shared, api_problem};

/// A kind of object to watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

const fn resource(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
) -> Resource {
    Resource {
        group,
        version,
        kind,
        plural,
        namespaced,
    }
}

const GATEWAY_API: &str = "gateway.networking.k8s.io";

/// Everything watched besides pods (which `discover.rs` watches).
pub const RESOURCES: [Resource; 12] = [
    resource("", "v1", "Event", "events", true),
    resource(GATEWAY_API, "v1", "GatewayClass", "gatewayclasses", false),
    resource(GATEWAY_API, "v1", "Gateway", "gateways", true),
    resource(GATEWAY_API, "v1", "HTTPRoute", "httproutes", true),
    resource(GATEWAY_API, "v1", "GRPCRoute", "grpcroutes", true),
    resource(
        GATEWAY_API,
        "v1beta1",
        "ReferenceGrant",
        "referencegrants",
        true,
    ),
    resource("", "v1", "ConfigMap", "configmaps", true),
    resource("", "v1", "Service", "services", true),
    resource("apps", "v1", "Deployment", "deployments", true),
    resource("", "v1", "Node", "nodes", false),
    resource("", "v1", "Namespace", "namespaces", false),
    resource(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
    ),
];

impl Resource {
    fn api_resource(&self) -> ApiResource {
        ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(self.group, self.version, self.kind),
            self.plural,
        )
    }

    /// `apiVersion` as objects carry it.
    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Watches one resource in one namespace (or all, or a cluster-scoped
/// resource), until the consumer is gone.
pub async fn objects(shared: Arc<Shared>, resource: Resource, namespace: Option<String>) {
    let ar = resource.api_resource();
    let api: Api<DynamicObject> = match (&namespace, resource.namespaced) {
        (Some(ns), true) => Api::namespaced_with(shared.client.clone(), ns, &ar),
        _ => Api::all_with(shared.client.clone(), &ar),
    };
    let mut events = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    while let Some(event) = events.next().await {
        let sent = match event {
            Ok(watcher::Event::Apply(obj) | watcher::Event::InitApply(obj)) => {
                send(&shared, &resource, obj, false).await
            }
            Ok(watcher::Event::Delete(obj)) => send(&shared, &resource, obj, true).await,
            Ok(watcher::Event::Init | watcher::Event::InitDone) => true,
            // A `410 Gone` is routine: the watcher lists again by itself.
            Err(watcher::Error::WatchError(status)) if status.code == 410 => {
                continue;
            }
            Err(e) => {
                let notice = match &e {
                    watcher::Error::InitialListFailed(err) => api_problem(
                        err,
                        "list",
                        resource.group,
                        resource.plural,
                        namespace.as_deref().filter(|_| resource.namespaced),
                    ),
                    watcher::Error::WatchStartFailed(err) | watcher::Error::WatchFailed(err) => {
                        api_problem(
                            err,
                            "watch",
                            resource.group,
                            resource.plural,
                            namespace.as_deref().filter(|_| resource.namespaced),
                        )
                    }
                    other => format!("watching {}: {other}", resource.plural),
                };
                shared.send(Message::Notice(notice)).await
            }
        };
        if !sent {
            return;
        }
    }
}

async fn send(shared: &Shared, resource: &Resource, obj: DynamicObject, deleted: bool) -> bool {
    let Ok(mut value) = serde_json::to_value(&obj) else {
        return true;
    };
    if let Some(map) = value.as_object_mut() {
        map.entry("kind").or_insert_with(|| resource.kind.into());
        map.entry("apiVersion")
            .or_insert_with(|| resource.api_version().into());
    }
    shared.send(Message::Object { value, deleted }).await
}
