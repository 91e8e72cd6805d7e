//! Units people write in scenario files: durations (`"30s"`, `"1.5ms"`, `"1us"`) and cost or
//! interval distributions (a duration, or a table such as `{ dist = "exponential", mean = "1ms" }`).
//!
//! Parsing is exact integer arithmetic on the decimal text: `"0.1s"` is exactly 100,000,000 ns and
//! anything that does not fit in u64 nanoseconds is rejected here, at parse time.

use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// The units accepted after a number, with their size in nanoseconds.
const UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("min", 60_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
];

/// Parses a duration such as `"30s"`, `"1.5ms"`, `"250us"`, `"2h"` or `"0"` into nanoseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    // Compound durations ("1h30m", "2m 30s"): the sum of their number-unit parts.
    let parts = duration_parts(text.trim());
    if parts.len() > 1 {
        let mut total: u64 = 0;
        for part in &parts {
            let ns = parse_single_duration(part).map_err(|e| format!("duration {text:?}: {e}"))?;
            total = total
                .checked_add(ns)
                .ok_or_else(|| format!("duration {text:?} is too long (at most about 584 years)"))?;
        }
        return Ok(total);
    }
    parse_single_duration(text)
}

/// Splits "1h30m" into "1h" and "30m" (a part starts where a digit follows a unit letter).
fn duration_parts(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut previous: Option<char> = None;
    for (i, c) in text.char_indices() {
        let number = c.is_ascii_digit() || c == '.';
        if number && previous.is_some_and(|p| p.is_alphabetic() || p == ' ') && !text[start..i].trim().is_empty() {
            parts.push(text[start..i].trim());
            start = i;
        }
        previous = Some(c);
    }
    parts.push(text[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

fn parse_single_duration(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    if trimmed == "0" {
        return Ok(0);
    }
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("duration {text:?} has no unit (write e.g. \"30s\", \"1.5ms\", \"1us\")"))?;
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim();
    let unit_ns = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, ns)| *ns)
        .ok_or_else(|| format!("duration {text:?} has unknown unit {unit:?} (use ns, us, µs, ms, s, m, min, h or d)"))?;
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return Err(format!("duration {text:?} has no number"));
    }
    if fraction.contains('.') || fraction.len() > 18 || whole.len() > 20 {
        return Err(format!("duration {text:?} is not a number with a unit"));
    }
    let whole_value: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| format!("duration {text:?} is not a number"))?
    };
    let mut total = whole_value * u128::from(unit_ns);
    if !fraction.is_empty() {
        let digits: u128 = fraction.parse().map_err(|_| format!("duration {text:?} is not a number"))?;
        let scale = 10u128.pow(fraction.len() as u32);
        let scaled = digits * u128::from(unit_ns);
        if !scaled.is_multiple_of(scale) {
            return Err(format!("duration {text:?} is finer than one nanosecond"));
        }
        total += scaled / scale;
    }
    u64::try_from(total).map_err(|_| format!("duration {text:?} is too long (at most about 584 years)"))
}

/// Formats nanoseconds the way a person would write them (for messages and docs).
pub fn format_duration(ns: u64) -> String {
    for (name, size) in [
        ("h", 3_600_000_000_000u64),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
    ] {
        if ns >= size && ns.is_multiple_of(size) {
            return format!("{}{name}", ns / size);
        }
    }
    if ns >= 1_000_000_000 {
        return format!("{:.3}s", ns as f64 / 1e9);
    }
    if ns >= 1_000_000 {
        return format!("{:.3}ms", ns as f64 / 1e6);
    }
    format!("{ns}ns")
}

/// A fixed duration [ns], deserialized from a string like `"30s"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub u64);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurVisitor;
        impl Visitor<'_> for DurVisitor {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration string such as \"30s\", \"1.5ms\" or \"1us\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                if v == 0 {
                    Ok(Dur(0))
                } else {
                    Err(E::custom(format!(
                        "the number {v} has no unit: write it as a string such as \"{v}s\" or \"{v}ms\""
                    )))
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
                Err(E::custom(format!(
                    "the number {v} has no unit: write it as a string such as \"{v}s\""
                )))
            }
        }
        deserializer.deserialize_any(DurVisitor)
    }
}

/// A cost or interval: a constant or a distribution [ns].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dist {
    /// Always this value.
    Const(u64),
    /// Exponential with this mean.
    Exponential { mean_ns: f64 },
    /// Uniform on [min, max].
    Uniform { min_ns: u64, max_ns: u64 },
    /// Log-normal with this median and shape sigma (of the underlying normal).
    LogNormal { median_ns: f64, sigma: f64 },
    /// Normal with this mean and standard deviation, truncated at 0 (redrawn when negative).
    Normal { mean_ns: f64, std_dev_ns: f64 },
    /// Empirical: the quantile function through measured percentiles, linear between them; the
    /// values at [`EMPIRICAL_QUANTILES`] (gaps filled by interpolation when the table was read).
    /// Carries a tail that a lognormal through two percentiles cannot (a wake-up of p50 24 µs,
    /// p90 27 µs, p99 2.7 ms). Leaked once per parsed scenario so that `Dist` stays small and `Copy`.
    Empirical(&'static EmpiricalKnots),
}

/// The quantiles of an empirical distribution's knots: min, p1, p5, p10, p25, p50, p75, p90, p99,
/// p999, max.
pub const EMPIRICAL_QUANTILES: [f64; 11] = [0.0, 0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.99, 0.999, 1.0];
/// The keys of those knots in a scenario file.
pub const EMPIRICAL_KEYS: [&str; 11] = ["min", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p99", "p999", "max"];
/// The lower tail's fine knots (p1, p5): in use only when the file gives one of them, so a table
/// without them draws exactly as before they existed (one segment from min to p10).
const EMPIRICAL_FINE_LOW: [usize; 2] = [1, 2];

/// The knots an empirical distribution draws through: `n` (quantile, value) pairs, quantiles
/// increasing from 0 to 1.
#[derive(Debug, PartialEq)]
pub struct EmpiricalKnots {
    q: [f64; 11],
    v: [u64; 11],
    n: usize,
}

impl EmpiricalKnots {
    /// The (quantile, value) knots in use.
    pub fn knots(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.q[..self.n].iter().copied().zip(self.v[..self.n].iter().copied())
    }

    /// The value at quantile `q` if it is a knot in use.
    pub fn at(&self, q: f64) -> Option<u64> {
        self.knots().find(|(k, _)| *k == q).map(|(_, v)| v)
    }

    fn max(&self) -> u64 {
        self.v[self.n - 1]
    }
}

impl Dist {
    /// Draws one value [ns].
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        // Constants are the common case on hot paths (costs of 0 or a few µs): no call.
        match *self {
            Dist::Const(ns) => ns,
            _ => self.draw(rng),
        }
    }

    #[inline(never)]
    fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        match *self {
            Dist::Const(ns) => ns,
            Dist::Exponential { mean_ns } => {
                if mean_ns <= 0.0 {
                    return 0;
                }
                // Exp(mean) = mean × Exp(1): no per-draw construction or division.
                let unit: f64 = Exp1.sample(rng);
                to_ns(mean_ns * unit)
            }
            Dist::Uniform { min_ns, max_ns } => {
                if min_ns == max_ns {
                    min_ns
                } else {
                    rng.gen_range(min_ns..=max_ns)
                }
            }
            Dist::LogNormal { median_ns, sigma } => {
                // LogNormal(ln median, sigma) = median × exp(sigma × N(0, 1)).
                let z: f64 = StandardNormal.sample(rng);
                to_ns(median_ns * (sigma * z).exp())
            }
            Dist::Empirical(knots) => {
                let u: f64 = rng.gen::<f64>();
                let (q, v, n) = (&knots.q[..knots.n], &knots.v, knots.n);
                // The first segment whose upper knot lies above u (the last one if none does):
                // by bisection over the upper knots, the same segment a scan finds.
                let k = q[1..].partition_point(|&upper| upper <= u).min(n - 2);
                let (q0, q1) = (q[k], q[k + 1]);
                let (v0, v1) = (v[k] as f64, v[k + 1] as f64);
                to_ns(v0 + (u - q0) / (q1 - q0) * (v1 - v0))
            }
            Dist::Normal { mean_ns, std_dev_ns } => {
                // Truncated at 0 by rejection: the mean is validated >= 0, so each draw is
                // accepted with probability at least 1/2.
                for _ in 0..64 {
                    let z: f64 = StandardNormal.sample(rng);
                    let x = mean_ns + std_dev_ns * z;
                    if x >= 0.0 {
                        return to_ns(x);
                    }
                }
                0
            }
        }
    }

    /// Draws one value conditioned on being at most `limit_ns` (by rejection; after 64 draws
    /// over the limit, the limit itself).
    pub fn sample_at_most<R: Rng + ?Sized>(&self, rng: &mut R, limit_ns: u64) -> u64 {
        for _ in 0..64 {
            let x = self.sample(rng);
            if x <= limit_ns {
                return x;
            }
        }
        limit_ns
    }

    /// Draws the stationary residual (forward recurrence time) of a renewal process with these
    /// intervals: the time to the next event seen from a random instant [ns]. Its density is
    /// P(X > t) / E[X]; it is drawn as a uniform point in a length-biased interval.
    /// Constants keep their historical draw (uniform on [0, c]), so constant-interval runs are
    /// unchanged.
    pub fn sample_residual<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        match *self {
            Dist::Const(ns) => rng.gen_range(0..=ns),
            // Memoryless: the residual is the interval itself.
            Dist::Exponential { .. } => self.draw(rng),
            _ => {
                // Length-biased draw by rejection: accept x with probability x / bound, bound a
                // high quantile taken from a few draws (distributions here are light-tailed enough
                // that 64 tries always suffice in practice; the last draw is used otherwise).
                let bound = self.mean_ns().max(1.0) * 8.0;
                let mut x = self.draw(rng);
                for _ in 0..64 {
                    let u: f64 = rng.gen::<f64>() * bound;
                    if (x as f64) >= u {
                        break;
                    }
                    x = self.draw(rng);
                }
                if x == 0 {
                    0
                } else {
                    rng.gen_range(0..=x)
                }
            }
        }
    }

    /// The mean of the distribution as sampled [ns].
    pub fn mean_ns(&self) -> f64 {
        match *self {
            Dist::Const(ns) => ns as f64,
            Dist::Exponential { mean_ns } => mean_ns,
            Dist::Uniform { min_ns, max_ns } => (min_ns as f64 + max_ns as f64) / 2.0,
            Dist::LogNormal { median_ns, sigma } => median_ns * (sigma * sigma / 2.0).exp(),
            Dist::Empirical(knots) => (0..knots.n - 1)
                .map(|k| (knots.q[k + 1] - knots.q[k]) * (knots.v[k] as f64 + knots.v[k + 1] as f64) / 2.0)
                .sum(),
            Dist::Normal { mean_ns, std_dev_ns } => {
                if std_dev_ns == 0.0 {
                    return mean_ns;
                }
                // Mean of a normal truncated below at 0.
                let alpha = -mean_ns / std_dev_ns;
                let pdf = (-alpha * alpha / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
                let tail = 1.0 - normal_cdf(alpha);
                mean_ns + std_dev_ns * pdf / tail
            }
        }
    }

    /// The median of the distribution as sampled [ns] (a truncated normal's by bisection).
    pub fn median_ns(&self) -> f64 {
        match *self {
            Dist::Const(ns) => ns as f64,
            Dist::Exponential { mean_ns } => mean_ns * std::f64::consts::LN_2,
            Dist::Uniform { min_ns, max_ns } => (min_ns as f64 + max_ns as f64) / 2.0,
            Dist::LogNormal { median_ns, .. } => median_ns,
            Dist::Empirical(knots) => {
                let k = (1..knots.n).find(|&k| knots.q[k] >= 0.5).unwrap_or(knots.n - 1);
                let (q0, q1) = (knots.q[k - 1], knots.q[k]);
                let (v0, v1) = (knots.v[k - 1] as f64, knots.v[k] as f64);
                v0 + (0.5 - q0) / (q1 - q0) * (v1 - v0)
            }
            Dist::Normal { mean_ns, std_dev_ns } => {
                if std_dev_ns == 0.0 {
                    return mean_ns;
                }
                // Redrawn below 0: the median is where the normal's distribution function is
                // halfway between its value at 0 and 1.
                let below = normal_cdf(-mean_ns / std_dev_ns);
                let target = below + (1.0 - below) / 2.0;
                let (mut lo, mut hi) = (0.0, mean_ns.max(0.0) + 10.0 * std_dev_ns);
                for _ in 0..100 {
                    let mid = (lo + hi) / 2.0;
                    if normal_cdf((mid - mean_ns) / std_dev_ns) < target {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                (lo + hi) / 2.0
            }
        }
    }

    /// The distribution in words for a reader: "1 µs", "exponential, mean 60 µs", "lognormal,
    /// median 150 µs", "measured: p50 30 µs, p90 763 µs, p99 3.26 ms".
    pub fn words(&self) -> String {
        match *self {
            Dist::Const(ns) => time_words(ns as f64),
            Dist::Exponential { mean_ns } => format!("exponential, mean {}", time_words(mean_ns)),
            Dist::Uniform { min_ns, max_ns } => {
                format!("uniform, {} to {}", time_words(min_ns as f64), time_words(max_ns as f64))
            }
            Dist::LogNormal { median_ns, sigma } => {
                format!("lognormal, median {} (σ {sigma})", time_words(median_ns))
            }
            Dist::Normal { mean_ns, std_dev_ns } => {
                format!("normal, mean {}, sd {}", time_words(mean_ns), time_words(std_dev_ns))
            }
            Dist::Empirical(knots) => {
                let at = |q: f64| knots.at(q).map(|v| time_words(v as f64));
                match (at(0.5), at(0.9), at(0.99)) {
                    (Some(p50), Some(p90), Some(p99)) => format!("measured: p50 {p50}, p90 {p90}, p99 {p99}"),
                    _ => format!("measured: median {}", time_words(self.median_ns())),
                }
            }
        }
    }

    /// True when every draw is the same value.
    pub fn is_const(&self) -> bool {
        matches!(self, Dist::Const(_))
    }
}

/// A time for a reader, three significant figures at most: 25 ns, 4.54 µs, 60 µs, 15.8 ms, 3 s.
pub fn time_words(ns: f64) -> String {
    // Each unit up to where its rounded value would read 1000.
    let (value, unit) = if ns < 999.5 {
        (ns, "ns")
    } else if ns < 999_500.0 {
        (ns / 1e3, "µs")
    } else if ns < 999_500_000.0 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let text = if value >= 100.0 || unit == "ns" {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text} {unit}")
}

/// Rounds a draw to whole nanoseconds (0 for anything not finite and positive).
#[inline]
fn to_ns(x: f64) -> u64 {
    if x.is_finite() {
        round_u64(x)
    } else {
        0
    }
}

/// Exactly `x.round() as u64` (half away from zero, then Rust's saturating conversion: NaN and
/// negatives give 0), without the libm call `round` compiles to on baseline x86-64 (no SSE4.1),
/// which showed in profiles.
#[inline]
pub fn round_u64(x: f64) -> u64 {
    /// From 2^52 on every f64 is an integer.
    const INTEGRAL: f64 = 4_503_599_627_370_496.0;
    if x.is_nan() || x < 0.5 {
        // Below one half (0.49999999999999994 included), negative or NaN.
        0
    } else if x < INTEGRAL {
        // Truncation and the fraction below it are both exact in this range, which also fits
        // i64 (a single conversion instruction each way, unlike u64).
        let whole = x as i64;
        let fraction = x - whole as f64;
        whole as u64 + u64::from(fraction >= 0.5)
    } else {
        x as u64
    }
}

/// The standard normal distribution function (the validation's per-configuration test uses it too).
pub fn normal_cdf(x: f64) -> f64 {
    // Abramowitz-Stegun 7.1.26 erf approximation (|error| < 1.5e-7), ample for a reported mean.
    let z = x / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.3275911 * z.abs());
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let erf = 1.0 - poly * (-z * z).exp();
    let erf = if z >= 0.0 { erf } else { -erf };
    0.5 * (1.0 + erf)
}

/// Upper bound on any duration parameter that is a mean or scale (a year): beyond it, draws lose
/// meaning and sums could overflow.
pub const DIST_SCALE_MAX_NS: f64 = 365.0 * 86_400.0 * 1e9;

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DistVisitor;
        impl<'de> Visitor<'de> for DistVisitor {
            type Value = Dist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"1ms\" or a table such as { dist = \"exponential\", mean = \"1ms\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dist, E> {
                parse_duration(v).map(Dist::Const).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dist, E> {
                Dur::deserialize(de::value::I64Deserializer::<E>::new(v)).map(|d| Dist::Const(d.0))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dist, E> {
                Err(E::custom(format!(
                    "the number {v} has no unit: write it as a string such as \"{v}ms\""
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dist, A::Error> {
                let mut fields = DistFields::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "dist" => fields.dist = Some(map.next_value::<String>()?),
                        "mean" => fields.mean = Some(map.next_value::<Dur>()?.0),
                        "min" => fields.min = Some(map.next_value::<Dur>()?.0),
                        "max" => fields.max = Some(map.next_value::<Dur>()?.0),
                        "median" => fields.median = Some(map.next_value::<Dur>()?.0),
                        "std_dev" => fields.std_dev = Some(map.next_value::<Dur>()?.0),
                        "sigma" => fields.sigma = Some(map.next_value::<f64>()?),
                        "value" => fields.value = Some(map.next_value::<Dur>()?.0),
                        key if EMPIRICAL_KEYS[1..10].contains(&key) => {
                            let i = EMPIRICAL_KEYS.iter().position(|k| *k == key).unwrap_or(0);
                            fields.percentiles[i] = Some(map.next_value::<Dur>()?.0);
                        }
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown distribution key `{other}` (expected dist, mean, min, max, median, sigma, std_dev, value, or p1, p5, p10, p25, p50, p75, p90, p99, p999 for empirical)"
                            )))
                        }
                    }
                }
                fields.build().map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_any(DistVisitor)
    }
}

#[derive(Default)]
struct DistFields {
    dist: Option<String>,
    mean: Option<u64>,
    min: Option<u64>,
    max: Option<u64>,
    median: Option<u64>,
    std_dev: Option<u64>,
    sigma: Option<f64>,
    value: Option<u64>,
    /// Empirical knots by index into [`EMPIRICAL_KEYS`] (min and max live in `min`/`max`).
    percentiles: [Option<u64>; 11],
}

impl DistFields {
    fn build(self) -> Result<Dist, String> {
        let kind = self
            .dist
            .clone()
            .ok_or("a distribution table needs `dist` (constant, exponential, uniform, lognormal, normal or empirical)")?;
        let need = |v: Option<u64>, key: &str| v.ok_or_else(|| format!("`dist = \"{kind}\"` needs `{key}`"));
        let allowed: &[&str] = match kind.as_str() {
            "constant" => &["value"],
            "exponential" => &["mean"],
            "uniform" => &["min", "max"],
            "lognormal" => &["median", "sigma"],
            "normal" => &["mean", "std_dev"],
            "empirical" => &EMPIRICAL_KEYS,
            other => {
                return Err(format!(
                    "unknown distribution `{other}` (expected constant, exponential, uniform, lognormal, normal or empirical)"
                ))
            }
        };
        if kind != "empirical" {
            if let Some(i) = self.percentiles.iter().position(Option::is_some) {
                return Err(format!(
                    "`{}` does not apply to `dist = \"{kind}\"` (it takes {})",
                    EMPIRICAL_KEYS[i],
                    allowed.join(", ")
                ));
            }
        }
        let present = [
            ("mean", self.mean.is_some()),
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("median", self.median.is_some()),
            ("std_dev", self.std_dev.is_some()),
            ("sigma", self.sigma.is_some()),
            ("value", self.value.is_some()),
        ];
        for (key, is_set) in present {
            if is_set && !allowed.contains(&key) {
                return Err(format!(
                    "`{key}` does not apply to `dist = \"{kind}\"` (it takes {})",
                    allowed.join(", ")
                ));
            }
        }
        let dist = match kind.as_str() {
            "constant" => Dist::Const(need(self.value, "value")?),
            "exponential" => Dist::Exponential {
                mean_ns: need(self.mean, "mean")? as f64,
            },
            "uniform" => {
                let (min_ns, max_ns) = (need(self.min, "min")?, need(self.max, "max")?);
                if min_ns > max_ns {
                    return Err(format!(
                        "uniform min ({}) is above max ({})",
                        format_duration(min_ns),
                        format_duration(max_ns)
                    ));
                }
                Dist::Uniform { min_ns, max_ns }
            }
            "lognormal" => {
                let median_ns = need(self.median, "median")? as f64;
                let sigma = self.sigma.ok_or("`dist = \"lognormal\"` needs `sigma`")?;
                if median_ns <= 0.0 {
                    return Err("lognormal median must be > 0".into());
                }
                if !(sigma.is_finite() && (0.0..=5.0).contains(&sigma)) {
                    return Err(format!("lognormal sigma must be between 0 and 5, got {sigma}"));
                }
                Dist::LogNormal { median_ns, sigma }
            }
            "empirical" => {
                let mut given = self.percentiles;
                given[0] = Some(self.min.unwrap_or(0));
                given[10] = Some(need(self.max, "max")?);
                if given[5].is_none() {
                    return Err("`dist = \"empirical\"` needs `p50`".into());
                }
                let mut last = 0u64;
                for (i, v) in given.iter().enumerate() {
                    if let Some(v) = *v {
                        if v < last {
                            return Err(format!(
                                "empirical `{}` ({}) is below a lower percentile ({}): the values must not decrease",
                                EMPIRICAL_KEYS[i],
                                format_duration(v),
                                format_duration(last)
                            ));
                        }
                        last = v;
                    }
                }
                // The knots in use: all but the fine lower tail, which only a file that gives
                // one of its knots uses. Fill the missing ones linearly in quantile between the
                // given neighbours.
                let fine = EMPIRICAL_FINE_LOW.iter().any(|&i| given[i].is_some());
                let used: Vec<usize> = (0..11).filter(|i| fine || !EMPIRICAL_FINE_LOW.contains(i)).collect();
                let mut knots = EmpiricalKnots {
                    q: [0.0; 11],
                    v: [0; 11],
                    n: used.len(),
                };
                for (slot, &i) in used.iter().enumerate() {
                    knots.q[slot] = EMPIRICAL_QUANTILES[i];
                    knots.v[slot] = match given[i] {
                        Some(v) => v,
                        None => {
                            let lo = (0..i).rev().find(|&j| given[j].is_some()).unwrap_or(0);
                            let hi = (i + 1..11).find(|&j| given[j].is_some()).unwrap_or(10);
                            let (qa, qb, q) = (EMPIRICAL_QUANTILES[lo], EMPIRICAL_QUANTILES[hi], EMPIRICAL_QUANTILES[i]);
                            let (va, vb) = (given[lo].unwrap_or(0) as f64, given[hi].unwrap_or(0) as f64);
                            round_u64(va + (q - qa) / (qb - qa) * (vb - va))
                        }
                    };
                }
                Dist::Empirical(Box::leak(Box::new(knots)))
            }
            _ => Dist::Normal {
                mean_ns: need(self.mean, "mean")? as f64,
                std_dev_ns: need(self.std_dev, "std_dev")? as f64,
            },
        };
        let scale = match dist {
            Dist::Const(_) | Dist::Uniform { .. } => 0.0,
            Dist::Exponential { mean_ns } => mean_ns,
            Dist::Empirical(knots) => knots.max() as f64,
            Dist::LogNormal { median_ns, .. } => median_ns,
            Dist::Normal { mean_ns, std_dev_ns } => mean_ns.max(std_dev_ns),
        };
        if scale > DIST_SCALE_MAX_NS {
            return Err(format!(
                "distribution scale {} is above the limit of one year",
                format_duration(scale as u64)
            ));
        }
        Ok(dist)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn compound_durations_add_up() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("2m 30s"), Ok(150_000_000_000));
        assert_eq!(parse_duration("1.5ms"), Ok(1_500_000));
        assert_eq!(parse_duration("1 h"), Ok(3_600_000_000_000));
        assert!(parse_duration("1h30x").is_err());
    }

    #[test]
    fn durations_parse_exactly() {
        assert_eq!(parse_duration("30s"), Ok(30_000_000_000));
        assert_eq!(parse_duration("1.5ms"), Ok(1_500_000));
        assert_eq!(parse_duration("1us"), Ok(1_000));
        assert_eq!(parse_duration("1µs"), Ok(1_000));
        assert_eq!(parse_duration("0.1s"), Ok(100_000_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000_000_000));
        assert_eq!(parse_duration("5m"), Ok(300_000_000_000));
        assert_eq!(parse_duration("5min"), Ok(300_000_000_000));
        assert_eq!(parse_duration(".5s"), Ok(500_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
    }

    #[test]
    fn bad_durations_are_rejected_with_reason() {
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
        assert!(parse_duration("3 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("1000000000h").unwrap_err().contains("too long"));
        assert!(parse_duration("1.5ns").unwrap_err().contains("finer"));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("1.2.3s").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("99999999999999999999999999s").is_err());
    }

    #[test]
    fn format_round_trips_common_values() {
        for text in ["30s", "2h", "5m", "150ms", "20us"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }

    #[test]
    fn rounding_matches_f64_round() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let edges = [
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        let random = (0..100_000).map(|_| {
            let scale = 10f64.powi(rng.gen_range(-3..19));
            rng.gen::<f64>() * scale
        });
        for x in edges.into_iter().chain(random) {
            let reference = x.round().min(u64::MAX as f64) as u64;
            assert_eq!(to_ns(x), reference, "{x:e}");
            assert_eq!(round_u64(x), x.round() as u64, "{x:e}");
            assert_eq!(round_u64(-x), (-x).round() as u64, "{x:e}");
            // Exactly half-way values.
            let half = (x as u64 as f64) + 0.5;
            if half < 4e15 {
                assert_eq!(to_ns(half), half.round() as u64, "{half}");
            }
        }
        assert_eq!(to_ns(-1.0), 0);
        assert_eq!(to_ns(f64::NAN), 0);
        assert_eq!(to_ns(f64::INFINITY), 0);
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.5, -0.0, 0.0, 1.8e19, 1.9e19] {
            assert_eq!(round_u64(x), x.round() as u64, "{x:e}");
        }
    }

    /// One of each parametric shape, a normal truncated hard at 0 among them.
    fn shapes() -> [Dist; 5] {
        [
            Dist::Exponential { mean_ns: 1000.0 },
            Dist::Uniform { min_ns: 0, max_ns: 2000 },
            Dist::LogNormal {
                median_ns: 1000.0,
                sigma: 0.5,
            },
            Dist::Normal {
                mean_ns: 1000.0,
                std_dev_ns: 300.0,
            },
            Dist::Normal {
                mean_ns: 0.0,
                std_dev_ns: 1000.0,
            },
        ]
    }

    #[test]
    fn sample_medians_match() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let wake: toml::Value = toml::from_str::<toml::Table>(
            "d = { dist = \"empirical\", min = \"5us\", p10 = \"12us\", p50 = \"30us\", p90 = \"763us\", p99 = \"3.26ms\", max = \"11ms\" }",
        )
        .unwrap()["d"]
            .clone();
        let empirical = Dist::deserialize(wake).unwrap();
        assert_eq!(empirical.median_ns(), 30_000.0);
        let dists = [Dist::Const(7), empirical].into_iter().chain(shapes());
        for dist in dists {
            // Half the draws lie on either side of the median, whatever the density there (a
            // steep quantile function moves the sample median, not the share below it): within
            // 0.01, over 6 standard errors at this n.
            let n = 100_000;
            let draws: Vec<u64> = (0..n).map(|_| dist.sample(&mut rng)).collect();
            let m = dist.median_ns();
            let below = draws.iter().filter(|&&x| (x as f64) < m - 0.5).count() as f64 / n as f64;
            let at_or_below = draws.iter().filter(|&&x| (x as f64) <= m + 0.5).count() as f64 / n as f64;
            assert!(
                below <= 0.51 && at_or_below >= 0.49,
                "{dist:?}: {below} of the draws below the median {m}, {at_or_below} at or below"
            );
        }
    }

    #[test]
    fn times_and_distributions_read_as_words() {
        assert_eq!(time_words(25.0), "25 ns");
        assert_eq!(time_words(999.6), "1 µs");
        assert_eq!(time_words(4_539.0), "4.54 µs");
        assert_eq!(time_words(60_000.0), "60 µs");
        assert_eq!(time_words(15_766_000.0), "15.8 ms");
        assert_eq!(time_words(3e9), "3 s");
        assert_eq!(Dist::Const(1_000).words(), "1 µs");
        assert_eq!(Dist::Exponential { mean_ns: 60_000.0 }.words(), "exponential, mean 60 µs");
        assert_eq!(
            Dist::LogNormal {
                median_ns: 150_000.0,
                sigma: 0.5
            }
            .words(),
            "lognormal, median 150 µs (σ 0.5)"
        );
    }

    #[test]
    fn sample_means_match() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for dist in shapes() {
            let n = 200_000;
            let sum: f64 = (0..n).map(|_| dist.sample(&mut rng) as f64).sum();
            let mean = sum / n as f64;
            let expected = dist.mean_ns();
            assert!(
                (mean - expected).abs() / expected < 0.02,
                "{dist:?}: sample mean {mean} vs {expected}"
            );
        }
    }

    #[test]
    fn empirical_follows_its_percentiles_and_fills_gaps() {
        let dist: Dist =
            toml::from_str::<toml::Table>("d = { dist = \"empirical\", p50 = \"24us\", p90 = \"27us\", p99 = \"2700us\", max = \"8ms\" }")
                .unwrap()["d"]
                .clone()
                .try_into()
                .unwrap();
        let Dist::Empirical(knots) = dist else { panic!("{dist:?}") };
        // min 0, p10/p25 interpolated between 0 and p50, p75 between p50 and p90, p999 between
        // p99 and max; no fine lower tail (p1, p5) since the table gives neither.
        assert_eq!(knots.knots().count(), 9);
        assert_eq!(knots.at(0.0), Some(0));
        assert_eq!(knots.at(0.01), None);
        assert_eq!(knots.at(0.10), Some(4_800));
        assert_eq!(knots.at(0.50), Some(24_000));
        assert_eq!(knots.at(0.75), Some(25_875));
        assert_eq!(knots.at(0.99), Some(2_700_000));
        assert_eq!(knots.at(1.0), Some(8_000_000));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut draws: Vec<u64> = (0..200_000).map(|_| dist.sample(&mut rng)).collect();
        draws.sort_unstable();
        // The share of draws at or below each knot is the knot's quantile.
        let share = |v: u64| draws.partition_point(|d| *d <= v) as f64 / draws.len() as f64;
        for (v, q) in [(24_000, 0.5), (27_000, 0.9), (2_700_000, 0.99)] {
            assert!((share(v) - q).abs() < 0.005, "P(X <= {v}) = {} vs {q}", share(v));
        }
        let mean = draws.iter().sum::<u64>() as f64 / draws.len() as f64;
        assert!((mean / dist.mean_ns() - 1.0).abs() < 0.05, "mean {mean} vs {}", dist.mean_ns());
        for bad in [
            "d = { dist = \"empirical\", p50 = \"24us\" }",
            "d = { dist = \"empirical\", p90 = \"24us\", max = \"1ms\" }",
            "d = { dist = \"empirical\", p50 = \"24us\", p90 = \"20us\", max = \"1ms\" }",
            "d = { dist = \"empirical\", min = \"10us\", p1 = \"9us\", p50 = \"24us\", max = \"1ms\" }",
            "d = { dist = \"empirical\", p5 = \"30us\", p10 = \"20us\", p50 = \"24us\", max = \"1ms\" }",
            "d = { dist = \"lognormal\", median = \"24us\", sigma = 1.0, p90 = \"1ms\" }",
        ] {
            let table: toml::Table = toml::from_str(bad).unwrap();
            assert!(table["d"].clone().try_into::<Dist>().is_err(), "{bad} was accepted");
        }
    }

    /// p1 and p5 resolve the lower tail (the release race hangs on a wake-up's lowest percent);
    /// a table without them draws exactly as the nine-knot quantile function did.
    #[test]
    fn empirical_fine_lower_tail_and_unchanged_draws_without_it() {
        let parse = |text: &str| -> Dist { toml::from_str::<toml::Table>(text).unwrap()["d"].clone().try_into().unwrap() };
        let fine = parse("d = { dist = \"empirical\", min = \"2us\", p1 = \"15us\", p5 = \"26us\", p10 = \"27us\", p50 = \"29us\", p90 = \"40us\", p99 = \"110us\", max = \"2ms\" }");
        let Dist::Empirical(knots) = fine else { panic!("{fine:?}") };
        assert_eq!(knots.knots().count(), 11);
        assert_eq!(knots.at(0.01), Some(15_000));
        assert_eq!(knots.at(0.05), Some(26_000));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let draws: Vec<u64> = (0..400_000).map(|_| fine.sample(&mut rng)).collect();
        let below = |v: u64| draws.iter().filter(|d| **d < v).count() as f64 / draws.len() as f64;
        // Between min and p1 the quantile rises linearly: P(X < 8.5 us) = 0.5%.
        assert!((below(8_500) - 0.005).abs() < 0.0006, "{}", below(8_500));
        assert!((below(26_000) - 0.05).abs() < 0.002, "{}", below(26_000));
        // One given fine knot brings both in; the other is filled between its neighbours.
        let one = parse("d = { dist = \"empirical\", min = \"0\", p1 = \"10us\", p10 = \"28us\", p50 = \"29us\", max = \"1ms\" }");
        let Dist::Empirical(knots) = one else { panic!("{one:?}") };
        assert_eq!(knots.at(0.05), Some(18_000));
        // Without p1/p5: the nine-knot draw, value for value.
        let coarse = parse(
            "d = { dist = \"empirical\", min = \"2us\", p10 = \"27us\", p50 = \"29us\", p90 = \"40us\", p99 = \"110us\", max = \"2ms\" }",
        );
        let nine_q = [0.0, 0.10, 0.25, 0.50, 0.75, 0.90, 0.99, 0.999, 1.0];
        let nine_v = [
            2_000.0,
            27_000.0,
            27_750.0,
            29_000.0,
            35_875.0,
            40_000.0,
            110_000.0,
            1_811_000.0,
            2_000_000.0,
        ];
        let (mut a, mut b) = (rand_chacha::ChaCha8Rng::seed_from_u64(5), rand_chacha::ChaCha8Rng::seed_from_u64(5));
        for _ in 0..100_000 {
            let u: f64 = b.gen::<f64>();
            let k = nine_q.windows(2).position(|w| u < w[1]).unwrap_or(7);
            let x = nine_v[k] + (u - nine_q[k]) / (nine_q[k + 1] - nine_q[k]) * (nine_v[k + 1] - nine_v[k]);
            assert_eq!(coarse.sample(&mut a), to_ns(x));
        }
    }
}
