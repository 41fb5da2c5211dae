//! Significance testing for baseline comparison: the Mann–Whitney U test, as benchstat uses,
//! so a difference between two noisy sets of samples is only called a change when it is
//! unlikely to be noise.

/// The result of a two-sided Mann–Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// The U statistic of the first sample.
    pub u: f64,
    /// Two-sided p-value (normal approximation with tie and continuity correction).
    pub p_value: f64,
}

/// Two-sided Mann–Whitney U test of `a` against `b`. `None` when either side is empty.
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let n1 = a.len() as f64;
    let n2 = b.len() as f64;
    let mut pooled: Vec<(f64, bool)> = a
        .iter()
        .map(|&v| (v, true))
        .chain(b.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));

    // Average ranks over ties; collect the tie correction term at the same time.
    let n = pooled.len();
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && pooled[j + 1].0 == pooled[i].0 {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        let tied = (j - i + 1) as f64;
        tie_term += tied * tied * tied - tied;
        rank_sum_a += pooled[i..=j].iter().filter(|(_, in_a)| *in_a).count() as f64 * average_rank;
        i = j + 1;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let total = n1 + n2;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
    if variance <= 0.0 {
        return Some(MannWhitney { u, p_value: 1.0 });
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / variance.sqrt();
    let p_value = erfc(z / std::f64::consts::SQRT_2).min(1.0);
    Some(MannWhitney { u, p_value })
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        for (x, expected) in [
            (0.0, 1.0),
            (0.5, 0.479_500_122),
            (1.0, 0.157_299_207),
            (2.0, 0.004_677_735),
            (-1.0, 1.842_700_793),
        ] {
            assert!((erfc(x) - expected).abs() < 1e-6, "erfc({x}) = {}", erfc(x));
        }
    }

    #[test]
    fn separated_samples_are_significant() {
        let a: Vec<f64> = (0..10).map(|i| 100.0 + f64::from(i)).collect();
        let b: Vec<f64> = (0..10).map(|i| 130.0 + f64::from(i)).collect();
        let result = mann_whitney_u(&a, &b).unwrap();
        assert_eq!(result.u, 0.0);
        // Exact two-sided p for complete separation of 10 vs 10 is 1.08e-5; the normal
        // approximation gives about 1.8e-4.
        assert!(result.p_value < 0.001, "p = {}", result.p_value);
    }

    #[test]
    fn interleaved_samples_are_not() {
        let a = [1.0, 3.0, 5.0, 7.0, 9.0, 11.0];
        let b = [2.0, 4.0, 6.0, 8.0, 10.0, 12.0];
        assert!(mann_whitney_u(&a, &b).unwrap().p_value > 0.5);
        let same = [5.0; 8];
        assert_eq!(mann_whitney_u(&same, &same).unwrap().p_value, 1.0);
        assert!(mann_whitney_u(&[], &same).is_none());
    }
}
