//! `kubectl describe` text: the object header (`Name:`, `Namespace:`,
//! `API Version:`, `Kind:`), the status conditions of Gateway API objects as
//! kubectl's generic describer prints them (`Status:` → `Conditions:` with
//! `Last Transition Time:`, `Message:`, `Observed Generation:`, `Reason:`,
//! `Status:`, `Type:`; listener conditions under `Listeners:` with `Name:`;
//! route parents under `Parents:` with `Controller Name:` and `Parent Ref:`),
//! and the `Events:` section (`Type Reason Age From Message`, ages like
//! `2m (x12 over 5m)`). The generic describer prints list items with no
//! marker, keys sorted, two spaces per level, so an item ends where a key
//! repeats or the indentation drops; conditions come before the listener
//! `Name` and the parent `Parent Ref`, so a listener's or parent's
//! conditions are held until the item is complete. Lines that are neither
//! conditions, event rows nor section markers still go through
//! `line::parse_line` (a Pod's `Reason: CrashLoopBackOff` is evidence);
//! records are held until the object ends and then emitted in line order.

use crate::parse::condition::{self, Condition, Holder, ObjectRef};
use crate::parse::event::{self, EventParts};
use crate::parse::event_table::{Columns, is_age, is_event_type};
use crate::parse::{Problem, line};
use crate::record::{Format, Record};

/// What the describe reader did with a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The line belonged to the describe text (its records are held or emitted).
    Consumed,
    /// The describe text has ended (its records are emitted); the line is
    /// not part of it and must be read by the caller.
    NotMine,
}

/// Keys of one condition, as `smartLabelFor` prints them.
const CONDITION_KEYS: [&str; 6] = [
    "Last Transition Time",
    "Message",
    "Observed Generation",
    "Reason",
    "Status",
    "Type",
];

/// Status lists whose items carry their own conditions.
const ITEM_LISTS: [&str; 3] = ["Listeners", "Parents", "Ancestors"];

/// Held records are emitted early past this many, to bound memory.
const MAX_HELD: usize = 10_000;

/// A condition being read key by key.
#[derive(Debug, Default)]
struct ConditionDraft {
    condition: Condition,
    keys: Vec<String>,
    line: u64,
    /// `true` when it belongs to the current listener or parent item.
    in_item: bool,
    /// Its raw lines, kept as text if it turns out to have no `Type`.
    raw: Vec<(u64, String)>,
}

/// A listener, route parent or policy ancestor being read.
#[derive(Debug, Default)]
struct ItemDraft {
    /// `Listeners`, `Parents` or `Ancestors`.
    list: String,
    keys: Vec<String>,
    name: Option<String>,
    controller: Option<String>,
    ref_name: Option<String>,
    ref_namespace: Option<String>,
    conditions: Vec<(Condition, u64)>,
}

/// Where the Events section is.
#[derive(Debug)]
enum Events {
    /// After `Events:` (on this line), expecting the column header.
    Header(u64),
    /// After the header, expecting the `----` rule (or a first row).
    Rule(Columns),
    /// Reading rows.
    Rows(Columns),
}

/// The state of one `kubectl describe` object being read.
#[derive(Debug, Default)]
pub struct Describe {
    active: bool,
    object: ObjectRef,
    api_version: Option<String>,
    /// Top-level keys seen, to name built-in kinds that print no `Kind:`.
    top_keys: Vec<String>,
    stack: Vec<(usize, String)>,
    condition: Option<ConditionDraft>,
    item: Option<ItemDraft>,
    events: Option<Events>,
    held: Vec<Record>,
}

/// Splits `Key:  value` (key a describe label: starts with an upper-case
/// letter, words of letters, digits and `-./()_`); `None` otherwise.
pub fn key_value(text: &str) -> Option<(&str, &str)> {
    let (key, rest) = text.split_once(':')?;
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let key_ok = key.len() <= 64
        && key.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && !key.ends_with(' ')
        && !key.contains("  ")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -./()_".contains(c));
    key_ok.then(|| (key, rest.trim()))
}

/// Reads the Age cell of a describe event: `5m`, or `2m (x12 over 5m)` with its count.
fn age_cell(text: &str) -> Option<Option<u64>> {
    match text.split_once(' ') {
        None => is_age(text).then_some(None),
        Some((last, series)) => {
            let inner = series.strip_prefix("(x")?.strip_suffix(')')?;
            let (count, first) = inner.split_once(" over ")?;
            (is_age(last) && is_age(first))
                .then(|| count.parse().ok())
                .flatten()
                .map(Some)
        }
    }
}

impl Describe {
    /// A reader outside any describe text.
    pub fn new() -> Describe {
        Describe::default()
    }

    /// `true` while a describe object is being read.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// `true` when a line opens describe text: `Name:` with a value,
    /// `Status:` or `Events:` with none, all at column 0.
    pub fn starts(text: &str) -> bool {
        if !text.starts_with(['N', 'S', 'E']) {
            return false;
        }
        match key_value(text) {
            Some(("Name", v)) => !v.is_empty(),
            Some(("Status", v)) | Some(("Events", v)) => v.is_empty(),
            _ => false,
        }
    }

    /// Feeds one line (prefix removed, no newline).
    pub fn push(
        &mut self,
        text: &str,
        lineno: u64,
        out: &mut Vec<Record>,
        problems: &mut Vec<Problem>,
    ) -> Step {
        if !self.active {
            if !Describe::starts(text) {
                return Step::NotMine;
            }
            self.active = true;
        }
        if text.trim().is_empty() {
            self.end(out);
            return Step::NotMine;
        }
        if self.events.is_some() {
            return self.events_line(text, lineno, out, problems);
        }
        let indent = text.len() - text.trim_start_matches(' ').len();
        if indent == 0 {
            self.top_line(text, lineno, out, problems)
        } else {
            self.nested_line(text, indent, lineno, problems);
            if self.held.len() > MAX_HELD {
                self.flush(out);
            }
            Step::Consumed
        }
    }

    /// Ends the input: emits everything held.
    pub fn finish(&mut self, out: &mut Vec<Record>) {
        if self.active {
            self.end(out);
        }
    }

    /// Closes the object and emits its records in line order.
    fn end(&mut self, out: &mut Vec<Record>) {
        self.close_to(0);
        self.flush(out);
        *self = Describe::new();
    }

    fn flush(&mut self, out: &mut Vec<Record>) {
        self.held.sort_by_key(|r| r.line);
        out.append(&mut self.held);
    }

    fn hold(&mut self, record: Record, out: &mut Vec<Record>) {
        self.held.push(record);
        if self.held.len() > MAX_HELD {
            self.flush(out);
        }
    }

    /// A line that is not structure: read as a process-log line, kept.
    fn pass(&mut self, text: &str, lineno: u64, problems: &mut Vec<Problem>) {
        let record = line::parse_line(text, lineno, problems);
        self.held.push(record);
    }

    fn top_line(
        &mut self,
        text: &str,
        lineno: u64,
        out: &mut Vec<Record>,
        problems: &mut Vec<Problem>,
    ) -> Step {
        let Some((key, value)) = key_value(text) else {
            self.end(out);
            return Step::NotMine;
        };
        if key == "Name" && !value.is_empty() && self.object.name.is_some() {
            // The next object, with no blank line between.
            self.end(out);
            self.active = true;
        }
        self.close_to(0);
        let known = |v: &str| (!v.is_empty() && v != "<none>").then(|| v.to_string());
        match key {
            "Name" => self.object.name = known(value),
            "Namespace" => self.object.namespace = known(value),
            "Kind" => self.object.kind = known(value),
            "API Version" => self.api_version = known(value),
            "Events" => {
                if value.is_empty() {
                    self.events = Some(Events::Header(lineno));
                }
                return Step::Consumed;
            }
            _ => {}
        }
        if self.top_keys.len() < 64 {
            self.top_keys.push(key.to_string());
        }
        if value.is_empty() {
            self.stack.push((0, key.to_string()));
        }
        self.pass(text, lineno, problems);
        if self.held.len() > MAX_HELD {
            self.flush(out);
        }
        Step::Consumed
    }

    /// `true` when the object's conditions are read: a Gateway API kind, or
    /// a kind not (yet) known.
    fn reads_conditions(&self) -> bool {
        (self.object.kind.is_none() && self.api_version.is_none())
            || condition::is_gateway_api(self.api_version.as_deref(), self.object.kind.as_deref())
    }

    fn nested_line(&mut self, text: &str, indent: usize, lineno: u64, problems: &mut Vec<Problem>) {
        let Some((key, value)) = key_value(text.trim_start()) else {
            // A continuation (labels, annotations, plain list values).
            self.pass(text, lineno, problems);
            return;
        };
        self.close_to(indent);
        let path: Vec<&str> = self.stack.iter().map(|(_, k)| k.as_str()).collect();
        let in_status = path.first() == Some(&"Status") && self.reads_conditions();
        let item_level = in_status && path.len() == 2 && ITEM_LISTS.contains(&path[1]);
        let ref_level = in_status
            && path.len() == 3
            && (path[1] == "Parents" || path[1] == "Ancestors")
            && (path[2] == "Parent Ref" || path[2] == "Ancestor Ref");
        let condition_level = in_status && path.last() == Some(&"Conditions");
        let condition_in_item = condition_level && path.len() == 3 && ITEM_LISTS.contains(&path[1]);
        let list = path.get(1).map(|s| s.to_string());
        if item_level {
            self.item_key(list.unwrap_or_default(), key, value);
        } else if ref_level && let Some(item) = self.item.as_mut() {
            match key {
                "Name" => item.ref_name = Some(value.to_string()),
                "Namespace" => item.ref_namespace = Some(value.to_string()),
                _ => {}
            }
        }
        if condition_level && CONDITION_KEYS.contains(&key) {
            self.condition_key(text, key, value, lineno, condition_in_item);
            return;
        }
        if value.is_empty() {
            self.stack.push((indent, key.to_string()));
            if in_status && key == "Conditions" {
                return;
            }
        }
        self.pass(text, lineno, problems);
    }

    fn item_key(&mut self, list: String, key: &str, value: &str) {
        let repeat = self
            .item
            .as_ref()
            .is_some_and(|i| i.list != list || i.keys.iter().any(|k| k == key));
        if repeat {
            self.close_item();
        }
        let item = self.item.get_or_insert_with(|| ItemDraft {
            list,
            ..ItemDraft::default()
        });
        item.keys.push(key.to_string());
        match key {
            "Name" => item.name = Some(value.to_string()),
            "Controller Name" => item.controller = Some(value.to_string()),
            _ => {}
        }
    }

    fn condition_key(&mut self, text: &str, key: &str, value: &str, lineno: u64, in_item: bool) {
        if self
            .condition
            .as_ref()
            .is_some_and(|c| c.keys.iter().any(|k| k == key))
        {
            self.close_condition();
        }
        let draft = self.condition.get_or_insert_with(|| ConditionDraft {
            line: lineno,
            in_item,
            ..ConditionDraft::default()
        });
        draft.keys.push(key.to_string());
        if draft.raw.len() < CONDITION_KEYS.len() {
            draft.raw.push((lineno, text.to_string()));
        }
        let c = &mut draft.condition;
        match key {
            "Type" => c.condition_type = value.to_string(),
            "Status" => c.status = value.to_string(),
            "Reason" => c.reason = value.to_string(),
            "Message" => c.message = value.to_string(),
            "Last Transition Time" => c.last_transition_time = Some(value.to_string()),
            _ => {}
        }
    }

    /// Pops the sections at or deeper than `indent`, closing what they held.
    fn close_to(&mut self, indent: usize) {
        while let Some((i, key)) = self.stack.last() {
            if *i < indent {
                break;
            }
            let closes_item = self.stack.len() == 2 && ITEM_LISTS.contains(&key.as_str());
            let closes_condition = key == "Conditions";
            if closes_condition {
                self.close_condition();
            }
            if closes_item {
                self.close_item();
            }
            self.stack.pop();
        }
        if self.stack.is_empty() {
            self.close_condition();
            self.close_item();
        }
    }

    fn close_condition(&mut self) {
        let Some(draft) = self.condition.take() else {
            return;
        };
        if draft.condition.condition_type.is_empty() {
            // Not a whole condition (a partial paste): keep its lines as text.
            for (line, text) in draft.raw {
                self.held.push(Record::text(line, text));
            }
            return;
        }
        if draft.in_item
            && let Some(item) = self.item.as_mut()
        {
            item.conditions.push((draft.condition, draft.line));
            return;
        }
        let record = condition::record(
            &draft.condition,
            &self.object,
            &Holder::Object,
            Format::ConditionDescribe,
            draft.line,
        );
        self.held.push(record);
    }

    fn close_item(&mut self) {
        if self.condition.as_ref().is_some_and(|c| c.in_item) {
            self.close_condition();
        }
        let Some(item) = self.item.take() else {
            return;
        };
        let holder = if item.list == "Listeners" {
            Holder::Listener(item.name)
        } else {
            let namespace = item.ref_namespace.or_else(|| self.object.namespace.clone());
            Holder::Parent {
                parent: item.ref_name.map(|name| match namespace {
                    Some(ns) => format!("{ns}/{name}"),
                    None => name,
                }),
                controller: item.controller,
            }
        };
        for (c, line) in item.conditions {
            let record =
                condition::record(&c, &self.object, &holder, Format::ConditionDescribe, line);
            self.held.push(record);
        }
    }

    /// The object events are about: `Kind:` when printed, else named from
    /// the top-level keys of kubectl's built-in describers.
    fn event_object(&self) -> ObjectRef {
        let mut object = self.object.clone();
        if object.kind.is_none() {
            let has = |k: &str| self.top_keys.iter().any(|t| t == k);
            let kind = if has("StrategyType") {
                Some("Deployment")
            } else if has("Containers") && has("Node") {
                Some("Pod")
            } else if has("Pods Status") && has("Replicas") {
                Some("ReplicaSet")
            } else if has("Reference") && has("Min replicas") {
                Some("HorizontalPodAutoscaler")
            } else if has("Session Affinity") || has("IP Family Policy") {
                Some("Service")
            } else if has("Taints") && has("Roles") {
                Some("Node")
            } else {
                None
            };
            object.kind = kind.map(str::to_string);
        }
        object
    }

    fn events_line(
        &mut self,
        text: &str,
        lineno: u64,
        out: &mut Vec<Record>,
        problems: &mut Vec<Problem>,
    ) -> Step {
        match self.events.take() {
            Some(Events::Header(at)) => {
                let columns = Columns::from_header(text);
                if columns.names == ["Type", "Reason", "Age", "From", "Message"] {
                    self.events = Some(Events::Rule(columns));
                    Step::Consumed
                } else {
                    // Not an Events section after all: keep the `Events:` line.
                    self.held.push(Record::text(at, "Events:"));
                    self.end(out);
                    Step::NotMine
                }
            }
            Some(Events::Rule(columns)) if text.trim().chars().all(|c| c == '-' || c == ' ') => {
                self.events = Some(Events::Rows(columns));
                Step::Consumed
            }
            Some(Events::Rule(columns)) | Some(Events::Rows(columns)) => {
                let step = self.event_row(&columns, text, lineno, out, problems);
                if step == Step::Consumed {
                    self.events = Some(Events::Rows(columns));
                }
                step
            }
            None => Step::NotMine,
        }
    }

    fn event_row(
        &mut self,
        columns: &Columns,
        text: &str,
        lineno: u64,
        out: &mut Vec<Record>,
        problems: &mut Vec<Problem>,
    ) -> Step {
        let fits = |cells: &Vec<&str>| {
            cells.len() == 5
                && is_event_type(cells[0])
                && !cells[1].is_empty()
                && !cells[1].contains(' ')
                && age_cell(cells[2]).is_some()
                && !cells[3].contains(' ')
        };
        let cells = columns
            .cut_aligned(text)
            .filter(fits)
            .or_else(|| columns.cut_runs(text, 4, Some(3)).filter(fits));
        let Some(cells) = cells else {
            let first = text.split_whitespace().next();
            if text.starts_with(' ') && matches!(first, Some("Normal") | Some("Warning")) {
                problems.push(Problem::new(
                    lineno,
                    "malformed `kubectl describe` event row: expected the columns Type, Reason, Age, From, Message",
                ));
                self.hold(Record::text(lineno, text), out);
                return Step::Consumed;
            }
            self.end(out);
            return Step::NotMine;
        };
        let object = self.event_object();
        let from = (!cells[3].is_empty()).then(|| cells[3].to_string());
        let parts = EventParts {
            event_type: Some(cells[0].to_string()),
            reason: Some(cells[1].to_string()),
            kind: object.kind,
            name: object.name,
            namespace: object.namespace,
            count: Some(age_cell(cells[2]).flatten().unwrap_or(1)),
            reporter: from,
            message: cells[4].to_string(),
            ts: None,
        };
        self.hold(event::record(parts, Format::EventDescribe, lineno), out);
        Step::Consumed
    }
}

#[cfg(test)]
mod tests;
