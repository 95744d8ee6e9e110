//! Sign-in with OpenID Connect, authorization code flow with PKCE, `state`
//! and `nonce` (the `openidconnect` crate). The issuer's discovery document
//! and key set are fetched once and cached; a token signed with a key id the
//! cache does not know triggers one refresh of the key set (at most once a
//! minute), so a provider's key rotation needs no restart.

use crate::http_client::{HttpClient, HttpError};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EmptyAdditionalClaims, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
    SubjectIdentifier, TokenResponse,
};
use sim::clock::Clock;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use tokio::sync::RwLock;

/// The relying party's configuration: the issuer URL, the client registered
/// there, and where the provider sends people back.
#[derive(Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The full URL of `/console/auth/callback` as the browser sees it.
    pub redirect_uri: String,
}

/// What a verified ID token says about the person.
#[derive(Debug, Clone)]
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    /// Only when the provider says it is verified.
    pub verified_email: Option<String>,
}

/// Why a sign-in was refused at the token stage. The code goes on the audit
/// trail; the detail (never a token) goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the provider could not be reached or its discovery document is invalid")]
    Discovery(String),
    #[error("the code could not be exchanged for tokens")]
    Exchange(String),
    #[error("the token response has no ID token")]
    NoIdToken,
    #[error("the ID token is not valid: {code}")]
    IdToken { code: &'static str, detail: String },
}

impl OidcError {
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::Discovery(_) => "provider_unreachable",
            OidcError::Exchange(_) => "code_exchange_failed",
            OidcError::NoIdToken => "no_id_token",
            OidcError::IdToken { code, .. } => code,
        }
    }
}

/// A sign-in about to leave for the provider.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

struct Discovered {
    metadata: CoreProviderMetadata,
    keys: CoreJsonWebKeySet,
    keys_fetched_at: OffsetDateTime,
}

/// Asymmetric signatures only: an HMAC-signed ID token would be signed with
/// the client secret, which is not a proof of the issuer.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 8] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// How often an unknown key id may trigger a refresh of the key set.
const KEY_REFRESH_INTERVAL: Duration = Duration::minutes(1);

pub struct Oidc {
    config: OidcConfig,
    http: HttpClient,
    clock: Arc<dyn Clock>,
    discovered: RwLock<Option<Arc<Discovered>>>,
    key_set_fetches: std::sync::atomic::AtomicU32,
}

impl Oidc {
    pub fn new(config: OidcConfig, http: HttpClient, clock: Arc<dyn Clock>) -> Self {
        Self {
            config,
            http,
            clock,
            discovered: RwLock::new(None),
            key_set_fetches: std::sync::atomic::AtomicU32::new(0),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// How many times the key set was fetched (discovery included): tests see the cache work.
    pub fn key_set_fetches(&self) -> u32 {
        self.key_set_fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn http_fn(
        &self,
    ) -> impl Fn(
        openidconnect::HttpRequest,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<openidconnect::HttpResponse, HttpError>> + Send>,
    > {
        let http = self.http.clone();
        move |request| {
            let http = http.clone();
            Box::pin(async move { http.send(request).await })
        }
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, OidcError> {
        if let Some(d) = self.discovered.read().await.as_ref() {
            return Ok(d.clone());
        }
        let mut slot = self.discovered.write().await;
        if let Some(d) = slot.as_ref() {
            return Ok(d.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(|e| OidcError::Discovery(e.to_string()))?;
        let http = self.http_fn();
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
        self.key_set_fetches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let keys = metadata.jwks().clone();
        let d = Arc::new(Discovered { metadata, keys, keys_fetched_at: self.clock.now() });
        *slot = Some(d.clone());
        Ok(d)
    }

    /// Refetches the key set unless it was fetched within the last minute;
    /// returns the (possibly) new discovery state.
    async fn refresh_keys(&self, seen: &Arc<Discovered>) -> Result<Arc<Discovered>, OidcError> {
        let mut slot = self.discovered.write().await;
        let current = slot.clone().unwrap_or_else(|| seen.clone());
        if !Arc::ptr_eq(&current, seen) || self.clock.now() - current.keys_fetched_at < KEY_REFRESH_INTERVAL {
            return Ok(current);
        }
        let http = self.http_fn();
        let keys = CoreJsonWebKeySet::fetch_async(current.metadata.jwks_uri(), &http)
            .await
            .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
        self.key_set_fetches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let d = Arc::new(Discovered { metadata: current.metadata.clone(), keys, keys_fetched_at: self.clock.now() });
        *slot = Some(d.clone());
        Ok(d)
    }

    fn client(
        &self,
        metadata: &CoreProviderMetadata,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let redirect =
            RedirectUrl::new(self.config.redirect_uri.clone()).map_err(|e| OidcError::Discovery(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL with a fresh state, nonce and PKCE challenge (S256).
    pub async fn start(&self) -> Result<Started, OidcError> {
        let d = self.discovered().await?;
        let client = self.client(&d.metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and validates the ID token:
    /// signature against the key set, issuer, audience, expiry and nonce.
    pub async fn finish(&self, code: &str, pkce_verifier: &str, nonce: &str) -> Result<Verified, OidcError> {
        let d = self.discovered().await?;
        let client = self.client(&d.metadata)?;
        let http = self.http_fn();
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;
        let id_token = response.id_token().ok_or(OidcError::NoIdToken)?.clone();
        let nonce = Nonce::new(nonce.to_owned());
        let mut verified = match self.verify(&d, &id_token, &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                let d = self.refresh_keys(&d).await?;
                self.verify(&d, &id_token, &nonce).map_err(refusal)
            }
            other => other.map_err(refusal),
        }?;
        // Providers that keep scope claims out of the ID token (oidc-provider,
        // some Entra set-ups) give the email at the UserInfo endpoint, for the
        // same subject (checked by the library).
        if verified.verified_email.is_none() {
            if let Ok(request) = client
                .user_info(response.access_token().clone(), Some(SubjectIdentifier::new(verified.subject.clone())))
            {
                match request.request_async::<EmptyAdditionalClaims, _, CoreGenderClaim>(&http).await {
                    Ok(info) => {
                        if let (Some(email), Some(true)) = (info.email(), info.email_verified()) {
                            verified.verified_email = Some(email.as_str().to_owned());
                        }
                    }
                    Err(error) => tracing::warn!(detail = error_chain(&error), "the provider's UserInfo failed"),
                }
            }
        }
        Ok(verified)
    }

    fn verify(
        &self,
        d: &Discovered,
        id_token: &CoreIdToken,
        nonce: &Nonce,
    ) -> Result<Verified, ClaimsVerificationError> {
        let clock = self.clock.clone();
        let verifier = CoreIdTokenVerifier::new_public_client(
            ClientId::new(self.config.client_id.clone()),
            d.metadata.issuer().clone(),
            d.keys.clone(),
        )
        .set_allowed_algs(ALLOWED_ALGS)
        .set_time_fn(move || chrono_now(clock.now()));
        let claims = id_token.claims(&verifier, nonce)?;
        let verified_email = match (claims.email(), claims.email_verified()) {
            (Some(email), Some(true)) => Some(email.as_str().to_owned()),
            _ => None,
        };
        Ok(Verified {
            issuer: claims.issuer().as_str().to_owned(),
            subject: claims.subject().as_str().to_owned(),
            verified_email,
        })
    }
}

fn chrono_now(now: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(now.unix_timestamp(), now.nanosecond()).unwrap_or_default()
}

fn refusal(error: ClaimsVerificationError) -> OidcError {
    let code = match &error {
        ClaimsVerificationError::Expired(_) => "id_token_expired",
        ClaimsVerificationError::InvalidAudience(_) => "id_token_wrong_audience",
        ClaimsVerificationError::InvalidIssuer(_) => "id_token_wrong_issuer",
        ClaimsVerificationError::InvalidNonce(_) => "id_token_wrong_nonce",
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey) => {
            "id_token_unknown_key"
        }
        ClaimsVerificationError::SignatureVerification(_) => "id_token_bad_signature",
        _ => "id_token_invalid",
    };
    OidcError::IdToken { code, detail: error_chain(&error) }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
