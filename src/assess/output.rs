//! The three forms of the answer: a short text verdict, JSON for scripts, and a self-contained
//! HTML page in the style of report.html with the sensitivity picture (inline SVG).

use super::{Assessment, State, WhatIf};
use crate::report::escape;
use std::fmt::Write;

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "—".into(), |v| v.to_string())
}

fn hours(h: Option<f64>) -> String {
    match h {
        Some(h) if h <= 0.0 => "already there".into(),
        Some(h) => format!("{h:.1} h"),
        None => "—".into(),
    }
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "—",
    }
}

fn sim_line(w: &WhatIf) -> String {
    format!(
        "{} (timeouts {:.1}% of heartbeats; settled after {} s)",
        if w.simulated.collapsed { "collapses" } else { "recovers" },
        w.simulated.timeout_ratio * 100.0,
        w.simulated.stopped_at_s.saturating_sub(super::input::TRIGGER_AT_S)
    )
}

/// The text verdict.
pub fn text(a: &Assessment) -> String {
    let mut s = String::new();
    let i = &a.inputs;
    if i.clients > 0 {
        let host = if i.cpus > 0 {
            format!(", host: {} CPUs, {} busy threads", i.cpus, i.busy_threads)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "hbsim assess: {} broker(s) on {}, {} clients ({} consumers), {} heartbeat threads, {} producer groups in the table (+{:.1}/h){host}",
            i.brokers, i.version, i.clients, i.consumers, i.heartbeat_threads, i.groups, i.growth_per_hour
        );
    }
    let _ = writeln!(s, "verdict: {}", a.verdict);
    for r in &a.reasons {
        let _ = writeln!(s, "  - {r}");
    }
    for f in &a.jstack {
        let _ = writeln!(s, "thread dump {}:{}: {}", f.file, f.line, f.summary);
        if let Some(v) = &f.version_hint {
            let _ = writeln!(s, "  RocketMQ version: {v}");
        }
        for e in &f.evidence {
            let _ = writeln!(s, "  {}  {}", e.location, e.text);
        }
    }
    if i.clients > 0 {
        let e = &a.analytic;
        let _ = writeln!(
            s,
            "\n{:<44} {:<28} simulated (seed {}; searches: 2 of {} seeds)",
            "figure",
            "analytic",
            a.seed,
            super::SEARCH_SEEDS
        );
        let _ = writeln!(
            s,
            "{:<44} {:<28} {}",
            "loop gain K + ρ (≥ 1: self-sustaining)",
            format!("{:.2} (range {:.2} … {:.2})", e.sustain, a.gain_range.0, a.gain_range.1),
            match &a.trigger_simulated {
                Some(_) => "≥ 1 (a trigger tips it)".to_string(),
                None => "< 1 (no trigger tips it)".to_string(),
            }
        );
        let _ = writeln!(
            s,
            "{:<44} {:.3} / {:.0}",
            "  walk + gap per close [ms] / heartbeats/s", e.walk_cycle_ms, e.heartbeat_rate_per_s
        );
        let _ = writeln!(
            s,
            "{:<44} {:<28} {}",
            "state now (no trigger)",
            if e.sustain >= 1.0 { "metastable or worse" } else { "stable" },
            a.baseline
                .as_ref()
                .map_or("—", |b| if b.collapsed { "collapsing" } else { "runs normally" })
        );
        let _ = writeln!(
            s,
            "{:<44} {:<28} {}",
            "trigger: abnormal disconnects within 3 s",
            format!(
                "{} (range {} … {})",
                opt(&e.trigger_disconnects),
                opt(&a.trigger_range.0),
                opt(&a.trigger_range.1)
            ),
            match a.trigger_simulated {
                Some(n) => format!("{n}"),
                None => format!("none up to {}", a.trigger_largest_tried),
            }
        );
        let _ = writeln!(
            s,
            "{:<44} {:<28} {}",
            "table size at which it becomes metastable",
            opt(&e.metastable_groups.map(|g| g.round() as u64)),
            opt(&a.metastable_groups_simulated)
        );
        let _ = writeln!(
            s,
            "{:<44} {:<28} {}",
            "hours until the leak gets there",
            hours(a.hours_to_metastable.0),
            hours(a.hours_to_metastable.1)
        );
        let _ = writeln!(
            s,
            "{:<44} {:<28} {}",
            "recovers without a restart once tipped",
            if e.sustain >= 1.0 { "no" } else { "yes" },
            yes_no(a.recovers_without_restart)
        );
        if !a.burst_sources.is_empty() {
            let _ = writeln!(s, "\nwhat produces such a burst:");
            for b in &a.burst_sources {
                let _ = writeln!(s, "  - {b}");
            }
        }
        if let Some(r) = &a.reference {
            let _ = writeln!(
                s,
                "\nwhat to do (each simulated with a burst of {} abnormal disconnects; as it is: {}):",
                r.trigger,
                sim_line(r)
            );
            for (k, w) in a.recommendations.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "  {}. {}: K + ρ {:.2}; {}{}\n     {}",
                    k + 1,
                    w.action,
                    w.analytic.sustain,
                    sim_line(w),
                    if w.helps { "" } else { " — not enough alone" },
                    w.detail
                );
            }
            if a.inputs.growth_per_hour > 0.0 {
                let _ = writeln!(
                    s,
                    "  {}. stop creating producer groups: the table stops growing ({:.1}/h now); it does not shrink, so together with a restart (or an upgrade) it keeps the broker safe",
                    a.recommendations.len() + 1,
                    a.inputs.growth_per_hour
                );
            }
            let _ = writeln!(s, "does not help:");
            for w in &a.does_not_help {
                let _ = writeln!(
                    s,
                    "  - {}: K + ρ {:.2}; {}\n     {}",
                    w.action,
                    w.analytic.sustain,
                    sim_line(w),
                    w.detail
                );
            }
            let _ = writeln!(s, "sensitivity (the same burst at the ends of the parameter ranges):");
            if let Some(r) = &a.ranges {
                for line in range_lines(r) {
                    let _ = writeln!(s, "  {line}");
                }
                if a.sensitivity.is_empty() {
                    let _ = writeln!(s, "  - nothing to vary: each of the three is one measured value");
                }
            }
            for w in &a.sensitivity {
                let _ = writeln!(
                    s,
                    "  - {} ({}): K + ρ {:.2}; {}",
                    w.action,
                    w.detail,
                    w.analytic.sustain,
                    sim_line(w)
                );
            }
        }
    }
    if !a.assumptions.is_empty() {
        let _ = writeln!(s, "\nassumptions (defaults for what was not given):");
        for x in &a.assumptions {
            let _ = writeln!(s, "  - {x}");
        }
    }
    if let Some(line) = calibration_line(&a.calibration) {
        let _ = writeln!(s, "{line}");
    }
    let _ = writeln!(
        s,
        "exit code {} ({}); {} simulated runs",
        a.state.exit_code(),
        if a.state == State::Stable { "safe" } else { "at risk" },
        a.simulated_runs
    );
    s
}

/// The calibration's `[meta]` in one line: what decides how far it carries (JVM, host, load,
/// table); every key is in `--json`. A file without these keys is printed whole.
fn calibration_line(meta: &[String]) -> Option<String> {
    const KEYS: [&str; 8] = [
        "jvm",
        "cpu_model",
        "cpus",
        "busy_threads",
        "cache_pressure_mb",
        "table",
        "quick",
        "loadavg_before",
    ];
    if meta.is_empty() {
        return None;
    }
    let known: Vec<&String> = KEYS
        .iter()
        .filter_map(|k| meta.iter().find(|m| m.split_once(" = ").is_some_and(|(key, _)| key == *k)))
        .collect();
    let shown: Vec<&String> = if known.is_empty() { meta.iter().collect() } else { known };
    let rest = meta.len() - shown.len();
    let more = if rest > 0 {
        format!(" (and {rest} more in --json)")
    } else {
        String::new()
    };
    Some(format!(
        "calibration: {}{more}",
        shown.iter().map(|m| m.as_str()).collect::<Vec<_>>().join("; ")
    ))
}

/// The three uncertain parameters: the range each was varied over, or what pinned it.
fn range_lines(r: &super::analytic::Ranges) -> Vec<String> {
    let span = |(lo, hi): (f64, f64), unit: &str| {
        if lo == hi {
            format!("{lo:.0} {unit}")
        } else {
            format!("{lo:.0} … {hi:.0} {unit}")
        }
    };
    let mut out = vec![format!("walk per group: {} ({})", span(r.per_group_ns, "ns"), r.per_group_basis)];
    for (name, key, range, basis) in [
        (
            "wake-up",
            "monitor_wake_latency",
            r.wake_mean_us,
            "plausible range: issue #10, p50 40–90 µs",
        ),
        (
            "gap after a walk",
            "netty_event_gap",
            r.gap_mean_us,
            "plausible range: the incident files to the default",
        ),
    ] {
        if r.is_pinned(key) {
            out.push(format!("{name}: as calibrated, mean {} (pinned)", span(range, "µs")));
        } else {
            out.push(format!("{name}: exponential, mean {} ({basis})", span(range, "µs")));
        }
    }
    out
}

/// The JSON form.
pub fn json(a: &Assessment) -> String {
    serde_json::to_string_pretty(a).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1260px;color:#222;line-height:1.4}\
h1{font-size:26px;margin-bottom:4px}h2{font-size:21px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}\
.meta{color:#555}table{border-collapse:collapse;margin:8px 0}\
th,td{border:1px solid #ccc;padding:4px 10px;font-size:14px}td.num{text-align:right;font-variant-numeric:tabular-nums}\
th{background:#f2f2f2;text-align:left}figure{margin:12px 0}figure svg{max-width:100%;height:auto;border:1px solid #ddd}\
pre{background:#f7f7f7;border:1px solid #ddd;padding:8px;font-size:12px;overflow:auto}.risk{color:#b00020}.safe{color:#1b5e20}";

/// The HTML page.
pub fn html(a: &Assessment) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>hbsim assess</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>hbsim assess</h1>\n<p class=\"meta\">hbsim {} &middot; seed {} &middot; {} simulated runs</p>\n",
        a.hbsim_version, a.seed, a.simulated_runs
    );
    let class = if a.state == State::Stable { "safe" } else { "risk" };
    let _ = writeln!(h, "<h2>Verdict</h2>\n<p class=\"{class}\"><b>{}</b></p>\n<ul>", escape(&a.verdict));
    for r in &a.reasons {
        let _ = writeln!(h, "<li>{}</li>", escape(r));
    }
    h.push_str("</ul>\n");
    if !a.jstack.is_empty() {
        h.push_str("<h2>Thread dumps</h2>\n");
        for f in &a.jstack {
            let _ = writeln!(h, "<p><b>{}:{}</b>: {}</p>", escape(&f.file), f.line, escape(&f.summary));
            let mut pre = String::new();
            for e in &f.evidence {
                let _ = writeln!(pre, "{}  {}", e.location, e.text);
            }
            if !pre.is_empty() {
                let _ = writeln!(h, "<pre>{}</pre>", escape(&pre));
            }
        }
    }
    if a.inputs.clients > 0 {
        h.push_str("<h2>Figures</h2>\n");
        let text = text(a);
        let table: String = text
            .lines()
            .skip_while(|l| !l.starts_with("figure"))
            .take_while(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let _ = writeln!(h, "<pre>{}</pre>", escape(&table));
        h.push_str("<h2>Sensitivity</h2>\n<p>Loop gain K + ρ against the table size, at the central parameters and at the corners of the uncertain ranges (walk per group, wake latency, gap). Above 1 a backlog past the RPC timeout never drains by itself. The dot is the broker now.</p>\n");
        if let Some(r) = &a.ranges {
            h.push_str("<ul>\n");
            for line in range_lines(r) {
                let _ = writeln!(h, "<li>{}</li>", escape(&line));
            }
            h.push_str("</ul>\n");
        }
        h.push_str(&sensitivity_svg(a));
        h.push_str("<h2>What to do</h2>\n<table>\n<tr><th>action</th><th>K + ρ (analytic)</th><th>simulated, same burst</th><th>what it changes</th></tr>\n");
        let rows = a
            .reference
            .iter()
            .chain(&a.recommendations)
            .chain(&a.does_not_help)
            .chain(&a.sensitivity);
        for w in rows {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"num\">{:.2}</td><td>{}</td><td>{}</td></tr>",
                escape(&w.action),
                w.analytic.sustain,
                escape(&sim_line(w)),
                escape(&w.detail)
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Full text</h2>\n");
    let _ = writeln!(h, "<pre>{}</pre>\n</body>\n</html>", escape(&text(a)));
    h
}

/// K + ρ against the table size: central curve and the lowest/highest corners.
fn sensitivity_svg(a: &Assessment) -> String {
    let (w, hgt, left, bottom) = (720.0, 320.0, 60.0, 40.0);
    let g_now = a.inputs.groups as f64;
    let g_star = a.analytic.metastable_groups.unwrap_or(g_now);
    let g_max = (g_now.max(g_star) * 2.0).max(1000.0);
    let mut curves: Vec<(String, &'static str, f64, f64)> = Vec::new();
    let line_of = |sustain: f64, metastable: Option<f64>| -> (f64, f64) {
        // Through (G_now, sustain) and (G*, 1) when the walk grows with the table; flat otherwise.
        match metastable {
            Some(gs) if (gs - g_now).abs() > 1e-9 => {
                let slope = (1.0 - sustain) / (gs - g_now);
                (sustain - slope * g_now, slope)
            }
            _ => (sustain, 0.0),
        }
    };
    let (c0, c1) = line_of(a.analytic.sustain, a.analytic.metastable_groups);
    curves.push(("central".into(), "#1f77b4", c0, c1));
    let lowest = a.corners.iter().min_by(|x, y| x.estimate.sustain.total_cmp(&y.estimate.sustain));
    let highest = a.corners.iter().max_by(|x, y| x.estimate.sustain.total_cmp(&y.estimate.sustain));
    // One corner is the central curve itself (every range one measured value): drawn once.
    let corners = [("lowest corner", "#2ca02c", lowest), ("highest corner", "#d62728", highest)];
    for (name, color, c) in corners.into_iter().filter(|_| a.corners.len() > 1) {
        if let Some(c) = c {
            let (k0, k1) = line_of(c.estimate.sustain, c.estimate.metastable_groups);
            curves.push((format!("{name} ({:.0} ns/group)", c.per_group_ns), color, k0, k1));
        }
    }
    let y_max = curves.iter().map(|(_, _, k0, k1)| k0 + k1 * g_max).fold(2.0f64, f64::max).min(50.0);
    let x = |g: f64| left + (g / g_max) * (w - left - 20.0);
    let y = |k: f64| (hgt - bottom) - (k.clamp(0.0, y_max) / y_max) * (hgt - bottom - 20.0);
    let mut s = format!("<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {hgt}\" width=\"{w}\" height=\"{hgt}\" font-family=\"sans-serif\" font-size=\"12\">\n");
    let _ = writeln!(s, "<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{hgt}\" fill=\"white\"/>");
    let _ = writeln!(
        s,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        y(0.0),
        w - 20.0,
        y(0.0)
    );
    let _ = writeln!(s, "<line x1=\"{left}\" y1=\"20\" x2=\"{left}\" y2=\"{}\" stroke=\"#333\"/>", y(0.0));
    let _ = writeln!(
        s,
        "<line x1=\"{left}\" y1=\"{y1}\" x2=\"{}\" y2=\"{y1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{}\">K + ρ = 1</text>",
        w - 20.0,
        left + 4.0,
        y(1.0) - 4.0,
        y1 = y(1.0)
    );
    for k in 0..=4 {
        let g = g_max * f64::from(k) / 4.0;
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{:.0}</text>",
            x(g),
            hgt - bottom + 16.0,
            g
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">producer groups in the table</text>",
        (left + w) / 2.0,
        hgt - 6.0
    );
    for k in 0..=4 {
        let v = y_max * f64::from(k) / 4.0;
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{v:.1}</text>",
            left - 6.0,
            y(v) + 4.0
        );
    }
    for (idx, (name, color, k0, k1)) in curves.iter().enumerate() {
        // The loop gain is floored at 0 (then only ρ remains): a polyline, not one segment.
        let points: Vec<String> = (0..=60)
            .map(|k| {
                let g = g_max * f64::from(k) / 60.0;
                format!("{:.1},{:.1}", x(g), y(k0 + k1 * g))
            })
            .collect();
        let _ = writeln!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\" fill=\"{color}\">{}</text>",
            points.join(" "),
            left + 10.0,
            34.0 + 16.0 * idx as f64,
            escape(name)
        );
    }
    let _ = writeln!(
        s,
        "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"black\"/><text x=\"{}\" y=\"{}\">now: {} groups</text>",
        x(g_now),
        y(a.analytic.sustain),
        x(g_now) + 8.0,
        y(a.analytic.sustain) - 8.0,
        a.inputs.groups
    );
    s.push_str("</svg></figure>\n");
    s
}
