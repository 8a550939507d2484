//! The Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines, then one
//! `name{label="value",...} value` line per sample; histograms as cumulative `_bucket{le=...}`
//! lines ending at `le="+Inf"`, then `_sum` and `_count`.
//! <https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format>

use std::fmt::Write as _;

use super::registry::{Histogram, Scalar};

/// The `Content-Type` of a scrape answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A scrape answer being written.
#[derive(Default)]
pub(super) struct Exposition {
    out: String,
}

/// A family's type, as the `# TYPE` line spells it.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Counter,
    Gauge,
}

impl Exposition {
    pub fn finish(self) -> String {
        self.out
    }

    /// `# HELP` and `# TYPE` for a family.
    pub fn header(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// One sample line; `extra` is appended after `labels` (the histogram's `le`).
    pub fn sample(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        extra: Option<(&str, &str)>,
        value: f64,
    ) {
        self.out.push_str(name);
        let mut pairs = labels.iter().copied().chain(extra).peekable();
        if pairs.peek().is_some() {
            self.out.push('{');
            for (i, (label, value)) in pairs.enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(label);
                self.out.push_str("=\"");
                push_escaped_label_value(&mut self.out, value);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        push_value(&mut self.out, value);
        self.out.push('\n');
    }

    /// A counter or gauge family with all its series.
    pub fn scalar<const N: usize>(&mut self, family: &Scalar<N>, kind: Kind) {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        };
        self.header(family.name, family.help, kind);
        for (key, value) in family.collect() {
            let labels = pairs(&family.labels, &key);
            self.sample(family.name, &labels, None, value);
        }
    }

    /// A histogram family with all its series.
    pub fn histogram<const N: usize>(&mut self, histogram: &Histogram<N>) {
        let family = &histogram.family;
        self.header(family.name, family.help, "histogram");
        let bucket_name = format!("{}_bucket", family.name);
        let sum_name = format!("{}_sum", family.name);
        let count_name = format!("{}_count", family.name);
        for (key, value) in family.collect() {
            let labels = pairs(&family.labels, &key);
            let mut cumulative = 0;
            for (bound, count) in histogram.bounds.iter().zip(&value.counts) {
                cumulative += count;
                let le = format_value(*bound);
                self.sample(&bucket_name, &labels, Some(("le", &le)), cumulative as f64);
            }
            self.sample(
                &bucket_name,
                &labels,
                Some(("le", "+Inf")),
                value.count as f64,
            );
            self.sample(&sum_name, &labels, None, value.sum);
            self.sample(&count_name, &labels, None, value.count as f64);
        }
    }
}

fn pairs<'a, const N: usize>(
    names: &'a [&'static str; N],
    values: &'a [Box<str>; N],
) -> Vec<(&'a str, &'a str)> {
    names
        .iter()
        .zip(values)
        .map(|(name, value)| (*name, &**value))
        .collect()
}

/// Label values escape `\`, `"` and line feeds.
fn push_escaped_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Help text escapes `\` and line feeds.
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn push_value(out: &mut String, value: f64) {
    out.push_str(&format_value(value));
}

/// Go's `ParseFloat` reads Rust's shortest round-trip form; infinities and NaN are spelled as
/// the format wants.
pub(super) fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_and_help_are_escaped() {
        let mut out = Exposition::default();
        out.header("x_total", "a \\ b\nc", "counter");
        out.sample("x_total", &[("model", "a\"b\\c\nd")], None, 3.0);
        assert_eq!(
            out.finish(),
            "# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\nx_total{model=\"a\\\"b\\\\c\\nd\"} 3\n"
        );
    }

    #[test]
    fn values_use_the_formats_spelling() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(0.0001), "0.0001");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
    }

    #[test]
    fn a_sample_without_labels_has_no_braces() {
        let mut out = Exposition::default();
        out.sample("up", &[], None, 1.0);
        assert_eq!(out.finish(), "up 1\n");
    }

    #[test]
    fn histograms_are_cumulative_and_end_at_inf() {
        let histogram = Histogram::new("d_seconds", "Duration.", ["p"], &[0.1, 1.0]);
        for sample in [0.05, 0.5, 0.7, 3.0] {
            histogram.observe(["x"], sample);
        }
        let mut out = Exposition::default();
        out.histogram(&histogram);
        assert_eq!(
            out.finish(),
            "# HELP d_seconds Duration.\n# TYPE d_seconds histogram\n\
             d_seconds_bucket{p=\"x\",le=\"0.1\"} 1\n\
             d_seconds_bucket{p=\"x\",le=\"1\"} 3\n\
             d_seconds_bucket{p=\"x\",le=\"+Inf\"} 4\n\
             d_seconds_sum{p=\"x\"} 4.25\n\
             d_seconds_count{p=\"x\"} 4\n"
        );
    }

    #[test]
    fn series_are_sorted_by_label_values() {
        let family = Scalar::scalar("c_total", "Count.", ["k"]);
        family.add(["b"], 1.0);
        family.add(["a"], 2.0);
        let mut out = Exposition::default();
        out.scalar(&family, Kind::Counter);
        assert!(
            out.finish()
                .ends_with("c_total{k=\"a\"} 2\nc_total{k=\"b\"} 1\n")
        );
    }
}
