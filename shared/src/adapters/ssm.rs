//! Secrets read once at start-up from SSM Parameter Store (SecureString),
//! never from the repository or the environment: all of a function's secrets
//! in one `GetParameters` request, so a cold start waits for one round trip.

use aws_sdk_ssm::error::SdkError;
use aws_sdk_ssm::operation::get_parameters::GetParametersError;
use aws_sdk_ssm::Client;

/// `GetParameters` takes at most this many names.
pub const MAX_NAMES: usize = 10;

/// Why the secrets could not be read. Names only: never a value.
#[derive(Debug, thiserror::Error)]
pub enum SsmError {
    #[error("{0} SSM parameters asked for in one request; GetParameters takes at most {MAX_NAMES}")]
    TooMany(usize),
    #[error("SSM GetParameters failed")]
    Request(#[source] Box<SdkError<GetParametersError>>),
    #[error("SSM has no parameter {}", .0.join(", "))]
    Missing(Vec<String>),
    #[error("SSM parameter {0} is empty")]
    Empty(String),
}

/// Reads the SecureString parameters `names` (decrypted) in ONE `GetParameters`
/// request, answering in the order asked. Every name SSM reports invalid
/// (missing, or not readable) is named in the error.
pub async fn secure_parameters(config: &aws_config::SdkConfig, names: &[&str]) -> Result<Vec<String>, SsmError> {
    if names.len() > MAX_NAMES {
        return Err(SsmError::TooMany(names.len()));
    }
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut request = Client::new(config).get_parameters().with_decryption(true);
    for name in names {
        request = request.names(*name);
    }
    let out = request.send().await.map_err(|e| SsmError::Request(Box::new(e)))?;
    let invalid = out.invalid_parameters.unwrap_or_default();
    if !invalid.is_empty() {
        return Err(SsmError::Missing(invalid));
    }
    let found = out.parameters.unwrap_or_default();
    names
        .iter()
        .map(|name| {
            // A name with a version or label selector (`/a:3`) comes back as `/a` with selector `:3`.
            found
                .iter()
                .find(|p| {
                    let returned = p.name.as_deref().unwrap_or_default();
                    returned == *name || format!("{returned}{}", p.selector.as_deref().unwrap_or_default()) == *name
                })
                .ok_or_else(|| SsmError::Missing(vec![(*name).to_owned()]))
                .and_then(|p| {
                    p.value.clone().filter(|v| !v.is_empty()).ok_or_else(|| SsmError::Empty((*name).to_owned()))
                })
        })
        .collect()
}
