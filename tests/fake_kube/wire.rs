//! What goes on the wire besides objects: query-string decoding, the
//! `Status` failure bodies (`{"kind":"Status",...,"code":403}`), JSON and
//! text responses with the API server's headers, and chunked streaming
//! responses fed from a channel (watches, log follows). A stream that is
//! sent an `Err` is cut: hyper closes the TCP connection without the final
//! chunk, which the client sees as a dropped connection.

use bytes::Bytes;
use futures::channel::mpsc;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::Response;
use hyper::body::Frame;
use serde_json::{Value, json};

pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;
pub type Chunk = Result<Frame<Bytes>, std::io::Error>;

/// Decodes `%XX` and `+` (Go's url.ParseQuery).
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=x%3Dy` → [("a","1"),("b","x=y")].
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

fn builder(code: u16, content_type: &str) -> hyper::http::response::Builder {
    Response::builder()
        .status(code)
        .header("Content-Type", content_type)
        .header("Cache-Control", "no-cache, private")
        .header("Audit-Id", super::store::uuid())
        .header(
            "X-Kubernetes-Pf-Flowschema-Uid",
            "e4f1c3a0-5b1e-4b39-9d0e-3a0e1b1c2d3e",
        )
        .header(
            "X-Kubernetes-Pf-Prioritylevel-Uid",
            "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        )
}

pub fn bytes_response(code: u16, content_type: &str, body: Bytes) -> Response<Body> {
    builder(code, content_type)
        .body(
            Full::new(body)
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .unwrap()
}

pub fn json_response(code: u16, value: &Value) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap();
    bytes_response(code, "application/json", Bytes::from(body))
}

/// A failure `Status`.
pub fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut status = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code
    });
    if let Some(details) = details {
        status["details"] = details;
    }
    status
}

pub fn status_response(
    code: u16,
    reason: &str,
    message: &str,
    details: Option<Value>,
) -> Response<Body> {
    json_response(code, &status(code, reason, message, details))
}

/// The API server's answer to a path it does not serve.
pub fn not_found() -> Response<Body> {
    status_response(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(json!({})),
    )
}

/// The body of a streaming response: the channel's chunks, except that an
/// `Err` (a cut) is held back for one poll. Hyper flushes what it has
/// written whenever the body is pending, so everything sent before the cut
/// reaches the socket before the connection is closed.
struct Cuttable {
    rx: mpsc::Receiver<Chunk>,
    held: Option<std::io::Error>,
}

impl futures::Stream for Cuttable {
    type Item = Chunk;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Chunk>> {
        use std::task::Poll;
        if let Some(err) = self.held.take() {
            return Poll::Ready(Some(Err(err)));
        }
        match futures::ready!(std::pin::Pin::new(&mut self.rx).poll_next(cx)) {
            Some(Err(err)) => {
                self.held = Some(err);
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            other => Poll::Ready(other),
        }
    }
}

/// A 200 chunked response whose chunks come from the returned sender.
pub fn streaming(content_type: &str) -> (mpsc::Sender<Chunk>, Response<Body>) {
    let (tx, rx) = mpsc::channel::<Chunk>(16);
    let body = Cuttable { rx, held: None };
    let response = builder(200, content_type)
        .body(StreamBody::new(body).boxed_unsync())
        .unwrap();
    (tx, response)
}

/// Sends one chunk; false when the client is gone.
pub async fn send(tx: &mut mpsc::Sender<Chunk>, bytes: Bytes) -> bool {
    use futures::SinkExt;
    tx.send(Ok(Frame::data(bytes))).await.is_ok()
}

/// Cuts a stream: what was sent is flushed, then the connection is closed
/// mid-body (no final chunk).
pub async fn cut(mut tx: mpsc::Sender<Chunk>) {
    use futures::SinkExt;
    let _ = tx
        .send(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fake_kube: injected drop",
        )))
        .await;
}

/// One watch event line: `{"type":"ADDED","object":{...}}\n`.
pub fn event(kind: &str, object: &Value) -> Bytes {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    serde_json::to_writer(&mut out, object).unwrap();
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}
