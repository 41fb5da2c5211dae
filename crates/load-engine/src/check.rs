//! [`Check`]: what makes a response a success — its status, and optionally its body.

use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;

/// The JSON value a body must hold for [`Check::json_shape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonShape {
    /// Any JSON value.
    Any,
    /// A JSON array.
    Array,
    /// A JSON object.
    Object,
}

/// A user check on a response body: `Err(reason)` fails the request as `check_failed`.
pub type BodyCheck = Arc<dyn Fn(&[u8]) -> Result<(), String> + Send + Sync>;

/// Expected statuses, an optional content type and an optional body check. The default
/// accepts any 2xx. A request is a success only when every part holds.
#[derive(Clone)]
pub struct Check {
    statuses: Vec<RangeInclusive<u16>>,
    content_type: Option<Arc<str>>,
    body: Option<BodyCheck>,
    /// A redirect passes without its content checked ([`Check::passing_redirects`]).
    redirects_pass: bool,
}

impl Check {
    /// Any 2xx status.
    pub fn success() -> Check {
        Check {
            statuses: vec![200..=299],
            content_type: None,
            body: None,
            redirects_pass: false,
        }
    }

    /// Exactly these statuses.
    pub fn statuses(statuses: &[u16]) -> Check {
        Check {
            statuses: statuses.iter().map(|&s| s..=s).collect(),
            content_type: None,
            body: None,
            redirects_pass: false,
        }
    }

    /// Requires the `Content-Type` of an accepted response to contain `fragment`
    /// (case-insensitive), e.g. `json`: an HTML error page served with 200 then fails as
    /// `check_failed`.
    #[must_use]
    pub fn content_type(mut self, fragment: &str) -> Check {
        self.content_type = Some(Arc::from(fragment.to_ascii_lowercase()));
        self
    }

    /// The contract of a JSON endpoint: a JSON content type and a body that parses.
    #[must_use]
    pub fn json() -> Check {
        Check::success().content_type("json").json_body()
    }

    /// Adds a check that the body is JSON of `shape`. The body is validated without
    /// building a document (no allocation per value), so it costs little per request.
    #[must_use]
    pub fn json_shape(self, shape: JsonShape) -> Check {
        self.body(move |body| {
            serde_json::from_slice::<serde::de::IgnoredAny>(body)
                .map_err(|err| format!("body is not JSON ({err}): {}", preview(body)))?;
            let first = body.iter().find(|b| !b.is_ascii_whitespace());
            match (shape, first) {
                (JsonShape::Any, _)
                | (JsonShape::Array, Some(b'['))
                | (JsonShape::Object, Some(b'{')) => Ok(()),
                (JsonShape::Array, _) => Err(format!("expected a JSON array: {}", preview(body))),
                (JsonShape::Object, _) => Err(format!("expected a JSON object: {}", preview(body))),
            }
        })
    }

    /// Adds a body check (the body is then kept in memory for the check); a check added
    /// before it runs first.
    #[must_use]
    pub fn body(
        mut self,
        check: impl Fn(&[u8]) -> Result<(), String> + Send + Sync + 'static,
    ) -> Check {
        self.body = Some(match self.body.take() {
            None => Arc::new(check),
            Some(first) => Arc::new(move |body: &[u8]| {
                first(body)?;
                check(body)
            }),
        });
        self
    }

    /// Adds a check that the body is JSON (catches HTML error pages served with 200).
    #[must_use]
    pub fn json_body(self) -> Check {
        self.json_shape(JsonShape::Any)
    }

    pub(crate) fn accepts_status(&self, status: u16) -> bool {
        self.statuses.iter().any(|range| range.contains(&status))
    }

    pub(crate) fn needs_body(&self) -> bool {
        self.body.is_some()
    }

    pub(crate) fn needs_headers(&self) -> bool {
        self.content_type.is_some()
    }

    /// Checks the content type (when one is required) against the response's header,
    /// case-insensitively and without allocating on success.
    pub(crate) fn check_content_type(&self, content_type: Option<&str>) -> Result<(), String> {
        match &self.content_type {
            None => Ok(()),
            Some(expected) => {
                let got = content_type.unwrap_or("");
                let contains = got
                    .as_bytes()
                    .windows(expected.len())
                    .any(|window| window.eq_ignore_ascii_case(expected.as_bytes()));
                if contains {
                    Ok(())
                } else if got.is_empty() {
                    Err(format!("expected a `{expected}` content type, got none"))
                } else {
                    Err(format!("expected a `{expected}` content type, got `{got}`"))
                }
            }
        }
    }

    pub(crate) fn check_body(&self, body: &[u8]) -> Result<(), String> {
        self.body.as_ref().map_or(Ok(()), |check| check(body))
    }

    /// Also passes a redirect (301, 302, 303, 307, 308) outright, without looking at its
    /// content: the hops of a request whose redirects are followed.
    #[must_use]
    pub(crate) fn passing_redirects(mut self) -> Check {
        self.statuses.extend(REDIRECTS.iter().map(|&s| s..=s));
        self.redirects_pass = true;
        self
    }

    /// Judges a response: its status, then (for an accepted status that is not a passed
    /// redirect) its content type and body (`None`: not read).
    pub(crate) fn verdict(
        &self,
        status: u16,
        content_type: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<(), Rejection> {
        if !self.accepts_status(status) {
            return Err(Rejection::Status);
        }
        if self.redirects_pass && REDIRECTS.contains(&status) {
            return Ok(());
        }
        self.check_content_type(content_type)
            .and_then(|()| body.map_or(Ok(()), |body| self.check_body(body)))
            .map_err(Rejection::Content)
    }
}

/// The statuses that redirect with a `Location`.
pub(crate) const REDIRECTS: [u16; 5] = [301, 302, 303, 307, 308];

/// Why [`Check::verdict`] turned a response down.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// Its status is not one the check accepts.
    Status,
    /// Its content type or body failed, for this reason.
    Content(String),
}

impl Default for Check {
    fn default() -> Self {
        Check::success()
    }
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("statuses", &self.statuses)
            .field("content_type", &self.content_type)
            .field("body", &self.body.as_ref().map(|_| "<fn>"))
            .field("redirects_pass", &self.redirects_pass)
            .finish()
    }
}

/// The start of a body as text, for messages.
pub(crate) fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_checks_add_up() {
        let check = Check::json().body(|body| {
            if body.len() > 10 {
                Err("too long".to_owned())
            } else {
                Ok(())
            }
        });
        assert!(check.check_body(b"[1]").is_ok());
        assert!(
            check
                .check_body(b"<html>")
                .unwrap_err()
                .contains("not JSON")
        );
        assert_eq!(
            check.check_body(b"[1, 2, 3, 4, 5]").unwrap_err(),
            "too long"
        );
    }

    #[test]
    fn json_shapes_and_content_types() {
        let array = Check::success().json_shape(JsonShape::Array);
        assert!(array.check_body(b" [1, {\"a\": 2}]").is_ok());
        assert!(
            array
                .check_body(b"{}")
                .unwrap_err()
                .contains("expected a JSON array")
        );
        assert!(array.check_body(b"[1,").unwrap_err().contains("not JSON"));
        let object = Check::success().json_shape(JsonShape::Object);
        assert!(object.check_body(b"\n{\"detail\": []}").is_ok());
        assert!(object.check_body(b"[]").is_err());
        assert!(Check::success().json_body().check_body(b"\"text\"").is_ok());
        assert!(
            Check::success()
                .json_body()
                .check_body(b"<html>")
                .unwrap_err()
                .contains("<html>")
        );

        let json = Check::json();
        assert!(
            json.check_content_type(Some("Application/JSON; charset=utf-8"))
                .is_ok()
        );
        assert_eq!(
            json.check_content_type(Some("text/html")).unwrap_err(),
            "expected a `json` content type, got `text/html`"
        );
        assert!(
            json.check_content_type(None)
                .unwrap_err()
                .ends_with("got none")
        );
        assert!(Check::success().check_content_type(None).is_ok());
    }
}
