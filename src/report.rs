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
use crate::scenario::{ActionKind, Scenario};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What the report covers.
pub struct ReportInput<'a> {
    /// The scenario that ran.
    pub scenario: &'a Scenario,
    /// Its file, as the command line named it (for the commands the report suggests).
    pub scenario_path: &'a Path,
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
pre{background:#f7f7f7;border:1px solid #ddd;padding:8px;font-size:12px;max-height:700px;overflow:auto}\
figcaption{color:#444;font-size:14px;margin-top:4px}ul.story li{margin:4px 0}ul.story a{color:#134;text-decoration:none;border-bottom:1px dotted #789}\
table.meta td{font-family:monospace;font-size:13px;color:#555}";

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
    let mut timelines = Vec::new();
    for summary in input.summaries {
        let path = input.dir.join(&summary.policy).join("timeline.csv");
        timelines.push(charts::Timeline::read(&path)?);
    }
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>hbsim {kind}: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&scenario.name)
    );
    let _ = writeln!(html, "<h1>hbsim {kind}: {}</h1>", escape(&scenario.name));
    let _ = writeln!(
        html,
        "<p class=\"meta\">{} {} &#183; seed {} &#183; {} of virtual time</p>",
        if policies.len() == 1 { "policy" } else { "policies" },
        escape(&policies.join(", ")),
        input.seed,
        duration_words(scenario.duration_ns as f64 / 1e9),
    );
    if !scenario.description.is_empty() {
        let _ = writeln!(html, "<p>{}</p>", escape(&scenario.description));
    }
    html.push_str("<h2 id=\"what-happened\">What happened</h2>\n");
    for (summary, timeline) in input.summaries.iter().zip(&timelines) {
        let _ = writeln!(html, "<h3>policy {}</h3>\n<ul class=\"story\">", escape(&summary.policy));
        for (sentence, chart) in narrative(scenario, summary, timeline) {
            if input.charts {
                let _ = writeln!(html, "<li><a href=\"#{}\">{sentence}</a></li>", figure_id(&summary.policy, chart));
            } else {
                let _ = writeln!(html, "<li>{sentence}</li>");
            }
        }
        html.push_str("</ul>\n");
    }
    html.push_str(&rests_on(input));
    html.push_str("<h2 id=\"figures\">Figures</h2>\n");
    html.push_str(&summary_table(input.summaries, &timelines, scenario));
    if input.comparison.is_some() && input.charts {
        html.push_str("<h2 id=\"side-by-side\">Side by side</h2>\n");
        for stem in charts::COMPARE_CHARTS {
            html.push_str(&figure(&input.dir.join(format!("{stem}.svg")), stem, caption(stem))?);
        }
    }
    html.push_str("<h2 id=\"actions\">Actions</h2>\n");
    html.push_str(&actions_table(scenario));
    if input.charts {
        for summary in input.summaries {
            let _ = writeln!(html, "<h2>Charts: policy {}</h2>", escape(&summary.policy));
            let policy_dir = input.dir.join(&summary.policy);
            for stem in charts::POLICY_CHARTS {
                html.push_str(&figure(
                    &policy_dir.join(format!("{stem}.svg")),
                    &figure_id(&summary.policy, stem),
                    caption(stem),
                )?);
            }
            // Multi-broker runs also have the per-broker chart.
            let brokers_svg = policy_dir.join(format!("{}.svg", charts::BROKER_CHART));
            if brokers_svg.is_file() {
                html.push_str(&figure(
                    &brokers_svg,
                    &figure_id(&summary.policy, charts::BROKER_CHART),
                    "Per broker: the lag on each broker's queues and its BLOCKED heartbeat threads, one line per broker. A sick broker makes consumers drop their queues on every broker (their rebalance asks a random broker for the consumer ids).",
                )?);
            }
        }
    }
    html.push_str("<h2 id=\"thread-dumps\">Thread dumps</h2>\n");
    for summary in input.summaries {
        let path = input.dir.join(&summary.policy).join("thread-dumps.txt");
        let text = read(&path)?;
        let _ = writeln!(html, "<h3>policy {}</h3>\n<pre>{}</pre>", escape(&summary.policy), escape(&text));
    }
    html.push_str("<h2 id=\"metadata\">Run metadata</h2>\n");
    html.push_str(&metadata_table(input));
    html.push_str("</body>\n</html>\n");
    Ok(html)
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The anchor of a policy chart.
fn figure_id(policy: &str, stem: &str) -> String {
    let safe: String = policy.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("fig-{safe}-{stem}")
}

/// What a chart shows and what its series count.
fn caption(stem: &str) -> &'static str {
    match stem {
        "compare-lag" => "Consumer lag of every policy, on a linear scale (top) and a log scale (bottom), where a few hundred messages stay visible beside millions.",
        "compare-timeouts" => "Heartbeats that timed out at the client in each sample interval.",
        "lag" => "Consumer lag: messages produced but not yet consumed, in total and per group. A small constant floor (80 messages under fixed in the incident, until the scale-out) is no backlog: producers send a batch every send_batch_interval (100 ms, a whole fraction of the 1 s sample interval), so every sample lands at the same phase of the send, pull and consume cycle and counts the same messages in flight. More consumers shorten the cycle and the floor goes to 0.",
        "consumers" => "Consumer instances running vs registered in the broker's consumer table. A consumer missing from the table gets no queues at rebalance: its queues are consumed by nobody.",
        "threads" => "Heartbeat executor threads by state (stacked; they add up to the pool size) and the heartbeat queue behind them.",
        "monitor" => "The ProducerManager monitor: the share of each interval it was owned and the threads waiting for it (top); which thread held it at each sample (bottom).",
        "netty" => "The NettyEventExecutor's queue of channel events (CONNECT, CLOSE, IDLE, EXCEPTION; RocketMQ drops events once 10,000 are queued) and the events dropped.",
        "latency" => "Heartbeat latency at the broker (queue wait + processing) of the heartbeats answered in each interval: median and 99th percentile, on a log scale.",
        "heartbeats" => "Top, stacked: heartbeats that ended in each interval, as the clients saw them: answered ok, or timed out (no answer within the RPC timeout). Bottom: SYSTEM_BUSY rejections by the broker, counted when the broker rejects, whether or not the client still waits (a rejection after the client's timeout is counted in both).",
        "table" => "Producer groups in ProducerManager's groupChannelTable, and how many are empty (the leak).",
        _ => "",
    }
}

/// An SVG chart inlined (plotters writes a bare `<svg>` element with a viewBox), with an anchor
/// and a caption.
fn figure(svg_path: &Path, id: &str, caption: &str) -> Result<String, Error> {
    let svg = read(svg_path)?;
    let start = svg.find("<svg").unwrap_or(0);
    Ok(format!(
        "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
        escape(id),
        svg[start..].trim_end(),
        escape(caption)
    ))
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

/// `h:mm:ss` of a time in seconds.
fn clock_s(seconds: f64) -> String {
    format_clock((seconds.max(0.0) * 1e9).round() as u64)
}

/// An integer with thousands separators: 8029909 → 8,029,909.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A span of time in words: 0.25 s → "250 ms", 1202 s → "20 min 2 s", 4894 s → "1 h 21 min 34 s".
pub fn duration_words(seconds: f64) -> String {
    if seconds < 1.0 {
        return format!("{} ms", (seconds * 1000.0).round());
    }
    if seconds < 60.0 {
        let text = format!("{seconds:.1}");
        return format!("{} s", text.trim_end_matches(".0"));
    }
    let total = seconds.round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 {
        parts.push(format!("{s} s"));
    }
    parts.join(" ")
}

/// A share as a percentage with one decimal (two below 1%).
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 1.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Milliseconds in words.
fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        duration_words(ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// The index of the last sample at or before `t` (0 if none).
fn sample_at(timeline: &charts::Timeline, t: f64) -> usize {
    timeline.time_s.iter().rposition(|x| *x <= t + 1e-9).unwrap_or(0)
}

fn value(timeline: &charts::Timeline, column: &str, i: usize) -> f64 {
    timeline.column(column).and_then(|c| c.get(i).copied()).unwrap_or(0.0)
}

/// Lag at or below the recovery level when the last restart came: recovery was never needed.
fn recovery_needed(scenario: &Scenario, summary: &Summary, timeline: &charts::Timeline) -> Option<(f64, bool)> {
    let restart = scenario
        .actions
        .iter()
        .rev()
        .find(|a| matches!(a.kind, ActionKind::RestartBroker(_)))?;
    let t = restart.at_ns as f64 / 1e9;
    let i = sample_at(timeline, t);
    let lag = value(timeline, "lag_total", i);
    Some((t, lag > summary.recover_lag_level as f64))
}

/// The generated "what happened": sentences (HTML) with the chart each one is read from.
pub fn narrative(scenario: &Scenario, summary: &Summary, timeline: &charts::Timeline) -> Vec<(String, &'static str)> {
    let mut story: Vec<(String, &'static str)> = Vec::new();
    let trigger = scenario
        .actions
        .iter()
        .find(|a| matches!(a.kind, ActionKind::DisconnectClients { .. }));
    let from_s = trigger.map_or(0.0, |a| a.at_ns as f64 / 1e9);
    if let Some(action) = trigger {
        story.push((
            format!("{}: the trigger, {}.", format_clock(action.at_ns), escape(&action.label)),
            "lag",
        ));
    }
    let n = timeline.time_s.len();
    let column = |name: &str| timeline.column(name).unwrap_or(&[]);
    let blocked = column("heartbeat_threads_blocked");
    let pool: Vec<f64> = (0..n)
        .map(|i| {
            value(timeline, "heartbeat_threads_blocked", i)
                + value(timeline, "heartbeat_threads_runnable", i)
                + value(timeline, "heartbeat_threads_idle", i)
        })
        .collect();
    let most_blocked = blocked.iter().copied().fold(0.0, f64::max);
    if most_blocked > 0.0 {
        let first = (0..n)
            .find(|&i| timeline.time_s[i] >= from_s && blocked[i] >= most_blocked)
            .or_else(|| (0..n).find(|&i| blocked[i] >= most_blocked))
            .unwrap_or(0);
        // The holder named is the one seen most often while threads were blocked.
        let mut counts: Vec<(String, usize)> = Vec::new();
        for i in (0..n).filter(|&i| blocked[i] > 0.0) {
            let holder = timeline.holders.get(i).cloned().unwrap_or_else(|| "none".into());
            if holder == "none" {
                continue;
            }
            match counts.iter_mut().find(|(h, _)| *h == holder) {
                Some((_, c)) => *c += 1,
                None => counts.push((holder, 1)),
            }
        }
        let holder = counts.iter().max_by_key(|(_, c)| *c).map(|(h, _)| h.clone());
        let blocked_samples = (0..n).filter(|&i| blocked[i] > 0.0).count();
        story.push((
            format!(
                "{}: {} of {} heartbeat threads BLOCKED on the ProducerManager monitor{}.",
                clock_s(timeline.time_s[first]),
                most_blocked as u64,
                pool.get(first).copied().unwrap_or(0.0) as u64,
                match &holder {
                    Some(h) => format!(
                        ", held by {} (the holder in {} of {} samples with a blocked thread)",
                        escape(h),
                        thousands(counts.iter().find(|(x, _)| x == h).map_or(0, |(_, c)| *c) as u64),
                        thousands(blocked_samples as u64)
                    ),
                    None => String::new(),
                }
            ),
            "threads",
        ));
        story.push((
            format!(
                "The monitor was owned {} of the run; the longest single hold was {}.",
                percent(summary.monitor_utilization),
                millis(summary.monitor_hold_max_ms)
            ),
            "monitor",
        ));
        let gaps = &summary.walker_gaps;
        if gaps.gaps > 0 {
            story.push((
                format!(
                    "Between two close walks with the next close already queued, heartbeat threads got the monitor in {} of {} gaps ({}){}.",
                    thousands(gaps.won_by_heartbeats),
                    thousands(gaps.gaps),
                    percent(gaps.won_share),
                    if gaps.won_by_heartbeats > 0 {
                        format!(
                            "; each time, {} registerProducer calls went through before the walker took it back",
                            thousands(gaps.registers_per_won_gap.round() as u64)
                        )
                    } else {
                        ": the walker took it straight back every time".into()
                    }
                ),
                "monitor",
            ));
        }
    } else {
        story.push(("No heartbeat thread ever blocked on the ProducerManager monitor.".into(), "threads"));
    }
    let registered = column("consumers_registered");
    let running = column("consumers_running");
    // Right after a restart every consumer re-registers from scratch: not "falling out".
    let restarts: Vec<f64> = scenario
        .actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::RestartBroker(_)))
        .map(|a| a.at_ns as f64 / 1e9)
        .collect();
    let settle_s = 2.0 * scenario.clients.heartbeat_interval.mean_ns() / 1e9;
    let missing: Vec<usize> = (0..n)
        .filter(|&i| registered.get(i) < running.get(i))
        .filter(|&i| {
            !restarts
                .iter()
                .any(|r| timeline.time_s[i] >= *r && timeline.time_s[i] <= r + settle_s)
        })
        .collect();
    match missing.first().copied() {
        Some(first) => {
            let low = missing
                .iter()
                .copied()
                .min_by(|&a, &b| registered[a].total_cmp(&registered[b]).then(a.cmp(&b)))
                .unwrap_or(first);
            story.push((
                format!(
                    "{}: consumers fell out of the broker's consumer table ({} of {} running still registered); fewest registered: {} of {} at {}.",
                    clock_s(timeline.time_s[first]),
                    registered[first] as u64,
                    running[first] as u64,
                    registered[low] as u64,
                    running[low] as u64,
                    clock_s(timeline.time_s[low])
                ),
                "consumers",
            ));
        }
        None => story.push((
            "Every running consumer stayed registered in the broker (apart from re-registering right after a restart).".into(),
            "consumers",
        )),
    }
    if summary.heartbeats_timed_out > 0 || summary.netty_events_dropped > 0 {
        story.push((
            format!(
                "{} of heartbeats timed out ({} of {} sent); the NettyEventExecutor queue reached {} events and {} were dropped.",
                percent(summary.heartbeat_timeout_ratio),
                thousands(summary.heartbeats_timed_out),
                thousands(summary.heartbeats_sent),
                thousands(summary.netty_queue_len_max),
                thousands(summary.netty_events_dropped)
            ),
            "heartbeats",
        ));
    } else {
        story.push((
            format!("No heartbeat timed out ({} sent).", thousands(summary.heartbeats_sent)),
            "heartbeats",
        ));
    }
    story.push((
        format!(
            "Lag peaked at {} messages at {}.",
            thousands(summary.lag_max),
            clock_s(summary.lag_max_time_s)
        ),
        "lag",
    ));
    let lag = column("lag_total");
    for (k, action) in scenario.actions.iter().enumerate() {
        if trigger.is_some_and(|t| std::ptr::eq(t, action)) || action.at_ns > scenario.duration_ns {
            continue;
        }
        let t = action.at_ns as f64 / 1e9;
        let next = scenario.actions.get(k + 1).map_or(f64::INFINITY, |a| a.at_ns as f64 / 1e9);
        let until = next.min(t + 600.0).min(scenario.duration_ns as f64 / 1e9);
        let (i0, i1) = (sample_at(timeline, t), sample_at(timeline, until));
        if lag.is_empty() {
            continue;
        }
        story.push((
            format!(
                "{}: {}; over the next {} lag went from {} to {} messages and registered consumers from {} to {}.",
                format_clock(action.at_ns),
                escape(&action.label),
                duration_words(until - t),
                thousands(lag[i0] as u64),
                thousands(lag[i1] as u64),
                registered.get(i0).copied().unwrap_or(0.0) as u64,
                registered.get(i1).copied().unwrap_or(0.0) as u64
            ),
            "lag",
        ));
    }
    match (recovery_needed(scenario, summary, timeline), summary.time_to_recover_s) {
        (Some((t, true)), Some(after)) => story.push((
            format!(
                "Recovered: after the restart at {}, lag was back at or below {} messages {} later, at {}.",
                clock_s(t),
                thousands(summary.recover_lag_level),
                duration_words(after),
                clock_s(t + after)
            ),
            "lag",
        )),
        (Some((t, true)), None) => story.push((
            format!(
                "Not recovered: after the restart at {}, lag never came back to {} messages (it ended at {}).",
                clock_s(t),
                thousands(summary.recover_lag_level),
                thousands(summary.lag_final)
            ),
            "lag",
        )),
        (Some((_, false)), _) | (None, _) => story.push((
            format!(
                "Nothing to recover from: lag {} messages when it mattered (it ended at {}).",
                if summary.lag_max <= summary.recover_lag_level {
                    format!("never went above {}", thousands(summary.recover_lag_level))
                } else {
                    format!("was at or below {}", thousands(summary.recover_lag_level))
                },
                thousands(summary.lag_final)
            ),
            "lag",
        )),
    }
    story
}

/// Figures down, policies across: the page stays narrow however many figures there are.
fn summary_table(summaries: &[Summary], timelines: &[charts::Timeline], scenario: &Scenario) -> String {
    type Row = (&'static str, fn(&Summary) -> String);
    let rows: [Row; 18] = [
        ("Largest consumer lag", |s| format!("{} messages", thousands(s.lag_max))),
        ("… reached at", |s| clock_s(s.lag_max_time_s)),
        ("Mean consumer lag", |s| {
            format!("{} messages", thousands(s.lag_mean.round() as u64))
        }),
        ("Consumer lag at the end", |s| format!("{} messages", thousands(s.lag_final))),
        ("Heartbeats sent", |s| thousands(s.heartbeats_sent)),
        ("… answered ok", |s| thousands(s.heartbeats_ok)),
        ("… timed out at the client", |s| {
            format!("{} ({})", thousands(s.heartbeats_timed_out), percent(s.heartbeat_timeout_ratio))
        }),
        ("Heartbeat response at the broker, p50 / p90 / p99", |s| {
            format!(
                "{} / {} / {}",
                millis(s.heartbeat_latency_p50_ms),
                millis(s.heartbeat_latency_p90_ms),
                millis(s.heartbeat_latency_p99_ms)
            )
        }),
        ("SYSTEM_BUSY rejections by the broker", |s| thousands(s.heartbeats_busy)),
        ("Longest heartbeat queue", |s| {
            format!("{} requests", thousands(s.heartbeat_queue_len_max))
        }),
        ("Longest NettyEventExecutor queue", |s| {
            format!("{} events", thousands(s.netty_queue_len_max))
        }),
        ("Channel events dropped", |s| thousands(s.netty_events_dropped)),
        ("Fewest consumers registered", |s| s.consumers_registered_min.to_string()),
        ("Producer groups in the table (largest / at the end)", |s| {
            format!("{} / {}", thousands(s.groups_in_table_max), thousands(s.groups_in_table_final))
        }),
        ("ProducerManager monitor owned", |s| {
            format!("{} of the time", percent(s.monitor_utilization))
        }),
        ("Longest monitor hold", |s| millis(s.monitor_hold_max_ms)),
        ("Close walks (whole-table scans under the monitor)", |s| thousands(s.close_walks)),
        ("Gaps between close walks won by heartbeat threads", |s| {
            let g = &s.walker_gaps;
            format!(
                "{} of {} ({})",
                thousands(g.won_by_heartbeats),
                thousands(g.gaps),
                percent(g.won_share)
            )
        }),
    ];
    let mut html = String::from("<table class=\"figures\">\n<tr><th>figure</th>");
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
    for (level, key) in levels.unwrap_or_default() {
        let _ = write!(html, "<tr><td>Time with lag above {} messages</td>", thousands(level));
        for s in summaries {
            let seconds = s.time_above_lag_s.get(&key).copied().unwrap_or(0.0);
            let text = if seconds == 0.0 { "none".into() } else { duration_words(seconds) };
            let _ = write!(html, "<td class=\"num\">{text}</td>");
        }
        html.push_str("</tr>\n");
    }
    html.push_str("<tr><td>Time to recover after the restart</td>");
    for (s, timeline) in summaries.iter().zip(timelines) {
        let text = match (recovery_needed(scenario, s, timeline), s.time_to_recover_s) {
            (None, _) => "no restart".to_string(),
            (Some((_, false)), _) => "not needed".to_string(),
            (Some((_, true)), Some(after)) => duration_words(after),
            (Some((_, true)), None) => "never".to_string(),
        };
        let _ = write!(html, "<td class=\"num\">{}</td>", escape(&text));
    }
    html.push_str("</tr>\n</table>\n");
    html
}

/// "What this answer rests on": the `[broker]` values that decide whether the close-walk loop
/// tips, where each came from and how it stands against the JVM harness's measurements
/// ([`crate::basis`]), the calibration's host, the plausibility warnings, and a sweep command
/// over the values that lie outside what was measured.
fn rests_on(input: &ReportInput) -> String {
    use crate::basis::{against_words, basis, Against, Source};
    let scenario = input.scenario;
    let rows = basis(scenario);
    let mut html = String::from("<h2 id=\"rests-on\">What this answer rests on</h2>\n");
    match &scenario.calibration {
        Some(cal) => {
            let _ = writeln!(
                html,
                "<p>The <code>[broker]</code> values come from the calibration <code>{}</code>{}, beneath the scenario's own keys.</p>",
                escape(&cal.file),
                escape(&calibration_host(&cal.meta)),
            );
        }
        None => html.push_str(
            "<p>No calibration file: these are the scenario's own values and hbsim's defaults. \
             <code>hbsim calibrate</code> measures them on your own JVM and host (docs/calibration.md).</p>\n",
        ),
    }
    html.push_str(
        "<p>Whether the close-walk loop tips (heartbeat threads blocked behind the walks, heartbeats timing out, \
         timed-out clients closing their sockets: more walks) depends on the values below. They belong to the host \
         and the JVM, not to RocketMQ. The measurements are the JVM harness's (<code>calibration/jvm/</code>: idle \
         2-core OpenJDK 17 hosts, docs/calibration.md).</p>\n",
    );
    html.push_str(
        "<table>\n<tr><th>key</th><th>what it is</th><th>this run</th><th>from</th><th>measured</th><th>this run against it</th></tr>\n",
    );
    for row in &rows {
        let from = match row.source {
            Source::Scenario => "the scenario".to_string(),
            Source::Calibration => "the calibration".to_string(),
            Source::Default => format!("default: {}", row.default_status),
        };
        let _ = writeln!(
            html,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            row.key,
            escape(row.what),
            escape(&row.value),
            escape(&from),
            escape(row.measured),
            match row.against {
                Against::Above(_) | Against::Below(_) => format!("<strong>{}</strong>", escape(&against_words(row.against))),
                _ => escape(&against_words(row.against)),
            },
        );
    }
    html.push_str("</table>\n");
    if scenario.brokers.len() > 1 {
        let _ = writeln!(
            html,
            "<p>These are <code>[broker]</code>'s values; the cluster's {} brokers start from them, and \
             <code>[[broker_overrides]]</code> may set others for some of them.</p>",
            scenario.brokers.len()
        );
    }
    let outside: Vec<&crate::basis::Basis> = rows
        .iter()
        .filter(|r| matches!(r.against, Against::Above(_) | Against::Below(_)))
        .collect();
    if outside.is_empty() {
        html.push_str("<p>Every value compared lies within what the harness measured.</p>\n");
    } else {
        let names: Vec<String> = outside.iter().map(|r| format!("<code>{}</code>", r.key)).collect();
        let _ = writeln!(
            html,
            "<p>{} of these values lie outside what the harness measured ({}): the answer above holds for a host \
             and JVM with those values, not for one measured.</p>",
            outside.len(),
            names.join(", "),
        );
        if let Some(command) = sweep_command(input, &outside) {
            let _ = writeln!(
                html,
                "<p>Where the answer flips, seeds collapsed per cell from the measured values to this run's \
                 (docs/calibration.md, \"Sensitivity\"):</p>\n<pre>{}</pre>",
                escape(&command)
            );
            if let Some(at) = first_restart(scenario) {
                let _ = writeln!(
                    html,
                    "<p>A sweep calls a run collapsed when most heartbeats of its last quarter failed, and this \
                     scenario restarts the broker at {}: in a copy, move that restart to the end first.</p>",
                    format_clock(at)
                );
            }
        }
    }
    if let Some(command) = heartbeat_jvms_command(input) {
        let _ = writeln!(
            html,
            "<p>The calibration's JVMs ran the heartbeat at costs far apart (two compilations of \
             <code>ConcurrentHashMap.putVal</code>, docs/calibration.md); whether the answer holds at the \
             others':</p>\n<pre>{}</pre>",
            escape(&command)
        );
    }
    let warnings = crate::scenario::plausibility_warnings(scenario);
    if !warnings.is_empty() {
        html.push_str("<p>Warnings about the scenario's values:</p>\n<ul>\n");
        for w in warnings {
            let _ = writeln!(html, "<li>{}</li>", escape(&w));
        }
        html.push_str("</ul>\n");
    }
    html
}

/// The calibration's host in words, from its `[meta]`: " (measured on 2 × Intel(R) Xeon(R)
/// Processor, Linux 6.18, OpenJDK 17.0.15, 1-minute load 0.77, a quick run)".
fn calibration_host(meta: &toml::Table) -> String {
    let text = |k: &str| meta.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
    let int = |k: &str| meta.get(k).and_then(|v| v.as_integer());
    let mut parts = Vec::new();
    match (int("cpus"), text("cpu_model")) {
        (Some(n), Some(model)) => parts.push(format!("{n} × {model}")),
        (Some(n), None) => parts.push(format!("{n} CPUs")),
        (None, Some(model)) => parts.push(model.to_string()),
        (None, None) => {}
    }
    parts.extend(text("os").map(str::to_string));
    parts.extend(text("jvm_version").or(text("jvm")).map(str::to_string));
    if let Some(load) = text("loadavg_before").and_then(|l| l.split_whitespace().next()) {
        parts.push(format!("1-minute load {load}"));
    } else if let Some(load) = text("loadavg") {
        parts.push(format!("load: {load}"));
    }
    if let Some(n) = int("busy_threads").filter(|n| *n > 0) {
        parts.push(format!("{n} busy threads"));
    }
    if let Some(mb) = int("cache_pressure_mb").filter(|n| *n > 0) {
        parts.push(format!("{mb} MB of cache pressure"));
    }
    match meta.get("quick").and_then(|v| v.as_bool()) {
        Some(true) => parts.push("a quick run".into()),
        Some(false) => parts.push("a full run".into()),
        None => {}
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" (measured on {})", parts.join(", "))
    }
}

/// `hbsim sweep` over the first two values outside the measured range: each from its lowest and
/// highest measured value to this run's mean (a sweep sets constants), with this run marked.
fn sweep_command(input: &ReportInput, outside: &[&crate::basis::Basis]) -> Option<String> {
    let b = &input.scenario.broker;
    let axis = |key: &str| -> Option<(String, String)> {
        let range = crate::basis::MEASURED.iter().find(|r| r.key == key)?;
        let dist = crate::basis::measured_dist(b, key)?;
        // A sweep sets a constant: this run's mean stands for its distribution.
        let at = dist.mean_ns();
        let mut values = vec![sweep_value(range.low_ns), sweep_value(range.high_ns), sweep_value(at)];
        values.dedup();
        Some((values.join(","), sweep_value(at)))
    };
    let path = shell_path(input);
    let mut axes = outside.iter().filter_map(|r| axis(r.key).map(|a| (r.key, a)));
    let (k1, (v1, at1)) = axes.next()?;
    let mut command = format!("hbsim sweep {path} --policy leaky --seeds 3 \\\n  --param broker.{k1} --values {v1}");
    if let Some((k2, (v2, at2))) = axes.next() {
        let _ = write!(command, " \\\n  --param2 broker.{k2} --values2 {v2} --mark 'this run={at2},{at1}'");
    }
    Some(command)
}

/// A time [ns] as a `--values` item of `hbsim sweep` (`1.29us`).
fn sweep_value(ns: f64) -> String {
    crate::scenario::units::time_words(ns).replace(' ', "").replace('µ', "u")
}

/// The scenario's path as a shell word (quoted where it must be).
fn shell_path(input: &ReportInput) -> String {
    let path = input.scenario_path.display().to_string();
    if path.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
        format!("'{}'", path.replace('\'', "'\\''"))
    } else {
        path
    }
}

/// Where the calibration timed the settled heartbeat in JVMs at least [`JVM_SPREAD`] apart
/// ([`crate::basis::calibration_jvms`]): `hbsim sweep` over `heartbeat_cost` at each distinct
/// JVM's median, the calibration's own first (a sweep sets constants).
fn heartbeat_jvms_command(input: &ReportInput) -> Option<String> {
    let jvms = crate::basis::calibration_jvms(input.scenario)?;
    let (lo, hi) = jvms.iter().fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if hi < lo * JVM_SPREAD {
        return None;
    }
    let mut values: Vec<String> = Vec::new();
    for p50 in &jvms {
        let value = sweep_value(p50 * 1000.0);
        if !values.contains(&value) {
            values.push(value);
        }
    }
    Some(format!(
        "hbsim sweep {} --policy leaky --seeds 3 \\\n  --param broker.heartbeat_cost --values {}",
        shell_path(input),
        values.join(",")
    ))
}

/// The ratio between the calibration's fastest and slowest JVM above which the report offers a
/// sweep over them: the two modes on the validation host are 1.7-2 times apart, and JVMs of one
/// mode within 1.2 of each other (docs/validation-log.md, the forty-ninth session).
const JVM_SPREAD: f64 = 1.3;

/// The first broker restart before the run's end: a sweep grades the run's last quarter, which
/// a restart before it leaves recovering.
fn first_restart(scenario: &Scenario) -> Option<u64> {
    scenario
        .actions
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::RestartBroker(_)) && a.at_ns < scenario.duration_ns)
        .map(|a| a.at_ns)
        .min()
}

/// Hashes, versions and counts that identify a run, apart from the operator's figures.
fn metadata_table(input: &ReportInput) -> String {
    let mut html = String::from("<table class=\"meta\">\n<tr><th></th>");
    for s in input.summaries {
        let _ = write!(html, "<th>{}</th>", escape(&s.policy));
    }
    html.push_str("</tr>\n");
    type Row = (&'static str, fn(&Summary) -> String);
    let rows: [Row; 6] = [
        ("scenario hash", |s| s.scenario_hash.clone()),
        ("seed", |s| s.seed.to_string()),
        ("trace hash", |s| s.trace_hash.clone()),
        ("events handled", |s| thousands(s.events)),
        ("hbsim version", |s| s.hbsim_version.clone()),
        ("recovery level [messages]", |s| thousands(s.recover_lag_level)),
    ];
    for (name, value) in rows {
        let _ = write!(html, "<tr><td>{name}</td>");
        for s in input.summaries {
            let _ = write!(html, "<td class=\"num\">{}</td>", escape(&value(s)));
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
    fn figures_read_as_words() {
        assert_eq!(thousands(8_029_909), "8,029,909");
        assert_eq!(thousands(376), "376");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(duration_words(1202.0), "20 min 2 s");
        assert_eq!(duration_words(4894.0), "1 h 21 min 34 s");
        assert_eq!(duration_words(0.25), "250 ms");
        assert_eq!(duration_words(3.0), "3 s");
        assert_eq!(percent(0.541), "54.1%");
    }

    #[test]
    fn clock_format() {
        assert_eq!(format_clock(85 * 60 * 1_000_000_000), "1:25:00");
        assert_eq!(format_clock(1_500_000_000), "0:00:01.500");
    }
}
