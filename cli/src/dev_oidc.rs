//! The local stack's development OpenID provider: a small, real OpenID
//! Connect issuer on loopback (discovery, authorization with PKCE, token,
//! key set) that signs ID tokens with a fresh Ed25519 key for the seeded demo
//! staff, so the local console runs exactly the production sign-in code.
//! Its sign-in page lists the demo people: there are no passwords.
//!
//! Never deployed: it lives in the CLI crate only. Tests can make it
//! misbehave (`Tamper`) to check that the console refuses bad tokens.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use http::{header, Method, Request, Response, StatusCode};
use openidconnect::core::{
    CoreEdDsaPrivateSigningKey, CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    Audience, EmptyAdditionalClaims, EndUserEmail, IssuerUrl, JsonWebKeyId, Nonce, PrivateSigningKey, StandardClaims,
    SubjectIdentifier,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use sim::clock::Clock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// A demo person the provider can sign in.
#[derive(Debug, Clone)]
pub struct DevPerson {
    pub subject: String,
    pub email: String,
    /// Shown on the sign-in page, e.g. "Lambeth duty officer".
    pub label: String,
}

/// Ways to misbehave, for tests of the console's refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    WrongAudience,
    Expired,
    WrongNonce,
    BadSignature,
    /// Signed with a key the key set does not have.
    UnknownKid,
}

struct Grant {
    subject: String,
    nonce: Option<String>,
    challenge: String,
    redirect_uri: String,
}

struct Key {
    kid: String,
    pem: String,
}

impl Key {
    fn fresh() -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("random source");
        // PKCS#8 for an Ed25519 private key: a fixed prefix, then the 32-byte seed.
        let mut der = hex_bytes("302e020100300506032b657004220420");
        der.extend_from_slice(&seed);
        let mut kid = [0u8; 9];
        getrandom::fill(&mut kid).expect("random source");
        Key {
            kid: URL_SAFE_NO_PAD.encode(kid),
            pem: format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(der)),
        }
    }

    fn signer(&self) -> CoreEdDsaPrivateSigningKey {
        CoreEdDsaPrivateSigningKey::from_ed25519_pem(&self.pem, Some(JsonWebKeyId::new(self.kid.clone())))
            .expect("a valid generated key")
    }
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

pub struct DevOidc {
    issuer: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    people: Vec<DevPerson>,
    /// The stack's clock, so tokens are fresh by the console's time (the demo clock may run fast).
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

struct State {
    key: Key,
    codes: HashMap<String, Grant>,
    tamper: Option<Tamper>,
}

impl DevOidc {
    /// Binds 127.0.0.1:`port` (0: any free port) and serves in the background.
    pub async fn start(
        port: u16,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        people: Vec<DevPerson>,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<Arc<DevOidc>> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let provider = Arc::new(DevOidc {
            issuer,
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            people,
            clock,
            state: Mutex::new(State { key: Key::fresh(), codes: HashMap::new(), tamper: None }),
        });
        let served = provider.clone();
        tokio::spawn(async move {
            let handler = move |req: lambda_http::Request| {
                let provider = served.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    let response = provider.handle(Request::from_parts(parts, body.to_vec()));
                    response.map(lambda_http::Body::from)
                }
            };
            if let Err(error) = crate::server::serve(listener, handler).await {
                tracing::error!(%error, "the development OpenID provider stopped");
            }
        });
        Ok(provider)
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn people(&self) -> &[DevPerson] {
        &self.people
    }

    /// Tests: make the next tokens bad in one way (None: behave).
    pub fn set_tamper(&self, tamper: Option<Tamper>) {
        self.lock().tamper = tamper;
    }

    /// A new signing key (the old one leaves the key set), as providers rotate keys.
    pub fn rotate_key(&self) {
        self.lock().key = Key::fresh();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn handle(&self, req: Request<Vec<u8>>) -> Response<String> {
        let query = req.uri().query().unwrap_or_default().to_owned();
        match (req.method(), req.uri().path()) {
            (&Method::GET, "/.well-known/openid-configuration") => self.discovery(),
            (&Method::GET, "/jwks") => self.jwks(),
            (&Method::GET, "/authorize") => self.authorize(&query),
            (&Method::POST, "/token") => self.token(&req),
            _ => text(StatusCode::NOT_FOUND, "not found"),
        }
    }

    fn discovery(&self) -> Response<String> {
        let i = &self.issuer;
        json_response(
            StatusCode::OK,
            json!({
                "issuer": i,
                "authorization_endpoint": format!("{i}/authorize"),
                "token_endpoint": format!("{i}/token"),
                "jwks_uri": format!("{i}/jwks"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["EdDSA"],
                "scopes_supported": ["openid", "email"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "code_challenge_methods_supported": ["S256"],
            }),
        )
    }

    fn jwks(&self) -> Response<String> {
        let key = self.lock().key.signer().as_verification_key();
        json_response(StatusCode::OK, serde_json::to_value(CoreJsonWebKeySet::new(vec![key])).expect("serialisable"))
    }

    fn authorize(&self, query: &str) -> Response<String> {
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
        if get("client_id") != self.client_id || get("redirect_uri") != self.redirect_uri {
            return text(StatusCode::BAD_REQUEST, "unknown client or redirect_uri");
        }
        if get("response_type") != "code" || get("code_challenge_method") != "S256" || get("code_challenge").is_empty()
        {
            return text(StatusCode::BAD_REQUEST, "only the code flow with PKCE (S256) is supported");
        }
        let Some(person) = self.people.iter().find(|p| p.subject == get("as")) else {
            return self.chooser(query);
        };
        let mut code = [0u8; 24];
        getrandom::fill(&mut code).expect("random source");
        let code = URL_SAFE_NO_PAD.encode(code);
        let grant = Grant {
            subject: person.subject.clone(),
            nonce: params.get("nonce").cloned(),
            challenge: get("code_challenge").to_owned(),
            redirect_uri: self.redirect_uri.clone(),
        };
        self.lock().codes.insert(code.clone(), grant);
        let back: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("code", &code)
            .append_pair("state", get("state"))
            .finish();
        let mut response = text(StatusCode::FOUND, "");
        response
            .headers_mut()
            .insert(header::LOCATION, format!("{}?{back}", self.redirect_uri).parse().expect("a URL"));
        response
    }

    /// The sign-in page: one link per demo person (no passwords: development only).
    fn chooser(&self, query: &str) -> Response<String> {
        let mut body = String::from(
            "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Development sign-in</title></head>\
             <body><main><h1>Development sign-in</h1><p>This provider runs only in <code>sim local</code>. \
             Choose who to sign in as:</p><ul>",
        );
        for p in &self.people {
            let href = format!(
                "/authorize?{query}&as={}",
                url::form_urlencoded::byte_serialize(p.subject.as_bytes()).collect::<String>()
            );
            body.push_str(&format!(
                "<li><a href=\"{}\">{} ({})</a></li>",
                html_escape(&href),
                html_escape(&p.label),
                html_escape(&p.email)
            ));
        }
        body.push_str("</ul></main></body></html>");
        let mut response = text(StatusCode::OK, &body);
        response.headers_mut().insert(header::CONTENT_TYPE, "text/html; charset=utf-8".parse().expect("valid"));
        response
    }

    fn token(&self, req: &Request<Vec<u8>>) -> Response<String> {
        let form: HashMap<String, String> = url::form_urlencoded::parse(req.body()).into_owned().collect();
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
        let (id, secret) =
            basic_auth(req).unwrap_or_else(|| (get("client_id").to_owned(), get("client_secret").to_owned()));
        if id != self.client_id || secret != self.client_secret {
            return json_response(StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}));
        }
        let grant = self.lock().codes.remove(get("code"));
        let Some(grant) = grant else {
            return json_response(StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}));
        };
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier").as_bytes()));
        if get("grant_type") != "authorization_code"
            || challenge != grant.challenge
            || get("redirect_uri") != grant.redirect_uri
        {
            return json_response(StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}));
        }
        let Some(person) = self.people.iter().find(|p| p.subject == grant.subject) else {
            return json_response(StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}));
        };
        match self.id_token(person, grant.nonce) {
            Ok(id_token) => json_response(
                StatusCode::OK,
                json!({"access_token": "dev-access-token", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}),
            ),
            Err(error) => json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "server_error", "error_description": error}),
            ),
        }
    }

    fn id_token(&self, person: &DevPerson, nonce: Option<String>) -> Result<String, String> {
        let (key, tamper) = {
            let state = self.lock();
            (state.key.signer(), state.tamper)
        };
        let at = self.clock.now();
        let now = chrono::DateTime::from_timestamp(at.unix_timestamp(), 0).unwrap_or_default();
        let (iat, exp) = match tamper {
            Some(Tamper::Expired) => (now - chrono::Duration::hours(1), now - chrono::Duration::minutes(10)),
            _ => (now, now + chrono::Duration::minutes(5)),
        };
        let audience = match tamper {
            Some(Tamper::WrongAudience) => "another-client".to_owned(),
            _ => self.client_id.clone(),
        };
        let nonce = match tamper {
            Some(Tamper::WrongNonce) => Some("not-the-nonce-the-console-sent".to_owned()),
            _ => nonce,
        };
        let claims = CoreIdTokenClaims::new(
            IssuerUrl::new(self.issuer.clone()).map_err(|e| e.to_string())?,
            vec![Audience::new(audience)],
            exp,
            iat,
            StandardClaims::new(SubjectIdentifier::new(person.subject.clone()))
                .set_email(Some(EndUserEmail::new(person.email.clone())))
                .set_email_verified(Some(true)),
            EmptyAdditionalClaims {},
        )
        .set_nonce(nonce.map(Nonce::new));
        let signer = match tamper {
            Some(Tamper::UnknownKid) => Key::fresh().signer(),
            _ => key,
        };
        let token =
            CoreIdToken::new(claims, &signer, CoreJwsSigningAlgorithm::EdDsa, None, None).map_err(|e| e.to_string())?;
        let mut jwt = serde_json::to_value(&token).map_err(|e| e.to_string())?.as_str().unwrap_or_default().to_owned();
        if tamper == Some(Tamper::BadSignature) {
            // Flip one character of the signature (the last segment).
            let at = jwt.rfind('.').map(|i| i + 2).unwrap_or(0);
            let flipped = if jwt.as_bytes().get(at) == Some(&b'A') { "B" } else { "A" };
            jwt.replace_range(at..at + 1, flipped);
        }
        Ok(jwt)
    }
}

fn basic_auth(req: &Request<Vec<u8>>) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(value).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape =
        |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some((unescape(id)?, unescape(secret)?))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn text(status: StatusCode, body: &str) -> Response<String> {
    let mut response = Response::new(body.to_owned());
    *response.status_mut() = status;
    response
}

fn json_response(status: StatusCode, value: serde_json::Value) -> Response<String> {
    let mut response = text(status, &value.to_string());
    response.headers_mut().insert(header::CONTENT_TYPE, "application/json".parse().expect("valid"));
    response.headers_mut().insert(header::CACHE_CONTROL, "no-store".parse().expect("valid"));
    response
}
