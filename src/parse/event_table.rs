//! The `kubectl get events` table (and `kubectl events`): recognising its
//! header (`LAST SEEN TYPE REASON OBJECT MESSAGE`, with `NAMESPACE` first
//! under `-A`, the `-o wide` columns `SUBOBJECT SOURCE ... FIRST SEEN COUNT
//! NAME`, and the old `LAST SEEN FIRST SEEN COUNT NAME KIND ...` layout) and
//! cutting its rows into event records. kubectl aligns a table with Go's
//! tabwriter, so rows are cut at the header's column offsets (counted in
//! characters, as tabwriter counts them); rows printed one by one under
//! `--watch` are not aligned with the header, and are cut at runs of two or
//! more spaces instead. The column machinery ([`Columns`]) is shared with the
//! Events section of `kubectl describe`.

use crate::parse::event::{self, EventParts};
use crate::record::{Format, Record};

/// A table header: column names and the character offset each starts at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    /// Column names as written in the header.
    pub names: Vec<String>,
    /// Character offset of each column.
    pub offsets: Vec<usize>,
}

/// Splits a line into its cells at runs of two or more blanks: each cell
/// with its character offset.
pub fn cells_by_runs(line: &str) -> Vec<(usize, &str)> {
    let mut cells = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (char offset, byte offset)
    let mut last_end = 0usize; // byte end of the last non-blank char
    let mut blanks = 0usize;
    for (ci, (bi, ch)) in line.char_indices().enumerate() {
        if ch == ' ' || ch == '\t' {
            blanks += if ch == '\t' { 2 } else { 1 };
            continue;
        }
        match start {
            Some((c0, b0)) if blanks >= 2 => {
                cells.push((c0, &line[b0..last_end]));
                start = Some((ci, bi));
            }
            None => start = Some((ci, bi)),
            _ => {}
        }
        blanks = 0;
        last_end = bi + ch.len_utf8();
    }
    if let Some((c0, b0)) = start {
        cells.push((c0, &line[b0..last_end]));
    }
    cells
}

impl Columns {
    /// Reads a header line: its cells at runs of two or more blanks.
    pub fn from_header(line: &str) -> Columns {
        let cells = cells_by_runs(line);
        Columns {
            names: cells.iter().map(|(_, n)| n.to_string()).collect(),
            offsets: cells.iter().map(|(o, _)| *o).collect(),
        }
    }

    /// The index of a column by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Cuts a row at the header offsets; `None` when the row is not aligned
    /// with the header (a cell boundary falls inside a word). Cells are
    /// trimmed; the last column takes the rest of the line.
    pub fn cut_aligned<'a>(&self, row: &'a str) -> Option<Vec<&'a str>> {
        let mut bytes: Vec<usize> = Vec::with_capacity(self.offsets.len() + 1);
        let mut prev_blank = Vec::with_capacity(self.offsets.len());
        let mut chars = row.char_indices().enumerate().peekable();
        let mut prev: Option<char> = None;
        for &off in &self.offsets {
            while let Some(&(ci, (_, ch))) = chars.peek() {
                if ci >= off {
                    break;
                }
                prev = Some(ch);
                chars.next();
            }
            match chars.peek() {
                Some(&(_, (bi, _))) => bytes.push(bi),
                None => bytes.push(row.len()),
            }
            prev_blank.push(prev.is_none_or(char::is_whitespace));
        }
        bytes.push(row.len());
        if prev_blank.iter().any(|b| !b) {
            return None;
        }
        if row[..bytes[0]].chars().any(|c| !c.is_whitespace()) {
            return None;
        }
        Some(bytes.windows(2).map(|w| row[w[0]..w[1]].trim()).collect())
    }

    /// Cuts a row at runs of two or more blanks. `rest` is the column that
    /// takes whatever the others leave (it may hold double spaces); an
    /// optional column (`SUBOBJECT`, often empty) is assumed empty when one
    /// cell is missing. `None` when the cell count cannot fit.
    pub fn cut_runs<'a>(
        &self,
        row: &'a str,
        rest: usize,
        optional: Option<usize>,
    ) -> Option<Vec<&'a str>> {
        let cells = cells_by_runs(row);
        let n = self.names.len();
        if n == 0 || rest >= n {
            return None;
        }
        if cells.len() + 1 == n
            && let Some(opt) = optional
        {
            let mut without = self.clone();
            without.names.remove(opt);
            without.offsets.remove(opt);
            let rest2 = if rest > opt { rest - 1 } else { rest };
            let mut out = without.cut_runs(row, rest2, None)?;
            out.insert(opt, "");
            return Some(out);
        }
        if cells.len() < n {
            return None;
        }
        let tail = n - rest - 1;
        let mut out: Vec<&str> = cells[..rest].iter().map(|(_, c)| *c).collect();
        let first = cells[rest].0;
        let last_cell = cells.len() - tail - 1;
        // The rest column spans from its first cell to the end of its last one.
        let start = byte_of_char(row, first);
        let (end_char, end_text) = cells[last_cell];
        let end = byte_of_char(row, end_char) + end_text.len();
        out.push(row.get(start..end).unwrap_or("").trim());
        out.extend(cells[cells.len() - tail..].iter().map(|(_, c)| *c));
        Some(out)
    }
}

/// The byte index of the character at `char_offset` (the end when past it).
fn byte_of_char(s: &str, char_offset: usize) -> usize {
    s.char_indices()
        .nth(char_offset)
        .map_or(s.len(), |(b, _)| b)
}

/// `true` for an age as kubectl prints it: `90s`, `2m`, `3m12s`, `2d3h`,
/// `5y120d`, `<unknown>`, `<invalid>`.
pub fn is_age(text: &str) -> bool {
    if text == "<unknown>" || text == "<invalid>" {
        return true;
    }
    let mut digits = 0;
    let mut units = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
        } else if matches!(c, 's' | 'm' | 'h' | 'd' | 'y') && digits > 0 {
            digits = 0;
            units += 1;
        } else {
            return false;
        }
    }
    units > 0 && digits == 0
}

/// `true` for an event type word (`Normal`, `Warning`).
pub fn is_event_type(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphabetic())
}

/// A single token: non-empty, no blanks.
fn is_token(text: &str) -> bool {
    !text.is_empty() && !text.contains(char::is_whitespace)
}

/// The columns of a `kubectl get events` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Namespace,
    LastSeen,
    FirstSeen,
    Count,
    Name,
    Kind,
    Subobject,
    Type,
    Reason,
    Object,
    Source,
    Message,
}

impl Col {
    fn from_name(name: &str) -> Option<Col> {
        Some(match name {
            "NAMESPACE" => Col::Namespace,
            "LAST SEEN" | "LASTSEEN" => Col::LastSeen,
            "FIRST SEEN" | "FIRSTSEEN" => Col::FirstSeen,
            "COUNT" => Col::Count,
            "NAME" => Col::Name,
            "KIND" => Col::Kind,
            "SUBOBJECT" => Col::Subobject,
            "TYPE" => Col::Type,
            "REASON" => Col::Reason,
            "OBJECT" => Col::Object,
            "SOURCE" | "FROM" => Col::Source,
            "MESSAGE" => Col::Message,
            _ => return None,
        })
    }
}

/// What a line is, read as a row of the current table.
#[derive(Debug, PartialEq)]
pub enum Row {
    /// A well-formed row.
    Event(Box<Record>),
    /// A line that is clearly meant as a row but does not fit: the problem to
    /// report; the caller keeps the line as text and the table goes on.
    Malformed(String),
    /// Not a row: the table has ended, the line means something else.
    NotARow,
}

/// A `kubectl get events` table in progress: its header layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventTable {
    columns: Columns,
    cols: Vec<Col>,
}

impl EventTable {
    /// Recognises a `kubectl get events` header line.
    pub fn header(line: &str) -> Option<EventTable> {
        let line = line.trim_end();
        if !line.starts_with("LAST SEEN") && !line.starts_with("NAMESPACE") {
            return None;
        }
        let columns = Columns::from_header(line);
        if columns.offsets.first() != Some(&0) {
            return None;
        }
        let cols: Vec<Col> = columns
            .names
            .iter()
            .map(|n| Col::from_name(n))
            .collect::<Option<_>>()?;
        let has = |c: Col| cols.contains(&c);
        let has_object = has(Col::Object) || (has(Col::Name) && has(Col::Kind));
        let unique = cols.iter().enumerate().all(|(i, c)| !cols[..i].contains(c));
        (unique && has(Col::LastSeen) && has(Col::Type) && has(Col::Reason))
            .then_some(())
            .filter(|_| has(Col::Message) && has_object)?;
        Some(EventTable { columns, cols })
    }

    /// The header as a human reads it, for problem messages.
    fn layout(&self) -> String {
        self.columns.names.join(", ")
    }

    fn message_index(&self) -> usize {
        self.cols
            .iter()
            .position(|c| *c == Col::Message)
            .unwrap_or(self.cols.len() - 1)
    }

    /// Checks the cells of a candidate row against the column rules.
    fn fits(&self, cells: &[&str]) -> bool {
        cells.len() == self.cols.len()
            && self.cols.iter().zip(cells).all(|(c, v)| match c {
                Col::LastSeen => is_age(v),
                Col::FirstSeen => v.is_empty() || is_age(v),
                Col::Type => is_event_type(v),
                Col::Reason | Col::Object | Col::Namespace => is_token(v),
                Col::Count => v.is_empty() || v.chars().all(|c| c.is_ascii_digit()),
                Col::Kind | Col::Name => v.is_empty() || is_token(v),
                Col::Subobject | Col::Source | Col::Message => true,
            })
    }

    /// Reads a line as a row of this table.
    pub fn row(&self, line: &str, lineno: u64) -> Row {
        if line.trim().is_empty() {
            return Row::NotARow;
        }
        let optional = self.cols.iter().position(|c| *c == Col::Subobject);
        let cells = self
            .columns
            .cut_aligned(line)
            .filter(|c| self.fits(c))
            .or_else(|| {
                self.columns
                    .cut_runs(line, self.message_index(), optional)
                    .filter(|c| self.fits(c))
            });
        match cells {
            Some(cells) => Row::Event(Box::new(self.record(&cells, lineno))),
            None if self.looks_like_row(line) => Row::Malformed(format!(
                "malformed `kubectl get events` row: expected the columns {}",
                self.layout()
            )),
            None => Row::NotARow,
        }
    }

    /// A line whose leading cells are an age and an event type where the
    /// header puts them is meant as a row even when the rest does not fit.
    fn looks_like_row(&self, line: &str) -> bool {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let lead = if self.cols.first() == Some(&Col::Namespace) {
            1
        } else {
            0
        };
        let type_at = self.cols.iter().position(|c| *c == Col::Type);
        let seen_at = self.cols.iter().position(|c| *c == Col::LastSeen);
        match (seen_at, type_at) {
            (Some(s), Some(t)) if s == lead && t == lead + 1 => {
                tokens.get(lead).is_some_and(|v| is_age(v))
                    && tokens
                        .get(lead + 1)
                        .is_some_and(|v| *v == "Normal" || *v == "Warning")
            }
            _ => false,
        }
    }

    fn record(&self, cells: &[&str], lineno: u64) -> Record {
        let mut parts = EventParts::default();
        let mut kind_col = None;
        let mut name_col = None;
        for (c, v) in self.cols.iter().zip(cells) {
            let v = v.trim();
            let some = || (!v.is_empty()).then(|| v.to_string());
            match c {
                Col::Namespace => parts.namespace = some(),
                Col::Type => parts.event_type = some(),
                Col::Reason => parts.reason = some(),
                Col::Message => parts.message = v.to_string(),
                Col::Count => parts.count = v.parse().ok(),
                Col::Source => {
                    // `component, host` (formatEventSource).
                    parts.reporter = v
                        .split(',')
                        .next()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string);
                }
                Col::Object => match v.split_once('/') {
                    Some((resource, name)) => {
                        parts.kind = Some(event::kind_from_resource(resource));
                        parts.name = (!name.is_empty()).then(|| name.to_string());
                    }
                    None => parts.kind = (!v.is_empty()).then(|| event::kind_from_resource(v)),
                },
                Col::Kind => kind_col = some(),
                Col::Name => name_col = some(),
                Col::LastSeen | Col::FirstSeen | Col::Subobject => {}
            }
        }
        // The old layout names the object in NAME and KIND columns.
        if !self.cols.contains(&Col::Object) {
            parts.kind = kind_col;
            parts.name = name_col;
        }
        event::record(parts, Format::EventTable, lineno)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Field, Level, Source};

    fn event(row: Row) -> Record {
        match row {
            Row::Event(r) => *r,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn ages() {
        for a in [
            "2m",
            "90s",
            "3m12s",
            "2d3h",
            "5y120d",
            "<unknown>",
            "<invalid>",
        ] {
            assert!(is_age(a), "{a}");
        }
        for a in ["", "m", "2", "2x", "Normal", "10:00"] {
            assert!(!is_age(a), "{a}");
        }
    }

    #[test]
    fn default_table() {
        let t = EventTable::header(
            "LAST SEEN   TYPE      REASON                   OBJECT                                       MESSAGE",
        )
        .unwrap();
        let r = event(t.row("2m          Normal    EnsuringLoadBalancer     service/httpbin-gateway-istio                Ensuring load balancer", 2));
        assert_eq!(r.source, Source::Event);
        assert_eq!(r.format, Format::EventTable);
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.message, "Ensuring load balancer");
        assert_eq!(r.get(&Field::ObjectKind), Some("Service"));
        assert_eq!(r.get(&Field::ObjectName), Some("httpbin-gateway-istio"));
        assert_eq!(r.get(&Field::Namespace), None);
        assert_eq!(r.ts, None);
        let r = event(t.row("90s         Warning   Unhealthy                pod/httpbin-gateway-istio-6d9f7c8b5d-x2kqz   Readiness probe failed: HTTP probe failed with statuscode: 503", 4));
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.get(&Field::EventType), Some("Warning"));
        assert_eq!(r.get(&Field::Reason), Some("Unhealthy"));
        assert_eq!(r.get(&Field::ObjectKind), Some("Pod"));
        assert_eq!(
            r.message,
            "Readiness probe failed: HTTP probe failed with statuscode: 503"
        );
        assert_eq!(r.line, 4);
    }

    #[test]
    fn namespaced_table_and_watch_rows() {
        let t = EventTable::header(
            "NAMESPACE           LAST SEEN   TYPE      REASON                   OBJECT                          MESSAGE",
        )
        .unwrap();
        let r = event(t.row("aks-istio-ingress   3m12s       Warning   SyncLoadBalancerFailed   service/httpbin-gateway-istio   Error syncing load balancer: failed to ensure load balancer: Code=\"AllocationFailed\"", 2));
        assert_eq!(r.get(&Field::Namespace), Some("aks-istio-ingress"));
        assert_eq!(r.get(&Field::Reason), Some("SyncLoadBalancerFailed"));
        assert!(r.message.ends_with("Code=\"AllocationFailed\""));
        // A --watch row, aligned on its own.
        let r = event(t.row(
            "default   0s    Warning   BackOff   pod/web-0   Back-off restarting failed container istio-proxy in pod web-0_default(1234)",
            9,
        ));
        assert_eq!(r.get(&Field::Namespace), Some("default"));
        assert_eq!(r.get(&Field::Reason), Some("BackOff"));
        assert_eq!(r.get(&Field::ObjectName), Some("web-0"));
        assert!(
            r.message
                .starts_with("Back-off restarting failed container")
        );
    }

    #[test]
    fn wide_table() {
        let header = "LAST SEEN   TYPE      REASON      OBJECT                                       SUBOBJECT                      SOURCE                                         MESSAGE                                                          FIRST SEEN   COUNT   NAME";
        let t = EventTable::header(header).unwrap();
        let row = "2m          Warning   Unhealthy   pod/httpbin-gateway-istio-6d9f7c8b5d-x2kqz   spec.containers{istio-proxy}   kubelet, aks-nodepool1-12345678-vmss000000     Readiness probe failed: HTTP probe failed with statuscode: 503   5m           12      httpbin-gateway-istio-6d9f7c8b5d-x2kqz.17f1c2d3e4a5b6c7";
        let r = event(t.row(row, 3));
        assert_eq!(r.get(&Field::Count), Some("12"));
        assert_eq!(r.get(&Field::Reporter), Some("kubelet"));
        assert_eq!(r.scope.as_deref(), Some("kubelet"));
        assert_eq!(
            r.message,
            "Readiness probe failed: HTTP probe failed with statuscode: 503"
        );
        let row = "2m          Normal    EnsuredLoadBalancer   service/httpbin-gateway-istio   service-controller   Ensured load balancer   10m   1   httpbin-gateway-istio.17f1";
        let r = event(t.row(row, 4));
        assert_eq!(r.get(&Field::Reason), Some("EnsuredLoadBalancer"));
        assert_eq!(r.get(&Field::Reporter), Some("service-controller"));
        assert_eq!(r.message, "Ensured load balancer");
        assert_eq!(r.get(&Field::Count), Some("1"));
    }

    /// Lays out rows as kubectl's printer does (Go tabwriter, minwidth 10,
    /// padding 3): every cell but the last padded to its column width.
    fn tabwrite(rows: &[&[&str]]) -> Vec<String> {
        let cols = rows[0].len();
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                let w = rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
                (w + 3).max(10)
            })
            .collect();
        rows.iter()
            .map(|row| {
                let mut s = String::new();
                for (c, cell) in row.iter().enumerate() {
                    s.push_str(cell);
                    if c + 1 < cols {
                        s.push_str(&" ".repeat(widths[c] - cell.chars().count()));
                    }
                }
                s
            })
            .collect()
    }

    #[test]
    fn wide_table_with_empty_cells_is_cut_at_offsets() {
        let lines = tabwrite(&[
            &[
                "LAST SEEN",
                "TYPE",
                "REASON",
                "OBJECT",
                "SUBOBJECT",
                "SOURCE",
                "MESSAGE",
                "FIRST SEEN",
                "COUNT",
                "NAME",
            ],
            &[
                "5m",
                "Normal",
                "ScalingReplicaSet",
                "deployment/httpbin-gateway-istio",
                "",
                "",
                "Scaled up replica set httpbin-gateway-istio-6d9f7c8b5d to 2 from 1",
                "5m",
                "1",
                "httpbin-gateway-istio.17f1",
            ],
            &[
                "3m12s",
                "Warning",
                "FailedCreate",
                "replicaset/httpbin-gateway-istio-6d9f7c8b5d",
                "",
                "replicaset-controller",
                "Error creating: admission webhook \"validation.gatekeeper.sh\" denied the request:  [no-privileged]",
                "4m",
                "7",
                "httpbin-gateway-istio-6d9f7c8b5d.17f2",
            ],
        ]);
        let t = EventTable::header(&lines[0]).unwrap();
        let r = event(t.row(&lines[1], 2));
        assert_eq!(r.get(&Field::ObjectKind), Some("Deployment"));
        assert_eq!(r.get(&Field::Reporter), None);
        assert_eq!(
            r.message,
            "Scaled up replica set httpbin-gateway-istio-6d9f7c8b5d to 2 from 1"
        );
        let r = event(t.row(&lines[2], 3));
        assert_eq!(r.get(&Field::ObjectKind), Some("ReplicaSet"));
        assert_eq!(r.get(&Field::Reporter), Some("replicaset-controller"));
        assert_eq!(r.get(&Field::Count), Some("7"));
        assert!(r.message.ends_with("denied the request:  [no-privileged]"));
    }

    #[test]
    fn old_layout_names_object_in_kind_and_name() {
        let t = EventTable::header(
            "LAST SEEN   FIRST SEEN   COUNT     NAME          KIND      SUBOBJECT   TYPE      REASON      SOURCE    MESSAGE",
        )
        .unwrap();
        let r = event(t.row(
            "1m          5m           4         web-0         Pod                   Warning   Unhealthy   kubelet   Liveness probe failed: connection refused",
            2,
        ));
        assert_eq!(r.get(&Field::ObjectKind), Some("Pod"));
        assert_eq!(r.get(&Field::ObjectName), Some("web-0"));
        assert_eq!(r.get(&Field::Count), Some("4"));
    }

    #[test]
    fn not_rows_and_malformed_rows() {
        let t = EventTable::header("LAST SEEN   TYPE      REASON   OBJECT   MESSAGE").unwrap();
        assert_eq!(
            t.row(
                "2025-08-26T10:00:00.123456Z\tinfo\tads\tPush debounce stable",
                5
            ),
            Row::NotARow
        );
        assert_eq!(t.row("", 5), Row::NotARow);
        match t.row("2m   Warning", 6) {
            Row::Malformed(p) => assert!(p.contains("LAST SEEN, TYPE, REASON, OBJECT, MESSAGE")),
            other => panic!("{other:?}"),
        }
        assert!(EventTable::header("NAME   READY   STATUS   RESTARTS   AGE").is_none());
        assert!(EventTable::header("LAST SEEN   TYPE").is_none());
    }

    #[test]
    fn column_cuts() {
        let c = Columns::from_header("  Type     Reason     Age   From     Message");
        assert_eq!(c.offsets, vec![2, 11, 22, 28, 37]);
        assert_eq!(
            c.cut_aligned("  Normal   Scheduled  5m    sched    Successfully assigned"),
            Some(vec![
                "Normal",
                "Scheduled",
                "5m",
                "sched",
                "Successfully assigned"
            ])
        );
        assert_eq!(
            c.cut_aligned("  Normal Scheduled 5m sched Successfully"),
            None
        );
        assert_eq!(
            cells_by_runs("a b  c\t\td"),
            vec![(0, "a b"), (5, "c"), (8, "d")]
        );
    }
}
