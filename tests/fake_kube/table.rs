//! Server-side printing: the `meta.k8s.io/v1` Table kubectl asks for
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). Pods get the
//! real columns (NAME READY STATUS RESTARTS AGE, and IP NODE ... for
//! `-o wide`), events LAST SEEN TYPE REASON OBJECT MESSAGE, Gateways the
//! CRD's printer columns; anything else NAME AGE. Each row carries its
//! object as PartialObjectMetadata (`includeObject=Metadata`, the default),
//! the full object (`Object`) or nothing (`None`).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::resources::Resource;

fn column(name: &str, kind: &str, format: &str, priority: u32, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "format": format,
        "description": description,
        "priority": priority
    })
}

const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

fn columns(resource: &Resource) -> Vec<Value> {
    let name = column("Name", "string", "name", 0, NAME_DESCRIPTION);
    let age = column("Age", "string", "", 0, AGE_DESCRIPTION);
    match resource.plural {
        "pods" => vec![
            name,
            column(
                "Ready",
                "string",
                "",
                0,
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            column(
                "Status",
                "string",
                "",
                0,
                "The aggregate status of the containers in this pod.",
            ),
            column(
                "Restarts",
                "string",
                "",
                0,
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            age,
            column("IP", "string", "", 1, "The IP address assigned to the pod"),
            column(
                "Node",
                "string",
                "",
                1,
                "The name of the node where the pod is running",
            ),
            column(
                "Nominated Node",
                "string",
                "",
                1,
                "The name of the node where the pod is nominated to run",
            ),
            column(
                "Readiness Gates",
                "string",
                "",
                1,
                "The readiness gates of this pod",
            ),
        ],
        "events" => vec![
            column(
                "Last Seen",
                "string",
                "",
                0,
                "Time when last event occurred",
            ),
            column(
                "Type",
                "string",
                "",
                0,
                "Type of this event (Normal, Warning), new types could be added in the future.",
            ),
            column(
                "Reason",
                "string",
                "",
                0,
                "This should be a short, machine understandable string that gives the reason for this event being generated.",
            ),
            column("Object", "string", "", 0, "The object this Event is about."),
            column(
                "Message",
                "string",
                "",
                0,
                "A human-readable description of the status of this operation.",
            ),
        ],
        "gateways" => vec![
            name,
            column("Class", "string", "", 0, ""),
            column("Address", "string", "", 0, ""),
            column("Programmed", "string", "", 0, ""),
            age,
        ],
        "httproutes" | "grpcroutes" => {
            vec![name, column("Hostnames", "string", "", 0, ""), age]
        }
        _ => vec![name, age],
    }
}

/// `5m`, `2d3h`: apimachinery's duration.HumanDuration.
pub fn human_duration(d: chrono::Duration) -> String {
    let s = d.num_seconds();
    if s < -1 {
        return "<invalid>".into();
    }
    if s < 0 {
        return "0s".into();
    }
    let (m, h) = (s / 60, s / 3600);
    let (d, y) = (h / 24, h / (24 * 365));
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        match s % 60 {
            0 => format!("{m}m"),
            r => format!("{m}m{r}s"),
        }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        match m % 60 {
            0 => format!("{h}h"),
            r => format!("{h}h{r}m"),
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        match h % 24 {
            0 => format!("{d}d"),
            r => format!("{d}d{r}h"),
        }
    } else if h < 24 * 365 * 2 {
        format!("{d}d")
    } else if h < 24 * 365 * 8 {
        match d % 365 {
            0 => format!("{y}y"),
            r => format!("{y}y{r}d"),
        }
    } else {
        format!("{y}y")
    }
}

fn age(value: &Value) -> String {
    match value
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
    {
        Some(t) => human_duration(Utc::now() - t.with_timezone(&Utc)),
        None => "<unknown>".into(),
    }
}

/// The STATUS column, after kubectl's printPod.
fn pod_status(pod: &Value) -> String {
    let mut reason = pod["status"]["reason"]
        .as_str()
        .or(pod["status"]["phase"].as_str())
        .unwrap_or("Unknown")
        .to_string();
    for s in pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(r) = s.pointer("/state/waiting/reason").and_then(Value::as_str) {
            reason = r.to_string();
        } else if let Some(t) = s.pointer("/state/terminated") {
            reason = t["reason"].as_str().map(String::from).unwrap_or_else(|| {
                format!("ExitCode:{}", t["exitCode"].as_i64().unwrap_or_default())
            });
        }
    }
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        reason = "Terminating".into();
    }
    reason
}

fn pod_cells(pod: &Value) -> Vec<Value> {
    let statuses: Vec<&Value> = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let total = pod["spec"]["containers"].as_array().map_or(0, Vec::len);
    let ready = statuses.iter().filter(|s| s["ready"] == true).count();
    let restarts: i64 = statuses
        .iter()
        .map(|s| s["restartCount"].as_i64().unwrap_or(0))
        .sum();
    let last_restart = statuses
        .iter()
        .filter_map(|s| s.pointer("/lastState/terminated/finishedAt"))
        .filter_map(|t| t.as_str())
        .max();
    let restarts = match last_restart {
        Some(t) => json!(format!("{restarts} ({} ago)", age(&json!(t)))),
        None => json!(restarts),
    };
    let or_none = |v: &Value| json!(v.as_str().unwrap_or("<none>"));
    vec![
        pod["metadata"]["name"].clone(),
        json!(format!("{ready}/{total}")),
        json!(pod_status(pod)),
        restarts,
        json!(age(&pod["metadata"]["creationTimestamp"])),
        or_none(&pod["status"]["podIP"]),
        or_none(&pod["spec"]["nodeName"]),
        or_none(&pod["status"]["nominatedNodeName"]),
        json!("<none>"),
    ]
}

fn event_cells(event: &Value) -> Vec<Value> {
    let last = ["lastTimestamp", "eventTime", "firstTimestamp"]
        .iter()
        .map(|f| &event[f])
        .find(|v| v.is_string())
        .or_else(|| event.pointer("/metadata/creationTimestamp"))
        .cloned()
        .unwrap_or(Value::Null);
    let involved = &event["involvedObject"];
    vec![
        json!(age(&last)),
        event["type"].clone(),
        event["reason"].clone(),
        json!(format!(
            "{}/{}",
            involved["kind"].as_str().unwrap_or_default().to_lowercase(),
            involved["name"].as_str().unwrap_or_default()
        )),
        event["message"].clone(),
    ]
}

fn condition_status(object: &Value, kind: &str) -> Value {
    let found = object["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == kind);
    found.map_or(json!(""), |c| c["status"].clone())
}

fn cells(resource: &Resource, object: &Value) -> Vec<Value> {
    let name = object["metadata"]["name"].clone();
    let created = json!(age(&object["metadata"]["creationTimestamp"]));
    match resource.plural {
        "pods" => pod_cells(object),
        "events" => event_cells(object),
        "gateways" => vec![
            name,
            object["spec"]["gatewayClassName"].clone(),
            object
                .pointer("/status/addresses/0/value")
                .cloned()
                .unwrap_or(json!("")),
            condition_status(object, "Programmed"),
            created,
        ],
        "httproutes" | "grpcroutes" => vec![
            name,
            json!(
                object["spec"]["hostnames"]
                    .as_array()
                    .map(|h| serde_json::to_string(h).unwrap())
                    .unwrap_or_default()
            ),
            created,
        ],
        _ => vec![name, created],
    }
}

/// A row's object as `includeObject` asks.
fn row_object(object: &Value, include: &str) -> Option<Value> {
    match include {
        "None" => None,
        "Object" => Some(object.clone()),
        _ => Some(json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": object["metadata"].clone()
        })),
    }
}

/// A Table of `objects`; `with_columns` false leaves the column definitions
/// out (the server sends them only in the first event of a watch).
pub fn table(
    resource: &Resource,
    objects: &[&Value],
    resource_version: Option<&str>,
    include: &str,
    with_columns: bool,
) -> Value {
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut row = json!({"cells": cells(resource, o)});
            if let Some(object) = row_object(o, include) {
                row["object"] = object;
            }
            row
        })
        .collect();
    let mut metadata = json!({});
    if let Some(rv) = resource_version {
        metadata["resourceVersion"] = json!(rv);
    }
    let columns = if with_columns {
        columns(resource)
    } else {
        Vec::new()
    };
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": rows
    })
}
