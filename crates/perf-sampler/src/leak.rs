//! Leak analysis: a Theil–Sen slope (the median of all pairwise slopes, robust to the
//! outliers a GC or an upload burst causes) with Sen's nonparametric 95 % confidence interval,
//! fitted after a warm-up window.
//!
//! The old suite called a leak when one before/after RSS delta exceeded a level. Here a
//! verdict above `Pass` needs both: fitted growth above the level *and* a slope whose lower
//! confidence bound is above zero, so a one-off allocation or noise never fails a run.

use report_model::{Verdict, sampler::LeakAnalysis, sampler::LeakMetric, sampler::SamplePoint};

use crate::{LeakThresholds, Workload};

/// Points used for the O(n²) pairwise slopes at most; longer series are thinned evenly.
const MAX_FIT_POINTS: usize = 600;
/// Fewer points than this after warm-up give no verdict.
const MIN_FIT_POINTS: usize = 5;
const MIB: f64 = 1024.0 * 1024.0;
/// The horizon a significant slope is projected over: a server that keeps growing at the
/// fitted rate for an hour must not pass because the window was short.
const PROJECTION_SECS: f64 = 3600.0;

/// A fitted line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fit {
    pub slope: f64,
    pub intercept: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub r_squared: f64,
}

/// Theil–Sen fit of `ys` against `xs` with Sen's 95 % interval for the slope.
pub(crate) fn theil_sen(xs: &[f64], ys: &[f64]) -> Option<Fit> {
    let (xs, ys) = thin(xs, ys);
    let n = xs.len();
    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let dx = xs[j] - xs[i];
            if dx != 0.0 {
                slopes.push((ys[j] - ys[i]) / dx);
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let slope = median_sorted(&slopes);
    let mut residual_offsets: Vec<f64> = xs.iter().zip(&ys).map(|(x, y)| y - slope * x).collect();
    residual_offsets.sort_by(f64::total_cmp);
    let intercept = median_sorted(&residual_offsets);

    // Sen (1968): C = z * sqrt(Var S), Var S = n(n-1)(2n+5)/18; the interval is the slopes
    // ranked (N - C)/2 and (N + C)/2.
    let nf = n as f64;
    let c = 1.96 * (nf * (nf - 1.0) * (2.0 * nf + 5.0) / 18.0).sqrt();
    let count = slopes.len() as f64;
    let rank = |r: f64| (r.round().max(0.0) as usize).min(slopes.len() - 1);
    let ci_low = slopes[rank((count - c) / 2.0)];
    let ci_high = slopes[rank(f64::midpoint(count, c))];

    let mean_y = ys.iter().sum::<f64>() / nf;
    let ss_total: f64 = ys.iter().map(|y| (y - mean_y).powi(2)).sum();
    let ss_residual: f64 = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| (y - (intercept + slope * x)).powi(2))
        .sum();
    let r_squared = if ss_total > 0.0 {
        (1.0 - ss_residual / ss_total).max(0.0)
    } else {
        0.0
    };
    Some(Fit {
        slope,
        intercept,
        ci_low,
        ci_high,
        r_squared,
    })
}

fn median_sorted(sorted: &[f64]) -> f64 {
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        f64::midpoint(sorted[mid - 1], sorted[mid])
    } else {
        sorted[mid]
    }
}

fn thin(xs: &[f64], ys: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = xs.len().min(ys.len());
    if n <= MAX_FIT_POINTS {
        return (xs[..n].to_vec(), ys[..n].to_vec());
    }
    let step = n as f64 / MAX_FIT_POINTS as f64;
    (0..MAX_FIT_POINTS)
        .map(|i| {
            let index = ((i as f64 * step) as usize).min(n - 1);
            (xs[index], ys[index])
        })
        .unzip()
}

/// Analyses the series after `warmup_us`. `None` when too few points remain.
pub(crate) fn analyze(
    series: &[SamplePoint],
    warmup_us: u64,
    metric: LeakMetric,
    thresholds: &LeakThresholds,
) -> Option<LeakAnalysis> {
    let points: Vec<&SamplePoint> = series.iter().filter(|p| p.t_us >= warmup_us).collect();
    if points.len() < MIN_FIT_POINTS {
        return None;
    }
    let seconds: Vec<f64> = points.iter().map(|p| p.t_us as f64 / 1e6).collect();
    let memory: Vec<f64> = points
        .iter()
        .map(|p| match metric {
            LeakMetric::Uss => p.uss_bytes.unwrap_or(p.rss_bytes) as f64,
            LeakMetric::Rss => p.rss_bytes as f64,
        })
        .collect();
    let fit = theil_sen(&seconds, &memory)?;
    let window_secs = seconds[seconds.len() - 1] - seconds[0];
    let growth_bytes = fit.slope * window_secs;

    let per_minute =
        |values: Vec<f64>| theil_sen(&seconds, &values).map_or(0.0, |f| f.slope * 60.0);
    let fds_per_min = per_minute(points.iter().map(|p| p.fds as f64).collect());
    let threads_per_min = per_minute(points.iter().map(|p| p.threads as f64).collect());

    let bytes_per_1000_ops = {
        let work: Vec<f64> = points
            .iter()
            .filter_map(|p| p.work_done.map(|w| w as f64))
            .collect();
        let did_work = work.len() == points.len() && work.last() > work.first();
        if did_work {
            theil_sen(&work, &memory).map(|f| f.slope * 1000.0)
        } else {
            None
        }
    };

    let significant = fit.ci_low > 0.0;
    let projected_growth_bytes = fit.slope * window_secs.max(PROJECTION_SECS);
    let projected_too_much =
        significant && projected_growth_bytes > thresholds.acceptable_growth_bytes;
    let verdict = if significant && growth_bytes > thresholds.acceptable_growth_bytes {
        Verdict::Fail
    } else if (significant && growth_bytes > thresholds.target_growth_bytes) || projected_too_much {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    let name = match metric {
        LeakMetric::Uss => "USS",
        LeakMetric::Rss => "RSS",
    };
    let trend = format!(
        "{name} grew {:.1} MiB over {:.1} s after warm-up ({:.2} MiB/min, 95% CI {:.2} to {:.2}, R² {:.2})",
        growth_bytes / MIB,
        window_secs,
        fit.slope * 60.0 / MIB,
        fit.ci_low * 60.0 / MIB,
        fit.ci_high * 60.0 / MIB,
        fit.r_squared,
    );
    let inconclusive = match thresholds.workload {
        Workload::Steady => None,
        Workload::Varying(why) => Some(why.to_owned()),
    };
    let reason = match (verdict, &inconclusive) {
        (_, Some(why)) => format!("{trend}: inconclusive, {why}"),
        (Verdict::Fail, None) => format!(
            "{trend}: above the acceptable {:.0} MiB",
            thresholds.acceptable_growth_bytes / MIB
        ),
        (Verdict::Warn, None) if growth_bytes > thresholds.target_growth_bytes => format!(
            "{trend}: above the target {:.0} MiB",
            thresholds.target_growth_bytes / MIB
        ),
        (Verdict::Warn, None) => format!(
            "{trend}: the slope is above zero and projects to {:.0} MiB over an hour, above the acceptable {:.0} MiB",
            projected_growth_bytes / MIB,
            thresholds.acceptable_growth_bytes / MIB
        ),
        (Verdict::Pass, None) if !significant => {
            format!("{trend}: no growth distinguishable from noise")
        }
        (Verdict::Pass, None) => format!(
            "{trend}: within the target {:.0} MiB",
            thresholds.target_growth_bytes / MIB
        ),
    };
    Some(LeakAnalysis {
        metric,
        warmup_us,
        n_points: points.len() as u64,
        growth_bytes,
        slope_bytes_per_sec: fit.slope,
        slope_ci_low_bytes_per_sec: fit.ci_low,
        slope_ci_high_bytes_per_sec: fit.ci_high,
        bytes_per_1000_ops,
        r_squared: fit.r_squared,
        fds_per_min,
        threads_per_min,
        projected_growth_bytes,
        verdict,
        inconclusive,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(rss: impl Fn(u64) -> u64, n: u64) -> Vec<SamplePoint> {
        (0..n)
            .map(|i| SamplePoint {
                t_us: i * 100_000,
                n_merged: 1,
                rss_bytes: rss(i),
                work_done: Some(i * 50),
                ..SamplePoint::default()
            })
            .collect()
    }

    #[test]
    fn exact_line_is_recovered() {
        let xs: Vec<f64> = (0..50).map(f64::from).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 3.0 * x + 7.0).collect();
        let fit = theil_sen(&xs, &ys).unwrap();
        assert_eq!(
            (fit.slope, fit.intercept, fit.ci_low, fit.ci_high),
            (3.0, 7.0, 3.0, 3.0)
        );
        assert!((fit.r_squared - 1.0).abs() < 1e-12);
    }

    #[test]
    fn outliers_do_not_move_the_slope() {
        let xs: Vec<f64> = (0..40).map(f64::from).collect();
        let mut ys: Vec<f64> = xs.iter().map(|x| 2.0 * x).collect();
        ys[10] = 1e9;
        ys[30] = -1e9;
        let fit = theil_sen(&xs, &ys).unwrap();
        assert!((fit.slope - 2.0).abs() < 0.01, "{fit:?}");
    }

    #[test]
    fn steady_growth_fails_and_flat_memory_passes() {
        let thresholds = LeakThresholds::default();
        // 2 MiB per 100 ms for 10 s: 200 MiB.
        let growing = series(|i| (100 << 20) + i * (2 << 20), 100);
        let leak = analyze(&growing, 1_000_000, LeakMetric::Rss, &thresholds).unwrap();
        assert_eq!(leak.verdict, Verdict::Fail, "{}", leak.reason);
        assert!((leak.slope_bytes_per_sec - 20.0 * MIB).abs() < 1.0);
        assert!((leak.bytes_per_1000_ops.unwrap() - 2.0 * MIB * 1000.0 / 50.0).abs() < 1.0);

        // 50 MiB at the start, then flat with jitter.
        let flat = series(
            |i| {
                if i == 0 {
                    10 << 20
                } else {
                    (60 << 20) + (i % 3) * 4096
                }
            },
            100,
        );
        let leak = analyze(&flat, 1_000_000, LeakMetric::Rss, &thresholds).unwrap();
        assert_eq!(leak.verdict, Verdict::Pass, "{}", leak.reason);

        // Growth above the target but within acceptable: warn.
        let moderate = series(|i| (100 << 20) + i * (700 << 10), 100);
        let leak = analyze(&moderate, 1_000_000, LeakMetric::Rss, &thresholds).unwrap();
        assert_eq!(leak.verdict, Verdict::Warn, "{}", leak.reason);

        assert!(analyze(&growing[..8], 1_000_000, LeakMetric::Rss, &thresholds).is_none());
    }

    #[test]
    fn a_significant_slope_that_projects_past_the_limit_is_not_a_pass() {
        // 134 MiB/min over 10 s: 22 MiB in the window (below the 50 MiB target), 8 GiB an hour.
        let fast = series(|i| (100 << 20) + i * ((134 << 20) / 600), 100);
        let leak = analyze(
            &fast,
            1_000_000,
            LeakMetric::Rss,
            &LeakThresholds::default(),
        )
        .unwrap();
        assert!(leak.growth_bytes < 50.0 * MIB, "{}", leak.reason);
        assert_eq!(leak.verdict, Verdict::Warn, "{}", leak.reason);
        assert!(leak.reason.contains("over an hour"), "{}", leak.reason);
        assert!(leak.projected_growth_bytes > 7000.0 * MIB);
    }

    #[test]
    fn a_varying_workload_is_inconclusive() {
        let thresholds = LeakThresholds {
            workload: Workload::Varying("the workload changed between phases"),
            ..LeakThresholds::default()
        };
        let growing = series(|i| (100 << 20) + i * (2 << 20), 100);
        let leak = analyze(&growing, 1_000_000, LeakMetric::Rss, &thresholds).unwrap();
        assert_eq!(leak.judged(), None);
        assert_eq!(leak.verdict_label(), "inconclusive");
        assert!(
            leak.reason
                .ends_with("inconclusive, the workload changed between phases")
        );
    }
}
