//! Following one container instance's log, without losing or repeating a
//! line. The log is requested with `follow=true&timestamps=true`; every line
//! then starts with the kubelet's RFC 3339 timestamp. When the stream ends
//! (a dropped connection, a clean EOF, an API error) and the instance still
//! runs, it is requested again from `sinceTime` = the last timestamp read,
//! cut to the second as the API takes it; lines before that timestamp are
//! dropped, and of the lines at exactly that timestamp as many as were
//! already read. A line cut off by a drop (no newline) is not passed on:
//! it comes again whole. The stream ends for good when the pod is gone or
//! the container restarted (its new instance is another stream).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::AsyncBufReadExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;

use super::{Message, Shared, Stream, api_problem, is_refusal};

/// Where a stream has read up to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// The newest timestamp passed on.
    last: Option<DateTime<Utc>>,
    /// How many lines with exactly that timestamp were passed on.
    at_last: u64,
    /// Lines at `last` seen since the stream was (re)opened.
    seen_again: u64,
}

impl Position {
    /// The `sinceTime` to resume from: the last timestamp, cut to the second.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.last
            .map(|t| DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t))
    }

    /// A new request starts: lines at the last timestamp are counted again.
    pub fn reopened(&mut self) {
        self.seen_again = 0;
    }

    /// Whether a line (with its timestamp prefix) is new, and records it.
    pub fn admit(&mut self, line: &str) -> bool {
        let Some(ts) = line_time(line) else {
            return true;
        };
        match self.last {
            Some(last) if ts < last => false,
            Some(last) if ts == last => {
                self.seen_again += 1;
                if self.seen_again <= self.at_last {
                    return false;
                }
                self.at_last += 1;
                true
            }
            _ => {
                self.last = Some(ts);
                self.at_last = 1;
                self.seen_again = 1;
                true
            }
        }
    }
}

/// The timestamp the kubelet put before a line.
fn line_time(line: &str) -> Option<DateTime<Utc>> {
    let (ts, _) = line.split_once(' ')?;
    DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Follows one container instance until it is gone.
pub async fn follow(shared: Arc<Shared>, stream: Arc<Stream>, backlog: Option<i64>) {
    let pods: Api<Pod> = Api::namespaced(shared.client.clone(), &stream.namespace);
    let mut position = Position::default();
    let mut backoff = Duration::from_millis(100);
    loop {
        let Ok(permit) = shared.streams.clone().acquire_owned().await else {
            return;
        };
        let params = LogParams {
            container: Some(stream.container.clone()),
            follow: true,
            timestamps: true,
            since_time: position
                .since()
                .and_then(|t| jiff::Timestamp::from_second(t.timestamp()).ok()),
            since_seconds: if position.since().is_none() {
                backlog
            } else {
                None
            },
            ..LogParams::default()
        };
        position.reopened();
        let mut read_any = false;
        match pods.log_stream(&stream.pod, &params).await {
            Ok(reader) => {
                if !shared.send(Message::Opened(stream.clone())).await {
                    return;
                }
                let mut reader = std::pin::pin!(reader);
                let mut buf = Vec::with_capacity(4096);
                loop {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) if buf.last() != Some(&b'\n') => break,
                        Ok(_) => {}
                    }
                    buf.pop();
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                    read_any = true;
                    let line = String::from_utf8_lossy(&buf).into_owned();
                    if !position.admit(&line) {
                        continue;
                    }
                    shared.lines.fetch_add(1, Ordering::Relaxed);
                    let message = Message::Line {
                        stream: stream.clone(),
                        line,
                        received: Instant::now(),
                    };
                    if !shared.send(message).await {
                        return;
                    }
                }
            }
            Err(e) if is_refusal(&e) => {
                let gone = matches!(&e, kube::Error::Api(s) if s.code == 404 || s.code == 400);
                if !gone {
                    let notice = api_problem(&e, "get", "", "pods/log", Some(&stream.namespace));
                    shared.send(Message::Notice(notice)).await;
                    drop(permit);
                    let _ = shared.send(Message::Closed(stream)).await;
                    return;
                }
            }
            Err(_) => {}
        }
        drop(permit);
        if !still_running(&shared, &pods, &stream).await {
            let _ = shared.send(Message::Closed(stream)).await;
            return;
        }
        backoff = if read_any {
            Duration::from_millis(100)
        } else {
            (backoff * 2).min(Duration::from_secs(5))
        };
        tokio::time::sleep(backoff).await;
    }
}

/// Whether this instance is still the pod's current one (asked of the API
/// server: a restart's new instance must not be read as this one).
async fn still_running(shared: &Shared, pods: &Api<Pod>, stream: &Stream) -> bool {
    let key = (
        stream.namespace.clone(),
        stream.pod.clone(),
        stream.container.clone(),
    );
    let followed = shared
        .current
        .lock()
        .expect("current lock")
        .get(&key)
        .cloned();
    if followed.as_deref() != Some(stream.container_id.as_str()) {
        return false;
    }
    match pods.get_opt(&stream.pod).await {
        Ok(Some(pod)) => {
            current_id(&pod, &stream.container).as_deref() == Some(stream.container_id.as_str())
        }
        Ok(None) => false,
        // The API server is unreachable for now: keep trying.
        Err(e) => !is_refusal(&e),
    }
}

/// The id of a container's current instance.
pub fn current_id(pod: &Pod, container: &str) -> Option<String> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|s| s.name == container)?
        .container_id
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(ts: &str, text: &str) -> String {
        format!("{ts} {text}")
    }

    #[test]
    fn a_resume_skips_what_was_read_at_and_before_the_last_timestamp() {
        let mut p = Position::default();
        let first = [
            line("2025-08-26T10:00:00.100000000Z", "a"),
            line("2025-08-26T10:00:00.200000000Z", "b"),
            line("2025-08-26T10:00:00.200000000Z", "c"),
        ];
        assert!(first.iter().all(|l| p.admit(l)));
        assert_eq!(
            p.since().unwrap().to_rfc3339(),
            "2025-08-26T10:00:00+00:00",
            "cut to the second"
        );
        // The server sends everything from 10:00:00 again, then the rest.
        p.reopened();
        let again = [
            line("2025-08-26T10:00:00.100000000Z", "a"),
            line("2025-08-26T10:00:00.200000000Z", "b"),
            line("2025-08-26T10:00:00.200000000Z", "c"),
            line("2025-08-26T10:00:00.200000000Z", "d"),
            line("2025-08-26T10:00:01.000000000Z", "e"),
        ];
        let passed: Vec<&String> = again.iter().filter(|l| p.admit(l)).collect();
        assert_eq!(passed, [&again[3], &again[4]]);
    }

    #[test]
    fn lines_without_a_timestamp_pass() {
        let mut p = Position::default();
        assert!(p.admit("no timestamp here"));
        assert!(p.admit("no timestamp here"));
        assert_eq!(p.since(), None);
    }
}
