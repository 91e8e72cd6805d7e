//! `[expect]`: thresholds on a run's figures that `hbsim check` enforces. `[expect]` applies to
//! every policy the scenario runs; `[expect.<policy>]` applies to one and overrides shared keys.

use super::units::parse_duration;
use crate::model::policy::Policy;

/// One threshold.
#[derive(Clone, Debug, PartialEq)]
pub enum Threshold {
    LagMaxBelow(f64),
    LagMaxAbove(f64),
    LagFinalBelow(f64),
    LagFinalAbove(f64),
    /// Seconds with lag above `level` must stay below `seconds`.
    TimeAboveLagBelow {
        level: u64,
        seconds: f64,
    },
    /// Seconds with lag above `level` must exceed `seconds`.
    TimeAboveLagAbove {
        level: u64,
        seconds: f64,
    },
    HeartbeatTimeoutRatioBelow(f64),
    HeartbeatTimeoutRatioAbove(f64),
    ConsumersRegisteredMinAtLeast(f64),
    /// After the first action named `after` (its `action` or `label`), lag must be back at or
    /// below `level` within `within_ns`.
    RecoversWithin {
        after: String,
        within_ns: u64,
        level: u64,
    },
    /// The maximum lag on the queues of each of `brokers` (summary `brokers[i].lag_max`) must
    /// exceed `level` (the smallest of them is measured).
    BrokerLagMaxAbove {
        brokers: Vec<u32>,
        level: f64,
    },
    /// The maximum lag on the queues of each of `brokers` must stay below `level` (the largest of
    /// them is measured).
    BrokerLagMaxBelow {
        brokers: Vec<u32>,
        level: f64,
    },
}

impl Threshold {
    /// The key as written in the file.
    pub fn key(&self) -> &'static str {
        match self {
            Threshold::LagMaxBelow(_) => "lag_max_below",
            Threshold::LagMaxAbove(_) => "lag_max_above",
            Threshold::LagFinalBelow(_) => "lag_final_below",
            Threshold::LagFinalAbove(_) => "lag_final_above",
            Threshold::TimeAboveLagBelow { .. } => "time_above_lag_s_below",
            Threshold::TimeAboveLagAbove { .. } => "time_above_lag_s_above",
            Threshold::HeartbeatTimeoutRatioBelow(_) => "heartbeat_timeout_ratio_below",
            Threshold::HeartbeatTimeoutRatioAbove(_) => "heartbeat_timeout_ratio_above",
            Threshold::ConsumersRegisteredMinAtLeast(_) => "consumers_registered_min_at_least",
            Threshold::RecoversWithin { .. } => "recovers_within",
            Threshold::BrokerLagMaxAbove { .. } => "broker_lag_max_above",
            Threshold::BrokerLagMaxBelow { .. } => "broker_lag_max_below",
        }
    }

    /// True when a larger measured value is better (the bound is a lower bound).
    pub fn wants_high(&self) -> bool {
        matches!(
            self,
            Threshold::LagMaxAbove(_)
                | Threshold::LagFinalAbove(_)
                | Threshold::TimeAboveLagAbove { .. }
                | Threshold::HeartbeatTimeoutRatioAbove(_)
                | Threshold::ConsumersRegisteredMinAtLeast(_)
                | Threshold::BrokerLagMaxAbove { .. }
        )
    }
}

/// Expectations of one scenario.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expectations {
    /// Keys of `[expect]`.
    pub shared: Vec<Threshold>,
    /// Keys of `[expect.<policy>]`.
    pub per_policy: Vec<(Policy, Vec<Threshold>)>,
    /// Runs (seeds seed, seed+1, …) whose confidence bound is checked; 1 = a single run.
    pub replications: u32,
}

impl Expectations {
    /// The thresholds for `policy`: shared ones, overridden key by key by the policy's own.
    pub fn for_policy(&self, policy: Policy) -> Vec<Threshold> {
        let own: &[Threshold] = self.per_policy.iter().find(|(p, _)| *p == policy).map_or(&[], |(_, t)| t);
        let mut out: Vec<Threshold> = self
            .shared
            .iter()
            .filter(|s| !own.iter().any(|o| same_slot(o, s)))
            .cloned()
            .collect();
        out.extend(own.iter().cloned());
        out
    }

    /// The policies to check: the scenario's (when shared keys exist) plus every named one.
    pub fn policies(&self, scenario_policies: &[Policy]) -> Vec<Policy> {
        let mut out: Vec<Policy> = if self.shared.is_empty() {
            Vec::new()
        } else {
            scenario_policies.to_vec()
        };
        for (policy, _) in &self.per_policy {
            if !out.contains(policy) {
                out.push(*policy);
            }
        }
        out
    }
}

/// Two thresholds fill the same slot when they have the same key (and the same level).
fn same_slot(a: &Threshold, b: &Threshold) -> bool {
    match (a, b) {
        (Threshold::TimeAboveLagBelow { level: x, .. }, Threshold::TimeAboveLagBelow { level: y, .. })
        | (Threshold::TimeAboveLagAbove { level: x, .. }, Threshold::TimeAboveLagAbove { level: y, .. }) => x == y,
        _ => a.key() == b.key(),
    }
}

/// Parses the raw `[expect]` table; every problem is collected with its field path.
pub fn parse_expect(table: &toml::Table, actions: &[super::Action], problems: &mut Vec<String>) -> Expectations {
    let mut expectations = Expectations {
        replications: 1,
        ..Expectations::default()
    };
    for (key, value) in table {
        let field = format!("expect.{key}");
        if key == "replications" {
            match value.as_integer() {
                Some(n) if (1..=100).contains(&n) => expectations.replications = n as u32,
                _ => problems.push(format!("{field}: must be a whole number from 1 to 100")),
            }
            continue;
        }
        if let Some(policy_table) = value.as_table() {
            if let Some(policy) = Policy::parse(key) {
                let mut thresholds = Vec::new();
                for (k, v) in policy_table {
                    if let Some(t) = parse_threshold(k, v, &format!("{field}.{k}"), actions, problems) {
                        thresholds.push(t);
                    }
                }
                if expectations.per_policy.iter().any(|(p, _)| *p == policy) {
                    problems.push(format!("{field}: policy {policy} already has an [expect] table under another name"));
                    continue;
                }
                expectations.per_policy.push((policy, thresholds));
                continue;
            }
            if !is_threshold_key(key) {
                problems.push(format!(
                    "{field}: `{key}` is neither a threshold nor a policy (policies: {})",
                    Policy::names()
                ));
                continue;
            }
        }
        if let Some(t) = parse_threshold(key, value, &field, actions, problems) {
            expectations.shared.push(t);
        }
    }
    expectations
}

const KEYS: &[&str] = &[
    "lag_max_below",
    "lag_max_above",
    "lag_final_below",
    "lag_final_above",
    "time_above_lag_s_below",
    "time_above_lag_s_above",
    "heartbeat_timeout_ratio_below",
    "heartbeat_timeout_ratio_above",
    "consumers_registered_min_at_least",
    "recovers_within",
    "broker_lag_max_above",
    "broker_lag_max_below",
];

fn is_threshold_key(key: &str) -> bool {
    KEYS.contains(&key)
}

fn number(value: &toml::Value, field: &str, problems: &mut Vec<String>) -> Option<f64> {
    let n = value.as_float().or_else(|| value.as_integer().map(|i| i as f64));
    match n {
        Some(n) if n.is_finite() && n >= 0.0 => Some(n),
        _ => {
            problems.push(format!("{field}: must be a number >= 0"));
            None
        }
    }
}

fn parse_threshold(
    key: &str,
    value: &toml::Value,
    field: &str,
    actions: &[super::Action],
    problems: &mut Vec<String>,
) -> Option<Threshold> {
    let ratio = |problems: &mut Vec<String>| -> Option<f64> {
        let n = number(value, field, problems)?;
        if n > 1.0 {
            problems.push(format!("{field}: a ratio must be between 0 and 1, got {n}"));
            return None;
        }
        Some(n)
    };
    let t = match key {
        "lag_max_below" => Threshold::LagMaxBelow(positive(value, field, problems)?),
        "lag_max_above" => Threshold::LagMaxAbove(number(value, field, problems)?),
        "lag_final_below" => Threshold::LagFinalBelow(positive(value, field, problems)?),
        "lag_final_above" => Threshold::LagFinalAbove(number(value, field, problems)?),
        "heartbeat_timeout_ratio_below" => {
            let r = ratio(problems)?;
            if r == 0.0 {
                problems.push(format!("{field}: a ratio below 0 can never hold"));
                return None;
            }
            Threshold::HeartbeatTimeoutRatioBelow(r)
        }
        "heartbeat_timeout_ratio_above" => {
            let r = ratio(problems)?;
            if r >= 1.0 {
                problems.push(format!("{field}: a ratio above 1 can never hold"));
                return None;
            }
            Threshold::HeartbeatTimeoutRatioAbove(r)
        }
        "consumers_registered_min_at_least" => Threshold::ConsumersRegisteredMinAtLeast(number(value, field, problems)?),
        "time_above_lag_s_below" | "time_above_lag_s_above" => {
            let Some(table) = value.as_table() else {
                problems.push(format!("{field}: must be a table {{ level = <messages>, seconds = <s> }}"));
                return None;
            };
            let (level, seconds) = level_seconds(table, field, problems)?;
            if key.ends_with("below") {
                if seconds == 0.0 {
                    problems.push(format!("{field}.seconds: below 0 seconds can never hold"));
                    return None;
                }
                Threshold::TimeAboveLagBelow { level, seconds }
            } else {
                Threshold::TimeAboveLagAbove { level, seconds }
            }
        }
        "recovers_within" => recovers_within(value, field, actions, problems)?,
        "broker_lag_max_above" | "broker_lag_max_below" => {
            let Some(table) = value.as_table() else {
                problems.push(format!("{field}: must be a table {{ brokers = [<index>, …], level = <messages> }}"));
                return None;
            };
            for k in table.keys() {
                if k != "brokers" && k != "level" {
                    problems.push(format!("{field}.{k}: unknown key (expected brokers and level)"));
                }
            }
            let index = |v: &toml::Value| v.as_integer().filter(|b| (0..=i64::from(u32::MAX)).contains(b)).map(|b| b as u32);
            let brokers: Option<Vec<u32>> = table
                .get("brokers")
                .and_then(|v| v.as_array())
                .filter(|list| !list.is_empty())
                .and_then(|list| list.iter().map(index).collect());
            let level = table
                .get("level")
                .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
                .filter(|l| l.is_finite() && *l >= 0.0);
            let (Some(brokers), Some(level)) = (brokers, level) else {
                problems.push(format!(
                    "{field}: needs brokers = [<index >= 0>, …] (not empty) and level = <messages, >= 0>"
                ));
                return None;
            };
            if key.ends_with("above") {
                Threshold::BrokerLagMaxAbove { brokers, level }
            } else {
                if level == 0.0 {
                    problems.push(format!("{field}.level: below 0 can never hold"));
                    return None;
                }
                Threshold::BrokerLagMaxBelow { brokers, level }
            }
        }
        other => {
            problems.push(format!(
                "{field}: unknown threshold `{other}` (expected one of {})",
                KEYS.join(", ")
            ));
            return None;
        }
    };
    Some(t)
}

fn positive(value: &toml::Value, field: &str, problems: &mut Vec<String>) -> Option<f64> {
    let n = number(value, field, problems)?;
    if n == 0.0 {
        problems.push(format!("{field}: below 0 can never hold"));
        return None;
    }
    Some(n)
}

fn level_seconds(table: &toml::Table, field: &str, problems: &mut Vec<String>) -> Option<(u64, f64)> {
    for key in table.keys() {
        if key != "level" && key != "seconds" {
            problems.push(format!("{field}.{key}: unknown key (expected level and seconds)"));
        }
    }
    let level = table.get("level").and_then(|v| v.as_integer()).filter(|l| *l >= 0);
    let seconds = table
        .get("seconds")
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .filter(|s| s.is_finite() && *s >= 0.0);
    match (level, seconds) {
        (Some(level), Some(seconds)) => Some((level as u64, seconds)),
        _ => {
            problems.push(format!("{field}: needs level = <messages, >= 0> and seconds = <number >= 0>"));
            None
        }
    }
}

fn recovers_within(value: &toml::Value, field: &str, actions: &[super::Action], problems: &mut Vec<String>) -> Option<Threshold> {
    let Some(table) = value.as_table() else {
        problems.push(format!(
            "{field}: must be a table {{ after = \"restart_broker\", within = \"5m\", level = 1000 }}"
        ));
        return None;
    };
    for key in table.keys() {
        if !["after", "within", "level"].contains(&key.as_str()) {
            problems.push(format!("{field}.{key}: unknown key (expected after, within, level)"));
        }
    }
    let after = table.get("after").and_then(|v| v.as_str()).map(String::from);
    let within = table.get("within").and_then(|v| v.as_str()).map(parse_duration);
    let level = table
        .get("level")
        .map_or(Some(1_000), |v| v.as_integer().filter(|l| *l >= 0).map(|l| l as u64));
    let (Some(after), Some(Ok(within_ns)), Some(level)) = (after, within, level) else {
        problems.push(format!(
            "{field}: needs after = \"<action or label>\", within = \"<duration>\" and optionally level = <messages>"
        ));
        return None;
    };
    let known = actions.iter().any(|a| action_name(&a.kind) == after || a.label == after);
    if !known {
        problems.push(format!("{field}.after: no action named or labelled `{after}` in this scenario"));
        return None;
    }
    Some(Threshold::RecoversWithin { after, within_ns, level })
}

/// The `action = "…"` name of an action kind.
pub fn action_name(kind: &super::ActionKind) -> &'static str {
    use super::ActionKind::*;
    match kind {
        StopGroupCreation => "stop_group_creation",
        StartGroupCreation => "start_group_creation",
        RestartBroker(_) => "restart_broker",
        ScaleConsumers { .. } => "scale_consumers",
        DisconnectClients { .. } => "disconnect_clients",
        Set(_) => "set",
    }
}
