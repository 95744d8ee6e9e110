//! Successful JSON answers.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

pub fn json(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    json_with(status, body, None)
}

pub fn json_with(status: StatusCode, body: &impl Serialize, location: Option<String>) -> Response<Body> {
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(location) = location {
        builder = builder.header(header::LOCATION, location);
    }
    let text = serde_json::to_string(body).expect("response bodies serialise");
    builder.body(Body::from(text)).expect("response is valid")
}
