//! `report.html`: one self-contained page per replay or comparison, for people who were not at the
//! terminal: the scenario's description, the summary table, the charts (inline SVG), the actions
//! timeline and the thread dumps. No scripts, no external style sheets, no network fetches.
//!
//! The page is built only from files the run already wrote (charts, thread dumps) and from the
//! summaries, so it is as deterministic as they are.

use crate::compare::ComparisonTable;
use crate::error::Error;
use crate::metrics::summary_out::Summary;
use crate::metrics::{atomic, charts};
use crate::scenario::Scenario;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What the report covers.
pub struct ReportInput<'a> {
    /// The scenario that ran.
    pub scenario: &'a Scenario,
    /// The master seed.
    pub seed: u64,
    /// The output folder (policy folders are `dir/<policy>/`).
    pub dir: &'a Path,
    /// One summary per policy, in output order.
    pub summaries: &'a [Summary],
    /// The comparison table, for `compare`.
    pub comparison: Option<&'a ComparisonTable>,
    /// Whether charts were drawn (stale chart files of an earlier run are not embedded).
    pub charts: bool,
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1260px;color:#222;line-height:1.4}\
h1{font-size:26px;margin-bottom:4px}h2{font-size:21px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}\
h3{font-size:17px}.meta{color:#555}table{border-collapse:collapse;margin:8px 0}\
th,td{border:1px solid #ccc;padding:4px 10px;font-size:14px}td.num{text-align:right;font-variant-numeric:tabular-nums}\
th{background:#f2f2f2;text-align:left}figure{margin:12px 0}figure svg{max-width:100%;height:auto;border:1px solid #ddd}\
pre{background:#f7f7f7;border:1px solid #ddd;padding:8px;font-size:12px;max-height:700px;overflow:auto}";

/// Writes `dir/report.html` and returns its path.
pub fn write_report(input: &ReportInput) -> Result<PathBuf, Error> {
    let path = input.dir.join("report.html");
    let html = render(input)?;
    atomic::write_bytes(&path, html.as_bytes())?;
    Ok(path)
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The page text.
pub fn render(input: &ReportInput) -> Result<String, Error> {
    let scenario = input.scenario;
    let policies: Vec<&str> = input.summaries.iter().map(|s| s.policy.as_str()).collect();
    let kind = if input.comparison.is_some() { "comparison" } else { "replay" };
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>hbsim {kind}: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&scenario.name)
    );
    let _ = writeln!(html, "<h1>hbsim {kind}: {}</h1>", escape(&scenario.name));
    let _ = writeln!(
        html,
        "<p class=\"meta\">policies {} &middot; seed {} &middot; duration {} &middot; scenario hash {:016x} &middot; hbsim {}</p>",
        escape(&policies.join(", ")),
        input.seed,
        format_clock(scenario.duration_ns),
        scenario.source_hash,
        env!("CARGO_PKG_VERSION")
    );
    if !scenario.description.is_empty() {
        let _ = writeln!(html, "<p>{}</p>", escape(&scenario.description));
    }
    html.push_str("<h2>Summary</h2>\n");
    html.push_str(&summary_table(input.summaries));
    if let Some(table) = input.comparison {
        html.push_str("<h2>Comparison</h2>\n");
        html.push_str(&comparison_table(table));
        if input.charts {
            for stem in charts::COMPARE_CHARTS {
                html.push_str(&figure(&input.dir.join(format!("{stem}.svg")))?);
            }
        }
    }
    html.push_str("<h2>Actions</h2>\n");
    html.push_str(&actions_table(scenario));
    if input.charts {
        for summary in input.summaries {
            let _ = writeln!(html, "<h2>Charts: policy {}</h2>", escape(&summary.policy));
            let policy_dir = input.dir.join(&summary.policy);
            for stem in charts::POLICY_CHARTS {
                html.push_str(&figure(&policy_dir.join(format!("{stem}.svg")))?);
            }
            // Multi-broker runs also have the per-broker chart.
            let brokers_svg = policy_dir.join(format!("{}.svg", charts::BROKER_CHART));
            if brokers_svg.is_file() {
                html.push_str(&figure(&brokers_svg)?);
            }
        }
    }
    html.push_str("<h2>Thread dumps</h2>\n");
    for summary in input.summaries {
        let path = input.dir.join(&summary.policy).join("thread-dumps.txt");
        let text = read(&path)?;
        let _ = writeln!(html, "<h3>policy {}</h3>\n<pre>{}</pre>", escape(&summary.policy), escape(&text));
    }
    html.push_str("</body>\n</html>\n");
    Ok(html)
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// An SVG chart inlined (plotters writes a bare `<svg>` element with a viewBox).
fn figure(svg_path: &Path) -> Result<String, Error> {
    let svg = read(svg_path)?;
    let start = svg.find("<svg").unwrap_or(0);
    Ok(format!("<figure>\n{}\n</figure>\n", svg[start..].trim_end()))
}

/// `h:mm:ss` of a virtual time.
fn format_clock(ns: u64) -> String {
    let s = ns / 1_000_000_000;
    let millis = (ns % 1_000_000_000) / 1_000_000;
    if millis == 0 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}:{:02}.{millis:03}", s / 3600, s / 60 % 60, s % 60)
    }
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(|| "never".into(), |v| format!("{v:.3}"))
}

/// Figures down, policies across: the page stays narrow however many figures there are.
fn summary_table(summaries: &[Summary]) -> String {
    type Row = (&'static str, fn(&Summary) -> String);
    let rows: [Row; 19] = [
        ("lag_max [messages]", |s| s.lag_max.to_string()),
        ("lag_max_time_s", |s| format!("{:.3}", s.lag_max_time_s)),
        ("lag_final [messages]", |s| s.lag_final.to_string()),
        ("lag_mean [messages]", |s| format!("{:.3}", s.lag_mean)),
        ("time_to_recover_s", |s| optional(s.time_to_recover_s)),
        ("heartbeats_sent", |s| s.heartbeats_sent.to_string()),
        ("heartbeats_ok", |s| s.heartbeats_ok.to_string()),
        ("heartbeats_timed_out", |s| s.heartbeats_timed_out.to_string()),
        ("heartbeats_busy (SYSTEM_BUSY)", |s| s.heartbeats_busy.to_string()),
        ("heartbeat_timeout_ratio", |s| format!("{:.6}", s.heartbeat_timeout_ratio)),
        ("heartbeat_queue_len_max", |s| s.heartbeat_queue_len_max.to_string()),
        ("consumers_registered_min", |s| s.consumers_registered_min.to_string()),
        ("groups_in_table_max", |s| s.groups_in_table_max.to_string()),
        ("groups_in_table_final", |s| s.groups_in_table_final.to_string()),
        ("monitor_utilization", |s| format!("{:.6}", s.monitor_utilization)),
        ("monitor_hold_max_ms", |s| format!("{:.3}", s.monitor_hold_max_ms)),
        ("close_walks", |s| s.close_walks.to_string()),
        ("events", |s| s.events.to_string()),
        ("trace_hash", |s| s.trace_hash.clone()),
    ];
    let mut html = String::from("<table>\n<tr><th>figure</th>");
    for s in summaries {
        let _ = write!(html, "<th>{}</th>", escape(&s.policy));
    }
    html.push_str("</tr>\n");
    let levels = summaries.first().map(|s| {
        let mut keys: Vec<(u64, String)> = s
            .time_above_lag_s
            .keys()
            .map(|k| (k.parse().unwrap_or(u64::MAX), k.clone()))
            .collect();
        keys.sort();
        keys
    });
    for (name, value) in rows {
        let _ = write!(html, "<tr><td>{}</td>", escape(name));
        for s in summaries {
            let _ = write!(html, "<td class=\"num\">{}</td>", escape(&value(s)));
        }
        html.push_str("</tr>\n");
    }
    for (_, key) in levels.unwrap_or_default() {
        let _ = write!(html, "<tr><td>time above lag {} [s]</td>", escape(&key));
        for s in summaries {
            let seconds = s.time_above_lag_s.get(&key).copied().unwrap_or(0.0);
            let _ = write!(html, "<td class=\"num\">{seconds:.3}</td>");
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    html
}

fn comparison_table(table: &ComparisonTable) -> String {
    let mut html = String::from("<table>\n<tr>");
    for name in &table.header {
        // Long snake_case names may break after an underscore, so the table fits the page.
        let _ = write!(html, "<th>{}</th>", escape(name).replace('_', "_<wbr>"));
    }
    html.push_str("</tr>\n");
    for row in &table.rows {
        html.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"num\"" };
            let _ = write!(html, "<td{class}>{}</td>", escape(cell));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    html
}

fn actions_table(scenario: &Scenario) -> String {
    if scenario.actions.is_empty() {
        return "<p>The scenario schedules no actions.</p>\n".into();
    }
    let mut html = String::from("<table>\n<tr><th>time</th><th>action</th></tr>\n");
    for action in &scenario.actions {
        let _ = writeln!(
            html,
            "<tr><td class=\"num\">{}</td><td>{}</td></tr>",
            format_clock(action.at_ns),
            escape(&action.label)
        );
    }
    html.push_str("</table>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn clock_format() {
        assert_eq!(format_clock(85 * 60 * 1_000_000_000), "1:25:00");
        assert_eq!(format_clock(1_500_000_000), "0:00:01.500");
    }
}
