//! Serves Lambda HTTP handlers over plain HTTP on loopback, so the local
//! stack runs exactly the code API Gateway invokes.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Accepts connections forever, passing each request to `handler`.
pub async fn serve<H, F>(listener: TcpListener, handler: H) -> std::io::Result<()>
where
    H: Fn(lambda_http::Request) -> F + Send + Sync + 'static,
    F: Future<Output = lambda_http::Response<lambda_http::Body>> + Send + 'static,
{
    let handler = Arc::new(handler);
    loop {
        let (stream, _) = listener.accept().await?;
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let handler = handler.clone();
                async move { Ok::<_, hyper::Error>(call(&*handler, req).await) }
            });
            if let Err(error) =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await
            {
                tracing::debug!(%error, "connection closed");
            }
        });
    }
}

async fn call<H, F>(handler: &H, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>>
where
    H: Fn(lambda_http::Request) -> F,
    F: Future<Output = lambda_http::Response<lambda_http::Body>>,
{
    let (parts, body) = req.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return hyper::Response::builder().status(400).body(Full::default()).expect("valid"),
    };
    let body = if bytes.is_empty() { lambda_http::Body::Empty } else { lambda_http::Body::from(bytes.to_vec()) };
    let response = handler(lambda_http::Request::from_parts(parts, body)).await;
    let (parts, body) = response.into_parts();
    hyper::Response::from_parts(parts, Full::new(Bytes::copy_from_slice(body.as_ref())))
}
