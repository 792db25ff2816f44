//! Errors in pattern files, rendered the way a compiler would: the file, line
//! and column, the source line, a caret under the offending span, and what was
//! expected. Spans are byte ranges into the file's text; this module owns the
//! arithmetic that turns them into 1-based lines and character columns.

use std::fmt;
use std::ops::Range;

/// One problem in one pattern file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name as the user gave it (or the embedded name).
    pub file: String,
    /// Byte range of the offending text in the file.
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// What was expected, or how to fix it.
    pub help: Option<String>,
    /// The file's text, for the excerpt.
    source: std::sync::Arc<str>,
}

impl Diagnostic {
    /// A diagnostic for `span` in `source`.
    pub fn new(
        file: &str,
        source: &std::sync::Arc<str>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let len = source.len();
        let start = span.start.min(len);
        let end = span.end.clamp(start, len);
        Diagnostic {
            file: file.to_string(),
            span: start..end,
            message: message.into(),
            help: None,
            source: source.clone(),
        }
    }

    /// Adds what was expected.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// 1-based line and column (in characters) of the span's start.
    pub fn line_col(&self) -> (usize, usize) {
        line_col(&self.source, self.span.start)
    }
}

/// 1-based line and character column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, col) = self.line_col();
        writeln!(f, "{}:{}:{}: error: {}", self.file, line, col, self.message)?;
        let start = floor_char_boundary(&self.source, self.span.start);
        let line_start = self.source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.source[start..]
            .find('\n')
            .map_or(self.source.len(), |i| start + i);
        let text = &self.source[line_start..line_end];
        let gutter = line.to_string().len();
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{line} | {}", text.replace('\t', " "))?;
        let end = self.span.end.min(line_end).max(start);
        let width = self.source[start..end].chars().count().max(1);
        write!(
            f,
            "{:gutter$} | {}{}",
            "",
            " ".repeat(col - 1),
            "^".repeat(width)
        )?;
        if let Some(help) = &self.help {
            write!(f, " {help}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        let quote = text.find('"').unwrap();
        assert_eq!(line_col(text, quote), (2, 6));
    }

    #[test]
    fn renders_file_line_col_excerpt_and_caret() {
        let src: std::sync::Arc<str> = "id = \"x\"\nseverity = \"severe\"\n".into();
        let start = src.find("\"severe\"").unwrap();
        let d = Diagnostic::new("p.toml", &src, start..start + 8, "unknown severity")
            .with_help("expected one of critical, error, warning, info");
        let text = d.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "p.toml:2:12: error: unknown severity");
        assert_eq!(lines[2], "2 | severity = \"severe\"");
        assert_eq!(
            lines[3],
            "  |            ^^^^^^^^ expected one of critical, error, warning, info"
        );
    }
}
