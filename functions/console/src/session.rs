//! Server-side sessions named by a `__Host-` cookie (HttpOnly, Secure,
//! SameSite=Lax, path `/`, no domain), with an idle timeout of 30 minutes
//! and an absolute lifetime of 12 hours. The cookie holds 256 random bits;
//! the store keeps only their SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::header::COOKIE;
use http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::Duration;

pub const SESSION_COOKIE: &str = "__Host-sim-session";
/// Binds a sign-in in flight (state, nonce, PKCE verifier) to the browser that started it.
pub const SIGN_IN_COOKIE: &str = "__Host-sim-signin";

pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
pub const ABSOLUTE_LIFETIME: Duration = Duration::hours(12);
/// How long a person may take at their provider's sign-in page.
pub const SIGN_IN_LIFETIME: Duration = Duration::minutes(10);
/// Activity is written back at most this often (the idle clock's resolution).
pub const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// 256 random bits, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The store key of a cookie value.
pub fn key_of(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

pub fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a `__Host-` cookie; `max_age` None is a browser-session cookie.
pub fn set_cookie(name: &str, value: &str, max_age: Option<Duration>) -> String {
    let age = max_age.map(|a| format!("; Max-Age={}", a.whole_seconds())).unwrap_or_default();
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax{age}")
}

pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others_and_tokens_are_long_and_fresh() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; __Host-sim-session=abc".parse().unwrap());
        headers.append(COOKIE, "__Host-sim-signin=def".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, SIGN_IN_COOKIE), Some("def"));
        assert_eq!(cookie(&headers, "b"), None);
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(set_cookie(SESSION_COOKIE, &a, None).contains("Secure; HttpOnly; SameSite=Lax"));
    }
}
