//! How an error reads in a report and on the terminal: one line, the causes joined with
//! `: `, then the hints (the lines after the first of any cause) each on its own line.

use std::fmt::Write as _;

/// `error` and its `source()` chain as one line plus its hints.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = String::new();
    let mut hints = Vec::new();
    let mut cause = Some(error);
    let mut previous = String::new();
    while let Some(current) = cause {
        cause = current.source();
        let text = current.to_string();
        // A wrapper that repeats its cause's words (it keeps the cause for its type) says
        // them once.
        if text == previous {
            continue;
        }
        let mut parts = text.splitn(2, '\n');
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(parts.next().unwrap_or_default());
        if let Some(hint) = parts.next() {
            hints.push(hint.to_owned());
        }
        previous = text;
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

    #[derive(Debug, thiserror::Error)]
    #[error("POST /auth/login: 401 Unauthorized")]
    struct Repeating(#[source] Inner);

    #[test]
    fn a_cause_repeated_by_its_wrapper_is_said_once() {
        assert_eq!(
            super::error_chain(&Outer2(Repeating(Inner))),
            "setup failed: POST /auth/login: 401 Unauthorized"
        );
    }

    #[derive(Debug, thiserror::Error)]
    #[error("setup failed")]
    struct Outer2(#[source] Repeating);

    #[test]
    fn causes_on_one_line_hints_after() {
        assert_eq!(
            super::error_chain(&Outer(Inner)),
            "cannot log in as `admin`: POST /auth/login: 401 Unauthorized\n(hint: check the password)"
        );
    }
}
