//! `bundle analyze --format html`: one self-contained HTML file (no scripts,
//! no external resources) with the Gateway summary, an SVG timeline of
//! incidents per Gateway (a bar from first to last hit, coloured by
//! severity, the details in a tooltip), each Gateway's incidents with their
//! evidence, and what to do. All text from the bundle is HTML-escaped.

use std::io::{self, Write};

use chrono::{DateTime, Utc};

use super::bundle::{by_gateway, remediations, signatures_of};
use crate::incident::Incident;
use crate::sanitize::for_terminal;
use crate::signature::Severity;

/// Text made safe for HTML (control characters and escape sequences
/// stripped first).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in for_terminal(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn colour(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "#b00020",
        Severity::Error => "#e65100",
        Severity::Warning => "#f9a825",
        Severity::Info => "#1565c0",
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:72em}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap;word-break:break-all}\
.sev{color:#fff;padding:0 .4em;border-radius:.2em}";

/// Chart geometry: label column, plot width, row height.
const LABEL: f64 = 260.0;
const PLOT: f64 = 640.0;
const ROW: f64 = 26.0;

/// Writes the report.
pub fn html(
    out: &mut impl Write,
    summary: &str,
    incidents: &[Incident],
    healthy: &[String],
) -> io::Result<()> {
    let order = by_gateway(incidents);
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>aks-gw-logs bundle analysis</title><style>{STYLE}</style></head><body>"
    )?;
    writeln!(out, "<h1>Bundle analysis</h1>\n<p>{}</p>", esc(summary))?;
    writeln!(
        out,
        "<h2>Gateways</h2>\n<table><tr><th>Gateway</th><th>Worst</th><th>Incidents</th><th>Signatures</th></tr>"
    )?;
    for (gw, list) in &order {
        let sev = list[0].severity;
        writeln!(
            out,
            "<tr><td>{}</td><td><span class=\"sev\" style=\"background:{}\">{}</span></td><td>{}</td><td>{}</td></tr>",
            esc(gw),
            colour(sev),
            sev.as_str(),
            list.len(),
            esc(&signatures_of(list))
        )?;
    }
    for gw in healthy {
        writeln!(
            out,
            "<tr><td>{}</td><td>ok</td><td>0</td><td>no incident found</td></tr>",
            esc(gw)
        )?;
    }
    writeln!(out, "</table>")?;
    if !incidents.is_empty() {
        timeline(out, &order)?;
    }
    for (gw, list) in &order {
        writeln!(out, "<h2>{}</h2>\n<ul>", esc(gw))?;
        for inc in list {
            write!(
                out,
                "<li><span class=\"sev\" style=\"background:{}\">{}</span> <code>{}</code> x{} on <code>{}</code>: {}",
                colour(inc.severity),
                inc.severity.as_str(),
                esc(&inc.signature),
                inc.count,
                esc(&inc.object.to_string()),
                esc(&inc.title)
            )?;
            if let Some(s) = inc.samples.first() {
                write!(
                    out,
                    "<br>evidence <code>{}</code><pre>{}</pre>",
                    esc(&s.place()),
                    esc(&s.text)
                )?;
            }
            writeln!(out, "</li>")?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "<h2>What to do</h2>")?;
    for inc in remediations(&order) {
        writeln!(
            out,
            "<h3><code>{}</code></h3>\n<p>{}</p>\n<pre>{}</pre>",
            esc(&inc.signature),
            esc(&inc.guide_step),
            esc(&inc.remediation)
        )?;
    }
    writeln!(out, "</body></html>")
}

/// The SVG timeline: one row per Gateway, a bar per incident.
fn timeline(out: &mut impl Write, order: &[(String, Vec<&Incident>)]) -> io::Result<()> {
    let all = order.iter().flat_map(|(_, l)| l.iter());
    let start = all.clone().map(|i| i.first_seen).min().expect("incidents");
    let end = all.map(|i| i.last_seen).max().expect("incidents");
    let span = (end - start).num_milliseconds().max(1) as f64;
    let x = |t: DateTime<Utc>| LABEL + PLOT * (t - start).num_milliseconds() as f64 / span;
    let height = ROW * (order.len() as f64 + 1.0);
    let stamp = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    writeln!(out, "<h2>Timeline</h2>")?;
    writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-size=\"12\">",
        LABEL + PLOT + 20.0
    )?;
    for (row, (gw, list)) in order.iter().enumerate() {
        let y = ROW * row as f64;
        writeln!(out, "<text x=\"4\" y=\"{}\">{}</text>", y + 16.0, esc(gw))?;
        for inc in list {
            let (x0, x1) = (x(inc.first_seen), x(inc.last_seen));
            writeln!(
                out,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"16\" fill=\"{}\" opacity=\"0.8\"><title>{} x{}: {} .. {}</title></rect>",
                y + 4.0,
                (x1 - x0).max(3.0),
                colour(inc.severity),
                esc(&inc.signature),
                inc.count,
                stamp(inc.first_seen),
                stamp(inc.last_seen)
            )?;
        }
    }
    let axis = ROW * order.len() as f64 + 16.0;
    writeln!(
        out,
        "<text x=\"{LABEL}\" y=\"{axis}\">{}</text>",
        stamp(start)
    )?;
    writeln!(
        out,
        "<text x=\"{}\" y=\"{axis}\" text-anchor=\"end\">{}</text>",
        LABEL + PLOT,
        stamp(end)
    )?;
    writeln!(out, "</svg>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_text_cannot_become_markup() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("a\u{1b}[31mred"), "ared");
    }
}
