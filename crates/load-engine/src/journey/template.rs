//! Templates: text with `{name}` variables, each resolved to a slot when the file is read,
//! so that rendering looks nothing up by name.

use std::sync::Arc;

/// The variables of one journey file, numbered in the order they are first named.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    names: Vec<String>,
}

impl Slots {
    /// The slot of `name`, numbered now if it is new.
    pub(crate) fn slot(&mut self, name: &str) -> usize {
        if let Some(slot) = self.names.iter().position(|n| n == name) {
            slot
        } else {
            self.names.push(name.to_owned());
            self.names.len() - 1
        }
    }

    pub(crate) fn name(&self, slot: usize) -> &str {
        &self.names[slot]
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

/// The values of one user's variables, by slot (`None`: not set yet).
pub(crate) type Values = Vec<Option<Arc<str>>>;

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Var(usize),
}

/// Text with variables: `{name}` where the name is letters, digits, `_`, `-` or `.` and
/// starts with a letter or `_`. Any other `{` is literal, as is `{{`.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    pub(crate) fn parse(text: &str, slots: &mut Slots) -> Template {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            if let Some(escaped) = after.strip_prefix('{') {
                literal.push('{');
                rest = escaped;
                continue;
            }
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
                .unwrap_or(after.len());
            let name = &after[..name_len];
            let starts_well = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            if starts_well && after[name_len..].starts_with('}') {
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Var(slots.slot(name)));
                rest = &after[name_len + 1..];
            } else {
                literal.push('{');
                rest = after;
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Template { pieces }
    }

    /// The slots this template reads.
    pub(crate) fn variables(&self) -> impl Iterator<Item = usize> + '_ {
        self.pieces.iter().filter_map(|piece| match piece {
            Piece::Var(slot) => Some(*slot),
            Piece::Text(_) => None,
        })
    }

    /// The text with every variable's value; `Err(slot)` names one without a value.
    pub(crate) fn render(&self, values: &Values) -> Result<String, usize> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Var(slot) => match values.get(*slot).and_then(Option::as_deref) {
                    Some(value) => out.push_str(value),
                    None => return Err(*slot),
                },
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_and_literal_braces() {
        let mut slots = Slots::default();
        let template = Template::parse("{base}/orders/{id}?q={{x}} {not a var} {}", &mut slots);
        assert_eq!(template.variables().collect::<Vec<_>>(), vec![0, 1]);
        let values: Values = vec![Some("http://h".into()), Some("42".into())];
        assert_eq!(
            template.render(&values).unwrap(),
            "http://h/orders/42?q={x}} {not a var} {}"
        );
        assert_eq!(template.render(&vec![Some("h".into()), None]), Err(1));
        let json = Template::parse(r#"{"a": 1}"#, &mut slots);
        assert_eq!(json.variables().count(), 0);
        assert_eq!(json.render(&Vec::new()).unwrap(), r#"{"a": 1}"#);
    }
}
