//! Classifying AWS provider errors (SNS, SES) into the sender port's terms.

use super::aws::HasStatus;
use crate::ports::SendError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// `permanent` and `throttling` are the provider's error codes for "this
/// message can never go" and "slow down". Everything else is transient, so a
/// misconfiguration alarms through the dead-letter queue rather than silently
/// dropping an alert.
pub fn classify<E, R>(err: SdkError<E, R>, permanent: &[&str], throttling: &[&str]) -> SendError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: HasStatus + std::fmt::Debug + Send + Sync + 'static,
{
    let code = err.as_service_error().and_then(|e| e.code()).unwrap_or_default().to_owned();
    if permanent.contains(&code.as_str()) {
        // The code only: a provider's message can quote the number or address.
        return SendError::Permanent(code);
    }
    if throttling.contains(&code.as_str()) {
        return SendError::Throttled(Box::new(err));
    }
    SendError::Transient(Box::new(err))
}
