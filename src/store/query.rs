//! Searching the store: tantivy query syntax over titles, messages, samples,
//! object and pod names, plus filters (signature, severity and above,
//! namespace, gateway, cluster, a time window), newest first; and the
//! counts and histogram of `incident stats`. A query with a syntax error is
//! explained in plain words with the column it is at.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use tantivy::aggregation::AggregationCollector;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, Occur, Query, QueryParser, QueryParserError, RangeQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{Order, Term};

use super::schema::{DEFAULT_FIELDS, QUERY_FIELDS, micros, severities_from};
use super::{Store, StoreError};
use crate::incident::Incident;
use crate::signature::Severity;

/// What to look for.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// tantivy query syntax; empty for every incident.
    pub text: String,
    /// Any of these signature ids.
    pub signatures: Vec<String>,
    /// This severity or worse.
    pub severity: Option<Severity>,
    pub namespace: Option<String>,
    /// `namespace/name`, or a name in any namespace.
    pub gateway: Option<String>,
    pub cluster: Option<String>,
    /// Active at or after (last hit not before).
    pub since: Option<DateTime<Utc>>,
    /// Active at or before (first hit not after).
    pub until: Option<DateTime<Utc>>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// Counts for `incident stats`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub incidents: u64,
    /// Incidents per signature, most first.
    pub by_signature: Vec<(String, u64)>,
    /// Incidents per Gateway (`-` for none), most first.
    pub by_gateway: Vec<(String, u64)>,
    /// Incidents by first hit, oldest bucket first.
    pub histogram: Vec<TimeBucket>,
    /// Width of a histogram bucket, in seconds.
    pub bucket_seconds: i64,
}

/// One bar of the histogram.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeBucket {
    pub start: DateTime<Utc>,
    pub count: u64,
}

/// Bucket widths the histogram picks from, in seconds.
const BUCKETS: [i64; 10] = [
    60,
    300,
    900,
    3600,
    3 * 3600,
    6 * 3600,
    86_400,
    7 * 86_400,
    30 * 86_400,
    365 * 86_400,
];

/// Most bars in the histogram.
const MAX_BARS: i64 = 48;

impl Store {
    /// The query for a search, or why it is wrong.
    fn query(&self, search: &Search) -> Result<Box<dyn Query>, StoreError> {
        let f = &self.fields;
        let mut must: Vec<Box<dyn Query>> = Vec::new();
        let text = search.text.trim();
        if !text.is_empty() {
            must.push(self.parse_text(text)?);
        }
        let term = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        let any_of = |field, values: Vec<&str>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                values
                    .into_iter()
                    .map(|v| (Occur::Should, term(field, v)))
                    .collect(),
            ))
        };
        if !search.signatures.is_empty() {
            must.push(any_of(
                f.signature,
                search.signatures.iter().map(String::as_str).collect(),
            ));
        }
        if let Some(min) = search.severity {
            must.push(any_of(f.severity, severities_from(min).collect()));
        }
        if let Some(ns) = &search.namespace {
            must.push(term(f.namespace, ns));
        }
        if let Some(gw) = &search.gateway {
            must.push(match gw.contains('/') {
                true => term(f.gateway, gw),
                false => term(f.gateway_name, gw),
            });
        }
        if let Some(cluster) = &search.cluster {
            must.push(term(f.cluster, cluster));
        }
        if let Some(since) = search.since {
            must.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_i64(f.last_seen, micros(since))),
                Bound::Unbounded,
            )));
        }
        if let Some(until) = search.until {
            must.push(Box::new(RangeQuery::new(
                Bound::Unbounded,
                Bound::Included(Term::from_field_i64(f.first_seen, micros(until))),
            )));
        }
        Ok(match must.len() {
            0 => Box::new(AllQuery),
            1 => must.pop().expect("one"),
            _ => Box::new(BooleanQuery::new(
                must.into_iter().map(|q| (Occur::Must, q)).collect(),
            )),
        })
    }

    /// The text part, checked for syntax first so the error can say where.
    fn parse_text(&self, text: &str) -> Result<Box<dyn Query>, StoreError> {
        if tantivy::query_grammar::parse_query(text).is_err() {
            let (_, errors) = tantivy::query_grammar::parse_query_lenient(text);
            let (pos, what) = errors
                .first()
                .map_or((text.len(), "cannot be read".to_string()), |e| {
                    (e.pos, e.message.clone())
                });
            return Err(StoreError::Query(syntax_error(text, pos, &what)));
        }
        let schema = self.index.schema();
        let defaults = DEFAULT_FIELDS
            .iter()
            .map(|name| schema.get_field(name).expect("default field"))
            .collect();
        let mut parser = QueryParser::for_index(&self.index, defaults);
        parser.set_conjunction_by_default();
        parser
            .parse_query(text)
            .map_err(|e| StoreError::Query(parser_error(text, &e)))
    }

    /// The incidents found, newest first.
    pub fn search(&self, search: &Search) -> Result<Vec<Incident>, StoreError> {
        let query = self.query(search)?;
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(search.limit.max(1))
            .order_by_fast_field::<i64>("last_seen", Order::Desc);
        let found = searcher
            .search(&query, &top)
            .map_err(|e| self.index_err(e))?;
        found
            .into_iter()
            .map(|(_, addr)| self.incident_at(&searcher, addr))
            .collect()
    }

    /// How many incidents a search finds, without reading them.
    pub fn count(&self, search: &Search) -> Result<u64, StoreError> {
        let query = self.query(search)?;
        let searcher = self.reader.searcher();
        let n = searcher
            .search(&query, &tantivy::collector::Count)
            .map_err(|e| self.index_err(e))?;
        Ok(n as u64)
    }

    /// Counts per signature and per Gateway, and incidents over time, for
    /// the incidents a search finds (its limit is ignored).
    pub fn stats(&self, search: &Search) -> Result<Stats, StoreError> {
        let query = self.query(search)?;
        let searcher = self.reader.searcher();
        let aggregate = |request: Json| -> Result<Json, StoreError> {
            let aggs: Aggregations = serde_json::from_value(request).expect("aggregation request");
            let collector = AggregationCollector::from_aggs(aggs, Default::default());
            let result = searcher
                .search(&query, &collector)
                .map_err(|e| self.index_err(e))?;
            Ok(serde_json::to_value(result).expect("aggregation result serialises"))
        };
        let first = aggregate(serde_json::json!({
            "signatures": { "terms": { "field": "signature", "size": 1000 } },
            "gateways": { "terms": { "field": "gateway", "size": 1000 } },
            "first": { "stats": { "field": "first_seen" } },
        }))?;
        let incidents = first["first"]["count"].as_u64().unwrap_or(0);
        let terms = |name: &str| -> Vec<(String, u64)> {
            first[name]["buckets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| Some((b["key"].as_str()?.to_string(), b["doc_count"].as_u64()?)))
                .collect()
        };
        let mut stats = Stats {
            incidents,
            by_signature: terms("signatures"),
            by_gateway: terms("gateways"),
            ..Stats::default()
        };
        let (Some(min), Some(max)) = (
            first["first"]["min"].as_f64(),
            first["first"]["max"].as_f64(),
        ) else {
            return Ok(stats);
        };
        let span = ((max - min) / 1e6) as i64;
        let width = BUCKETS
            .into_iter()
            .find(|w| span / w < MAX_BARS)
            .unwrap_or(BUCKETS[BUCKETS.len() - 1]);
        let hist = aggregate(serde_json::json!({
            "over_time": { "histogram": { "field": "first_seen", "interval": (width * 1_000_000) as f64, "min_doc_count": 0 } },
        }))?;
        stats.bucket_seconds = width;
        stats.histogram = hist["over_time"]["buckets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| {
                let start = DateTime::from_timestamp_micros(b["key"].as_f64()? as i64)?;
                Some(TimeBucket {
                    start,
                    count: b["doc_count"].as_u64()?,
                })
            })
            .collect();
        Ok(stats)
    }
}

/// `query syntax error at column N: what` with the query and a caret.
fn syntax_error(text: &str, pos: usize, what: &str) -> String {
    let column = text[..pos.min(text.len())].chars().count() + 1;
    let what = what.trim_end_matches('.');
    let plain = if what.is_empty() {
        "this cannot be read here"
    } else {
        what
    };
    format!(
        "query syntax error at column {column}: {plain}\n  {text}\n  {caret}^\nexpected words, \"a phrase\", field:value, AND/OR/NOT, +must, -mustnot and (groups); see `aks-gw-logs incident search --help`",
        caret = " ".repeat(column - 1)
    )
}

/// A query parser error in plain words.
fn parser_error(text: &str, err: &QueryParserError) -> String {
    match err {
        QueryParserError::FieldDoesNotExist(field) => format!(
            "the query names a field {field:?} that incidents do not have; fields: {}",
            QUERY_FIELDS.join(", ")
        ),
        QueryParserError::AllButQueryForbidden => {
            format!("the query {text:?} only excludes (-term); add something to look for")
        }
        QueryParserError::FieldNotIndexed(field) => {
            format!(
                "the field {field:?} cannot be searched; fields: {}",
                QUERY_FIELDS.join(", ")
            )
        }
        other => format!("the query {text:?} cannot be used: {other}"),
    }
}
