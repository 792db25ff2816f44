//! Container logs, as the kubelet keeps them: one log per container
//! instance (keyed by containerID), lines stamped with their time. A log
//! request is resolved as the API server and kubelet resolve it (pod →
//! container → current or previous instance), with their error messages,
//! and the `PodLogOptions` (`sinceTime`, `sinceSeconds`, `tailLines`,
//! `limitBytes`, `timestamps`) pick where reading starts and how lines are
//! written.

use std::collections::HashMap;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// One line as the kubelet writes it with timestamps=true:
/// `<RFC3339 with 9 fraction digits> <text>\n`.
pub struct Line {
    pub at: DateTime<Utc>,
    pub bytes: Bytes,
    /// Where the text starts in `bytes` (after the timestamp and space).
    pub text_start: usize,
}

impl Line {
    pub fn new(at: DateTime<Utc>, text: &str) -> Line {
        let stamp = at.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string();
        let mut s = String::with_capacity(stamp.len() + text.len() + 2);
        s.push_str(&stamp);
        s.push(' ');
        s.push_str(text);
        s.push('\n');
        Line {
            at,
            bytes: Bytes::from(s),
            text_start: stamp.len() + 1,
        }
    }

    /// The bytes sent for this line.
    pub fn wire(&self, timestamps: bool) -> Bytes {
        if timestamps {
            self.bytes.clone()
        } else {
            self.bytes.slice(self.text_start..)
        }
    }
}

/// The log of one container instance.
pub struct Log {
    pub lines: Vec<Line>,
    /// The instance exited (restart) or its pod is gone: follows end.
    pub ended: bool,
    /// Bumped when lines are added or the log ends; its follows wait on it.
    pub changed: tokio::sync::watch::Sender<u64>,
}

impl Default for Log {
    fn default() -> Log {
        Log {
            lines: Vec::new(),
            ended: false,
            changed: tokio::sync::watch::channel(0).0,
        }
    }
}

impl Log {
    pub fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

#[derive(Default)]
pub struct Logs {
    pub by_container_id: HashMap<String, Log>,
}

impl Logs {
    pub fn log_mut(&mut self, container_id: &str) -> &mut Log {
        self.by_container_id
            .entry(container_id.to_string())
            .or_default()
    }

    pub fn end(&mut self, container_id: &str) {
        let log = self.log_mut(container_id);
        log.ended = true;
        log.notify();
    }
}

/// The options of one log request.
pub struct Options {
    pub container: Option<String>,
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    pub since: Option<DateTime<Utc>>,
    pub tail_lines: Option<usize>,
    pub limit_bytes: Option<u64>,
}

/// Why a log request fails: (HTTP code, reason, message).
pub type Refusal = (u16, &'static str, String);

impl Options {
    /// From the query string; a malformed option is a 400 as the server
    /// would answer it.
    pub fn parse(query: &[(String, String)]) -> Result<Options, Refusal> {
        let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let flag = |k: &str| get(k).is_some_and(|v| v == "true" || v == "1");
        let bad = |field: &str, value: &str| {
            (
                400,
                "BadRequest",
                format!("invalid value {value:?} for {field}"),
            )
        };
        let mut since = None;
        if let Some(v) = get("sinceTime") {
            since = Some(
                DateTime::parse_from_rfc3339(v)
                    .map_err(|_| bad("sinceTime", v))?
                    .with_timezone(&Utc),
            );
        }
        if let Some(v) = get("sinceSeconds") {
            let secs: i64 = v.parse().map_err(|_| bad("sinceSeconds", v))?;
            if secs < 1 {
                return Err((
                    422,
                    "Invalid",
                    format!(
                        "PodLogOptions \"\" is invalid: sinceSeconds: Invalid value: {secs}: must be greater than 0"
                    ),
                ));
            }
            if since.is_some() {
                return Err((
                    422,
                    "Invalid",
                    "PodLogOptions \"\" is invalid: sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified".into(),
                ));
            }
            since = Some(Utc::now() - chrono::Duration::seconds(secs));
        }
        let number = |k: &str| -> Result<Option<u64>, Refusal> {
            get(k)
                .map(|v| v.parse::<u64>().map_err(|_| bad(k, v)))
                .transpose()
        };
        Ok(Options {
            container: get("container").filter(|c| !c.is_empty()).map(String::from),
            follow: flag("follow"),
            previous: flag("previous"),
            timestamps: flag("timestamps"),
            since,
            tail_lines: number("tailLines")?.map(|n| n as usize),
            limit_bytes: number("limitBytes")?,
        })
    }
}

fn bad_request(message: String) -> Refusal {
    (400, "BadRequest", message)
}

fn names(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The containerID whose log a request reads: the API server's checks
/// (container named and valid) then the kubelet's (instance exists).
pub fn resolve(pod: &Value, opts: &Options) -> Result<String, Refusal> {
    let pod_name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let containers = names(pod.pointer("/spec/containers"));
    let init = names(pod.pointer("/spec/initContainers"));
    let container = match &opts.container {
        Some(c) => {
            if !containers.contains(c) && !init.contains(c) {
                return Err(bad_request(format!(
                    "container {c} is not valid for pod {pod_name}"
                )));
            }
            c.clone()
        }
        None => match containers.len() {
            1 => containers[0].clone(),
            0 => {
                return Err(bad_request(format!(
                    "a container name must be specified for pod {pod_name}"
                )));
            }
            _ => {
                let mut message = format!(
                    "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                    containers.join(" ")
                );
                if !init.is_empty() {
                    message += &format!(" or one of the init containers: [{}]", init.join(" "));
                }
                return Err(bad_request(message));
            }
        },
    };
    let status = ["containerStatuses", "initContainerStatuses"]
        .iter()
        .filter_map(|field| pod["status"][field].as_array())
        .flatten()
        .find(|s| s["name"] == container.as_str());
    let Some(status) = status else {
        return Err(bad_request(format!(
            "container {container:?} in pod {pod_name:?} is waiting to start: ContainerCreating"
        )));
    };
    if opts.previous {
        return status
            .pointer("/lastState/terminated/containerID")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(String::from)
            .ok_or_else(|| {
                bad_request(format!(
                    "previous terminated container {container:?} in pod {pod_name:?} not found"
                ))
            });
    }
    match status["containerID"].as_str().filter(|id| !id.is_empty()) {
        Some(id) => Ok(id.to_string()),
        None => {
            let reason = status
                .pointer("/state/waiting/reason")
                .and_then(Value::as_str)
                .unwrap_or("ContainerCreating");
            Err(bad_request(format!(
                "container {container:?} in pod {pod_name:?} is waiting to start: {reason}"
            )))
        }
    }
}

/// The index of the first line to send: `tailLines` counted from the end,
/// then lines before `since` skipped (the kubelet's order).
pub fn start(log: &Log, opts: &Options) -> usize {
    let mut start = match opts.tail_lines {
        Some(n) => log.lines.len().saturating_sub(n),
        None => 0,
    };
    if let Some(since) = opts.since {
        while start < log.lines.len() && log.lines[start].at < since {
            start += 1;
        }
    }
    start
}
