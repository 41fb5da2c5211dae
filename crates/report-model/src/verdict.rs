//! The three-level verdict every check ends in.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The outcome of a check against a target and an acceptable level.
///
/// Ordered from best to worst, so the verdict of a whole run is the `max` of its parts.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The target was met.
    Pass,
    /// The target was missed, the acceptable level was met. Does not fail a run.
    Warn,
    /// Even the acceptable level was missed. Fails the run.
    Fail,
}

impl Verdict {
    /// The worst of several verdicts, `Pass` for none.
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Pass)
    }

    /// Lower-case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
