//! Thresholds: a small expression language in the spirit of k6's, with a target and an
//! acceptable level.
//!
//! ```text
//! threshold  := metric comparator quantity [ "acceptable" quantity ]
//! metric     := family [ "[" scenario [ "/" step ] "]" ]   e.g. http.p95, http.p95[read_mix],
//!               http.p95[order_lifecycle/POST /orders/create] (a step label of a journey)
//! comparator := "<" | "<=" | ">" | ">="
//! quantity   := number [ unit ]                    e.g. 500ms, 95%, 50MiB, 20MiB/s, 10/s
//! ```
//!
//! `http.p95 < 500ms acceptable 2s` passes below 500 ms, warns between 500 ms and 2 s and
//! fails above. Without `acceptable`, missing the target fails. Units must fit the metric's
//! family (see [`crate::metrics::CATALOG`]); durations need an explicit unit.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::metrics::{self, MetricDef, MetricSet, MetricUnit};
use crate::{ReportError, Verdict};

/// How a measured value is compared with a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Comparator {
    /// `<`
    #[serde(rename = "<")]
    Less,
    /// `<=`
    #[serde(rename = "<=")]
    LessOrEqual,
    /// `>`
    #[serde(rename = ">")]
    Greater,
    /// `>=`
    #[serde(rename = ">=")]
    GreaterOrEqual,
}

impl Comparator {
    /// Whether `value` satisfies `value <op> level`.
    pub fn holds(self, value: f64, level: f64) -> bool {
        match self {
            Comparator::Less => value < level,
            Comparator::LessOrEqual => value <= level,
            Comparator::Greater => value > level,
            Comparator::GreaterOrEqual => value >= level,
        }
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Less => "<",
            Comparator::LessOrEqual => "<=",
            Comparator::Greater => ">",
            Comparator::GreaterOrEqual => ">=",
        }
    }

    fn is_upper_bound(self) -> bool {
        matches!(self, Comparator::Less | Comparator::LessOrEqual)
    }
}

/// A parsed threshold. Serialises as its expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    expression: String,
    metric: String,
    def: &'static MetricDef,
    comparator: Comparator,
    target: f64,
    acceptable: Option<f64>,
}

impl Threshold {
    /// Parses an expression such as `http.p95 < 500ms acceptable 2s`.
    pub fn parse(expression: &str) -> Result<Threshold, ReportError> {
        Parser::new(expression).threshold()
    }

    /// The expression, trimmed.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The metric name, with its qualifier if any.
    pub fn metric(&self) -> &str {
        &self.metric
    }

    /// The metric family's unit.
    pub fn unit(&self) -> MetricUnit {
        self.def.unit
    }

    /// The comparator.
    pub fn comparator(&self) -> Comparator {
        self.comparator
    }

    /// The target level, canonical unit.
    pub fn target(&self) -> f64 {
        self.target
    }

    /// The acceptable level, canonical unit.
    pub fn acceptable(&self) -> Option<f64> {
        self.acceptable
    }

    /// The verdict for a measured value.
    pub fn judge(&self, measured: f64) -> Verdict {
        if measured.is_nan() {
            Verdict::Fail
        } else if self.comparator.holds(measured, self.target) {
            Verdict::Pass
        } else if self
            .acceptable
            .is_some_and(|level| self.comparator.holds(measured, level))
        {
            Verdict::Warn
        } else {
            Verdict::Fail
        }
    }

    /// Evaluates against the metrics of a run.
    pub fn evaluate(&self, metrics: &MetricSet) -> ThresholdResult {
        let measured = metrics.get(&self.metric).map(|m| m.value);
        let verdict = measured.map(|value| self.judge(value));
        let unit = self.def.unit;
        let op = self.comparator.as_str();
        let mut message = match measured {
            Some(value) => format!(
                "measured {}, target {op} {}",
                unit.format(value),
                unit.format(self.target)
            ),
            None => format!(
                "not measured in this run, target {op} {}",
                unit.format(self.target)
            ),
        };
        if let Some(level) = self.acceptable {
            let _ = write!(message, ", acceptable {op} {}", unit.format(level));
        }
        ThresholdResult {
            expression: self.expression.clone(),
            metric: self.metric.clone(),
            comparator: self.comparator,
            target: self.target,
            acceptable: self.acceptable,
            measured,
            verdict,
            message,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

impl FromStr for Threshold {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Threshold::parse(s)
    }
}

impl schemars::JsonSchema for Threshold {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Threshold".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "a threshold expression such as `http.p95[api_endpoints] < 500ms acceptable 2s`",
        })
    }
}

impl Serialize for Threshold {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.expression)
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let expression = String::deserialize(deserializer)?;
        Threshold::parse(&expression).map_err(serde::de::Error::custom)
    }
}

/// A threshold evaluated against one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThresholdResult {
    /// The expression as written.
    pub expression: String,
    /// The metric it judges.
    pub metric: String,
    /// The comparator.
    pub comparator: Comparator,
    /// Target level, canonical unit of the metric.
    pub target: f64,
    /// Acceptable level, canonical unit of the metric.
    pub acceptable: Option<f64>,
    /// The measured value, canonical unit; `None` when the run did not produce the metric.
    pub measured: Option<f64>,
    /// The verdict; `None` when not measured (reported as skipped, never as passed).
    pub verdict: Option<Verdict>,
    /// One line with the numbers, for people.
    pub message: String,
}

/// Evaluates every threshold against the metrics of a run.
pub fn evaluate_all(thresholds: &[Threshold], metrics: &MetricSet) -> Vec<ThresholdResult> {
    thresholds.iter().map(|t| t.evaluate(metrics)).collect()
}

/// A hand-written recursive-descent parser over characters, tracking the column.
struct Parser<'a> {
    source: &'a str,
    chars: Vec<char>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(source: &'a str) -> Self {
        Parser {
            source,
            chars: source.chars().collect(),
            pos: 0,
        }
    }

    fn error(&self, column_index: usize, message: impl Into<String>) -> ReportError {
        ReportError::Threshold {
            expression: self.source.to_owned(),
            column: column_index + 1,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn take_while(&mut self, accept: impl Fn(char) -> bool) -> String {
        let start = self.pos;
        while self.peek().is_some_and(&accept) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn threshold(mut self) -> Result<Threshold, ReportError> {
        self.skip_spaces();
        let (metric, def) = self.metric()?;
        self.skip_spaces();
        let comparator = self.comparator()?;
        self.skip_spaces();
        let target = self.quantity(def)?;
        self.skip_spaces();
        let mut acceptable = None;
        if self.peek().is_some() {
            let word_start = self.pos;
            let word = self.take_while(|c| c.is_ascii_alphabetic());
            if word != "acceptable" {
                return Err(self.error(
                    word_start,
                    "expected `acceptable` or the end of the expression",
                ));
            }
            self.skip_spaces();
            let level_start = self.pos;
            let level = self.quantity(def)?;
            let looser = if comparator.is_upper_bound() {
                level >= target
            } else {
                level <= target
            };
            if !looser {
                return Err(self.error(
                    level_start,
                    format!(
                        "the acceptable level must be looser than the target {} {}",
                        comparator.as_str(),
                        def.unit.format(target)
                    ),
                ));
            }
            acceptable = Some(level);
            self.skip_spaces();
            if self.peek().is_some() {
                return Err(self.error(self.pos, "unexpected text after the acceptable level"));
            }
        }
        Ok(Threshold {
            expression: self.source.trim().to_owned(),
            metric,
            def,
            comparator,
            target,
            acceptable,
        })
    }

    fn metric(&mut self) -> Result<(String, &'static MetricDef), ReportError> {
        let start = self.pos;
        let family = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if family.is_empty() {
            return Err(self.error(start, "expected a metric name such as `http.p95`"));
        }
        let Some(def) = metrics::lookup(&family) else {
            let prefix = family.split('.').next().unwrap_or_default();
            let known: Vec<&str> = metrics::CATALOG
                .iter()
                .map(|d| d.name)
                .filter(|name| name.starts_with(prefix))
                .collect();
            let hint = if known.is_empty() {
                metrics::CATALOG
                    .iter()
                    .map(|d| d.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                known.join(", ")
            };
            return Err(self.error(start, format!("unknown metric `{family}` (known: {hint})")));
        };
        let mut name = family;
        if self.peek() == Some('[') {
            let bracket = self.pos;
            self.pos += 1;
            // A scenario, or `scenario/step label` (labels hold spaces: `GET /x`).
            let scenario = self.take_while(|c| c != ']');
            if self.peek() != Some(']') || scenario.trim().is_empty() {
                return Err(self.error(bracket, "expected `[scenario]` with a closing `]`"));
            }
            let scenario = scenario.trim();
            if !def.per_scenario {
                return Err(self.error(
                    bracket,
                    format!("`{}` has no per-scenario values", def.name),
                ));
            }
            self.pos += 1;
            name = format!("{name}[{scenario}]");
        }
        Ok((name, def))
    }

    fn comparator(&mut self) -> Result<Comparator, ReportError> {
        let start = self.pos;
        let op = self.take_while(|c| matches!(c, '<' | '>' | '=' | '!'));
        match op.as_str() {
            "<" => Ok(Comparator::Less),
            "<=" => Ok(Comparator::LessOrEqual),
            ">" => Ok(Comparator::Greater),
            ">=" => Ok(Comparator::GreaterOrEqual),
            "" => Err(self.error(start, "expected a comparator: <, <=, > or >=")),
            other => Err(self.error(
                start,
                format!("unknown comparator `{other}` (use <, <=, > or >=)"),
            )),
        }
    }

    fn quantity(&mut self, def: &MetricDef) -> Result<f64, ReportError> {
        let start = self.pos;
        let number_text = self.take_while(|c| c.is_ascii_digit() || c == '.');
        let number: f64 = match number_text.parse() {
            Ok(number) if !number_text.is_empty() => number,
            _ => return Err(self.error(start, "expected a number")),
        };
        let unit_start = self.pos;
        let unit = self.take_while(|c| c.is_alphanumeric() || matches!(c, '%' | '/' | 'µ'));
        let scale =
            unit_scale(def.unit, &unit).map_err(|message| self.error(unit_start, message))?;
        Ok(number * scale)
    }
}

/// The factor turning a number written with `unit` into the family's canonical unit.
fn unit_scale(family_unit: MetricUnit, unit: &str) -> Result<f64, String> {
    const KIB: f64 = 1024.0;
    let scale = match (family_unit, unit) {
        (MetricUnit::Duration, "us" | "µs") => Some(1.0),
        (MetricUnit::Duration, "ms") => Some(1e3),
        (MetricUnit::Duration, "s") => Some(1e6),
        (MetricUnit::Duration, "m" | "min") => Some(60e6),
        (MetricUnit::Duration, "h") => Some(3600e6),
        (MetricUnit::Duration, "") => {
            return Err("a duration needs a unit: us, ms, s, m or h".to_owned());
        }
        (MetricUnit::Percent, "%" | "") => Some(1.0),
        (MetricUnit::Bytes, "B" | "") => Some(1.0),
        (MetricUnit::Bytes, "KiB") => Some(KIB),
        (MetricUnit::Bytes, "MiB") => Some(KIB * KIB),
        (MetricUnit::Bytes, "GiB") => Some(KIB * KIB * KIB),
        (MetricUnit::Bytes, "KB" | "MB" | "GB" | "kB") => {
            return Err(format!("`{unit}` is ambiguous: use KiB, MiB or GiB"));
        }
        (MetricUnit::MibPerSec, "MiB/s" | "") => Some(1.0),
        (MetricUnit::PerSecond, "/s" | "") => Some(1.0),
        (MetricUnit::Count, "") => Some(1.0),
        _ => None,
    };
    scale.ok_or_else(|| {
        let expected = match family_unit {
            MetricUnit::Duration => "us, ms, s, m or h",
            MetricUnit::Percent => "% or none",
            MetricUnit::Bytes => "B, KiB, MiB or GiB",
            MetricUnit::MibPerSec => "MiB/s or none",
            MetricUnit::PerSecond => "/s or none",
            MetricUnit::Count => "none",
        };
        format!("unit `{unit}` does not fit this metric (expected {expected})")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_parse(
        expression: &str,
        metric: &str,
        comparator: Comparator,
        target: f64,
        acceptable: Option<f64>,
    ) {
        let threshold =
            Threshold::parse(expression).unwrap_or_else(|e| panic!("{expression}: {e}"));
        assert_eq!(threshold.metric(), metric, "{expression}");
        assert_eq!(threshold.comparator(), comparator, "{expression}");
        assert!(
            (threshold.target() - target).abs() < 1e-6,
            "{expression}: target {}",
            threshold.target()
        );
        assert_eq!(threshold.acceptable(), acceptable, "{expression}");
    }

    fn check_error(expression: &str, column: usize, fragment: &str) {
        match Threshold::parse(expression) {
            Err(ReportError::Threshold {
                column: got,
                message,
                ..
            }) => {
                assert_eq!(got, column, "{expression}: {message}");
                assert!(
                    message.contains(fragment),
                    "{expression}: `{message}` lacks `{fragment}`"
                );
            }
            other => panic!("{expression}: expected a threshold error, got {other:?}"),
        }
    }

    #[test]
    fn parses_expressions() {
        use Comparator::*;
        check_parse("http.p95 < 500ms", "http.p95", Less, 500_000.0, None);
        check_parse(
            "http.p95<500ms acceptable 2s",
            "http.p95",
            Less,
            500_000.0,
            Some(2_000_000.0),
        );
        check_parse(
            "  http.p99[read_mix] <= 1.5s ",
            "http.p99[read_mix]",
            LessOrEqual,
            1_500_000.0,
            None,
        );
        check_parse(
            "http.p95[order_lifecycle/POST /orders/create ] < 500ms",
            "http.p95[order_lifecycle/POST /orders/create]",
            Less,
            500_000.0,
            None,
        );
        check_parse(
            "load.success_rate >= 95%",
            "load.success_rate",
            GreaterOrEqual,
            95.0,
            None,
        );
        check_parse(
            "storage.upload_mibps > 20",
            "storage.upload_mibps",
            Greater,
            20.0,
            None,
        );
        check_parse(
            "storage.upload_mibps > 20MiB/s acceptable 5MiB/s",
            "storage.upload_mibps",
            Greater,
            20.0,
            Some(5.0),
        );
        check_parse("server.cpu_avg < 60%", "server.cpu_avg", Less, 60.0, None);
        check_parse(
            "server.memory_growth < 50MiB",
            "server.memory_growth",
            Less,
            50.0 * 1024.0 * 1024.0,
            None,
        );
        check_parse("load.rps > 10/s", "load.rps", Greater, 10.0, None);
        check_parse("http.avg < 250µs", "http.avg", Less, 250.0, None);
    }

    #[test]
    fn rejects_bad_expressions_with_position() {
        check_error("", 1, "metric name");
        check_error("http.p42 < 5ms", 1, "unknown metric `http.p42`");
        check_error("http.p95 5ms", 10, "comparator");
        check_error("http.p95 =< 5ms", 10, "unknown comparator");
        check_error("http.p95 < ms", 12, "expected a number");
        check_error("http.p95 < 500", 15, "needs a unit");
        check_error("http.p95 < 500kg", 15, "does not fit");
        check_error("server.memory_growth < 50MB", 26, "ambiguous");
        check_error("http.p95 < 500ms or 2s", 18, "acceptable");
        check_error("http.p95 < 500ms acceptable 100ms", 29, "looser");
        check_error("load.success_rate > 95% acceptable 99%", 36, "looser");
        check_error("http.p95[oops < 5ms", 9, "closing");
        check_error("server.cpu_avg[x] < 5%", 15, "per-scenario");
        check_error("http.p95 < 5ms acceptable 6ms extra", 31, "unexpected");
    }

    #[test]
    fn judges_three_levels() {
        let threshold = Threshold::parse("http.p95 < 500ms acceptable 2s").unwrap();
        assert_eq!(threshold.judge(100_000.0), Verdict::Pass);
        assert_eq!(threshold.judge(500_000.0), Verdict::Warn);
        assert_eq!(threshold.judge(1_999_999.0), Verdict::Warn);
        assert_eq!(threshold.judge(2_000_000.0), Verdict::Fail);
        assert_eq!(threshold.judge(f64::NAN), Verdict::Fail);
        let floor = Threshold::parse("load.success_rate > 95% acceptable 90%").unwrap();
        assert_eq!(floor.judge(99.0), Verdict::Pass);
        assert_eq!(floor.judge(92.0), Verdict::Warn);
        assert_eq!(floor.judge(90.0), Verdict::Fail);
        let strict = Threshold::parse("http.p95 < 500ms").unwrap();
        assert_eq!(strict.judge(600_000.0), Verdict::Fail);
    }

    #[test]
    fn evaluates_against_metrics_and_reports_missing_ones() {
        let mut metrics = MetricSet::new();
        metrics.insert("http.p95", 812_000.0);
        let result = Threshold::parse("http.p95 < 500ms acceptable 2s")
            .unwrap()
            .evaluate(&metrics);
        assert_eq!(result.verdict, Some(Verdict::Warn));
        assert_eq!(
            result.message,
            "measured 812.0ms, target < 500.0ms, acceptable < 2.00s"
        );
        let missing = Threshold::parse("db.read_p95 < 100ms")
            .unwrap()
            .evaluate(&metrics);
        assert_eq!(missing.verdict, None);
        assert!(missing.message.starts_with("not measured"));
    }

    #[test]
    fn defaults_parse_and_round_trip_through_serde() {
        let defaults = crate::gate::default_thresholds();
        assert_eq!(defaults.len(), crate::gate::DEFAULT_THRESHOLDS.len());
        let json = serde_json::to_string(&defaults).unwrap();
        let back: Vec<Threshold> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, defaults);
    }
}
