//! [`BoundedSeries`]: a time series that never holds more than a fixed number of points.
//! When full, neighbouring points merge in pairs and each point from then on covers twice as
//! many samples: resolution halves, memory stays put.

use report_model::sampler::SamplePoint;

#[derive(Debug, Clone)]
pub(crate) struct BoundedSeries {
    capacity: usize,
    points: Vec<SamplePoint>,
    pending: Option<SamplePoint>,
    samples_per_point: u32,
}

impl BoundedSeries {
    pub(crate) fn new(capacity: usize) -> BoundedSeries {
        // An even capacity halves cleanly.
        let capacity = capacity.max(2) & !1;
        BoundedSeries {
            capacity,
            points: Vec::with_capacity(capacity),
            pending: None,
            samples_per_point: 1,
        }
    }

    pub(crate) fn push(&mut self, point: SamplePoint) {
        let merged = match self.pending.take() {
            Some(pending) => merge(&pending, &point),
            None => point,
        };
        if merged.n_merged >= self.samples_per_point {
            self.points.push(merged);
            if self.points.len() == self.capacity {
                self.points = self
                    .points
                    .chunks(2)
                    .map(|pair| merge(&pair[0], &pair[1]))
                    .collect();
                self.samples_per_point *= 2;
            }
        } else {
            self.pending = Some(merged);
        }
    }

    pub(crate) fn into_points(mut self) -> Vec<SamplePoint> {
        self.points.extend(self.pending.take());
        self.points
    }
}

/// Merges two consecutive points: means for CPU and host memory (weighted by samples),
/// maxima for memory, fds and threads, the later value for cumulative work.
fn merge(a: &SamplePoint, b: &SamplePoint) -> SamplePoint {
    let (wa, wb) = (f64::from(a.n_merged), f64::from(b.n_merged));
    let mean = |x: f64, y: f64| (x * wa + y * wb) / (wa + wb);
    SamplePoint {
        t_us: a.t_us,
        n_merged: a.n_merged + b.n_merged,
        cpu_percent: mean(a.cpu_percent, b.cpu_percent),
        rss_bytes: a.rss_bytes.max(b.rss_bytes),
        uss_bytes: a.uss_bytes.max(b.uss_bytes),
        fds: a.fds.max(b.fds),
        threads: a.threads.max(b.threads),
        system_cpu_percent: mean(a.system_cpu_percent, b.system_cpu_percent),
        system_memory_used_percent: mean(
            a.system_memory_used_percent,
            b.system_memory_used_percent,
        ),
        work_done: b.work_done.or(a.work_done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(i: u64) -> SamplePoint {
        SamplePoint {
            t_us: i * 10_000,
            n_merged: 1,
            cpu_percent: 50.0,
            rss_bytes: i,
            ..SamplePoint::default()
        }
    }

    #[test]
    fn stays_bounded_and_keeps_every_sample_counted() {
        let mut series = BoundedSeries::new(100);
        for i in 0..360_000 {
            series.push(point(i));
        }
        let points = series.into_points();
        assert!(points.len() <= 100, "{}", points.len());
        assert!(points.len() >= 50, "{}", points.len());
        assert_eq!(
            points.iter().map(|p| u64::from(p.n_merged)).sum::<u64>(),
            360_000
        );
        assert_eq!(
            points.last().unwrap().rss_bytes,
            359_999,
            "maxima survive merging"
        );
        assert!(points.windows(2).all(|w| w[0].t_us < w[1].t_us));
        assert!(points.iter().all(|p| (p.cpu_percent - 50.0).abs() < 1e-9));
    }

    #[test]
    fn short_series_is_kept_as_is() {
        let mut series = BoundedSeries::new(100);
        for i in 0..10 {
            series.push(point(i));
        }
        assert_eq!(series.into_points(), (0..10).map(point).collect::<Vec<_>>());
    }
}
