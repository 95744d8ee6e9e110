//! Every HTML response carries the same security headers, HSTS included.
//! Functions convert the `http::Response<String>` into their runtime's body.

use super::layout::Layout;
use http::{header, HeaderValue, Response, StatusCode};
use maud::Markup;

pub type HtmlResponse = Response<String>;

/// Two years, subdomains included: the service is HTTPS only.
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

/// A page with SIM's security headers. Never cached: pages show personal or
/// live state.
pub fn html_response(layout: &Layout, status: StatusCode, page: Markup) -> HtmlResponse {
    let mut response = Response::new(page.into_string());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    secure(headers, &layout.csp());
    response
}

/// A 303 to `location` after a POST (so a reload does not resubmit), with the same headers.
pub fn redirect(location: &str) -> HtmlResponse {
    let mut response = Response::new(String::new());
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    secure(headers, "default-src 'none'; frame-ancestors 'none'");
    response
}

fn secure(headers: &mut http::HeaderMap, csp: &str) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(csp) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use maud::html;

    #[test]
    fn every_page_carries_the_security_headers() {
        let r = html_response(&Layout::RESPONDER, StatusCode::OK, html! { p { "hi" } });
        for name in
            ["content-security-policy", "strict-transport-security", "x-content-type-options", "referrer-policy"]
        {
            assert!(r.headers().contains_key(name), "{name} missing");
        }
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
}
