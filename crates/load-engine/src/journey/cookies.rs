//! One virtual user's cookies: what `Set-Cookie` gave it, sent back to the same host.
//! Names and values only: paths, expiry dates and `Secure` are not modelled (a journey
//! talks to its own service), but `Max-Age=0` or an empty value deletes a cookie.

use http::HeaderMap;

#[derive(Debug, Default, Clone)]
pub(crate) struct CookieJar {
    /// (host, name, value)
    cookies: Vec<(String, String, String)>,
}

impl CookieJar {
    /// Takes the `Set-Cookie` headers of a response from `host`.
    pub(crate) fn store(&mut self, host: &str, headers: &HeaderMap) {
        for header in headers.get_all(http::header::SET_COOKIE) {
            let Ok(text) = header.to_str() else { continue };
            let mut attributes = text.split(';');
            let Some((name, value)) = attributes.next().and_then(|pair| pair.split_once('='))
            else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim().trim_matches('"'));
            if name.is_empty() {
                continue;
            }
            let expired = attributes.any(|attribute| {
                let attribute = attribute.trim().to_ascii_lowercase();
                attribute == "max-age=0" || attribute.starts_with("max-age=-")
            });
            self.cookies
                .retain(|(h, n, _)| !(h.as_str() == host && n.as_str() == name));
            if !expired && !value.is_empty() {
                self.cookies
                    .push((host.to_owned(), name.to_owned(), value.to_owned()));
            }
        }
    }

    /// Whether it holds a cookie for `host`.
    pub(crate) fn has_any_for(&self, host: &str) -> bool {
        self.cookies.iter().any(|(h, _, _)| h == host)
    }

    /// The `Cookie` header value for a request to `host`, if it has any.
    pub(crate) fn header_for(&self, host: &str) -> Option<String> {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|(h, _, _)| h == host)
            .map(|(_, name, value)| format!("{name}={value}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replace_delete_per_host() {
        let mut jar = CookieJar::default();
        let mut headers = HeaderMap::new();
        headers.append(
            "set-cookie",
            "session=abc; Path=/; HttpOnly".parse().unwrap(),
        );
        headers.append("set-cookie", "theme=dark".parse().unwrap());
        jar.store("a:1", &headers);
        assert_eq!(jar.header_for("a:1").unwrap(), "session=abc; theme=dark");
        assert_eq!(jar.header_for("b:1"), None);
        let mut later = HeaderMap::new();
        later.append("set-cookie", "session=xyz".parse().unwrap());
        later.append("set-cookie", "theme=; Max-Age=0".parse().unwrap());
        jar.store("a:1", &later);
        assert_eq!(jar.header_for("a:1").unwrap(), "session=xyz");
    }
}
