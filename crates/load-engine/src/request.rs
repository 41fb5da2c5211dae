//! [`RequestTemplate`]: what one request of a template scenario sends, built once and cloned
//! cheaply per request (the body is reference-counted [`Bytes`]).

use std::fmt;
use std::sync::Arc;

use bytes::{BufMut as _, Bytes, BytesMut};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};

use crate::LoadError;
use crate::http1::WireRequest;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

/// Where connections go: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The scheme.
    pub scheme: Scheme,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Origin {
    /// The `Host` header value.
    pub fn authority(&self) -> String {
        let default_port = match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}", self.authority())
    }
}

/// A parsed absolute URL: origin plus path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Where to connect.
    pub origin: Origin,
    /// Path and query, always starting with `/`.
    pub path_and_query: String,
}

impl Target {
    /// Parses an absolute `http://` or `https://` URL.
    pub fn parse(url: &str) -> Result<Target, LoadError> {
        let invalid = |message: &str| LoadError::InvalidUrl {
            url: report_model::redact_url(url),
            message: message.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            Some(_) => return Err(invalid("only http:// and https:// are supported")),
            None => {
                return Err(invalid(
                    "an absolute URL such as http://127.0.0.1:8000/ is needed",
                ));
            }
        };
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "credentials in the URL are not sent; use a header or --bearer-env",
            ));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = authority.port_u16().unwrap_or(match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        });
        let path_and_query = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
        Ok(Target {
            origin: Origin { scheme, host, port },
            path_and_query: if path_and_query.is_empty() {
                "/".to_owned()
            } else {
                path_and_query
            },
        })
    }
}

impl Target {
    /// The absolute-form request URI (HTTP/2), after checking that the path is a valid
    /// origin-form target (HTTP/1.1).
    pub(crate) fn absolute_uri(&self) -> Result<Uri, LoadError> {
        let invalid = || LoadError::InvalidUrl {
            url: self.path_and_query.clone(),
            message: "unusable path".to_owned(),
        };
        let _: Uri = self.path_and_query.parse().map_err(|_| invalid())?;
        format!("{}{}", self.origin, self.path_and_query)
            .parse()
            .map_err(|_| invalid())
    }
}

/// One part of a multipart form.
#[derive(Debug, Clone)]
enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        filename: String,
        content_type: String,
        bytes: Bytes,
    },
}

/// A `multipart/form-data` body. Every file part carries a filename and a content type (the
/// Vertex AR service rejects file parts without them).
#[derive(Debug, Clone, Default)]
pub struct MultipartForm {
    parts: Vec<Part>,
}

impl MultipartForm {
    /// An empty form.
    pub fn new() -> MultipartForm {
        MultipartForm::default()
    }

    /// Adds a text field.
    #[must_use]
    pub fn text(mut self, name: &str, value: &str) -> MultipartForm {
        self.parts.push(Part::Text {
            name: name.to_owned(),
            value: value.to_owned(),
        });
        self
    }

    /// Adds a file field.
    #[must_use]
    pub fn file(
        mut self,
        name: &str,
        filename: &str,
        content_type: &str,
        bytes: impl Into<Bytes>,
    ) -> MultipartForm {
        self.parts.push(Part::File {
            name: name.to_owned(),
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            bytes: bytes.into(),
        });
        self
    }

    /// Encodes the form: `(body, content-type header value)`.
    pub fn encode(&self) -> (Bytes, String) {
        // A boundary that cannot occur in the generated headers and is vanishingly unlikely in
        // binary payloads (and is checked against them).
        let mut boundary = String::from("vertex-perf-boundary-7f3a9c2e51d84b06");
        while self.parts.iter().any(|part| match part {
            Part::File { bytes, .. } => bytes
                .windows(boundary.len())
                .any(|w| w == boundary.as_bytes()),
            Part::Text { value, .. } => value.contains(&boundary),
        }) {
            boundary.push('x');
        }
        let escape = |s: &str| s.replace('"', "%22").replace(['\r', '\n'], " ");
        let mut body = BytesMut::new();
        for part in &self.parts {
            body.put_slice(format!("--{boundary}\r\n").as_bytes());
            match part {
                Part::Text { name, value } => {
                    body.put_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                            escape(name)
                        )
                        .as_bytes(),
                    );
                    body.put_slice(value.as_bytes());
                }
                Part::File {
                    name,
                    filename,
                    content_type,
                    bytes,
                } => {
                    body.put_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {content_type}\r\n\r\n",
                            escape(name),
                            escape(filename)
                        )
                        .as_bytes(),
                    );
                    body.put_slice(bytes);
                }
            }
            body.put_slice(b"\r\n");
        }
        body.put_slice(format!("--{boundary}--\r\n").as_bytes());
        (
            body.freeze(),
            format!("multipart/form-data; boundary={boundary}"),
        )
    }
}

/// A request sent by every iteration of a template scenario.
#[derive(Debug, Clone)]
pub struct RequestTemplate {
    pub(crate) method: Method,
    pub(crate) target: Target,
    /// `scheme://authority/path?query`, for HTTP/2.
    pub(crate) absolute_form: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) label: Arc<str>,
    /// The HTTP/1.1 wire form, serialised once.
    pub(crate) wire: WireRequest,
}

impl RequestTemplate {
    /// A request with no body. The label defaults to `METHOD /path`.
    pub fn new(method: Method, url: &str) -> Result<RequestTemplate, LoadError> {
        let target = Target::parse(url)?;
        let path = target
            .path_and_query
            .split('?')
            .next()
            .unwrap_or("/")
            .to_owned();
        let absolute_form = target.absolute_uri()?;
        let mut headers = HeaderMap::new();
        let host = HeaderValue::from_str(&target.origin.authority()).map_err(|err| {
            LoadError::InvalidRequest {
                message: "the host cannot be a header value".to_owned(),
                source: Some(Box::new(err)),
            }
        })?;
        headers.insert(http::header::HOST, host);
        Ok(RequestTemplate {
            label: Arc::from(format!("{method} {path}")),
            method,
            absolute_form,
            target,
            headers,
            body: Bytes::new(),
            wire: WireRequest::default(),
        }
        .serialised())
    }

    /// Refreshes the wire form after a change.
    fn serialised(mut self) -> RequestTemplate {
        self.wire = WireRequest::new(
            &self.method,
            &self.target.path_and_query,
            &self.headers,
            &self.body,
        );
        self
    }

    /// `GET url`.
    pub fn get(url: &str) -> Result<RequestTemplate, LoadError> {
        RequestTemplate::new(Method::GET, url)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Result<RequestTemplate, LoadError> {
        let invalid = |what: &str, err: crate::errors::BoxError| LoadError::InvalidRequest {
            message: format!("invalid header {what} `{name}`"),
            source: Some(err),
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|err| invalid("name", Box::new(err)))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|err| invalid("value for", Box::new(err)))?;
        self.headers.append(name, value);
        Ok(self.serialised())
    }

    /// Adds `Authorization: Bearer <token>`, marked sensitive so it never shows in debug output.
    pub fn bearer(mut self, token: &str) -> Result<RequestTemplate, LoadError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|err| {
            LoadError::InvalidRequest {
                message: "the bearer token has characters a header cannot carry".to_owned(),
                source: Some(Box::new(err)),
            }
        })?;
        value.set_sensitive(true);
        self.headers.insert(AUTHORIZATION, value);
        Ok(self.serialised())
    }

    /// Sets a raw body and its content type.
    #[must_use]
    pub fn body(mut self, body: impl Into<Bytes>, content_type: &str) -> RequestTemplate {
        self.body = body.into();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            self.headers.insert(CONTENT_TYPE, value);
        }
        self.serialised()
    }

    /// Sets a JSON body.
    #[must_use]
    pub fn json(self, value: &serde_json::Value) -> RequestTemplate {
        let body = serde_json::to_vec(value).unwrap_or_default();
        self.body(body, "application/json")
    }

    /// Sets a multipart form body.
    #[must_use]
    pub fn multipart(self, form: &MultipartForm) -> RequestTemplate {
        let (body, content_type) = form.encode();
        self.body(body, &content_type)
    }

    /// Sets the label requests are recorded under.
    #[must_use]
    pub fn label(mut self, label: &str) -> RequestTemplate {
        self.label = Arc::from(label);
        self
    }

    /// The label.
    pub fn label_str(&self) -> &str {
        &self.label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let target = Target::parse("http://127.0.0.1:8000/clients/search?phone=%2B7").unwrap();
        assert_eq!(target.origin.port, 8000);
        assert_eq!(target.path_and_query, "/clients/search?phone=%2B7");
        assert_eq!(
            Target::parse("https://[::1]/").unwrap().origin.authority(),
            "[::1]"
        );
        assert_eq!(
            Target::parse("http://localhost").unwrap().path_and_query,
            "/"
        );
        assert!(Target::parse("ftp://x/").is_err());
        assert!(Target::parse("/relative").is_err());
        let error = Target::parse("http://admin:pw@127.0.0.1/")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("pw"), "{error}");
    }

    #[test]
    fn multipart_has_filenames_and_types() {
        let form = MultipartForm::new().text("phone", "+79991112233").file(
            "image",
            "portrait.jpg",
            "image/jpeg",
            Bytes::from_static(b"\xff\xd8jpeg"),
        );
        let (body, content_type) = form.encode();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains(
            "name=\"image\"; filename=\"portrait.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        ));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
