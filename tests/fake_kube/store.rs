//! The object store, as etcd behind the API server keeps it: one global
//! resourceVersion counter, objects keyed by resource/namespace/name, and
//! a history of changes that watches replay from a resourceVersion. The
//! history has a floor: a watch from below it is answered `410 Expired`
//! (after `expire_watches()`, or when the history outgrows its cap).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};

use super::resources::{RESOURCES, find_kind};
use super::selector::{FieldSelector, LabelSelector};

/// Changes kept for watches; older ones raise the floor.
const HISTORY_CAP: usize = 100_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

/// One write, as a watch replays it.
pub struct Change {
    pub rv: u64,
    pub resource: usize,
    pub kind: ChangeKind,
    /// The object before a modification (to turn it into ADDED/DELETED for
    /// a selector it starts or stops matching).
    pub old: Option<Arc<Value>>,
    /// The object written (for a deletion, its last state at the deletion's
    /// resourceVersion).
    pub new: Arc<Value>,
}

/// `(resource index, namespace ("" when cluster-scoped), name)`.
pub type Key = (usize, String, String);

pub struct Store {
    /// The last resourceVersion given out.
    pub rv: u64,
    /// A watch from a resourceVersion below this gets 410.
    pub floor: u64,
    pub objects: BTreeMap<Key, Arc<Value>>,
    pub history: VecDeque<Change>,
}

/// What one list or watch asks for.
pub struct Filter {
    pub resource: usize,
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Filter {
    pub fn matches(&self, object: &Value) -> bool {
        if let Some(ns) = &self.namespace
            && object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                != Some(ns)
        {
            return false;
        }
        self.labels.matches(object) && self.fields.matches(object)
    }

    /// What a watch with this filter sees of `change`: the event type and
    /// the object, or nothing.
    pub fn event<'c>(&self, change: &'c Change) -> Option<(&'static str, &'c Arc<Value>)> {
        if change.resource != self.resource {
            return None;
        }
        let now = self.matches(&change.new);
        match change.kind {
            ChangeKind::Added => now.then_some(("ADDED", &change.new)),
            ChangeKind::Deleted => now.then_some(("DELETED", &change.new)),
            ChangeKind::Modified => {
                let before = change.old.as_ref().is_some_and(|o| self.matches(o));
                match (before, now) {
                    (true, true) => Some(("MODIFIED", &change.new)),
                    (false, true) => Some(("ADDED", &change.new)),
                    (true, false) => Some(("DELETED", &change.new)),
                    (false, false) => None,
                }
            }
        }
    }
}

/// `2025-08-26T10:00:00Z`, as metav1.Time serialises.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A version-4 UUID from the fake's random source.
pub fn uuid() -> String {
    let hex = super::random_hex(32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

impl Store {
    pub fn new() -> Store {
        Store {
            // Any start will do; a real cluster's numbers are large.
            rv: 1000,
            floor: 0,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
        }
    }

    fn record(&mut self, change: Change) {
        self.history.push_back(change);
        while self.history.len() > HISTORY_CAP {
            let gone = self.history.pop_front().unwrap();
            self.floor = self.floor.max(gone.rv);
        }
    }

    /// The key of an object, completing `metadata.namespace` (`default`
    /// when missing on a namespaced kind; removed on a cluster-scoped one).
    fn key_of(object: &mut Value) -> Key {
        let api_version = object["apiVersion"]
            .as_str()
            .unwrap_or_else(|| panic!("fake_kube: object without apiVersion: {object}"))
            .to_string();
        let kind = object["kind"]
            .as_str()
            .unwrap_or_else(|| panic!("fake_kube: object without kind: {object}"))
            .to_string();
        let resource = find_kind(&api_version, &kind).unwrap_or_else(|| {
            panic!("fake_kube: {api_version} {kind} is not a resource the fake serves")
        });
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("fake_kube: {kind} without metadata.name"))
            .to_string();
        let metadata = object["metadata"].as_object_mut().unwrap();
        let namespace = if RESOURCES[resource].namespaced {
            let ns = metadata
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or("default")
                .to_string();
            metadata.insert("namespace".into(), json!(ns));
            ns
        } else {
            metadata.remove("namespace");
            String::new()
        };
        (resource, namespace, name)
    }

    /// Creates or replaces an object; returns the stored copy.
    pub fn apply(&mut self, mut object: Value) -> Arc<Value> {
        if !object["metadata"].is_object() {
            object["metadata"] = json!({});
        }
        let key = Self::key_of(&mut object);
        let old = self.objects.get(&key).cloned();
        self.rv += 1;
        let rv = self.rv;
        let metadata = object["metadata"].as_object_mut().unwrap();
        metadata.insert("resourceVersion".into(), json!(rv.to_string()));
        // uid and creationTimestamp are kept across replacements, as the
        // server keeps them across updates.
        for field in ["uid", "creationTimestamp"] {
            if !metadata.contains_key(field) {
                let value = match old.as_ref().and_then(|o| o["metadata"].get(field)) {
                    Some(v) => v.clone(),
                    None if field == "uid" => json!(uuid()),
                    None => json!(timestamp(chrono::Utc::now())),
                };
                metadata.insert(field.into(), value);
            }
        }
        if !metadata.contains_key("generation") {
            let generation = match &old {
                None => 1,
                Some(o) => {
                    let before = o["metadata"]["generation"].as_i64().unwrap_or(1);
                    if o.get("spec") == object.get("spec") {
                        before
                    } else {
                        before + 1
                    }
                }
            };
            object["metadata"]["generation"] = json!(generation);
        }
        let new = Arc::new(object);
        self.objects.insert(key.clone(), new.clone());
        let kind = if old.is_some() {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        self.record(Change {
            rv,
            resource: key.0,
            kind,
            old,
            new: new.clone(),
        });
        new
    }

    /// Deletes an object; returns its last state, or None if absent.
    pub fn delete(
        &mut self,
        resource: usize,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Arc<Value>> {
        let key = (
            resource,
            namespace.unwrap_or("").to_string(),
            name.to_string(),
        );
        let old = self.objects.remove(&key)?;
        self.rv += 1;
        let mut last = (*old).clone();
        last["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let last = Arc::new(last);
        self.record(Change {
            rv: self.rv,
            resource,
            kind: ChangeKind::Deleted,
            old: Some(old),
            new: last.clone(),
        });
        Some(last)
    }

    pub fn get(&self, resource: usize, namespace: Option<&str>, name: &str) -> Option<&Arc<Value>> {
        self.objects.get(&(
            resource,
            namespace.unwrap_or("").to_string(),
            name.to_string(),
        ))
    }

    /// Matching objects, in key order (as etcd lists them).
    pub fn list(&self, filter: &Filter) -> Vec<Arc<Value>> {
        self.objects
            .range((filter.resource, String::new(), String::new())..)
            .take_while(|((r, _, _), _)| *r == filter.resource)
            .filter(|(_, o)| filter.matches(o))
            .map(|(_, o)| o.clone())
            .collect()
    }

    /// Forgets the history: every resourceVersion given out so far becomes
    /// too old to watch from. The counter moves on by one (as unrelated
    /// writes move a real cluster's), so that a relist gets a
    /// resourceVersion that can be watched from.
    pub fn expire(&mut self) {
        self.rv += 1;
        self.floor = self.rv;
        self.history.clear();
    }

    /// Changes after `rv`, oldest first (None if `rv` is below the floor).
    pub fn since(&self, rv: u64) -> Option<impl Iterator<Item = &Change>> {
        if rv < self.floor {
            return None;
        }
        let start = self.history.partition_point(|c| c.rv <= rv);
        Some(self.history.range(start..))
    }
}
