//! How an error reads in a report and on the terminal: one line, the causes joined with
//! `: `, then the hints (the lines after the first of any cause) each on its own line.

use std::fmt::Write as _;

/// `error` and its `source()` chain as one line plus its hints.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = String::new();
    let mut hints = Vec::new();
    let mut cause = Some(error);
    while let Some(current) = cause {
        let text = current.to_string();
        let mut parts = text.splitn(2, '\n');
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(parts.next().unwrap_or_default());
        if let Some(hint) = parts.next() {
            hints.push(hint.to_owned());
        }
        cause = current.source();
    }
    for hint in hints {
        let _ = write!(line, "\n{hint}");
    }
    line
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("cannot log in as `admin`\n(hint: check the password)")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("POST /auth/login: 401 Unauthorized")]
    struct Inner;

    #[test]
    fn causes_on_one_line_hints_after() {
        assert_eq!(
            super::error_chain(&Outer(Inner)),
            "cannot log in as `admin`: POST /auth/login: 401 Unauthorized\n(hint: check the password)"
        );
    }
}
