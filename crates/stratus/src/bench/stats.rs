//! Counters and latencies of a load phase, and how they are printed.

use std::time::Duration;

/// What one worker (or, merged, a whole phase) observed.
#[derive(Debug, Default)]
pub struct Tally {
    /// Requests answered with success.
    pub ok: u64,
    /// Requests refused because the instance was busy (reboot phase).
    pub refused: u64,
    /// Error answers and transport failures.
    pub errors: u64,
    /// Latency of every answered request, in microseconds.
    pub latencies_us: Vec<u32>,
    /// A sample of the error codes or messages seen.
    pub first_error: Option<String>,
}

impl Tally {
    /// Records the latency of an answered request.
    pub fn latency(&mut self, elapsed: Duration) {
        let us = u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX);
        self.latencies_us.push(us);
    }

    /// Records a failure, keeping the first description.
    pub fn error(&mut self, what: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(what());
        }
    }

    /// Adds another worker's tally to this one.
    pub fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.refused += other.refused;
        self.errors += other.errors;
        self.latencies_us.extend(other.latencies_us);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    /// Every request counted.
    pub fn requests(&self) -> u64 {
        self.ok + self.refused + self.errors
    }
}

/// Latency percentiles, in microseconds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Percentiles {
    pub p50: u32,
    pub p90: u32,
    pub p99: u32,
    pub max: u32,
}

impl Percentiles {
    /// Percentiles of unsorted samples (sorted in place); zero when empty.
    pub fn of(samples: &mut [u32]) -> Self {
        samples.sort_unstable();
        Self {
            p50: rank(samples, 50.0),
            p90: rank(samples, 90.0),
            p99: rank(samples, 99.0),
            max: samples.last().copied().unwrap_or_default(),
        }
    }
}

/// The nearest-rank percentile of sorted samples.
fn rank(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len() as f64;
    let index = ((p / 100.0 * n).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// Prints a phase's figures.
pub fn print(phase: &str, ok_label: &str, connections: usize, elapsed: Duration, mut t: Tally) {
    let secs = elapsed.as_secs_f64().max(f64::EPSILON);
    let p = Percentiles::of(&mut t.latencies_us);
    let ms = |us: u32| f64::from(us) / 1000.0;
    println!(
        "{phase}: {connections} connections, {:.2} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  requests {}  {ok_label} {}  refused {}  errors {}",
        t.requests(),
        t.ok,
        t.refused,
        t.errors
    );
    println!(
        "  requests/s {:.0}  {ok_label}/s {:.0}  refused/s {:.0}  errors/s {:.0}",
        t.requests() as f64 / secs,
        t.ok as f64 / secs,
        t.refused as f64 / secs,
        t.errors as f64 / secs
    );
    println!(
        "  latency ms  p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        ms(p.p50),
        ms(p.p90),
        ms(p.p99),
        ms(p.max)
    );
    if let Some(e) = &t.first_error {
        println!("  first error: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut samples: Vec<u32> = (1..=100).rev().collect();
        let p = Percentiles::of(&mut samples);
        assert_eq!(
            p,
            Percentiles {
                p50: 50,
                p90: 90,
                p99: 99,
                max: 100
            }
        );
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
        assert_eq!(Percentiles::of(&mut [7]).p99, 7);
    }
}
