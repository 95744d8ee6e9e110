//! Secrets from SSM Parameter Store on moto: a function's secrets in one
//! `GetParameters` request, in the order asked, a missing one named.

use sim::adapters::ssm::{secure_parameters, SsmError};
use sim_tests::recorder::{recorded_moto, Recorder};
use sim_tests::*;

/// The operations of the requests recorded so far (retries included).
fn operations(recorder: &Recorder) -> Vec<String> {
    recorder.all().into_iter().map(|r| r.operation).collect()
}

async fn put_secret(config: &aws_config::SdkConfig, name: &str, value: &str) {
    aws_sdk_ssm::Client::new(config)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn two_secrets_are_read_in_one_request_in_the_order_asked() {
    needs_moto!();
    let (config, recorder) = recorded_moto().await;
    let prefix = format!("/sim/{}", unique("ssm"));
    let (token, key) = (format!("{prefix}/whatsapp-token"), format!("{prefix}/link-key"));
    put_secret(&config, &token, "secret-token").await;
    put_secret(&config, &key, "00ff").await;
    recorder.clear();

    let values = secure_parameters(&config, &[&key, &token]).await.unwrap();
    assert_eq!(values, ["00ff", "secret-token"]);
    assert_eq!(operations(&recorder), ["AmazonSSM.GetParameters"], "one GetParameters request for two secrets");

    let values = secure_parameters(&config, &[&token, &key]).await.unwrap();
    assert_eq!(values, ["secret-token", "00ff"]);
}

#[tokio::test]
async fn a_missing_secret_is_named_in_the_error_and_no_value_is() {
    needs_moto!();
    let config = moto().await;
    let prefix = format!("/sim/{}", unique("ssm"));
    let (present, missing) = (format!("{prefix}/present"), format!("{prefix}/missing"));
    put_secret(&config, &present, "do-not-show-me").await;

    let error = secure_parameters(&config, &[&present, &missing]).await.unwrap_err();
    assert!(matches!(&error, SsmError::Missing(names) if names == std::slice::from_ref(&missing)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(&missing), "{text}");
    assert!(!text.contains(&present) && !text.contains("do-not-show-me"), "{text}");
}

#[tokio::test]
async fn more_than_ten_secrets_are_refused_before_any_request() {
    let names: Vec<String> = (0..11).map(|i| format!("/sim/n{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    // No moto needed: the limit is checked before a request is built.
    let config = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
    assert!(matches!(secure_parameters(&config, &names).await, Err(SsmError::TooMany(11))));
}

/// What send-whatsapp does at start: its token and link key in one request, each builder taking its own.
/// (The only test here that sets these variables: the others read no environment.)
#[tokio::test]
async fn send_whatsapps_secrets_are_read_in_one_request_and_each_taken_once() {
    use sim::startup::{Secret, Secrets};
    needs_moto!();
    let (config, recorder) = recorded_moto().await;
    let prefix = format!("/sim/{}", unique("ssm"));
    let (token, key) = (format!("{prefix}/whatsapp-token"), format!("{prefix}/link-key"));
    put_secret(&config, &token, "secret-token").await;
    put_secret(&config, &key, &"ab".repeat(32)).await;
    std::env::set_var("WHATSAPP_TOKEN_PARAMETER", &token);
    std::env::set_var("LINK_KEY_PARAMETER", &key);
    std::env::set_var("WHATSAPP_PHONE_NUMBER_ID", "123456");
    recorder.clear();

    let mut secrets = Secrets::read(&config, &[Secret::WhatsAppToken, Secret::LinkKey]).await.unwrap();
    assert_eq!(operations(&recorder), ["AmazonSSM.GetParameters"], "one GetParameters request at start");
    sim::startup::whatsapp_provider(&mut secrets).unwrap();
    secrets.link_key().unwrap();

    let again = secrets.take(Secret::LinkKey).unwrap_err().to_string();
    assert!(again.contains("LINK_KEY_PARAMETER"), "{again}");
    let none = Secrets::read(&config, &[]).await.unwrap().take(Secret::OidcClientSecret).unwrap_err().to_string();
    assert!(none.contains("OIDC_CLIENT_SECRET_PARAMETER"), "{none}");
    assert_eq!(recorder.count(), 1, "no secrets wanted, no request");
}
