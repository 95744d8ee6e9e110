//! Reading untrusted JSON into domain types while collecting every problem,
//! each named by the JSON Pointer of the field it is about (RFC 6901), so a
//! police integrator sees all bad fields in one answer.

use super::choice::Choice;
use serde::Serialize;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON Pointer to the field, e.g. `/location/ward`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_owned(), message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The built value if nothing was wrong, else every error found.
    pub fn finish<T>(self, built: Option<T>) -> Result<T, Vec<FieldError>> {
        match built {
            Some(v) if self.0.is_empty() => Ok(v),
            _ if self.0.is_empty() => {
                Err(vec![FieldError { field: String::new(), message: "is not a valid request".into() }])
            }
            _ => Err(self.0),
        }
    }
}

/// A JSON object being read; refuses fields it was not asked about.
pub struct Object<'v> {
    map: &'v Map<String, Value>,
    path: String,
}

impl<'v> Object<'v> {
    pub fn new(value: &'v Value, path: &str, errs: &mut Errors) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self { map, path: path.to_owned() }),
            _ => {
                errs.add(path, "must be a JSON object");
                None
            }
        }
    }

    pub fn pointer(&self, name: &str) -> String {
        format!("{}/{}", self.path, name)
    }

    /// A field that must be present and not null.
    pub fn required<T>(
        &self,
        name: &str,
        errs: &mut Errors,
        parse: impl FnOnce(&'v Value, &str, &mut Errors) -> Option<T>,
    ) -> Option<T> {
        let at = self.pointer(name);
        match self.map.get(name) {
            None | Some(Value::Null) => {
                errs.add(&at, "is required");
                None
            }
            Some(v) => parse(v, &at, errs),
        }
    }

    /// A field that may be absent or null. `Some(None)` when absent; `None` when invalid.
    pub fn optional<T>(
        &self,
        name: &str,
        errs: &mut Errors,
        parse: impl FnOnce(&'v Value, &str, &mut Errors) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.map.get(name) {
            None | Some(Value::Null) => Some(None),
            Some(v) => parse(v, &self.pointer(name), errs).map(Some),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        !matches!(self.map.get(name), None | Some(Value::Null))
    }

    /// Any field not in `allowed` is an error. Unknown fields are refused
    /// rather than ignored: SIM has no field for names or other personal
    /// data, and silently dropping one would hide a sender's mistake.
    pub fn deny_unknown(&self, allowed: &[&str], errs: &mut Errors) {
        let mut unknown: Vec<&String> = self.map.keys().filter(|k| !allowed.contains(&k.as_str())).collect();
        unknown.sort();
        for key in unknown {
            errs.add(
                &self.pointer(key),
                "is not a field SIM accepts; names and other personal details must never be sent",
            );
        }
    }
}

/// Wraps a simple value parser into a field parser.
pub fn simple<'v, T>(f: impl Fn(&'v Value) -> Result<T, String>) -> impl Fn(&'v Value, &str, &mut Errors) -> Option<T> {
    move |v, at, errs| match f(v) {
        Ok(t) => Some(t),
        Err(m) => {
            errs.add(at, m);
            None
        }
    }
}

pub fn string(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| "must be a string".to_owned())
}

/// A string parsed by a newtype's `parse`.
pub fn text<T, E: ToString>(parse: impl Fn(&str) -> Result<T, E>) -> impl Fn(&Value) -> Result<T, String> {
    move |v| parse(string(v)?).map_err(|e| e.to_string())
}

pub fn choice<T: Choice>(v: &Value) -> Result<T, String> {
    T::parse(string(v)?).ok_or_else(T::expected)
}

pub fn timestamp(v: &Value) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(string(v)?, &Rfc3339)
        .map_err(|_| "must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-21T01:50:00Z".to_owned())
}

pub fn boolean(v: &Value) -> Result<bool, String> {
    v.as_bool().ok_or_else(|| "must be true or false".to_owned())
}

pub fn number_in(min: f64, max: f64) -> impl Fn(&Value) -> Result<f64, String> {
    move |v| match v.as_f64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        Some(_) => Err(format!("must be between {min} and {max}")),
        None => Err("must be a number".to_owned()),
    }
}

/// A JSON array of at most `max` items, each read by `item`.
pub fn array_of<'v, T>(
    max: usize,
    mut item: impl FnMut(&'v Value, &str, &mut Errors) -> Option<T>,
) -> impl FnOnce(&'v Value, &str, &mut Errors) -> Option<Vec<T>> {
    move |v, at, errs| {
        let Value::Array(items) = v else {
            errs.add(at, "must be an array");
            return None;
        };
        if items.len() > max {
            errs.add(at, format!("must have at most {max} items"));
            return None;
        }
        let parsed: Vec<Option<T>> =
            items.iter().enumerate().map(|(i, v)| item(v, &format!("{at}/{i}"), errs)).collect();
        parsed.into_iter().collect()
    }
}
