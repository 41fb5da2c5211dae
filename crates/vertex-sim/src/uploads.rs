//! Multipart forms as FastAPI sees them: a part with a filename is a file, any other part is a
//! text field; missing or empty fields become pydantic-style 422 errors in declaration order.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::problems::Problem;

/// One uploaded file part.
#[derive(Debug, Clone)]
pub struct FilePart {
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

impl FilePart {
    /// Whether the part's own Content-Type starts with `prefix` (`image/`, `video/`).
    pub fn has_type(&self, prefix: &str) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|t| t.starts_with(prefix))
    }
}

enum Field {
    Text(String),
    File(FilePart),
}

/// A parsed form.
pub struct Form {
    fields: Vec<(String, Field)>,
}

/// What a handler expects of a field.
#[derive(Clone, Copy)]
pub enum Expect<'a> {
    Text(&'a str),
    File(&'a str),
}

impl Form {
    /// Reads the whole form; a body that is not multipart reads as an empty form (every
    /// field then fails as missing, as in FastAPI).
    pub async fn read(multipart: Result<Multipart, MultipartRejection>) -> Result<Form, Problem> {
        let mut fields = Vec::new();
        let Ok(mut multipart) = multipart else {
            return Ok(Form { fields });
        };
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(_) => {
                    return Err(Problem::Validation(vec![json!({
                        "type": "value_error", "loc": ["body"], "msg": "Value error, malformed multipart body", "input": null
                    })]));
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            // A part with a filename is a file (UploadFile); without one, a text field.
            let is_file = field.file_name().is_some();
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|_| Problem::Internal)?;
            let value = if is_file {
                Field::File(FilePart {
                    content_type,
                    bytes,
                })
            } else {
                Field::Text(String::from_utf8_lossy(&bytes).into_owned())
            };
            fields.push((name, value));
        }
        Ok(Form { fields })
    }

    /// Checks every expected field, collecting all errors like pydantic does.
    pub fn validate(&self, expected: &[Expect<'_>]) -> Result<(), Problem> {
        let mut errors: Vec<Value> = Vec::new();
        for expect in expected {
            match *expect {
                Expect::Text(name) => match self.fields.iter().find(|(n, _)| n == name) {
                    Some((_, Field::Text(value))) if !value.is_empty() => {}
                    _ => errors.push(Problem::missing(&["body", name], &Value::Null)),
                },
                Expect::File(name) => match self.fields.iter().find(|(n, _)| n == name) {
                    Some((_, Field::File(_))) => {}
                    Some((_, Field::Text(value))) if !value.is_empty() => errors.push(json!({
                        "type": "value_error",
                        "loc": ["body", name],
                        "msg": "Value error, Expected UploadFile, received: <class 'str'>",
                        "input": value,
                        "ctx": {"error": {}},
                    })),
                    _ => errors.push(Problem::missing(&["body", name], &Value::Null)),
                },
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::Validation(errors))
        }
    }

    /// A text field (validated present).
    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find_map(|(n, f)| match f {
                Field::Text(value) if n == name => Some(value.as_str()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// A file field (validated present).
    pub fn file(&self, name: &str) -> Option<&FilePart> {
        self.fields.iter().find_map(|(n, f)| match f {
            Field::File(part) if n == name => Some(part),
            _ => None,
        })
    }
}
