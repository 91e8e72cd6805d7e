//! What a run's answer rests on (issue 10): the `[broker]` values that decide whether the
//! close-walk loop tips, where each one came from (the scenario's own `[broker]`, its
//! `calibration` file, or hbsim's default) and how it stands against what the JVM harness
//! measured. `report.html` shows it under "What this answer rests on".
//!
//! The measured ranges are those of the idle calibrations recorded in `tests/data/calibration/`
//! (`hbsim calibrate` on 2-core OpenJDK 17 hosts, AMD EPYC and Intel Xeon guests, 2026-12; a test
//! recomputes them from the files) and docs/calibration.md's "Defaults" table.

use crate::scenario::{BrokerParams, Dist, Scenario};

/// Where a value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The scenario's own `[broker]`.
    Scenario,
    /// The scenario's `calibration` file (beneath the scenario's own keys).
    Calibration,
    /// hbsim's default.
    Default,
}

/// How a value stands against the harness's measurements.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Against {
    /// Inside the measured range.
    Within,
    /// This many times the highest measured value.
    Above(f64),
    /// This many times the lowest measured value (under 1).
    Below(f64),
    /// Nothing to compare with (not a time, or not measured as one).
    NotCompared,
}

/// One value a run's verdict depends on.
#[derive(Clone, Debug)]
pub struct Basis {
    /// The `[broker]` key.
    pub key: &'static str,
    /// What it stands for, in words.
    pub what: &'static str,
    /// Its value in this run, in words.
    pub value: String,
    /// Where it came from.
    pub source: Source,
    /// The default's status where the run uses the default: measured, RocketMQ, or an
    /// assumption with its plausible range.
    pub default_status: &'static str,
    /// What the harness measured, in words.
    pub measured: &'static str,
    /// This run's value against the measured range.
    pub against: Against,
}

/// The measured range of a time key [ns], compared at the value's median or mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeasuredRange {
    /// The `[broker]` key.
    pub key: &'static str,
    /// The lowest measured value [ns].
    pub low_ns: f64,
    /// The highest measured value [ns].
    pub high_ns: f64,
    /// Compared at the median (`true`) or the mean.
    pub median: bool,
}

/// The measured ranges of the time keys, from the idle calibrations recorded in
/// `tests/data/calibration/` (a test checks them against the files) and, for the cold walk's
/// upper end, the first measurement (150–220 ns per group cold).
pub const MEASURED: [MeasuredRange; 6] = [
    MeasuredRange {
        key: "close_cost_per_group",
        low_ns: 8.0,
        high_ns: 220.0,
        median: false,
    },
    MeasuredRange {
        key: "heartbeat_cost",
        low_ns: 750.0,
        high_ns: 6_300.0,
        median: true,
    },
    MeasuredRange {
        key: "netty_event_gap",
        low_ns: 0.0,
        high_ns: 25_300.0,
        median: false,
    },
    MeasuredRange {
        key: "monitor_wake_latency",
        low_ns: 14_000.0,
        high_ns: 71_000.0,
        median: true,
    },
    MeasuredRange {
        key: "monitor_exit_cost",
        low_ns: 1_900.0,
        high_ns: 36_000.0,
        median: true,
    },
    MeasuredRange {
        key: "register_producer_cost",
        low_ns: 40.0,
        high_ns: 1_200.0,
        median: true,
    },
];

/// A row's fixed texts: key, what it is, the default's status, what was measured.
struct Known {
    key: &'static str,
    what: &'static str,
    default_status: &'static str,
    measured: &'static str,
}

const KNOWN: [Known; 9] = [
    Known {
        key: "close_cost_per_group",
        what: "the close walk's cost per group in the table (doChannelCloseEvent, under the monitor)",
        default_status: "assumption, a cold table on a busy host, fitted to issue #7737's 24.8 ms walks",
        measured: "8–60 ns per group with the table in cache, 20–150 ns cold (150–220 ns in the first measurement)",
    },
    Known {
        key: "heartbeat_cost",
        what: "a heartbeat's work outside the monitor",
        default_status: "assumption, the full request path on a busy host; plausible 2 µs – 1 ms",
        measured: "median 0.75–6.3 µs in the harness's mimic (no decode, no logging: a lower bound)",
    },
    Known {
        key: "netty_event_gap",
        what: "the event thread's unlocked work between two close walks",
        default_status: "assumption; plausible 0–50 µs for a non-consumer channel",
        measured: "0–25 µs for the harness's own event thread (its poll and dispatch; 0.7–5 µs in most calibrations); a broker's consumer-table walk and notifications add to it",
    },
    Known {
        key: "monitor_wake_latency",
        what: "a parked heartbeat thread's wake-up, from the unpark to running",
        default_status: "assumption",
        measured: "p50 14–71 µs, with a tail to milliseconds",
    },
    Known {
        key: "monitor_exit_cost",
        what: "the releasing thread's monitor exit when it unparks a waiter",
        default_status: "assumption, the model before the harness",
        measured: "p50 1.9–36 µs, by host",
    },
    Known {
        key: "register_producer_cost",
        what: "registerProducer under the monitor",
        default_status: "assumption; plausible 50 ns – 5 µs",
        measured: "40–140 ns back to back; 0.6–1.2 µs in the loop's won gaps",
    },
    Known {
        key: "monitor_long_park",
        what: "a slower wake-up for a thread parked behind a long walk",
        default_status: "off",
        measured: "p50 36–126 µs after parks of 20 ms and more; `hbsim calibrate` writes it",
    },
    Known {
        key: "monitor_spin",
        what: "HotSpot's spin before parking",
        default_status: "assumption, no spinning",
        measured: "`hbsim calibrate` writes none: the hand-off flips at a 20–30 µs gap, not at a spin window",
    },
    Known {
        key: "cpus",
        what: "the CPUs a woken thread competes for (the CPU model)",
        default_status: "assumption, off: a woken thread always finds an idle CPU, as on a many-core host",
        measured: "the harness's hosts: 2 CPUs; with every CPU taken a won gap's heirs keep the walker away until they drain",
    },
];

/// The values `scenario`'s verdict rests on, in the order a reader weighs them.
pub fn basis(scenario: &Scenario) -> Vec<Basis> {
    let b = &scenario.broker;
    KNOWN
        .iter()
        .map(|known| {
            let (value, against) = value_of(known.key, b, scenario);
            Basis {
                key: known.key,
                what: known.what,
                value,
                source: source_of(known.key, scenario),
                default_status: known.default_status,
                measured: known.measured,
                against,
            }
        })
        .collect()
}

/// Where `key` came from in `scenario`.
pub fn source_of(key: &str, scenario: &Scenario) -> Source {
    if scenario.broker_keys.iter().any(|k| k == key) {
        Source::Scenario
    } else if scenario.calibration.as_ref().is_some_and(|c| c.broker.contains_key(key)) {
        Source::Calibration
    } else {
        Source::Default
    }
}

/// The distribution of a time key with a measured range ([`MEASURED`]).
pub fn measured_dist<'a>(b: &'a BrokerParams, key: &str) -> Option<&'a Dist> {
    Some(match key {
        "close_cost_per_group" => &b.close_cost_per_group,
        "heartbeat_cost" => &b.heartbeat_cost,
        "netty_event_gap" => &b.netty_event_gap,
        "monitor_wake_latency" => &b.monitor_wake_latency,
        "monitor_exit_cost" => &b.monitor_exit_cost,
        "register_producer_cost" => &b.register_producer_cost,
        _ => return None,
    })
}

/// `dist`'s median or mean against the measured range of `key`.
pub fn against(key: &str, dist: &Dist) -> Against {
    let Some(range) = MEASURED.iter().find(|r| r.key == key) else {
        return Against::NotCompared;
    };
    let v = if range.median { dist.median_ns() } else { dist.mean_ns() };
    if v > range.high_ns {
        Against::Above(v / range.high_ns)
    } else if v < range.low_ns {
        Against::Below(v / range.low_ns)
    } else {
        Against::Within
    }
}

fn value_of(key: &str, b: &BrokerParams, scenario: &Scenario) -> (String, Against) {
    let dist = |d: &Dist| (d.words(), against(key, d));
    match key {
        "close_cost_per_group" => {
            let groups = scenario.groups.initial;
            let walk = b.close_cost_base.mean_ns() + b.close_cost_per_group.mean_ns() * groups as f64;
            let (words, against) = dist(&b.close_cost_per_group);
            (
                format!(
                    "{words} (a walk of {} at the {} groups the table starts with)",
                    crate::scenario::units::time_words(walk),
                    crate::report::thousands(groups)
                ),
                against,
            )
        }
        "heartbeat_cost" => {
            let (words, against) = dist(&b.heartbeat_cost);
            match calibration_jvms(scenario) {
                Some(jvms) => (
                    format!(
                        "{words} (the calibration timed it settled in {} JVMs, p50 {} µs, and took the first, its own: a JVM \
                         runs it in one of two compilations, so the answer can hang on the broker's)",
                        jvms.len(),
                        jvms.iter().map(|p50| format!("{p50:.2}")).collect::<Vec<_>>().join(", ")
                    ),
                    against,
                ),
                None => (words, against),
            }
        }
        "monitor_long_park" => match (b.monitor_long_park_ns, &b.monitor_wake_latency_long_park) {
            (0, _) | (_, None) => ("off: every wake-up is monitor_wake_latency".into(), Against::NotCompared),
            (ns, Some(wake)) => (
                format!("after {}: {}", crate::scenario::units::time_words(ns as f64), wake.words()),
                Against::NotCompared,
            ),
        },
        "monitor_spin" => match b.monitor_spin_ns {
            0 => ("none".into(), Against::NotCompared),
            ns => (crate::scenario::units::time_words(ns as f64), Against::NotCompared),
        },
        "cpus" => match b.cpus {
            0 => ("off".into(), Against::NotCompared),
            n => (
                format!("{n}, with {} other threads always runnable", b.cpu_other_runnable),
                Against::NotCompared,
            ),
        },
        _ => measured_dist(b, key).map_or((String::new(), Against::NotCompared), dist),
    }
}

/// The settled heartbeat's p50 [µs] in each JVM the scenario's calibration timed it in
/// ([`crate::calibrate::settled_heartbeats`]), the calibration's own first; `None` with fewer
/// than two, or where the scenario sets `heartbeat_cost` itself.
pub fn calibration_jvms(scenario: &Scenario) -> Option<Vec<f64>> {
    if source_of("heartbeat_cost", scenario) != Source::Calibration {
        return None;
    }
    let measured = &scenario.calibration.as_ref()?.measured;
    let figure = |key: &str| match measured.get(key)? {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    };
    let jvms = crate::calibrate::settled_heartbeats_by(figure);
    (jvms.len() > 1).then(|| jvms.iter().map(|(p50, _)| *p50).collect())
}

/// `against` in words: "within", "28× the highest measured", "0.5× the lowest measured".
pub fn against_words(against: Against) -> String {
    let times = |r: f64| {
        if r >= 10.0 {
            format!("{r:.0}×")
        } else {
            format!("{r:.1}×")
        }
    };
    match against {
        Against::Within => "within".into(),
        Against::Above(r) => format!("{} the highest measured", times(r)),
        Against::Below(r) if r < 0.05 => "under the lowest measured".into(),
        Against::Below(r) => format!("{} the lowest measured", times(r)),
        Against::NotCompared => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        crate::scenario::parse(std::path::Path::new("t.toml"), text.as_bytes()).unwrap()
    }

    const BASE: &str = "name = \"t\"\nduration = \"1m\"\n";

    #[test]
    fn a_key_the_scenario_sets_is_its_own_and_the_rest_are_defaults() {
        let s = scenario(&format!("{BASE}[broker]\nclose_cost_per_group = \"1us\"\n"));
        let rows = basis(&s);
        let row = |k: &str| rows.iter().find(|r| r.key == k).unwrap();
        assert_eq!(row("close_cost_per_group").source, Source::Scenario);
        assert_eq!(row("heartbeat_cost").source, Source::Default);
        // 1 µs is 4.5 times the highest measured (220 ns).
        match row("close_cost_per_group").against {
            Against::Above(r) => assert!((r - 1000.0 / 220.0).abs() < 1e-9, "{r}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn medians_and_means_are_compared_as_stated() {
        // An exponential of mean 20 µs has its median at 13.9 µs: under the measured wake-up's
        // lowest p50 (14 µs), though its mean is inside.
        let d = Dist::Exponential { mean_ns: 20_000.0 };
        assert!(matches!(against("monitor_wake_latency", &d), Against::Below(_)));
        // The gap is compared at its mean.
        assert_eq!(against("netty_event_gap", &d), Against::Within);
        assert_eq!(against("cpus", &d), Against::NotCompared);
    }

    #[test]
    fn against_reads_as_words() {
        assert_eq!(against_words(Against::Above(1000.0 / 220.0)), "4.5× the highest measured");
        assert_eq!(against_words(Against::Above(28.4)), "28× the highest measured");
        assert_eq!(against_words(Against::Below(0.5)), "0.5× the lowest measured");
        assert_eq!(against_words(Against::Below(0.0)), "under the lowest measured");
        assert_eq!(against_words(Against::Within), "within");
    }
}
