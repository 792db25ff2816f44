//! Stub: one line of any process-log format to a record.

use crate::parse::Problem;
use crate::record::Record;

/// Parses one line (prefix already removed) into a record; never fails.
pub fn parse_line(text: &str, line: u64, _problems: &mut Vec<Problem>) -> Record {
    Record::text(line, text)
}

/// `true` when a raw line must be parsed even if no prefilter literal is in it.
pub fn always_parse(_raw: &str) -> bool {
    true
}
