//! Virtual time. Owns the `SimTime` newtype and the nanosecond constants; reads no clock.

use std::fmt;

/// Nanoseconds in one microsecond.
pub const US: u64 = 1_000;
/// Nanoseconds in one millisecond.
pub const MS: u64 = 1_000_000;
/// Nanoseconds in one second.
pub const SEC: u64 = 1_000_000_000;

/// A point in virtual time [ns since the start of the run].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);

    /// Nanoseconds since the start of the run.
    pub fn ns(self) -> u64 {
        self.0
    }

    /// This time plus `delta_ns`, saturating at the end of representable time.
    pub fn after(self, delta_ns: u64) -> SimTime {
        SimTime(self.0.saturating_add(delta_ns))
    }

    /// Seconds as a float, for output only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / SEC as f64
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0 / SEC;
        let nanos = self.0 % SEC;
        write!(f, "{secs}.{nanos:09}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_exact() {
        assert_eq!(SimTime(1_500_000_001).to_string(), "1.500000001s");
        assert_eq!(SimTime::ZERO.after(3 * SEC).to_string(), "3.000000000s");
    }

    #[test]
    fn after_saturates() {
        assert_eq!(SimTime(u64::MAX - 1).after(10), SimTime(u64::MAX));
    }
}
