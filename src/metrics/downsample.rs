//! A bounded, deterministic min/max downsampler: the charts' view of a timeline of any length in
//! a fixed amount of memory.
//!
//! Rows (a time and one value per column) go into at most `capacity` buckets of `width`
//! consecutive rows each. Each bucket keeps, per column, the minimum and the maximum and the
//! row index where each occurred (the first one on ties). When every bucket is in use, neighbours
//! are merged in pairs and `width` doubles. Memory is `capacity × columns` aggregates whatever
//! the number of rows; the result depends only on the rows, in order (no clock, no hashing).
//!
//! Reading back, a bucket of one row gives that row; a bucket of several rows gives two points,
//! at its first and last row times, carrying each column's extreme values in the order they
//! occurred. So peaks and troughs survive exactly; only their time moves, by less than one
//! bucket (at most 1/capacity of the run: well below a pixel column). Columns added together
//! after downsampling (the stacked thread chart) are sums of per-column extremes, which may come
//! from different rows of one bucket.

/// Buckets the charts use: at most 32,768 points per series, about 14 buckets per pixel column
/// of a 1,200-pixel chart, and 16 MB (32 bytes per column and bucket) for a 30-column timeline of
/// any length. Buckets must stay well under a pixel wide: with 4,096 (a third of a pixel), the
/// chart's own per-pixel min/max picked points up to two pixels apart and a fast-oscillating lag
/// showed white stripes that the raw data does not have.
pub const CHART_BUCKETS: usize = 16_384;

/// Per column and bucket: the extremes and where they were.
#[derive(Clone, Copy, Debug)]
struct Extremes {
    min: f64,
    min_at: u64,
    max: f64,
    max_at: u64,
}

impl Extremes {
    fn new(value: f64, at: u64) -> Extremes {
        Extremes {
            min: value,
            min_at: at,
            max: value,
            max_at: at,
        }
    }

    /// `self` is the earlier bucket: ties keep its (earlier) row.
    fn merge(self, later: Extremes) -> Extremes {
        let (min, min_at) = if later.min < self.min {
            (later.min, later.min_at)
        } else {
            (self.min, self.min_at)
        };
        let (max, max_at) = if later.max > self.max {
            (later.max, later.max_at)
        } else {
            (self.max, self.max_at)
        };
        Extremes { min, min_at, max, max_at }
    }
}

/// Rows and time span of one bucket.
#[derive(Clone, Copy, Debug)]
struct Span {
    rows: u64,
    first_t: f64,
    last_t: f64,
}

/// The downsampler.
pub struct Downsampler {
    columns: usize,
    capacity: usize,
    width: u64,
    rows: u64,
    spans: Vec<Span>,
    /// `spans.len() × columns`, bucket-major.
    extremes: Vec<Extremes>,
}

impl Downsampler {
    /// At most `capacity` buckets (rounded up to an even number, at least 2) of `columns` values.
    pub fn new(columns: usize, capacity: usize) -> Downsampler {
        let capacity = capacity.max(2).next_multiple_of(2);
        Downsampler {
            columns,
            capacity,
            width: 1,
            rows: 0,
            spans: Vec::with_capacity(capacity),
            extremes: Vec::with_capacity(capacity * columns),
        }
    }

    /// Rows seen so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Adds one row (`values.len()` must be the column count).
    pub fn push(&mut self, time: f64, values: &[f64]) {
        assert_eq!(values.len(), self.columns, "one value per column");
        let at = self.rows;
        self.rows += 1;
        if let Some(span) = self.spans.last_mut() {
            if span.rows < self.width {
                span.rows += 1;
                span.last_t = time;
                let start = self.extremes.len() - self.columns;
                for (slot, &value) in self.extremes[start..].iter_mut().zip(values) {
                    *slot = slot.merge(Extremes::new(value, at));
                }
                return;
            }
        }
        if self.spans.len() == self.capacity {
            self.halve();
        }
        self.spans.push(Span {
            rows: 1,
            first_t: time,
            last_t: time,
        });
        self.extremes.extend(values.iter().map(|&v| Extremes::new(v, at)));
    }

    /// Merges neighbouring buckets in pairs; buckets then hold twice as many rows.
    fn halve(&mut self) {
        let pairs = self.spans.len() / 2;
        let c = self.columns;
        for k in 0..pairs {
            let (a, b) = (self.spans[2 * k], self.spans[2 * k + 1]);
            self.spans[k] = Span {
                rows: a.rows + b.rows,
                first_t: a.first_t,
                last_t: b.last_t,
            };
            for col in 0..c {
                let merged = self.extremes[2 * k * c + col].merge(self.extremes[(2 * k + 1) * c + col]);
                self.extremes[k * c + col] = merged;
            }
        }
        self.spans.truncate(pairs);
        self.extremes.truncate(pairs * c);
        self.width *= 2;
    }

    /// The points to draw: times, and per column the values at those times.
    pub fn finish(self) -> (Vec<f64>, Vec<Vec<f64>>) {
        let points: usize = self.spans.iter().map(|s| if s.rows == 1 { 1 } else { 2 }).sum();
        let mut times = Vec::with_capacity(points);
        let mut values = vec![Vec::with_capacity(points); self.columns];
        for (b, span) in self.spans.iter().enumerate() {
            let extremes = &self.extremes[b * self.columns..(b + 1) * self.columns];
            if span.rows == 1 {
                times.push(span.first_t);
                for (column, e) in values.iter_mut().zip(extremes) {
                    column.push(e.min);
                }
            } else {
                times.push(span.first_t);
                times.push(span.last_t);
                for (column, e) in values.iter_mut().zip(extremes) {
                    let (first, second) = if e.min_at <= e.max_at { (e.min, e.max) } else { (e.max, e.min) };
                    column.push(first);
                    column.push(second);
                }
            }
        }
        (times, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rows: usize, capacity: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
        let mut d = Downsampler::new(2, capacity);
        for i in 0..rows {
            let x = i as f64;
            // Column 0: a saw tooth with one spike; column 1: a falling line.
            let spike = if i == rows / 3 { 1e6 } else { (i % 7) as f64 };
            d.push(x, &[spike, -x]);
        }
        d.finish()
    }

    #[test]
    fn short_series_come_back_unchanged() {
        let (t, v) = run(100, 128);
        assert_eq!(t, (0..100).map(|i| i as f64).collect::<Vec<_>>());
        assert_eq!(v[1], (0..100).map(|i| -(i as f64)).collect::<Vec<_>>());
    }

    #[test]
    fn memory_is_bounded_and_extremes_survive() {
        for rows in [129, 1000, 100_003] {
            let (t, v) = run(rows, 128);
            assert!(t.len() <= 2 * 128, "{rows} rows gave {} points", t.len());
            assert!(t.windows(2).all(|w| w[0] <= w[1]), "times stay in order");
            assert_eq!(v[0].iter().copied().fold(f64::MIN, f64::max), 1e6, "the spike survives");
            assert_eq!(
                v[1].iter().copied().fold(f64::MAX, f64::min),
                -((rows - 1) as f64),
                "the trough survives"
            );
            assert_eq!(*t.last().unwrap(), (rows - 1) as f64, "the last row is kept");
            assert_eq!(t[0], 0.0);
        }
    }

    #[test]
    fn it_is_deterministic_and_keeps_occurrence_order() {
        assert_eq!(run(5000, 64), run(5000, 64));
        let mut d = Downsampler::new(1, 2);
        for (i, v) in [5.0, 9.0, 1.0, 3.0, 2.0, 8.0].iter().enumerate() {
            d.push(i as f64, &[*v]);
        }
        // Buckets of 4 then 2 rows: (max 9 at row 1 before min 1 at row 2), then (2, 8).
        let (t, v) = d.finish();
        assert_eq!(t, vec![0.0, 3.0, 4.0, 5.0]);
        assert_eq!(v[0], vec![9.0, 1.0, 2.0, 8.0]);
    }
}
