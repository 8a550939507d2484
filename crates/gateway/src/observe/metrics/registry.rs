//! The series store: counters, gauges and histograms keyed by a fixed number of label values.
//!
//! A family's series live in a few shards, each a mutex around a map; a thread always updates
//! the shard it was given on first use, so the request threads (one per core in production)
//! rarely meet on a lock or a cache line. An update hashes the borrowed label values and
//! compares them in place: nothing is allocated except the first time a series appears.
//! Rendering merges the shards (counters and gauges add up; a gauge moved up on one thread and
//! down on another still sums right).
//!
//! Label sets are bounded by the callers (observe::metrics maps every value to a configured
//! provider, a known model, a route template or a fixed word); this store does not police it.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A value one series holds; `merge` folds another shard's value in.
pub(super) trait Value: Clone + Send {
    fn merge(&mut self, other: &Self);
}

impl Value for f64 {
    fn merge(&mut self, other: &Self) {
        *self += other;
    }
}

/// Per-bucket counts (not cumulative), sum and count of a histogram series.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HistogramValue {
    pub counts: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Value for HistogramValue {
    fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.sum += other.sum;
        self.count += other.count;
    }
}

/// One family's series: label values (in the family's label order) to a value.
pub(super) struct Family<V, const N: usize> {
    pub name: &'static str,
    pub help: &'static str,
    pub labels: [&'static str; N],
    template: V,
    shards: Box<[Shard<V, N>]>,
}

type Key<const N: usize> = [Box<str>; N];

/// Series whose label values hash alike share a bucket (compared in full on lookup).
type Table<V, const N: usize> = HashMap<u64, Vec<(Key<N>, V)>, BuildHasherDefault<Prehashed>>;

/// Padded to its own cache lines so two shards' locks never share one.
#[repr(align(128))]
struct Shard<V, const N: usize>(Mutex<Table<V, N>>);

impl<V: Value, const N: usize> Family<V, N> {
    /// An empty family; a new series starts as a copy of `template`.
    pub fn new(
        name: &'static str,
        help: &'static str,
        labels: [&'static str; N],
        template: V,
    ) -> Self {
        let shards = (0..shard_count())
            .map(|_| Shard(Mutex::new(Table::default())))
            .collect();
        Self {
            name,
            help,
            labels,
            template,
            shards,
        }
    }

    /// Applies `f` to the series with these label values (created on first use).
    pub fn update(&self, values: [&str; N], f: impl FnOnce(&mut V)) {
        let hash = hash_values(&values);
        let index = SHARD.with(|shard| *shard) % self.shards.len();
        let Some(Shard(shard)) = self.shards.get(index) else {
            return;
        };
        let mut table = shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = table.entry(hash).or_default();
        let same = |key: &Key<N>| key.iter().zip(&values).all(|(a, b)| **a == **b);
        if let Some((_, value)) = bucket.iter_mut().find(|(key, _)| same(key)) {
            f(value);
            return;
        }
        let mut value = self.template.clone();
        f(&mut value);
        bucket.push((values.map(Box::from), value));
    }

    /// Every series, shards merged, sorted by label values (stable output for scrapers and
    /// tests).
    pub fn collect(&self) -> BTreeMap<Key<N>, V> {
        let mut merged: BTreeMap<Key<N>, V> = BTreeMap::new();
        for Shard(shard) in &self.shards {
            let table = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (key, value) in table.values().flatten() {
                match merged.get_mut(key) {
                    Some(total) => total.merge(value),
                    None => {
                        merged.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        merged
    }
}

/// A counter or gauge family.
pub(super) type Scalar<const N: usize> = Family<f64, N>;

impl<const N: usize> Family<f64, N> {
    pub fn scalar(name: &'static str, help: &'static str, labels: [&'static str; N]) -> Self {
        Self::new(name, help, labels, 0.0)
    }

    pub fn add(&self, values: [&str; N], amount: f64) {
        self.update(values, |v| *v += amount);
    }
}

/// A histogram family with fixed bucket upper bounds.
pub(super) struct Histogram<const N: usize> {
    pub family: Family<HistogramValue, N>,
    pub bounds: &'static [f64],
}

impl<const N: usize> Histogram<N> {
    pub fn new(
        name: &'static str,
        help: &'static str,
        labels: [&'static str; N],
        bounds: &'static [f64],
    ) -> Self {
        let template = HistogramValue {
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        };
        Self {
            family: Family::new(name, help, labels, template),
            bounds,
        }
    }

    pub fn observe(&self, values: [&str; N], sample: f64) {
        let bucket = self.bounds.iter().position(|bound| sample <= *bound);
        self.family.update(values, |h| {
            if let Some(slot) = bucket.and_then(|i| h.counts.get_mut(i)) {
                *slot += 1;
            }
            h.sum += sample;
            h.count += 1;
        });
    }
}

/// Shards per family: enough that threads seldom share one, few enough to merge quickly.
fn shard_count() -> usize {
    std::thread::available_parallelism()
        .map_or(4, usize::from)
        .clamp(1, 32)
}

static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's shard (round robin over threads as they first record).
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed);
}

/// FNV-1a over the label values, each followed by a separator byte that cannot occur in UTF-8,
/// so `("ab", "c")` and `("a", "bc")` differ. Values are bounded, not attacker-chosen.
fn hash_values(values: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for value in values {
        for byte in value.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The table's keys are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8) | u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_kept_apart_by_every_label() {
        let family = Scalar::scalar("t_total", "test", ["a", "b"]);
        family.add(["ab", "c"], 1.0);
        family.add(["a", "bc"], 2.0);
        family.add(["ab", "c"], 3.0);
        let series = family.collect();
        assert_eq!(series.len(), 2);
        assert_eq!(series[&["a".into(), "bc".into()]], 2.0);
        assert_eq!(series[&["ab".into(), "c".into()]], 4.0);
    }

    #[test]
    fn shards_merge_across_threads() {
        let family = std::sync::Arc::new(Scalar::scalar("g", "test", ["x"]));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let family = std::sync::Arc::clone(&family);
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        family.add(["v"], if i % 2 == 0 { 1.0 } else { -1.0 });
                        family.add(["w"], 1.0);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let series = family.collect();
        assert_eq!(series[&["v".into()]], 0.0);
        assert_eq!(series[&["w".into()]], 8000.0);
    }

    #[test]
    fn histogram_buckets_take_samples_up_to_their_bound() {
        let histogram = Histogram::new("h", "test", [], &[0.1, 1.0]);
        for sample in [0.05, 0.1, 0.5, 1.0, 7.0] {
            histogram.observe([], sample);
        }
        let series = histogram.family.collect();
        let value = &series[&[]];
        assert_eq!(value.counts, vec![2, 2]);
        assert_eq!(value.count, 5);
        assert!((value.sum - 8.65).abs() < 1e-9);
    }
}
