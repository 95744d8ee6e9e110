//! Secrets read once at start-up from SSM Parameter Store (SecureString),
//! never from the repository or the environment.

use aws_sdk_ssm::Client;

pub async fn secure_parameter(
    config: &aws_config::SdkConfig,
    name: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let out = Client::new(config).get_parameter().name(name).with_decryption(true).send().await?;
    out.parameter
        .and_then(|p| p.value)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("SSM parameter {name} is empty").into())
}
