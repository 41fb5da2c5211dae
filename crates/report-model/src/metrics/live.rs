//! Live metrics: what a running `load` or `suite` serves for Prometheus to scrape
//! (`--metrics-listen`), as OpenMetrics text written by `prometheus-client`.
//!
//! A frontend keeps one [`LiveMetrics`]: it sets a scenario's [`ScenarioFigures`] as
//! progress arrives (once a second, from the engine's exact counters) and again from the
//! scenario's report when it ends, and the watched processes' [`ProcessFigures`] from the
//! sampler; each scrape encodes the state of that moment. Counters only grow within a
//! scenario, so `rate()` and `increase()` work on them.
//!
//! Label values are bounded by construction: scenarios are the run's, endpoints are the
//! labels of the endpoint table (templated: `GET /portraits/{id}`, never a concrete id),
//! classes are the error taxonomy's ([`ErrorClass`], `http_503`), roles are the watched
//! processes'.

use std::collections::BTreeMap;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use crate::load::ScenarioReport;
use crate::{ErrorClass, LatencyHistogram};

/// Upper bounds of the latency histogram's buckets, seconds (`le`); `+Inf` follows.
pub const LATENCY_BUCKETS_SECONDS: [f64; 15] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A latency histogram in Prometheus's classic shape: cumulative counts at
/// [`LATENCY_BUCKETS_SECONDS`], the count and the sum.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencyBuckets {
    /// Values recorded.
    pub count: u64,
    /// Their sum, seconds (the histogram's mean times its count: HdrHistogram keeps no
    /// exact sum, and its mean is within its 3 significant digits).
    pub sum_seconds: f64,
    /// Values at or below each bound of [`LATENCY_BUCKETS_SECONDS`], in its order.
    pub cumulative: Vec<u64>,
}

impl LatencyBuckets {
    /// The buckets of `histogram`, in one pass over its recorded values.
    pub fn of(histogram: &LatencyHistogram) -> LatencyBuckets {
        let bounds_us = LATENCY_BUCKETS_SECONDS.map(|s| (s * 1e6).round() as u64);
        LatencyBuckets {
            count: histogram.len(),
            sum_seconds: histogram.mean_us() * histogram.len() as f64 / 1e6,
            cumulative: histogram.cumulative_counts_us(&bounds_us),
        }
    }
}

/// One endpoint of a scenario, so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointFigures {
    /// The endpoint table's label (templated).
    pub endpoint: String,
    /// Requests completed, failed ones included.
    pub requests: u64,
    /// Failed requests by class.
    pub errors: BTreeMap<ErrorClass, u64>,
    /// Response times of the successful requests.
    pub latency: LatencyBuckets,
}

/// One scenario, so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioFigures {
    /// Requests in flight now.
    pub in_flight: u64,
    /// Requests completed per second over the last second.
    pub achieved_rate: f64,
    /// The arrival rate asked for now (open and ramping-rate runs).
    pub target_rate: Option<f64>,
    /// Per endpoint, in label order.
    pub endpoints: Vec<EndpointFigures>,
}

impl ScenarioFigures {
    /// The exact final figures of a finished scenario: nothing in flight any more.
    pub fn of_report(report: &ScenarioReport) -> ScenarioFigures {
        ScenarioFigures {
            in_flight: 0,
            achieved_rate: 0.0,
            target_rate: None,
            endpoints: report
                .endpoints
                .iter()
                .map(|endpoint| EndpointFigures {
                    endpoint: endpoint.label.clone(),
                    requests: endpoint.requests,
                    errors: endpoint.errors.iter().map(|e| (e.class, e.count)).collect(),
                    latency: LatencyBuckets::of(&endpoint.response_time.histogram),
                })
                .collect(),
        }
    }
}

/// One watched process (with its children) as the sampler last read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessFigures {
    /// What it is to the run: `server`, `storage_server`.
    pub role: String,
    /// CPU time used since it started (user and system), seconds.
    pub cpu_seconds_total: f64,
    /// Resident set size, bytes.
    pub resident_bytes: u64,
    /// Unique set size (memory only it holds), bytes, when read.
    pub unique_bytes: Option<u64>,
    /// Open file descriptors.
    pub open_fds: u64,
    /// Threads.
    pub threads: u64,
}

/// Everything a scrape shows: the scenarios by name and the watched processes by role.
#[derive(Debug, Clone, Default)]
pub struct LiveMetrics {
    scenarios: BTreeMap<String, ScenarioFigures>,
    processes: BTreeMap<String, ProcessFigures>,
}

impl LiveMetrics {
    /// An empty state: a scrape shows no series.
    pub fn new() -> LiveMetrics {
        LiveMetrics::default()
    }

    /// Sets the figures of scenario `name` (live or final).
    pub fn set_scenario(&mut self, name: &str, figures: ScenarioFigures) {
        self.scenarios.insert(name.to_owned(), figures);
    }

    /// Drops scenario `name` (a sweep's live entry once its levels report by name).
    pub fn remove_scenario(&mut self, name: &str) {
        self.scenarios.remove(name);
    }

    /// Sets the latest reading of one watched process.
    pub fn set_process(&mut self, figures: ProcessFigures) {
        self.processes.insert(figures.role.clone(), figures);
    }

    /// The OpenMetrics text of this moment, `# EOF` last.
    pub fn encode(&self) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self.clone()));
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}

type Labels = Vec<(&'static str, String)>;
/// A gauge family read off each `T`: name, help, the value (none: no series for that `T`).
type Gauge<T> = (&'static str, &'static str, fn(&T) -> Option<f64>);

/// Writes each of `gauges` with one series per labelled `T`.
fn encode_gauges<'t, T: 't>(
    encoder: &mut DescriptorEncoder,
    gauges: &[Gauge<T>],
    unit_of: fn(&str) -> Option<Unit>,
    items: &[(Labels, &'t T)],
) -> Result<(), std::fmt::Error> {
    for (name, help, value) in gauges {
        let unit = unit_of(name);
        let mut family = encoder.encode_descriptor(name, help, unit.as_ref(), MetricType::Gauge)?;
        for (labels, item) in items {
            if let Some(value) = value(item) {
                ConstGauge::new(value).encode(family.encode_family(labels)?)?;
            }
        }
    }
    Ok(())
}

fn scenario_labels(scenario: &str, endpoint: &str) -> Labels {
    vec![
        ("scenario", scenario.to_owned()),
        ("endpoint", endpoint.to_owned()),
    ]
}

impl Collector for LiveMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let endpoints = || {
            self.scenarios.iter().flat_map(|(name, scenario)| {
                scenario.endpoints.iter().map(move |e| (name.as_str(), e))
            })
        };
        let mut family = encoder.encode_descriptor(
            "vertex_perf_requests",
            "requests completed, failed ones included",
            None,
            MetricType::Counter,
        )?;
        for (scenario, endpoint) in endpoints() {
            ConstCounter::new(endpoint.requests)
                .encode(family.encode_family(&scenario_labels(scenario, &endpoint.endpoint))?)?;
        }
        let mut family = encoder.encode_descriptor(
            "vertex_perf_errors",
            "failed requests by error class",
            None,
            MetricType::Counter,
        )?;
        for (scenario, endpoint) in endpoints() {
            for (class, count) in &endpoint.errors {
                let mut labels = scenario_labels(scenario, &endpoint.endpoint);
                labels.push(("class", class.to_string().replace(' ', "_")));
                ConstCounter::new(*count).encode(family.encode_family(&labels)?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "vertex_perf_request_duration",
            "response time of the successful requests",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?;
        for (scenario, endpoint) in endpoints() {
            let latency = &endpoint.latency;
            // The encoder takes each bucket's own count and sums them itself; `f64::MAX`
            // is the bound it writes as `+Inf`.
            let mut below = 0;
            let mut buckets: Vec<(f64, u64)> = LATENCY_BUCKETS_SECONDS
                .iter()
                .zip(&latency.cumulative)
                .map(|(bound, cumulative)| {
                    let own = cumulative.saturating_sub(below);
                    below = below.max(*cumulative);
                    (*bound, own)
                })
                .collect();
            buckets.push((f64::MAX, latency.count.saturating_sub(below)));
            family
                .encode_family(&scenario_labels(scenario, &endpoint.endpoint))?
                .encode_histogram::<Labels>(latency.sum_seconds, latency.count, &buckets, None)?;
        }
        let gauges: [Gauge<ScenarioFigures>; 3] = [
            ("vertex_perf_in_flight", "requests in flight now", |s| {
                Some(s.in_flight as f64)
            }),
            (
                "vertex_perf_achieved_rate",
                "requests completed per second over the last second",
                |s| Some(s.achieved_rate),
            ),
            (
                "vertex_perf_target_rate",
                "the arrival rate asked for now, per second (open and ramping-rate runs)",
                |s| s.target_rate,
            ),
        ];
        let scenarios = self
            .scenarios
            .iter()
            .map(|(name, figures)| (vec![("scenario", name.clone())], figures))
            .collect::<Vec<_>>();
        encode_gauges(&mut encoder, &gauges, |_| None, &scenarios)?;
        let mut family = encoder.encode_descriptor(
            "process_cpu",
            "CPU time of the watched process and its children, user and system",
            Some(&Unit::Seconds),
            MetricType::Counter,
        )?;
        for process in self.processes.values() {
            let labels: Labels = vec![("role", process.role.clone())];
            ConstCounter::new(process.cpu_seconds_total).encode(family.encode_family(&labels)?)?;
        }
        let gauges: [Gauge<ProcessFigures>; 4] = [
            (
                "process_resident_memory",
                "resident set size of the watched process and its children",
                |p| Some(p.resident_bytes as f64),
            ),
            (
                "process_unique_memory",
                "unique set size (memory only they hold) of the watched process and its children",
                |p| p.unique_bytes.map(|b| b as f64),
            ),
            ("process_open_fds", "open file descriptors", |p| {
                Some(p.open_fds as f64)
            }),
            ("process_threads", "threads", |p| Some(p.threads as f64)),
        ];
        let processes = self
            .processes
            .values()
            .map(|process| (vec![("role", process.role.clone())], process))
            .collect::<Vec<_>>();
        encode_gauges(
            &mut encoder,
            &gauges,
            |name| name.ends_with("_memory").then_some(Unit::Bytes),
            &processes,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(values_us: &[u64]) -> LatencyHistogram {
        let mut histogram = LatencyHistogram::new();
        for value in values_us {
            histogram.record_us(*value);
        }
        histogram
    }

    #[test]
    fn buckets_are_cumulative_and_end_at_the_count() {
        let buckets = LatencyBuckets::of(&histogram(&[300, 800, 800, 40_000, 2_000_000]));
        assert_eq!(buckets.count, 5);
        assert_eq!(buckets.cumulative.len(), LATENCY_BUCKETS_SECONDS.len());
        // le 0.5 ms: 1; le 1 ms: 3; le 50 ms: 4; le 2.5 s: 5.
        assert_eq!(buckets.cumulative[0], 1);
        assert_eq!(buckets.cumulative[1], 3);
        assert_eq!(buckets.cumulative[6], 4);
        assert_eq!(buckets.cumulative[11], 5);
        assert!(buckets.cumulative.windows(2).all(|w| w[0] <= w[1]));
        assert!((buckets.sum_seconds - 2.0419).abs() < 0.01);
    }

    #[test]
    fn a_scrape_names_every_family_with_bounded_labels() {
        let mut live = LiveMetrics::new();
        live.set_scenario(
            "read_mix",
            ScenarioFigures {
                in_flight: 3,
                achieved_rate: 99.5,
                target_rate: Some(100.0),
                endpoints: vec![EndpointFigures {
                    endpoint: "GET /portraits/{id}".to_owned(),
                    requests: 10,
                    errors: BTreeMap::from([(ErrorClass::RequestTimeout, 2)]),
                    latency: LatencyBuckets::of(&histogram(&[1_000; 8])),
                }],
            },
        );
        live.set_process(ProcessFigures {
            role: "server".to_owned(),
            cpu_seconds_total: 1.5,
            resident_bytes: 1 << 20,
            unique_bytes: Some(1 << 19),
            open_fds: 12,
            threads: 4,
        });
        let text = live.encode();
        for line in [
            "# TYPE vertex_perf_requests counter",
            r#"vertex_perf_requests_total{scenario="read_mix",endpoint="GET /portraits/{id}"} 10"#,
            r#"vertex_perf_errors_total{scenario="read_mix",endpoint="GET /portraits/{id}",class="request_timeout"} 2"#,
            "# TYPE vertex_perf_request_duration_seconds histogram",
            r#"vertex_perf_request_duration_seconds_count{scenario="read_mix",endpoint="GET /portraits/{id}"} 8"#,
            r#"vertex_perf_request_duration_seconds_bucket{le="0.0005",scenario="read_mix",endpoint="GET /portraits/{id}"} 0"#,
            r#"vertex_perf_request_duration_seconds_bucket{le="0.001",scenario="read_mix",endpoint="GET /portraits/{id}"} 8"#,
            r#"vertex_perf_request_duration_seconds_bucket{le="+Inf",scenario="read_mix",endpoint="GET /portraits/{id}"} 8"#,
            r#"vertex_perf_in_flight{scenario="read_mix"} 3"#,
            r#"vertex_perf_target_rate{scenario="read_mix"} 100.0"#,
            r#"process_cpu_seconds_total{role="server"} 1.5"#,
            r#"process_resident_memory_bytes{role="server"} 1048576.0"#,
            r#"process_open_fds{role="server"} 12.0"#,
            "# EOF",
        ] {
            assert!(text.contains(line), "{line} is missing from\n{text}");
        }
    }
}
