//! The HTTP/1.1 server: accepts on the listener until shut down, records
//! every request, and routes it as the API server does: discovery paths,
//! then `/api/v1/...` and `/apis/<group>/<version>/...` into get, list,
//! watch (chunked newline-delimited events, bookmarks, `410 Expired`,
//! `timeoutSeconds`) and pod logs (plain or followed, with injected drops),
//! after the `forbid()` rules.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::logs::{self, Options};
use super::resources::{self, RESOURCES, Resource};
use super::selector::{FieldSelector, LabelSelector};
use super::store::Filter;
use super::table::table;
use super::wire::{self, Body};
use super::{RecordedRequest, Shared, USER};

/// Serves until `shutdown` fires (or its sender is dropped).
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let response = handle(&shared, req);
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

fn handle(shared: &Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let accept = header(&req, "accept");
    shared.lock().requests.push(RecordedRequest {
        method: req.method().as_str().to_string(),
        target,
        authorization: header(&req, "authorization"),
        accept: accept.clone(),
        user_agent: header(&req, "user-agent"),
    });
    if req.method() != hyper::Method::GET {
        return wire::status_response(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
            Some(json!({})),
        );
    }
    let query = wire::parse_query(req.uri().query().unwrap_or(""));
    let segments: Vec<String> = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(wire::decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let gateway_api = shared.lock().gateway_api;
    let found =
        |doc: Option<Value>| doc.map_or_else(wire::not_found, |d| wire::json_response(200, &d));
    let request = Req {
        shared,
        query: &query,
        table: accept.as_deref().is_some_and(|a| a.contains("as=Table")),
    };
    match segs.as_slice() {
        ["version"] => wire::json_response(200, &resources::version()),
        ["healthz" | "livez" | "readyz"] => {
            wire::bytes_response(200, "text/plain; charset=utf-8", Bytes::from_static(b"ok"))
        }
        ["api"] => wire::json_response(200, &resources::core_versions(&shared.address)),
        ["api", version] => found(resources::resource_list("", version, gateway_api)),
        ["api", version, rest @ ..] => request.resource("", version, rest, gateway_api),
        ["apis"] => wire::json_response(200, &resources::group_list(gateway_api)),
        ["apis", group] => found(resources::group(group, gateway_api)),
        ["apis", group, version] => found(resources::resource_list(group, version, gateway_api)),
        ["apis", group, version, rest @ ..] => request.resource(group, version, rest, gateway_api),
        _ => wire::not_found(),
    }
}

/// One resource request being answered.
struct Req<'a> {
    shared: &'a Arc<Shared>,
    query: &'a [(String, String)],
    /// The client asked for a `meta.k8s.io` Table.
    table: bool,
}

/// What a resource path names.
struct Target<'p> {
    resource: usize,
    namespace: Option<&'p str>,
    name: Option<&'p str>,
    log: bool,
}

fn target<'p>(
    group: &str,
    version: &str,
    rest: &[&'p str],
    gateway_api: bool,
) -> Option<Target<'p>> {
    let find = |plural: &str| resources::find(group, version, plural, gateway_api);
    let (resource, namespace, name, log) = match rest {
        [plural] => (find(plural)?, None, None, false),
        [plural, name] => {
            let r = find(plural)?;
            if RESOURCES[r].namespaced {
                return None;
            }
            (r, None, Some(*name), false)
        }
        ["namespaces", ns, plural] => (find(plural)?, Some(*ns), None, false),
        ["namespaces", ns, plural, name] => (find(plural)?, Some(*ns), Some(*name), false),
        ["namespaces", ns, "pods", name, "log"] => (find("pods")?, Some(*ns), Some(*name), true),
        _ => return None,
    };
    if namespace.is_some() && !RESOURCES[resource].namespaced {
        return None;
    }
    Some(Target {
        resource,
        namespace,
        name,
        log,
    })
}

/// `events is forbidden: User "..." cannot list resource "events" in API
/// group "" in the namespace "shop"`, as the authorizer words it.
fn forbidden(
    resource: &Resource,
    subresource: Option<&str>,
    verb: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Response<Body> {
    let mut what = resource.plural.to_string();
    if let Some(sub) = subresource {
        what = format!("{what}/{sub}");
    }
    let scope = match namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let reason = format!(
        "User \"{USER}\" cannot {verb} resource \"{what}\" in API group \"{}\" {scope}",
        resource.group
    );
    let qualified = resource.qualified();
    let message = match name {
        Some(n) => format!("{qualified} \"{n}\" is forbidden: {reason}"),
        None => format!("{qualified} is forbidden: {reason}"),
    };
    wire::status_response(403, "Forbidden", &message, Some(details(resource, name)))
}

/// StatusDetails: name, group and kind (the plural), empty ones left out.
fn details(resource: &Resource, name: Option<&str>) -> Value {
    let mut details = json!({});
    if let Some(n) = name {
        details["name"] = json!(n);
    }
    if !resource.group.is_empty() {
        details["group"] = json!(resource.group);
    }
    details["kind"] = json!(resource.plural);
    details
}

/// The object as served at `api_version` (a CRD served at two versions
/// is stored once); `strip` drops apiVersion/kind, as built-in list items
/// are written.
fn served(object: &Value, api_version: &str, strip: bool) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        if strip {
            map.remove("apiVersion");
            map.remove("kind");
        } else {
            map.insert("apiVersion".into(), json!(api_version));
        }
    }
    object
}

/// Watch parameters.
struct WatchSpec {
    filter: Filter,
    api_version: String,
    /// None: start with the current objects as ADDED.
    rv: Option<u64>,
    bookmarks: bool,
    initial_events_end: bool,
    timeout: Option<Duration>,
    /// Table watch: Some(includeObject).
    table: Option<String>,
}

impl Req<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, name: &str) -> bool {
        self.param(name).is_some_and(|v| v == "true" || v == "1")
    }

    fn include(&self) -> String {
        self.param("includeObject")
            .unwrap_or("Metadata")
            .to_string()
    }

    fn resource(
        &self,
        group: &str,
        version: &str,
        rest: &[&str],
        gateway_api: bool,
    ) -> Response<Body> {
        let Some(t) = target(group, version, rest, gateway_api) else {
            return wire::not_found();
        };
        let resource = &RESOURCES[t.resource];
        let api_version = resource.api_version(version);
        let verb = if t.log || t.name.is_some() {
            "get"
        } else if self.flag("watch") {
            "watch"
        } else {
            "list"
        };
        let what = if t.log {
            "pods/log".to_string()
        } else {
            resource.plural.to_string()
        };
        let denied = self.shared.lock().forbidden.iter().any(|(v, r, ns)| {
            (v == verb || v == "*")
                && *r == what
                && ns.as_deref().is_none_or(|ns| Some(ns) == t.namespace)
        });
        if denied {
            let sub = t.log.then_some("log");
            return forbidden(resource, sub, verb, t.namespace, t.name);
        }
        if t.log {
            return self.logs(t.namespace.unwrap_or_default(), t.name.unwrap_or_default());
        }
        if let Some(name) = t.name {
            return self.get(t.resource, &api_version, t.namespace, name);
        }
        let filter = match (
            LabelSelector::parse(self.param("labelSelector").unwrap_or("")),
            FieldSelector::parse(self.param("fieldSelector").unwrap_or("")),
        ) {
            (Ok(labels), Ok(fields)) => Filter {
                resource: t.resource,
                namespace: t.namespace.map(String::from),
                labels,
                fields,
            },
            (Err(e), _) | (_, Err(e)) => {
                return wire::status_response(400, "BadRequest", &e, None);
            }
        };
        if verb == "watch" {
            self.watch(filter, api_version)
        } else {
            self.list(filter, &api_version)
        }
    }

    fn get(
        &self,
        resource: usize,
        api_version: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Response<Body> {
        let r = &RESOURCES[resource];
        let object = self
            .shared
            .lock()
            .store
            .get(resource, namespace, name)
            .cloned();
        let Some(object) = object else {
            let message = format!("{} \"{name}\" not found", r.qualified());
            return wire::status_response(404, "NotFound", &message, Some(details(r, Some(name))));
        };
        let object = served(&object, api_version, false);
        if self.table {
            wire::json_response(200, &table(r, &[&object], None, &self.include(), true))
        } else {
            wire::json_response(200, &object)
        }
    }

    fn list(&self, filter: Filter, api_version: &str) -> Response<Body> {
        let r = &RESOURCES[filter.resource];
        let (items, rv) = {
            let state = self.shared.lock();
            (state.store.list(&filter), state.store.rv.to_string())
        };
        if self.table {
            let objects: Vec<Value> = items
                .iter()
                .map(|o| served(o, api_version, false))
                .collect();
            let refs: Vec<&Value> = objects.iter().collect();
            return wire::json_response(200, &table(r, &refs, Some(&rv), &self.include(), true));
        }
        let items: Vec<Value> = items
            .iter()
            .map(|o| served(o, api_version, !r.crd))
            .collect();
        let mut metadata = json!({"resourceVersion": rv});
        if r.crd {
            metadata["continue"] = json!("");
        }
        wire::json_response(
            200,
            &json!({
                "kind": format!("{}List", r.kind),
                "apiVersion": api_version,
                "metadata": metadata,
                "items": items
            }),
        )
    }

    fn watch(&self, filter: Filter, api_version: String) -> Response<Body> {
        let rv = match self.param("resourceVersion").unwrap_or("") {
            "" | "0" => None,
            text => match text.parse::<u64>() {
                Ok(rv) => Some(rv),
                Err(_) => {
                    let message = format!("invalid resource version: {text}");
                    return wire::status_response(400, "BadRequest", &message, None);
                }
            },
        };
        let initial_events_end = self.flag("sendInitialEvents");
        let spec = WatchSpec {
            filter,
            api_version,
            rv: if initial_events_end { None } else { rv },
            bookmarks: self.flag("allowWatchBookmarks"),
            initial_events_end,
            timeout: self
                .param("timeoutSeconds")
                .and_then(|t| t.parse::<u64>().ok())
                .filter(|t| *t > 0)
                .map(Duration::from_secs),
            table: self.table.then(|| self.include()),
        };
        let (tx, response) = wire::streaming("application/json");
        tokio::spawn(watch_task(self.shared.clone(), spec, tx));
        response
    }

    fn logs(&self, namespace: &str, pod: &str) -> Response<Body> {
        let refuse = |(code, reason, message): logs::Refusal| {
            wire::status_response(code, reason, &message, None)
        };
        let opts = match Options::parse(self.query) {
            Ok(opts) => opts,
            Err(refusal) => return refuse(refusal),
        };
        let pods = resources::find_kind("v1", "Pod").unwrap();
        let mut state = self.shared.lock();
        let Some(object) = state.store.get(pods, Some(namespace), pod).cloned() else {
            drop(state);
            let message = format!("pods \"{pod}\" not found");
            let details = json!({"name": pod, "kind": "pods"});
            return wire::status_response(404, "NotFound", &message, Some(details));
        };
        let container_id = match logs::resolve(&object, &opts) {
            Ok(id) => id,
            Err(refusal) => {
                drop(state);
                return refuse(refusal);
            }
        };
        let log = state.logs.log_mut(&container_id);
        let start = logs::start(log, &opts);
        if !opts.follow {
            let mut body = BytesMut::new();
            let mut lines = 0;
            for line in &log.lines[start..] {
                if opts.since.is_some_and(|s| line.at < s) {
                    continue;
                }
                body.extend_from_slice(&line.wire(opts.timestamps));
                lines += 1;
            }
            if let Some(limit) = opts.limit_bytes {
                body.truncate(limit as usize);
            }
            state.log_bytes_sent += body.len() as u64;
            state.log_lines_sent += lines;
            drop(state);
            return wire::bytes_response(200, "text/plain", body.freeze());
        }
        let stream = state.next_stream;
        state.next_stream += 1;
        state.log_streams.insert(stream, None);
        drop(state);
        let (tx, response) = wire::streaming("text/plain");
        let follow = Follow {
            shared: self.shared.clone(),
            stream,
            container_id,
            opts,
            next: start,
        };
        tokio::spawn(follow.run(tx));
        response
    }
}

/// Counts an open watch while it lives.
struct WatchGuard(Arc<Shared>);

impl WatchGuard {
    fn new(shared: &Arc<Shared>) -> WatchGuard {
        shared.lock().open_watches += 1;
        WatchGuard(shared.clone())
    }
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.0.lock().open_watches -= 1;
    }
}

fn bookmark(spec: &WatchSpec, rv: u64, initial_events_end: bool) -> Bytes {
    let mut metadata = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
    if initial_events_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let object = json!({
        "kind": RESOURCES[spec.filter.resource].kind,
        "apiVersion": spec.api_version,
        "metadata": metadata
    });
    wire::event("BOOKMARK", &object)
}

fn too_old(rv: u64, floor: u64) -> Bytes {
    let status = wire::status(
        410,
        "Expired",
        &format!("too old resource version: {rv} ({floor})"),
        None,
    );
    wire::event("ERROR", &status)
}

/// One watch event as this watch writes it.
fn watch_event(spec: &WatchSpec, kind: &str, object: &Value, first: &mut bool) -> Bytes {
    let object = match &spec.table {
        Some(include) => {
            let served = served(object, &spec.api_version, false);
            let t = table(
                &RESOURCES[spec.filter.resource],
                &[&served],
                None,
                include,
                *first,
            );
            *first = false;
            t
        }
        None if object["apiVersion"] == spec.api_version.as_str() => {
            return wire::event(kind, object);
        }
        None => served(object, &spec.api_version, false),
    };
    wire::event(kind, &object)
}

async fn watch_task(
    shared: Arc<Shared>,
    spec: WatchSpec,
    mut tx: futures::channel::mpsc::Sender<wire::Chunk>,
) {
    let _guard = WatchGuard::new(&shared);
    let mut changes = shared.changed.subscribe();
    changes.borrow_and_update();
    let mut first = true;
    // Err(floor): the resourceVersion is too old.
    let start = {
        let state = shared.lock();
        let interval = state.bookmark_interval;
        match spec.rv {
            Some(rv) if rv < state.store.floor => Err(state.store.floor),
            Some(rv) => Ok((state.watch_epoch, rv, Vec::new(), interval)),
            None => Ok((
                state.watch_epoch,
                state.store.rv,
                state.store.list(&spec.filter),
                interval,
            )),
        }
    };
    let mut garbage_seen = shared.lock().watch_garbage.len();
    let (epoch, mut last, initial, interval) = match start {
        Ok(start) => start,
        Err(floor) => {
            wire::send(&mut tx, too_old(spec.rv.unwrap_or_default(), floor)).await;
            return;
        }
    };
    for object in &initial {
        if !wire::send(&mut tx, watch_event(&spec, "ADDED", object, &mut first)).await {
            return;
        }
    }
    if spec.initial_events_end && !wire::send(&mut tx, bookmark(&spec, last, true)).await {
        return;
    }
    let deadline = spec.timeout.map(|t| tokio::time::Instant::now() + t);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    loop {
        // None: the watch ends; Some(Err(floor)): its history is gone.
        let (events, garbage) = {
            let state = shared.lock();
            let garbage = state.watch_garbage[garbage_seen..].to_vec();
            garbage_seen = state.watch_garbage.len();
            let events = if state.watch_epoch != epoch {
                None
            } else {
                match state.store.since(last) {
                    None => Some(Err(state.store.floor)),
                    Some(changes) => {
                        let events: Vec<(&'static str, Arc<Value>)> = changes
                            .filter_map(|c| spec.filter.event(c))
                            .map(|(kind, object)| (kind, object.clone()))
                            .collect();
                        last = state.store.rv;
                        Some(Ok(events))
                    }
                }
            };
            (events, garbage)
        };
        for raw in garbage {
            if !wire::send(&mut tx, Bytes::from(format!("{raw}\n"))).await {
                return;
            }
        }
        let events = match events {
            None => return,
            Some(Err(floor)) => {
                wire::send(&mut tx, too_old(last, floor)).await;
                return;
            }
            Some(Ok(events)) => events,
        };
        for (kind, object) in &events {
            if !wire::send(&mut tx, watch_event(&spec, kind, object, &mut first)).await {
                return;
            }
        }
        let timeout = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                changes.borrow_and_update();
            }
            _ = ticks.tick(), if spec.bookmarks => {
                if !wire::send(&mut tx, bookmark(&spec, last, false)).await {
                    return;
                }
            }
            _ = timeout => return,
        }
    }
}

/// One followed log.
struct Follow {
    shared: Arc<Shared>,
    stream: u64,
    container_id: String,
    opts: Options,
    /// The next line to send.
    next: usize,
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.shared.lock().log_streams.remove(&self.stream);
    }
}

/// Bytes gathered into one chunk at most (a reader far behind catches up
/// in pieces).
const FOLLOW_CHUNK: usize = 256 * 1024;

impl Follow {
    async fn run(mut self, mut tx: futures::channel::mpsc::Sender<wire::Chunk>) {
        let mut changes = self
            .shared
            .lock()
            .logs
            .log_mut(&self.container_id)
            .changed
            .subscribe();
        let mut control = self.shared.control.subscribe();
        let mut limit_left = self.opts.limit_bytes.map(|l| l as usize);
        loop {
            changes.borrow_and_update();
            control.borrow_and_update();
            let (chunk, cut, ended, more) = {
                let mut state = self.shared.lock();
                let budget = state.log_streams.get(&self.stream).copied().flatten();
                let log = state.logs.log_mut(&self.container_id);
                let mut chunk = BytesMut::new();
                while self.next < log.lines.len() && chunk.len() < FOLLOW_CHUNK {
                    let line = &log.lines[self.next];
                    self.next += 1;
                    if self.opts.since.is_some_and(|s| line.at < s) {
                        continue;
                    }
                    chunk.extend_from_slice(&line.wire(self.opts.timestamps));
                }
                let more = self.next < log.lines.len();
                let mut ended = log.ended && !more;
                let mut cut = false;
                if let Some(left) = budget {
                    if chunk.len() >= left {
                        chunk.truncate(left);
                        cut = true;
                    } else {
                        state
                            .log_streams
                            .insert(self.stream, Some(left - chunk.len()));
                    }
                }
                if let Some(left) = limit_left.as_mut() {
                    if chunk.len() >= *left {
                        chunk.truncate(*left);
                        ended = true;
                    }
                    *left -= chunk.len();
                }
                // Whole lines sent (a cut line is not one).
                let lines = chunk.iter().filter(|b| **b == b'\n').count() as u64;
                state.log_bytes_sent += chunk.len() as u64;
                state.log_lines_sent += lines;
                (chunk.freeze(), cut, ended, more)
            };
            if !chunk.is_empty() && !wire::send(&mut tx, chunk).await {
                return;
            }
            if cut {
                wire::cut(tx).await;
                return;
            }
            if ended {
                return;
            }
            if !more {
                let woken = tokio::select! {
                    woken = changes.changed() => woken,
                    woken = control.changed() => woken,
                };
                if woken.is_err() {
                    return;
                }
            }
        }
    }
}
