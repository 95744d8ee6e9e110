//! Where the responder's pages are served from, as people's browsers see it:
//! `PUBLIC_BASE_URL` (the address in every personal link). Behind CloudFront
//! or a custom domain the request's `Host` is the execute-api host, not the
//! one the browser used, so a form's `Origin` is compared with this origin;
//! under a base path (`https://council.example/sim`, or a named stage) paths
//! arrive with the prefix, and the pages' form actions and redirects carry it.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    /// `https://host[:port]`, lower case; none: compare `Origin` with `Host`.
    origin: Option<String>,
    /// The path prefix without a trailing slash: "" or "/sim".
    base_path: String,
}

impl Site {
    /// From `PUBLIC_BASE_URL`: an http(s) URL with a host, optionally a path;
    /// no query or fragment.
    pub fn from_public_base_url(url: &str) -> Result<Self, &'static str> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://").ok_or("must be an https:// address")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err("must be an https:// address");
        }
        if rest.contains(['?', '#']) {
            return Err("must not have a query or fragment");
        }
        let (host, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        if host.is_empty() || host.contains('@') {
            return Err("must name a host");
        }
        Ok(Site {
            origin: Some(format!("{scheme}://{}", host.to_ascii_lowercase())),
            base_path: path.trim_end_matches('/').to_owned(),
        })
    }

    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The request path without the base path; paths without the prefix
    /// (the execute-api default stage) are taken as they are.
    pub fn route_path<'p>(&self, path: &'p str) -> &'p str {
        if self.base_path.is_empty() {
            return path;
        }
        match path.strip_prefix(self.base_path.as_str()) {
            Some(rest) if rest.starts_with('/') => rest,
            _ => path,
        }
    }

    /// Whether a browser's `Origin` is this site's: the configured origin,
    /// or without one, the request's `Host`.
    pub fn is_own_origin(&self, origin: &str, host: &str) -> bool {
        match &self.origin {
            Some(own) => origin.eq_ignore_ascii_case(own),
            None => origin.split("://").nth(1) == Some(host),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_base_url_gives_the_origin_and_the_base_path() {
        let site = Site::from_public_base_url("https://Council.example/sim/").unwrap();
        assert!(site.is_own_origin("https://council.example", "abc.execute-api.eu-west-2.amazonaws.com"));
        assert!(!site.is_own_origin("https://evil.example", "council.example"));
        assert!(!site.is_own_origin("http://council.example", "council.example"));
        assert_eq!(site.base_path(), "/sim");
        assert_eq!(site.route_path("/sim/a/tok"), "/a/tok");
        assert_eq!(site.route_path("/a/tok"), "/a/tok");
        assert_eq!(site.route_path("/simulated/a/tok"), "/simulated/a/tok");
        for bad in ["council.example", "ftp://x", "https://", "https://x/?a", "https://u@x"] {
            assert!(Site::from_public_base_url(bad).is_err(), "{bad}");
        }
        let plain = Site::default();
        assert!(plain.is_own_origin("https://sim.example", "sim.example"));
    }
}
