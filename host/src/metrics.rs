//! Prometheus metrics of calls: latency per slot and verb, calls and errors by kind.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    slot: String,
    verb: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    slot: String,
    verb: String,
    kind: String,
}

type HistogramFamily = Family<CallLabels, Histogram, fn() -> Histogram>;

/// The daemon's metrics registry.
pub struct Metrics {
    registry: Registry,
    latency: HistogramFamily,
    calls: Family<CallLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("paddock");
        let latency: HistogramFamily = Family::new_with_constructor(|| {
            // 10 µs … ~80 s.
            Histogram::new(exponential_buckets(0.000_01, 2.5, 18))
        });
        let calls = Family::<CallLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "call_duration_seconds",
            "Time to serve a call, by slot and verb",
            latency.clone(),
        );
        registry.register("calls", "Calls served, by slot and verb", calls.clone());
        registry.register(
            "call_errors",
            "Failed calls, by slot, verb and error kind",
            errors.clone(),
        );
        Metrics {
            registry,
            latency,
            calls,
            errors,
        }
    }
}

impl Metrics {
    /// Records one call.
    pub fn record(&self, slot: &str, verb: &str, elapsed: Duration, error_kind: Option<&str>) {
        let labels = CallLabels {
            slot: slot.to_string(),
            verb: verb.to_string(),
        };
        self.latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        self.calls.get_or_create(&labels).inc();
        if let Some(kind) = error_kind {
            self.errors
                .get_or_create(&ErrorLabels {
                    slot: labels.slot,
                    verb: labels.verb,
                    kind: kind.to_string(),
                })
                .inc();
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}
