//! The short tables printed after a run (text only; the caller prints).

use crate::metrics::summary_out::Summary;

/// One line per policy: the figures an engineer looks at first.
pub fn summary_table(summaries: &[Summary]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<12} {:>10} {:>10} {:>9} {:>9} {:>9} {:>8} {:>9} {:>10}\n",
        "policy", "lag_max", "lag_final", "hb_ok", "hb_tmout", "tmout_%", "cons_min", "groups", "monitor_%"
    ));
    for s in summaries {
        out.push_str(&format!(
            "{:<12} {:>10} {:>10} {:>9} {:>9} {:>9.2} {:>8} {:>9} {:>10.2}\n",
            s.policy,
            s.lag_max,
            s.lag_final,
            s.heartbeats_ok,
            s.heartbeats_timed_out,
            s.heartbeat_timeout_ratio * 100.0,
            s.consumers_registered_min,
            s.groups_in_table_max,
            s.monitor_utilization * 100.0
        ));
    }
    out
}
