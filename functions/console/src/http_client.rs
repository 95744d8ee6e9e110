//! The HTTP client the OpenID Connect library calls through: hyper with
//! rustls on the stack SIM already uses (no second HTTP stack), with a
//! timeout and a cap on response size. Plain `http` only for loopback issuers
//! (tests and the local stack); a deployed issuer is `https`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);
/// Discovery documents and key sets are a few kilobytes.
const MAX_BODY: usize = 512 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("only https is allowed for a non-loopback issuer")]
    Insecure,
    #[error("the request timed out")]
    Timeout,
    #[error("the request failed")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Clone)]
pub struct HttpClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpClient {
    pub fn new() -> std::io::Result<Self> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self { client: Client::builder(TokioExecutor::new()).build(https) })
    }

    pub async fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, HttpError> {
        let uri = request.uri();
        let loopback = matches!(uri.host(), Some("127.0.0.1") | Some("localhost") | Some("[::1]") | Some("::1"));
        if uri.scheme_str() != Some("https") && !loopback {
            return Err(HttpError::Insecure);
        }
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| HttpError::Failed(e.into()))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY).collect().await.map_err(HttpError::Failed)?.to_bytes();
            Ok(http::Response::from_parts(parts, body.to_vec()))
        };
        tokio::time::timeout(TIMEOUT, exchange).await.map_err(|_| HttpError::Timeout)?
    }
}
