//! Structured JSON logs for Lambda. Log fields carry ids and codes only:
//! never names, numbers, addresses or incident free text.

/// Installs the JSON subscriber once; level from `RUST_LOG` (default info).
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .with_current_span(false)
        .with_ansi(false)
        .try_init();
}
