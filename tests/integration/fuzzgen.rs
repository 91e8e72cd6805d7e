//! Generators of hostile scenario input and the oracle that judges what `hbsim::scenario::parse`
//! does with it. Shared by the fuzz tests (`robustness.rs`) and the long standalone fuzz run
//! (`examples/fuzz_scenario.rs`, which includes this file with `#[path]`), so both try the same
//! classes of input. Everything is drawn from proptest strategies driven by a seeded ChaCha RNG.

#![allow(dead_code)]

use hbsim::error::Error;
use hbsim::run::{simulate, RunOptions};
use hbsim::scenario::Scenario;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// The real scenario files mutated by the third input class.
pub const SEED_FILES: &[(&str, &str)] = &[
    ("incident-2024-10.toml", include_str!("../../scenarios/incident-2024-10.toml")),
    ("every-action.toml", EVERY_ACTION),
];

/// A small scenario that uses every action kind (a mutation seed and a simulation smoke test).
pub const EVERY_ACTION: &str = r#"
name = "every-action"
seed = 3
duration = "2m"
sample_interval = "1s"
policies = ["v4.6.0", "leaky", "fixed", "v5.0", "v5.3.2", "v5.3.3", "v5.3.3-fcep", "unreleased-a6e3bf2b62"]
max_events = 2_000_000

[broker]
count = 2
heartbeat_threads = 2
heartbeat_queue_capacity = 50
monitor = "fifo"
close_cost_per_group = { dist = "lognormal", median = "1us", sigma = 1.5 }

[clients]
heartbeat_interval = { dist = "uniform", min = "5s", max = "15s" }
network_rtt = { dist = "normal", mean = "1ms", std_dev = "3ms" }

[[topics]]
name = "t"
queues_per_broker = 2

[[consumer_groups]]
name = "g"
topic = "t"
consumers = 3
consume_rate = 100.0

[[producers]]
group = "p"
topic = "t"
send_rate = 80.0

[background]
clients = 60
live_groups = 5
reconnect_interval = { dist = "exponential", mean = "1m" }
abnormal_disconnect_share = 0.5

[groups]
initial = 5000
create_interval = "2s"
lifetime = "10s"
unregister_probability = 0.5

[[actions]]
at = "0"
action = "restart_broker"

[[actions]]
at = "10s"
action = "disconnect_clients"
count = 30
over = "1s"
cause = "exception"

[[actions]]
at = "20s"
action = "scale_consumers"
count = 0

[[actions]]
at = "30s"
action = "set"
param = "broker.close_cost_per_group"
value = "10us"

[[actions]]
at = "40s"
action = "stop_group_creation"

[[actions]]
at = "50s"
action = "restart_broker"
broker = 1

[[actions]]
at = "60s"
action = "start_group_creation"

[[actions]]
at = "2m"
action = "scale_consumers"
count = 5
"#;

/// What kind of value a field takes (drives which hostile values it gets most of the time).
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Int,
    Float,
    Bool,
    Str,
    Dur,
    Dist,
    Policies,
    Durs,
    Value,
}

const TOP: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("description", Kind::Str),
    ("seed", Kind::Int),
    ("duration", Kind::Dur),
    ("sample_interval", Kind::Dur),
    ("policies", Kind::Policies),
    ("max_events", Kind::Int),
    ("dumps", Kind::Durs),
];
const BROKER: &[(&str, Kind)] = &[
    ("count", Kind::Int),
    ("heartbeat_threads", Kind::Int),
    ("heartbeat_queue_capacity", Kind::Int),
    ("heartbeat_queue_max_wait", Kind::Dur),
    ("fast_failure_interval", Kind::Dur),
    ("client_manage_threads", Kind::Int),
    ("client_manage_queue_capacity", Kind::Int),
    ("netty_event_queue_cap", Kind::Int),
    ("monitor", Kind::Str),
    ("monitor_wake_latency", Kind::Dist),
    ("monitor_exit_cost", Kind::Dist),
    ("monitor_spin", Kind::Dur),
    ("monitor_spin_walker", Kind::Bool),
    ("monitor_long_park", Kind::Dur),
    ("monitor_wake_latency_long_park", Kind::Dist),
    ("monitor_exit_cost_long_park", Kind::Dist),
    ("monitor_wake_after_exit_long_park", Kind::Dist),
    ("monitor_wake_latency_long_park_gap", Kind::Dist),
    ("monitor_wake_long_park_gap_range", Kind::Durs),
    ("monitor_very_long_park", Kind::Dur),
    ("monitor_wake_latency_very_long_park", Kind::Dist),
    ("monitor_exit_cost_very_long_park", Kind::Dist),
    ("cpus", Kind::Int),
    ("cpu_other_runnable", Kind::Int),
    ("cpu_slice", Kind::Dur),
    ("cpu_wait", Kind::Dist),
    ("cpu_wait_after_drain", Kind::Dist),
    ("cpu_wait_displaced", Kind::Dist),
    ("cpu_executor_share", Kind::Float),
    ("cpu_release_preempt_sd", Kind::Float),
    ("cpu_time_sharing", Kind::Bool),
    ("cpu_run_queue", Kind::Bool),
    ("trylock_timeout", Kind::Dur),
    ("heartbeat_cost", Kind::Dist),
    ("register_producer_cost", Kind::Dist),
    ("unregister_cost", Kind::Dist),
    ("close_cost_base", Kind::Dist),
    ("close_cost_per_group", Kind::Dist),
    ("netty_event_gap", Kind::Dist),
    ("netty_event_gap_long_walk_extra", Kind::Dist),
    ("connect_event_cost", Kind::Dist),
    ("scan_cost_per_group", Kind::Dist),
    ("housekeeping_interval", Kind::Dur),
    ("channel_expired_timeout", Kind::Dur),
    ("pull_batch_max", Kind::Int),
    ("long_poll_timeout", Kind::Dur),
];
const CLIENTS: &[(&str, Kind)] = &[
    ("heartbeat_interval", Kind::Dist),
    ("rpc_timeout", Kind::Dur),
    ("close_socket_on_timeout", Kind::Bool),
    ("heartbeat_on_reconnect", Kind::Bool),
    ("rebalance_interval", Kind::Dur),
    ("pull_retry_delay", Kind::Dur),
    ("flow_control_delay", Kind::Dur),
    ("pull_threshold_per_queue", Kind::Int),
    ("network_rtt", Kind::Dist),
];
const TOPIC: &[(&str, Kind)] = &[("name", Kind::Str), ("queues_per_broker", Kind::Int)];
const CONSUMER_GROUP: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("topic", Kind::Str),
    ("consumers", Kind::Int),
    ("consume_rate", Kind::Float),
];
const PRODUCER: &[(&str, Kind)] = &[
    ("group", Kind::Str),
    ("topic", Kind::Str),
    ("instances", Kind::Int),
    ("send_rate", Kind::Float),
    ("send_batch_interval", Kind::Dur),
];
const BACKGROUND: &[(&str, Kind)] = &[
    ("clients", Kind::Int),
    ("live_groups", Kind::Int),
    ("reconnect_interval", Kind::Dist),
    ("abnormal_disconnect_share", Kind::Float),
];
const GROUPS: &[(&str, Kind)] = &[
    ("initial", Kind::Int),
    ("create_interval", Kind::Dist),
    ("creating", Kind::Bool),
    ("lifetime", Kind::Dist),
    ("unregister_probability", Kind::Float),
    ("name_prefix", Kind::Str),
];
const ACTION: &[(&str, Kind)] = &[
    ("at", Kind::Dur),
    ("action", Kind::Str),
    ("label", Kind::Str),
    ("group", Kind::Str),
    ("count", Kind::Int),
    ("over", Kind::Dur),
    ("cause", Kind::Str),
    ("broker", Kind::Int),
    ("param", Kind::Str),
    ("value", Kind::Value),
];

/// Fields serde requires (in one section or another).
const REQUIRED: &[&str] = &[
    "name",
    "duration",
    "topic",
    "consumers",
    "consume_rate",
    "group",
    "send_rate",
    "at",
    "action",
];

type Fields = &'static [(&'static str, Kind)];

/// Sections of the file: (header, is an array of tables, fields).
const SECTIONS: &[(&str, bool, Fields)] = &[
    ("broker", false, BROKER),
    ("clients", false, CLIENTS),
    ("topics", true, TOPIC),
    ("consumer_groups", true, CONSUMER_GROUP),
    ("producers", true, PRODUCER),
    ("background", false, BACKGROUND),
    ("groups", false, GROUPS),
    ("actions", true, ACTION),
    ("expect", false, &[("lag_max", Kind::Int), ("recovered_within", Kind::Dur)]),
];

fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Integers, mostly at the edges of i64, u32 and u64.
pub fn hostile_int() -> BoxedStrategy<String> {
    prop_oneof![
        3 => (0i64..5).prop_map(|v| v.to_string()),
        2 => (0i64..100_000).prop_map(|v| v.to_string()),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => prop::sample::select(vec![
            "-1", "4294967295", "4294967296", "9223372036854775807", "-9223372036854775808",
            "18446744073709551615", "99999999999999999999999", "1_000_000_000_000", "0x10", "0o777", "0b1",
            "1e3", "+7", "007",
        ])
        .prop_map(String::from),
    ]
    .boxed()
}

/// Floats, mostly hostile: NaN, infinities, signed zero, subnormals, huge values.
pub fn hostile_float() -> BoxedStrategy<String> {
    prop_oneof![
        3 => (0.0f64..5_000.0).prop_map(|v| format!("{v:?}")),
        2 => prop::sample::select(vec![
            "nan", "+nan", "-nan", "inf", "+inf", "-inf", "-0.0", "0.0", "1e308", "-1e308", "5e-324",
            "1.7976931348623157e308", "10000000.0", "10000000.000001", "1.0", "0.5", "-1.5", "3", "1e-9",
        ])
        .prop_map(String::from),
        1 => any::<f64>().prop_map(|v| format!("{v:?}")).prop_filter("valid toml float", |s| !s.contains("NaN") && !s.contains("inf")),
    ]
    .boxed()
}

/// Strings: valid names, empty, paths, controls, odd unicode, very long.
pub fn hostile_string() -> BoxedStrategy<String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "t", "g", "p", "t2", "leaky", "fixed", "fifo", "barging", "close", "idle", "exception",
            "restart_broker", "stop_group_creation", "start_group_creation", "scale_consumers",
            "disconnect_clients", "set", "broker.close_cost_per_group", "groups.create_interval",
            "consumer_groups.g.consume_rate", "producers.p.send_rate", "clients.close_socket_on_timeout",
        ])
        .prop_map(quoted),
        2 => prop::sample::select(vec![
            "", " ", "../../etc/passwd", "/tmp/x", "..", ".", "a/b", "C:\\x", "\u{202e}evil", "名前",
            "🦀🦀", "\u{0}", "\t", "\u{7f}", "\u{feff}x", "x\ny", "µs",
        ])
        .prop_map(quoted),
        1 => "\\PC{0,40}".prop_map(|s| quoted(&s)),
        1 => (1usize..5_000).prop_map(|n| quoted(&"x".repeat(n))),
        1 => Just("'literal ''".to_string()),
        1 => Just("\"\"\"multi\nline\"\"\"".to_string()),
    ]
    .boxed()
}

/// Duration strings: valid, overflowing, negative, unitless, sub-nanosecond, malformed.
pub fn hostile_duration() -> BoxedStrategy<String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "0", "1ns", "1us", "1µs", "1ms", "10ms", "100ms", "1s", "3s", "30s", "1m", "2m", "5min", "1h", "2h", "1d",
            "365d", "366d",
        ])
        .prop_map(quoted),
        2 => prop::sample::select(vec![
            "1000000000h", "18446744073709551615ns", "18446744073709551616ns", "213503d", "584y", "-1s", "",
            " ", "s", "1", "1.5ns", "0.0000000000000000001s", "1.s", ".s", "1..2s", "1e9s", "NaNs", "infs",
            "1 s", " 5m ", "99999999999999999999999s", "1,5s", "٣s", "1_000s", "+1s", "0s", "0.0s",
        ])
        .prop_map(quoted),
        1 => ((0u64..100_000), prop::sample::select(vec!["ns", "us", "ms", "s", "m", "h", "d", "min", "x"]))
            .prop_map(|(n, u)| quoted(&format!("{n}{u}"))),
        1 => hostile_int(),
        1 => hostile_float(),
    ]
    .boxed()
}

/// Distribution values: a duration or a table, often with missing, extra or absurd keys.
pub fn hostile_dist() -> BoxedStrategy<String> {
    let kind = prop::sample::select(vec!["constant", "exponential", "uniform", "lognormal", "normal", "pareto", ""]);
    let key = prop::sample::select(vec!["value", "mean", "min", "max", "median", "std_dev", "sigma", "dist", "shape"]);
    let entry = (key, prop_oneof![3 => hostile_duration(), 1 => hostile_float()]).prop_map(|(k, v)| format!("{k} = {v}"));
    let table = (kind, prop::collection::vec(entry, 0..4)).prop_map(|(kind, entries)| {
        let mut parts = vec![format!("dist = {}", quoted(kind))];
        parts.extend(entries);
        format!("{{ {} }}", parts.join(", "))
    });
    let lognormal =
        (hostile_duration(), hostile_float()).prop_map(|(m, s)| format!("{{ dist = \"lognormal\", median = {m}, sigma = {s} }}"));
    let normal = (hostile_duration(), hostile_duration()).prop_map(|(m, s)| format!("{{ dist = \"normal\", mean = {m}, std_dev = {s} }}"));
    let uniform = (hostile_duration(), hostile_duration()).prop_map(|(a, b)| format!("{{ dist = \"uniform\", min = {a}, max = {b} }}"));
    let exponential = hostile_duration().prop_map(|m| format!("{{ dist = \"exponential\", mean = {m} }}"));
    prop_oneof![3 => hostile_duration(), 2 => table, 1 => lognormal, 1 => normal, 1 => uniform, 1 => exponential].boxed()
}

/// Any TOML value, including arrays, inline tables and deep nesting.
pub fn any_value() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        hostile_int(),
        hostile_float(),
        hostile_string(),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
    ];
    let nested = leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(inner, 0..3).prop_map(|v| {
                let parts: Vec<String> = v.iter().enumerate().map(|(i, x)| format!("k{i} = {x}")).collect();
                format!("{{ {} }}", parts.join(", "))
            }),
        ]
    });
    let deep = (1usize..3_000).prop_map(|n| format!("{}1{}", "[".repeat(n), "]".repeat(n)));
    prop_oneof![8 => nested, 1 => deep].boxed()
}

/// A plausible value for `key` (so that some documents pass validation and get simulated).
fn sane_value(key: &str, kind: Kind) -> BoxedStrategy<String> {
    let pick = |values: &[&'static str]| prop::sample::select(values.to_vec()).prop_map(String::from).boxed();
    let strings = |values: &[&'static str]| prop::sample::select(values.to_vec()).prop_map(quoted).boxed();
    match (key, kind) {
        ("duration", _) => strings(&["30s", "1m", "2m", "90s"]),
        ("sample_interval", _) => strings(&["1s", "500ms", "10s"]),
        ("at" | "over", _) => strings(&["0", "1s", "15s", "30s", "1m"]),
        ("monitor", _) => strings(&["fifo", "barging"]),
        ("action", _) => strings(&[
            "restart_broker",
            "stop_group_creation",
            "start_group_creation",
            "scale_consumers",
            "disconnect_clients",
            "set",
        ]),
        ("cause", _) => strings(&["close", "idle", "exception"]),
        ("param", _) => strings(&[
            "broker.close_cost_per_group",
            "broker.heartbeat_cost",
            "groups.create_interval",
            "groups.lifetime",
            "groups.unregister_probability",
            "background.reconnect_interval",
            "background.abnormal_disconnect_share",
            "clients.close_socket_on_timeout",
            "consumer_groups.g.consume_rate",
            "producers.p.send_rate",
        ]),
        ("topic", _) => strings(&["t"]),
        ("topic_name", _) => strings(&["t2", "t3", "t"]),
        ("producer_group", _) => strings(&["p", "p2"]),
        ("group", _) => strings(&["g", "p"]),
        ("name", _) => strings(&["t", "g", "fuzz"]),
        ("count" | "broker", _) => pick(&["0", "1", "2", "3"]),
        ("initial", _) => pick(&["0", "10", "5000", "1000000000000"]),
        ("max_events", _) => pick(&["1", "1000", "1000000"]),
        ("heartbeat_interval", _) => strings(&["5s", "30s", "1s"]),
        ("create_interval" | "reconnect_interval", _) => prop_oneof![
            strings(&["1ms", "2s", "10s"]),
            Just("{ dist = \"exponential\", mean = \"3s\" }".to_string()),
        ]
        .boxed(),
        (_, Kind::Int) => pick(&["1", "2", "4", "8", "100"]),
        (_, Kind::Float) => pick(&["0.5", "1.0", "50.0", "1e-9"]),
        (_, Kind::Bool) => pick(&["true", "false"]),
        (_, Kind::Str) => strings(&["t", "g", "p"]),
        (_, Kind::Dur) => strings(&["1ms", "100ms", "1s", "3s", "30s"]),
        (_, Kind::Dist) => prop_oneof![
            strings(&["0", "1ns", "1us", "20us", "1ms", "100ms", "1s"]),
            Just("{ dist = \"exponential\", mean = \"50us\" }".to_string()),
            Just("{ dist = \"lognormal\", median = \"1us\", sigma = 5.0 }".to_string()),
            Just("{ dist = \"normal\", mean = \"0\", std_dev = \"365d\" }".to_string()),
            Just("{ dist = \"uniform\", min = \"0\", max = \"10s\" }".to_string()),
        ]
        .boxed(),
        (_, Kind::Policies) => prop::sample::subsequence(
            vec![
                "v4.6.0",
                "leaky",
                "fixed",
                "v5.0",
                "v5.3.2",
                "v5.3.3",
                "v5.3.3-fcep",
                "unreleased-a6e3bf2b62",
            ],
            1..4,
        )
        .prop_map(|v| format!("[{}]", v.iter().map(|p| quoted(p)).collect::<Vec<_>>().join(", ")))
        .boxed(),
        (_, Kind::Durs) => strings(&["0", "10s"]).prop_map(|d| format!("[{d}]")).boxed(),
        (_, Kind::Value) => pick(&["\"10us\"", "0.5", "true", "100.0"]),
    }
}

fn value_of(kind: Kind) -> BoxedStrategy<String> {
    let typed = match kind {
        Kind::Int => hostile_int(),
        Kind::Float => hostile_float(),
        Kind::Bool => prop_oneof![Just("true".to_string()), Just("false".to_string()), Just("\"true\"".to_string())].boxed(),
        Kind::Str => hostile_string(),
        Kind::Dur => hostile_duration(),
        Kind::Dist => hostile_dist(),
        Kind::Policies => prop::collection::vec(hostile_string(), 0..8)
            .prop_map(|v| format!("[{}]", v.join(", ")))
            .boxed(),
        Kind::Durs => prop::collection::vec(hostile_duration(), 0..5)
            .prop_map(|v| format!("[{}]", v.join(", ")))
            .boxed(),
        Kind::Value => prop_oneof![hostile_dist(), hostile_float(), Just("true".to_string())].boxed(),
    };
    prop_oneof![6 => typed, 1 => any_value()].boxed()
}

/// `key = value` lines for a subset of `fields`, plus now and then an unknown key.
fn fields(section: &str, fields: &'static [(&'static str, Kind)], keep: f64, hostility: f64) -> BoxedStrategy<Vec<String>> {
    let per_field: Vec<BoxedStrategy<Option<String>>> = fields
        .iter()
        .map(|(key, kind)| {
            let key = *key;
            let sane_key = match (section, key) {
                ("topics", "name") => "topic_name",
                ("producers", "group") => "producer_group",
                _ => key,
            };
            let value = (prop::bool::weighted(hostility), value_of(*kind), sane_value(sane_key, *kind))
                .prop_map(move |(hostile, bad, good)| format!("{key} = {}", if hostile { bad } else { good }));
            // Required fields are nearly always present in plausible documents.
            let required = REQUIRED.contains(&key) && section != "actions" || matches!(key, "at" | "action");
            let keep = if required { 1.0 - hostility / 2.0 } else { keep };
            prop::option::weighted(keep, value).boxed()
        })
        .collect();
    let unknown = prop::option::weighted(
        0.05 * hostility,
        (any_value(), "[a-z_]{1,12}").prop_map(|(v, k)| format!("{k}_unknown = {v}")),
    );
    (per_field, unknown)
        .prop_map(|(lines, unknown)| lines.into_iter().flatten().chain(unknown).collect())
        .boxed()
}

fn section(header: &'static str, array: bool, body: &'static [(&'static str, Kind)], hostility: f64) -> BoxedStrategy<String> {
    let count = if array { 0usize..4 } else { 0usize..2 };
    // Most optional action keys do not apply to most actions: keep them rare.
    let keep = if header == "actions" { 0.15 } else { 0.6 };
    prop::collection::vec(fields(header, body, keep, hostility), count)
        .prop_map(move |tables| {
            let mut text = String::new();
            for lines in tables {
                if array {
                    text.push_str(&format!("\n[[{header}]]\n"));
                } else {
                    text.push_str(&format!("\n[{header}]\n"));
                }
                for line in lines {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
            text
        })
        .boxed()
}

/// A whole TOML document from the real field names with hostile values; `name` and `duration`
/// are usually present so most documents get past serde into validation. Each document has a
/// hostility (the share of its values drawn hostile rather than plausible), so that some pass
/// validation and get simulated.
pub fn hostile_document() -> BoxedStrategy<String> {
    prop::sample::select(vec![0.001, 0.01, 0.03, 0.1, 0.3, 0.9])
        .prop_flat_map(document_with_hostility)
        .boxed()
}

fn document_with_hostility(hostility: f64) -> BoxedStrategy<String> {
    let sections: Vec<BoxedStrategy<String>> = SECTIONS.iter().map(|(h, a, b)| section(h, *a, b, hostility)).collect();
    let garbage = prop::option::weighted(0.05 * hostility, "\\PC{0,30}");
    let top = (
        fields("", TOP, 0.85, hostility),
        sane_value("name", Kind::Str),
        sane_value("duration", Kind::Dur),
    );
    let topic = prop::option::weighted(1.0 - hostility / 2.0, Just("\n[[topics]]\nname = \"t\"\n".to_string()));
    (top, (sections, topic), garbage)
        .prop_map(|((top, name, duration), (sections, topic), garbage)| {
            // name and duration are required: supply them unless the generated fields did.
            let mut text = String::new();
            if !top.iter().any(|l| l.starts_with("name = ")) {
                text.push_str(&format!("name = {name}\n"));
            }
            if !top.iter().any(|l| l.starts_with("duration = ")) {
                text.push_str(&format!("duration = {duration}\n"));
            }
            text.push_str(&top.join("\n"));
            text.push('\n');
            text.push_str(&topic.unwrap_or_default());
            for s in sections {
                text.push_str(&s);
            }
            if let Some(g) = garbage {
                text.push_str(&g);
            }
            text
        })
        .boxed()
}

/// One edit of a mutation.
#[derive(Clone, Debug)]
pub enum Mutation {
    FlipByte(usize, u8),
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Truncate(usize),
    Insert(usize, String),
    ReplaceValue(usize, String),
}

fn mutation() -> BoxedStrategy<Mutation> {
    let index = any::<usize>();
    prop_oneof![
        1 => (index, any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
        1 => index.prop_map(Mutation::DeleteLine),
        1 => index.prop_map(Mutation::DuplicateLine),
        1 => (index, index).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => index.prop_map(Mutation::Truncate),
        1 => (index, prop_oneof![any_value(), "\\PC{0,8}".boxed(), Just("[[actions]]\n".to_string())])
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        3 => (index, prop_oneof![hostile_duration(), hostile_dist(), hostile_int(), hostile_float(), any_value()])
            .prop_map(|(i, v)| Mutation::ReplaceValue(i, v)),
    ]
    .boxed()
}

/// Applies `edits` to `text` (indices are taken modulo the size).
pub fn mutate(text: &str, edits: &[Mutation]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
        let n = lines.len().max(1);
        match edit {
            Mutation::FlipByte(i, b) => {
                if !bytes.is_empty() {
                    let len = bytes.len();
                    bytes[i % len] ^= b | 1;
                }
                continue;
            }
            Mutation::Truncate(i) => {
                bytes.truncate(i % (bytes.len() + 1));
                continue;
            }
            Mutation::DeleteLine(i) => {
                if !lines.is_empty() {
                    lines.remove(i % n);
                }
            }
            Mutation::DuplicateLine(i) => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            Mutation::SwapLines(a, b) => lines.swap(a % n, b % n),
            Mutation::Insert(i, s) => lines.insert(i % (n + 1), s.clone()),
            Mutation::ReplaceValue(i, v) => {
                let with_value: Vec<usize> = (0..lines.len()).filter(|&k| lines[k].contains(" = ")).collect();
                if !with_value.is_empty() {
                    let k = with_value[i % with_value.len()];
                    let key = lines[k].split(" = ").next().unwrap_or("").to_string();
                    lines[k] = format!("{key} = {v}");
                }
            }
        }
        bytes = lines.join("\n").into_bytes();
    }
    bytes
}

/// Mutations of the real scenario files.
pub fn mutated_file() -> BoxedStrategy<Vec<u8>> {
    (
        prop_oneof![1 => Just(0usize), 3 => Just(1usize)],
        prop::collection::vec(mutation(), 1..3),
    )
        .prop_map(|(file, edits)| mutate(SEED_FILES[file].1, &edits))
        .boxed()
}

/// Arbitrary bytes, and arbitrary UTF-8 text (which reaches the TOML parser).
pub fn arbitrary_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "\\PC{0,300}".prop_map(String::into_bytes),
        "[a-z_=\\[\\]\"{}., 0-9\n]{0,300}".prop_map(String::into_bytes),
    ]
    .boxed()
}

/// What happened to one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Refused with a scenario error whose problems all name a line or field.
    Rejected,
    /// Accepted; too big to simulate in a fuzz case.
    Accepted,
    /// Accepted and simulated to its (shortened) end.
    Simulated,
    /// Accepted and simulated until its (lowered) event budget ran out.
    HitMaxEvents,
}

/// True when `problem` names where it is: a `line N, column M` or a field path before a colon.
pub fn problem_is_located(problem: &str) -> bool {
    if problem.starts_with("line ") || problem.starts_with("the file is not UTF-8 text") {
        return true;
    }
    match problem.split_once(": ") {
        Some((field, message)) => {
            !field.is_empty() && !message.trim().is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || "_.[]-".contains(c))
        }
        None => false,
    }
}

/// Runs `parse` (and, for small accepted scenarios, a short simulation under every policy it
/// lists, at most `event_budget` events each) on `bytes`; `Err` describes a panic or a malformed error.
pub fn judge(bytes: &[u8], event_budget: u64) -> Result<Outcome, String> {
    let parsed = catch_unwind(AssertUnwindSafe(|| hbsim::scenario::parse(Path::new("fuzz.toml"), bytes)));
    let scenario = match parsed {
        Err(panic) => return Err(format!("parse panicked: {}", panic_text(&panic))),
        Ok(Ok(scenario)) => scenario,
        Ok(Err(Error::Scenario { problems, .. })) => {
            if problems.is_empty() {
                return Err("a scenario error with no problem listed".into());
            }
            for problem in &problems {
                if !problem_is_located(problem) {
                    return Err(format!("a problem that names no line or field: {problem:?}"));
                }
            }
            return Ok(Outcome::Rejected);
        }
        Ok(Err(other)) => return Err(format!("parse returned a non-scenario error: {other}")),
    };
    simulate_small(&scenario, event_budget)
}

/// Simulates an accepted scenario if it is small enough for a fuzz case, with a lowered event
/// budget, under each policy it lists.
pub fn simulate_small(scenario: &Scenario, event_budget: u64) -> Result<Outcome, String> {
    let small = scenario.duration_ns <= 10 * 60 * 1_000_000_000
        && scenario.initial_clients() <= 3_000
        && scenario.broker.count <= 4
        && scenario.duration_ns / scenario.sample_interval_ns <= 20_000;
    if !small {
        return Ok(Outcome::Accepted);
    }
    let mut scenario = scenario.clone();
    scenario.max_events = scenario.max_events.min(event_budget);
    let mut outcome = Outcome::Simulated;
    for &policy in &scenario.policies {
        let result = catch_unwind(AssertUnwindSafe(|| {
            simulate(&scenario, policy, scenario.seed, &RunOptions::default(), &mut |_| Ok(()))
        }));
        match result {
            Err(panic) => return Err(format!("simulate panicked under {policy}: {}", panic_text(&panic))),
            Ok(Ok(_)) => {}
            Ok(Err(Error::MaxEvents { .. })) => outcome = Outcome::HitMaxEvents,
            Ok(Err(other)) => return Err(format!("simulate under {policy} failed: {other}")),
        }
    }
    Ok(outcome)
}

/// The message of a caught panic.
pub fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-text panic payload)".into()
    }
}
