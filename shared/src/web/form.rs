//! `application/x-www-form-urlencoded` bodies, as browsers send plain forms,
//! decoded into a typed struct with `serde_urlencoded`.

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
#[error("the form could not be read")]
pub struct FormError(#[source] serde_urlencoded::de::Error);

/// Decodes a form body. Fields the struct does not name are ignored; a
/// missing required field or a value of the wrong shape is an error.
pub fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, FormError> {
    serde_urlencoded::from_bytes(body).map_err(FormError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Item {
        form_key: String,
        note: Option<String>,
        status: String,
    }

    #[test]
    fn fields_are_decoded_as_browsers_encode_them() {
        let f: Item =
            parse_form(b"form_key=abc_-1&note=Met+family%2C+next+at+10%3A00+%E2%80%93+ok&status=done&other=x").unwrap();
        assert_eq!(f.note.as_deref(), Some("Met family, next at 10:00 \u{2013} ok"));
        assert_eq!(f.status, "done");
        assert_eq!(f.form_key, "abc_-1");
    }

    #[test]
    fn a_missing_required_field_is_an_error() {
        assert!(parse_form::<Item>(b"form_key=abc").is_err());
    }
}
