//! `aks-gw-logs incident search|show|stats`: reading the incident store.
//! Tables fit a terminal line per incident; `--json` prints incidents as the
//! store keeps them. Text from logs is sanitised before it is printed.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::ExitStatus;
use crate::cli::IncidentFilter;
use crate::incident::{Incident, State};
use crate::output::Style;
use crate::sanitize::for_terminal;
use crate::store::{Search, Stats, Store};
use crate::when::parse_time;

/// The search a command line asks for, or why it is wrong.
pub fn search_of(
    query: Option<&str>,
    filter: &IncidentFilter,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Search, String> {
    let time = |flag: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|v| parse_time(v, now).map_err(|e| format!("--{flag}: {e}")))
            .transpose()
    };
    Ok(Search {
        text: query.unwrap_or("").to_string(),
        signatures: filter.signature.clone(),
        severity: filter.severity.map(|s| s.severity()),
        namespace: filter.namespace.clone(),
        gateway: filter.gateway.clone(),
        cluster: filter.cluster.clone(),
        since: time("since", &filter.since)?,
        until: time("until", &filter.until)?,
        limit,
    })
}

/// `incident search`.
pub fn search(
    store: &Store,
    search: &Search,
    json: bool,
    style: Style,
) -> anyhow::Result<ExitStatus> {
    let found = store.search(search)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    if json {
        for inc in &found {
            writeln!(out, "{}", serde_json::to_string(inc)?)?;
        }
    } else if found.is_empty() {
        writeln!(
            out,
            "no incidents match (the store at {} holds {})",
            store.dir().display(),
            store.len()
        )?;
    } else {
        writeln!(
            out,
            "{}",
            style.bold(&format!(
                "{:<12}  {:<17}  {:<8}  {:>6}  {:<32}  {}",
                "ID", "LAST SEEN (UTC)", "SEVERITY", "COUNT", "SIGNATURE", "OBJECT / TITLE"
            ))
        )?;
        for inc in &found {
            writeln!(
                out,
                "{:<12}  {:<17}  {}  {:>6}  {:<32}  {} {}",
                &inc.id[..12],
                inc.last_seen.format("%Y-%m-%d %H:%M"),
                style.severity(inc.severity),
                inc.count,
                inc.signature,
                for_terminal(&inc.object.to_string()),
                style.dim(&truncate(&for_terminal(&inc.title), 60)),
            )?;
        }
        let total = store.count(search)?;
        if total > found.len() as u64 {
            writeln!(
                out,
                "({} of {total} shown; --limit N for more)",
                found.len()
            )?;
        }
    }
    out.flush()?;
    Ok(ExitStatus::Ok)
}

/// `incident show`.
pub fn show(store: &Store, id: &str, json: bool, style: Style) -> anyhow::Result<ExitStatus> {
    let Some(inc) = store.get(id)? else {
        anyhow::bail!(
            "no incident {id:?} in the store at {}; `aks-gw-logs incident search` lists them",
            store.dir().display()
        );
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    if json {
        writeln!(out, "{}", serde_json::to_string(&inc)?)?;
    } else {
        write_incident(&mut out, &inc, style)?;
    }
    out.flush()?;
    Ok(ExitStatus::Ok)
}

fn write_incident(out: &mut impl Write, inc: &Incident, style: Style) -> io::Result<()> {
    let t = |ts: DateTime<Utc>| ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    writeln!(
        out,
        "{} {}  {}  {}",
        style.bold("Incident"),
        inc.id,
        style.severity(inc.severity),
        inc.signature
    )?;
    writeln!(out, "  {}", for_terminal(&inc.title))?;
    writeln!(out, "Object:     {}", for_terminal(&inc.object.to_string()))?;
    writeln!(out, "Cluster:    {}", for_terminal(&inc.cluster))?;
    if let Some(gw) = &inc.gateway {
        writeln!(out, "Gateway:    {}", for_terminal(gw))?;
    }
    let state = match inc.state {
        State::Open => "open",
        State::Closed => "closed",
    };
    writeln!(
        out,
        "Seen:       {} .. {} ({}, {} hit{}), {state}",
        t(inc.first_seen),
        t(inc.last_seen),
        human_duration(inc.duration()),
        inc.count,
        if inc.count == 1 { "" } else { "s" }
    )?;
    if !inc.pods.is_empty() {
        writeln!(out, "Pods:       {}", for_terminal(&inc.pods.join(", ")))?;
    }
    if let Some(prev) = &inc.previous {
        writeln!(
            out,
            "Previous:   {prev} (the same failure, before a quiet spell)"
        )?;
    }
    if !inc.details.is_empty() {
        let details: Vec<String> = inc
            .details
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        writeln!(out, "Details:    {}", for_terminal(&details.join("  ")))?;
    }
    writeln!(out, "{}", style.bold("Samples:"))?;
    for s in &inc.samples {
        let when = s.ts.map(t).unwrap_or_else(|| "-".into());
        writeln!(out, "  {}  {}", for_terminal(&s.place()), style.dim(&when))?;
        writeln!(out, "    {}", for_terminal(&s.text))?;
    }
    if !inc.guide_step.is_empty() {
        writeln!(
            out,
            "{} {}",
            style.bold("Guide step:"),
            for_terminal(&inc.guide_step)
        )?;
    }
    writeln!(out, "{}", style.bold("What to do:"))?;
    for line in inc.remediation.lines() {
        writeln!(out, "  {}", for_terminal(line))?;
    }
    Ok(())
}

/// `incident stats`.
pub fn stats(
    store: &Store,
    search: &Search,
    json: bool,
    style: Style,
) -> anyhow::Result<ExitStatus> {
    let stats = store.stats(search)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    if json {
        let value = json!({
            "incidents": stats.incidents,
            "by_signature": stats.by_signature.iter().map(|(k, n)| json!({"signature": k, "incidents": n})).collect::<Vec<_>>(),
            "by_gateway": stats.by_gateway.iter().map(|(k, n)| json!({"gateway": k, "incidents": n})).collect::<Vec<_>>(),
            "bucket_seconds": stats.bucket_seconds,
            "histogram": stats.histogram.iter().map(|b| json!({"start": b.start, "incidents": b.count})).collect::<Vec<_>>(),
        });
        writeln!(out, "{value}")?;
    } else {
        write_stats(&mut out, &stats, style)?;
    }
    out.flush()?;
    Ok(ExitStatus::Ok)
}

/// Width of the longest histogram bar.
const BAR: u64 = 50;

fn write_stats(out: &mut impl Write, stats: &Stats, style: Style) -> io::Result<()> {
    writeln!(out, "{} incidents", stats.incidents)?;
    if stats.incidents == 0 {
        return Ok(());
    }
    for (title, rows) in [
        ("By signature", &stats.by_signature),
        ("By Gateway", &stats.by_gateway),
    ] {
        writeln!(out, "\n{}", style.bold(title))?;
        for (name, n) in rows {
            writeln!(out, "  {n:>8}  {}", for_terminal(name))?;
        }
    }
    writeln!(
        out,
        "\n{}",
        style.bold(&format!(
            "Over time (first hit, UTC; one bar per {})",
            human_duration(chrono::Duration::seconds(stats.bucket_seconds))
        ))
    )?;
    let max = stats
        .histogram
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    for b in &stats.histogram {
        let width = (b.count * BAR).div_ceil(max) as usize;
        writeln!(
            out,
            "  {}  {:<w$}  {}",
            b.start.format("%Y-%m-%d %H:%M"),
            "█".repeat(width),
            b.count,
            w = BAR as usize
        )?;
    }
    Ok(())
}

/// `1h 5m`, `3d 2h`, `45s`.
fn human_duration(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    let (days, hours, mins, secs) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_titles_fit_a_line() {
        assert_eq!(human_duration(chrono::Duration::seconds(42)), "42s");
        assert_eq!(human_duration(chrono::Duration::seconds(3900)), "1h 5m");
        assert_eq!(
            human_duration(chrono::Duration::seconds(3 * 86_400 + 7200)),
            "3d 2h"
        );
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
