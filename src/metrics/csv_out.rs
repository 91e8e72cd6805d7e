//! `timeline.csv`: one row per sample, streamed to disk as the run goes on. Fixed header and
//! fixed float formatting, so the bytes depend only on the scenario, the policy and the seed.

use super::atomic::AtomicFile;
use super::Sample;
use crate::error::Error;
use std::path::{Path, PathBuf};

/// The fixed columns, in order (per-group lag columns follow `lag_total`).
pub const COLUMNS_BEFORE_GROUPS: &[&str] = &["time_s", "lag_total"];
/// The columns after the per-group lag columns.
pub const COLUMNS_AFTER_GROUPS: &[&str] = &[
    "consumers_registered",
    "consumers_running",
    "heartbeat_queue_len",
    "heartbeat_threads_blocked",
    "heartbeat_threads_runnable",
    "heartbeat_threads_idle",
    "heartbeat_threads_blocked_mean",
    "monitor_holder",
    "monitor_busy_share",
    "monitor_waiters",
    "groups_in_table",
    "groups_empty",
    "netty_queue_len",
    "netty_events_dropped",
    "heartbeats_ok",
    "heartbeats_timed_out",
    "heartbeats_busy",
    "heartbeat_latency_p50_ms",
    "heartbeat_latency_p99_ms",
    "heartbeat_latency_max_ms",
    "messages_produced",
    "messages_consumed",
    "close_events",
    "close_walks",
];

/// A timeline being written.
pub struct TimelineWriter {
    writer: csv::Writer<AtomicFile>,
    path: PathBuf,
    row: Vec<String>,
}

impl TimelineWriter {
    /// Starts `path` with the header for these consumer groups.
    pub fn create(path: &Path, group_names: &[String]) -> Result<TimelineWriter, Error> {
        let file = AtomicFile::create(path)?;
        let writer = csv::WriterBuilder::new()
            .delimiter(b',')
            .quote_style(csv::QuoteStyle::Necessary)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(file);
        let header = timeline_header(group_names).map_err(|message| Error::Output {
            path: path.to_path_buf(),
            message,
        })?;
        let mut timeline = TimelineWriter {
            writer,
            path: path.to_path_buf(),
            row: Vec::with_capacity(header.len()),
        };
        timeline.write_record(&header)?;
        Ok(timeline)
    }

    fn write_record(&mut self, record: &[String]) -> Result<(), Error> {
        self.writer.write_record(record).map_err(|e| Error::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })
    }

    /// Appends rows.
    pub fn write(&mut self, samples: &[Sample]) -> Result<(), Error> {
        for sample in samples {
            let mut row = std::mem::take(&mut self.row);
            row.clear();
            format_row(sample, &mut row);
            self.write_record(&row)?;
            self.row = row;
        }
        Ok(())
    }

    /// Completes the file.
    pub fn finish(self) -> Result<(), Error> {
        let path = self.path;
        let file = self.writer.into_inner().map_err(|e| Error::Io {
            path,
            source: std::io::Error::other(e.to_string()),
        })?;
        file.commit()
    }
}

/// The timeline header for these consumer groups; an error if two columns would have one name
/// (validation refuses such groups first: this is the last line of defence).
pub fn timeline_header(group_names: &[String]) -> Result<Vec<String>, String> {
    let mut header: Vec<String> = COLUMNS_BEFORE_GROUPS.iter().map(|c| c.to_string()).collect();
    header.extend(group_names.iter().map(|g| super::group_column(g)));
    header.extend(COLUMNS_AFTER_GROUPS.iter().map(|c| c.to_string()));
    for (i, column) in header.iter().enumerate() {
        if header[..i].contains(column) {
            return Err(format!("two timeline columns would be named `{column}`"));
        }
    }
    Ok(header)
}

/// Seconds with millisecond precision (sample times are whole milliseconds or coarser).
pub fn format_time_s(ns: u64) -> String {
    format!("{}.{:03}", ns / 1_000_000_000, (ns % 1_000_000_000) / 1_000_000)
}

fn format_row(s: &Sample, row: &mut Vec<String>) {
    row.push(format_time_s(s.time_ns));
    row.push(s.lag_total.to_string());
    row.extend(s.lag_per_group.iter().map(|l| l.to_string()));
    row.push(s.consumers_registered.to_string());
    row.push(s.consumers_running.to_string());
    row.push(s.heartbeat_queue_len.to_string());
    row.push(s.heartbeat_threads_blocked.to_string());
    row.push(s.heartbeat_threads_runnable.to_string());
    row.push(s.heartbeat_threads_idle.to_string());
    row.push(format!("{:.3}", s.heartbeat_threads_blocked_mean));
    row.push(s.monitor_holder.thread_name());
    row.push(format!("{:.4}", s.monitor_busy_share));
    row.push(s.monitor_waiters.to_string());
    row.push(s.groups_in_table.to_string());
    row.push(s.groups_empty.to_string());
    row.push(s.netty_queue_len.to_string());
    row.push(s.netty_events_dropped.to_string());
    row.push(s.heartbeats_ok.to_string());
    row.push(s.heartbeats_timed_out.to_string());
    row.push(s.heartbeats_busy.to_string());
    row.push(format!("{:.3}", s.heartbeat_latency_p50_ms));
    row.push(format!("{:.3}", s.heartbeat_latency_p99_ms));
    row.push(format!("{:.3}", s.heartbeat_latency_max_ms));
    row.push(s.messages_produced.to_string());
    row.push(s.messages_consumed.to_string());
    row.push(s.close_events.to_string());
    row.push(s.close_walks.to_string());
}

/// The columns of `timeline_brokers.csv`: long format, one row per (sample, broker), so a chart
/// or a data-frame reads any number of brokers the same way (`groupby(broker)`).
pub const BROKER_COLUMNS: &[&str] = &[
    "time_s",
    "broker",
    "lag",
    "consumers_registered",
    "heartbeat_queue_len",
    "heartbeat_threads_blocked_mean",
    "monitor_busy_share",
    "groups_in_table",
    "netty_queue_len",
    "heartbeats_timed_out",
];

/// `timeline_brokers.csv` being written.
pub struct BrokerTimelineWriter {
    writer: csv::Writer<AtomicFile>,
    path: PathBuf,
}

impl BrokerTimelineWriter {
    /// Starts `path` with its header.
    pub fn create(path: &Path) -> Result<BrokerTimelineWriter, Error> {
        let file = AtomicFile::create(path)?;
        let writer = csv::WriterBuilder::new()
            .delimiter(b',')
            .quote_style(csv::QuoteStyle::Necessary)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(file);
        let mut out = BrokerTimelineWriter {
            writer,
            path: path.to_path_buf(),
        };
        out.write_record(BROKER_COLUMNS.iter().map(|c| c.to_string()))?;
        Ok(out)
    }

    fn write_record(&mut self, record: impl IntoIterator<Item = String>) -> Result<(), Error> {
        self.writer.write_record(record).map_err(|e| Error::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })
    }

    /// Appends the broker rows of these samples.
    pub fn write(&mut self, samples: &[Sample]) -> Result<(), Error> {
        for sample in samples {
            for (b, r) in sample.brokers.iter().enumerate() {
                self.write_record([
                    format_time_s(sample.time_ns),
                    b.to_string(),
                    r.lag.to_string(),
                    r.consumers_registered.to_string(),
                    r.heartbeat_queue_len.to_string(),
                    format!("{:.3}", r.heartbeat_threads_blocked_mean),
                    format!("{:.4}", r.monitor_busy_share),
                    r.groups_in_table.to_string(),
                    r.netty_queue_len.to_string(),
                    r.heartbeats_timed_out.to_string(),
                ])?;
            }
        }
        Ok(())
    }

    /// Completes the file.
    pub fn finish(self) -> Result<(), Error> {
        let path = self.path;
        let file = self.writer.into_inner().map_err(|e| Error::Io {
            path,
            source: std::io::Error::other(e.to_string()),
        })?;
        file.commit()
    }
}

#[cfg(test)]
mod header_tests {
    use super::*;

    #[test]
    fn column_names_never_collide() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(timeline_header(&names(&["a", "b"])).is_ok());
        assert!(timeline_header(&names(&["total"])).unwrap_err().contains("lag_total"));
        assert!(timeline_header(&names(&["a", "a"])).is_err());
        assert!(crate::metrics::group_column_problem("total").is_some());
        assert!(crate::metrics::group_column_problem("totals").is_none());
    }
}
