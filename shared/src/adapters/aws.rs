//! What every AWS adapter shares: loading configuration and telling a
//! retryable SDK error from a permanent one.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Loads region, credentials and endpoint from the environment. A local
/// emulator is reached through `AWS_ENDPOINT_URL`, which aws-config reads:
/// the product has no "is local" switch.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "KMSThrottlingException",
];

/// True for throttling, timeouts, network failures and server errors.
pub fn is_retryable<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool
where
    R: HasStatus,
{
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(ctx) => {
            ctx.err().code().is_some_and(|c| RETRYABLE_CODES.contains(&c)) || {
                let status = ctx.raw().status_code();
                status == 429 || status >= 500
            }
        }
        _ => false,
    }
}

/// The HTTP status of a raw response, whatever the SDK's response type.
pub trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

#[cfg(all(feature = "dynamodb", feature = "sqs"))]
type StoreAndQueue = (std::sync::Arc<dyn crate::ports::Store>, std::sync::Arc<dyn crate::ports::Queue>);

/// The table and the categorise queue named by `TABLE_NAME` and
/// `CATEGORISE_QUEUE_URL`: what intake and the sweeper both run on.
#[cfg(all(feature = "dynamodb", feature = "sqs"))]
pub fn table_and_categorise_queue(aws: &SdkConfig) -> Result<StoreAndQueue, crate::config::ConfigError> {
    let table = crate::config::required("TABLE_NAME")?;
    let queue_url = crate::config::required("CATEGORISE_QUEUE_URL")?;
    Ok((
        std::sync::Arc::new(super::dynamodb::DynamoStore::from_config(aws, table)),
        std::sync::Arc::new(super::sqs::SqsQueue::from_config(aws, queue_url)),
    ))
}
