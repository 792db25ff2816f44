//! The tantivy schema of the incident store and its version. An incident is
//! one document: the whole incident as JSON (stored, the source of truth for
//! `incident show` and `--json`), plus the fields that search and filters
//! use. Any change to the fields or their meaning bumps [`SCHEMA_VERSION`];
//! a store of another version is refused, never rewritten.

use tantivy::TantivyDocument;
use tantivy::schema::{FAST, Field, STORED, STRING, Schema, TEXT};

use crate::incident::Incident;
use crate::signature::Severity;

/// Version of the schema and of the stored JSON.
pub const SCHEMA_VERSION: u32 = 1;

/// Fields that the query syntax searches when a term names no field
/// (`message` holds the first sample line, `samples` the other ones).
pub const DEFAULT_FIELDS: [&str; 5] = ["title", "message", "samples", "object", "pods"];

/// Every field a query may name.
pub const QUERY_FIELDS: [&str; 11] = [
    "title",
    "message",
    "samples",
    "object",
    "pods",
    "signature",
    "severity",
    "namespace",
    "gateway",
    "cluster",
    "id",
];

/// The schema's field handles.
#[derive(Clone, Debug)]
pub struct Fields {
    pub id: Field,
    pub key: Field,
    pub signature: Field,
    pub severity: Field,
    pub cluster: Field,
    pub namespace: Field,
    pub gateway: Field,
    pub gateway_name: Field,
    pub title: Field,
    pub message: Field,
    pub samples: Field,
    pub object: Field,
    pub pods: Field,
    pub first_seen: Field,
    pub last_seen: Field,
    pub json: Field,
}

/// The schema and its fields.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING),
        key: b.add_text_field("key", STRING),
        signature: b.add_text_field("signature", STRING | FAST),
        severity: b.add_text_field("severity", STRING),
        cluster: b.add_text_field("cluster", STRING),
        namespace: b.add_text_field("namespace", STRING),
        gateway: b.add_text_field("gateway", STRING | FAST),
        gateway_name: b.add_text_field("gateway_name", STRING),
        title: b.add_text_field("title", TEXT),
        message: b.add_text_field("message", TEXT),
        samples: b.add_text_field("samples", TEXT),
        object: b.add_text_field("object", TEXT),
        pods: b.add_text_field("pods", STRING),
        first_seen: b.add_i64_field("first_seen", FAST),
        last_seen: b.add_i64_field("last_seen", FAST),
        json: b.add_text_field("json", STORED),
    };
    (b.build(), fields)
}

/// Microseconds since the Unix epoch: how times are indexed.
pub fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

/// The gateway value for incidents that concern no Gateway (so that
/// `incident stats` can count them).
pub const NO_GATEWAY: &str = "-";

impl Fields {
    /// The document for an incident.
    pub fn document(&self, inc: &Incident) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.id, &inc.id);
        doc.add_text(self.key, &inc.key);
        doc.add_text(self.signature, &inc.signature);
        doc.add_text(self.severity, inc.severity.as_str());
        doc.add_text(self.cluster, &inc.cluster);
        if let Some(ns) = inc.namespace() {
            doc.add_text(self.namespace, ns);
        }
        match &inc.gateway {
            Some(gw) => {
                doc.add_text(self.gateway, gw);
                doc.add_text(self.gateway_name, gw.rsplit('/').next().unwrap_or(gw));
            }
            None => doc.add_text(self.gateway, NO_GATEWAY),
        }
        doc.add_text(self.title, &inc.title);
        // `message` is the first sample; `samples` the others, each text
        // once (repeats add nothing to a search but indexing time).
        if let Some((first, rest)) = inc.samples.split_first() {
            doc.add_text(self.message, &first.text);
            let mut seen = vec![first.text.as_str()];
            for sample in rest {
                if !seen.contains(&sample.text.as_str()) {
                    seen.push(&sample.text);
                    doc.add_text(self.samples, &sample.text);
                }
            }
        }
        doc.add_text(self.object, inc.object.to_string().replace('/', " "));
        for pod in &inc.pods {
            doc.add_text(self.pods, pod);
        }
        doc.add_i64(self.first_seen, micros(inc.first_seen));
        doc.add_i64(self.last_seen, micros(inc.last_seen));
        doc.add_text(
            self.json,
            serde_json::to_string(inc).expect("an incident serialises"),
        );
        doc
    }
}

/// Severities at or above `min`, as indexed.
pub fn severities_from(min: Severity) -> impl Iterator<Item = &'static str> {
    Severity::ALL
        .into_iter()
        .filter(move |s| *s >= min)
        .map(Severity::as_str)
}
