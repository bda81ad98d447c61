//! Counters and histograms every part of the server records into, rendered
//! as the Prometheus text format (0.0.4) by the admin API's `/metrics`.
//! One process-wide registry: the dialects, the engine, the stores and the
//! drivers each record what only they see, without passing it around.

use indexmap::{Equivalent, IndexMap};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex};

/// Histogram buckets in seconds: a request's microseconds to a reinstall's
/// minutes.
const BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0, 120.0,
    600.0,
];

/// Buckets of counts (a commit's writes).
pub const COUNT_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 256.0, 1024.0, 4096.0];

type Labels = Vec<(&'static str, String)>;

/// A family's values by labels.
type ByLabels<V> = IndexMap<Labels, V, foldhash::fast::RandomState>;

/// Labels as a caller passes them. They hash and compare as the [`Labels`]
/// they would become, so recording into a known series (every request
/// records two) allocates nothing.
#[derive(Hash)]
struct Asked<'a>(&'a [(&'static str, &'a str)]);

impl Equivalent<Labels> for Asked<'_> {
    fn equivalent(&self, labels: &Labels) -> bool {
        self.0.len() == labels.len()
            && self
                .0
                .iter()
                .zip(labels)
                .all(|((k, v), (key, value))| k == key && *v == value.as_str())
    }
}

#[derive(Debug, Default)]
struct Histogram {
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Debug)]
enum Values {
    Counter(ByLabels<u64>),
    Histogram(&'static [f64], ByLabels<Histogram>),
}

#[derive(Debug)]
struct Family {
    help: &'static str,
    values: Values,
}

/// The registry.
#[derive(Debug, Default)]
pub struct Registry {
    families: Mutex<BTreeMap<&'static str, Family>>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::default);

/// The process's registry.
pub fn registry() -> &'static Registry {
    &REGISTRY
}

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, (*v).to_string())).collect()
}

impl Registry {
    fn families(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, Family>> {
        match self.families.lock() {
            Ok(f) => f,
            Err(p) => p.into_inner(),
        }
    }

    /// Adds `by` to the counter `name` with these labels.
    pub fn count(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        by: u64,
    ) {
        let mut families = self.families();
        let family = families.entry(name).or_insert_with(|| Family {
            help,
            values: Values::Counter(ByLabels::default()),
        });
        if let Values::Counter(values) = &mut family.values {
            match values.get_mut(&Asked(pairs)) {
                Some(value) => *value += by,
                None => {
                    values.insert(labels(pairs), by);
                }
            }
        }
    }

    /// Records `value` (seconds, unless `buckets` says otherwise) in the
    /// histogram `name` with these labels.
    pub fn observe(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        value: f64,
    ) {
        self.observe_in(name, help, &BUCKETS, pairs, value);
    }

    /// [`Registry::observe`] with buckets of its own.
    pub fn observe_in(
        &self,
        name: &'static str,
        help: &'static str,
        buckets: &'static [f64],
        pairs: &[(&'static str, &str)],
        value: f64,
    ) {
        let mut families = self.families();
        let family = families.entry(name).or_insert_with(|| Family {
            help,
            values: Values::Histogram(buckets, ByLabels::default()),
        });
        if let Values::Histogram(bounds, values) = &mut family.values {
            let at = match values.get_index_of(&Asked(pairs)) {
                Some(at) => at,
                None => {
                    let fresh = Histogram {
                        buckets: vec![0; bounds.len()],
                        ..Histogram::default()
                    };
                    values.insert_full(labels(pairs), fresh).0
                }
            };
            let h = &mut values[at];
            for (slot, bound) in h.buckets.iter_mut().zip(bounds.iter()) {
                if value <= *bound {
                    *slot += 1;
                }
            }
            h.sum += value;
            h.count += 1;
        }
    }

    /// Everything recorded, in the text format; `gauges` (measured at the
    /// time of the scrape: name, help, labelled values) come first.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut out = String::new();
        for g in gauges {
            let _ = writeln!(out, "# HELP {} {}\n# TYPE {} gauge", g.name, g.help, g.name);
            for (pairs, value) in &g.values {
                let _ = writeln!(out, "{}{} {}", g.name, render_labels(pairs, None), value);
            }
        }
        for (name, family) in self.families().iter() {
            match &family.values {
                Values::Counter(values) => {
                    let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} counter", family.help);
                    for (pairs, value) in sorted(values) {
                        let _ = writeln!(out, "{name}{} {value}", render_labels(pairs, None));
                    }
                }
                Values::Histogram(bounds, values) => {
                    let _ = writeln!(
                        out,
                        "# HELP {name} {}\n# TYPE {name} histogram",
                        family.help
                    );
                    for (pairs, h) in sorted(values) {
                        for (bound, n) in bounds.iter().zip(&h.buckets) {
                            let le = bound.to_string();
                            let _ = writeln!(
                                out,
                                "{name}_bucket{} {n}",
                                render_labels(pairs, Some(&le))
                            );
                        }
                        let _ = writeln!(
                            out,
                            "{name}_bucket{} {}",
                            render_labels(pairs, Some("+Inf")),
                            h.count
                        );
                        let _ = writeln!(out, "{name}_sum{} {}", render_labels(pairs, None), h.sum);
                        let _ = writeln!(
                            out,
                            "{name}_count{} {}",
                            render_labels(pairs, None),
                            h.count
                        );
                    }
                }
            }
        }
        out
    }
}

/// A gauge measured when scraped.
#[derive(Debug, Clone)]
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    pub values: Vec<(Vec<(&'static str, String)>, f64)>,
}

fn sorted<V>(values: &ByLabels<V>) -> Vec<(&Labels, &V)> {
    let mut all: Vec<_> = values.iter().collect();
    all.sort_by(|a, b| a.0.cmp(b.0));
    all
}

fn render_labels(pairs: &[(&'static str, String)], le: Option<&str>) -> String {
    let mut parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// A label value as the text format quotes it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_histograms_and_gauges_render_in_the_text_format() {
        let r = Registry::default();
        r.count("t_requests_total", "Requests.", &[("code", "OK")], 2);
        r.count("t_requests_total", "Requests.", &[("code", "Bad \"x\"")], 1);
        r.observe("t_seconds", "Durations.", &[("op", "a")], 0.003);
        r.observe("t_seconds", "Durations.", &[("op", "a")], 20.0);
        let text = r.render(&[Gauge {
            name: "t_instances",
            help: "Instances.",
            values: vec![(vec![("state", "RUNNING".to_string())], 3.0)],
        }]);
        assert!(text.contains("# TYPE t_instances gauge\nt_instances{state=\"RUNNING\"} 3\n"));
        assert!(text.contains("t_requests_total{code=\"OK\"} 2\n"));
        assert!(text.contains("t_requests_total{code=\"Bad \\\"x\\\"\"} 1\n"));
        assert!(text.contains("t_seconds_bucket{op=\"a\",le=\"0.0025\"} 0\n"));
        assert!(text.contains("t_seconds_bucket{op=\"a\",le=\"0.005\"} 1\n"));
        assert!(text.contains("t_seconds_bucket{op=\"a\",le=\"+Inf\"} 2\n"));
        assert!(text.contains("t_seconds_count{op=\"a\"} 2\n"));
    }

    #[test]
    fn a_series_is_found_again_by_the_labels_a_caller_passes() {
        let r = Registry::default();
        let asked = [("vendor", "tencent"), ("action", "DescribeInstances")];
        for _ in 0..3 {
            r.count("t_total", "T.", &asked, 1);
        }
        r.count(
            "t_total",
            "T.",
            &[("vendor", "tencent"), ("action", "Other")],
            1,
        );
        r.count(
            "t_total",
            "T.",
            &[("action", "tencent"), ("vendor", "DescribeInstances")],
            1,
        );
        r.count("t_total", "T.", &asked[..1], 5);
        let text = r.render(&[]);
        let series = text.lines().filter(|l| l.starts_with("t_total{")).count();
        assert_eq!(series, 4, "{text}");
        assert!(text.contains("t_total{vendor=\"tencent\",action=\"DescribeInstances\"} 3\n"));
        assert!(text.contains("t_total{vendor=\"tencent\"} 5\n"));
        let stored: Labels = labels(&asked);
        let hash = |v: &dyn Fn(&mut std::hash::DefaultHasher)| {
            let mut h = std::hash::DefaultHasher::new();
            v(&mut h);
            std::hash::Hasher::finish(&h)
        };
        use std::hash::Hash;
        assert_eq!(hash(&|h| Asked(&asked).hash(h)), hash(&|h| stored.hash(h)));
    }
}
