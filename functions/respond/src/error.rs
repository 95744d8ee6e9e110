//! Every way a responder's request can be refused or fail, and the one place
//! each becomes a page (as `IntakeError::to_problem` maps intake's to
//! problem+json). Texts say what happened and what to do; none carries
//! personal data or internal detail.

use crate::page::{self, Back, Message};
use crate::Route;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use sim::links::LinkError;
use sim::ports::StoreError;
use sim::web::HtmlResponse;

pub type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("the link did not verify: {0}")]
    Link(#[from] LinkError),
    #[error("nothing here for this link")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("a POST from a link scanner")]
    Automated,
    #[error("a POST not from SIM's own page")]
    OtherSite,
    #[error("the form could not be read")]
    Unreadable,
    #[error("only the lead role may do that")]
    LeadOnly(Message),
    #[error("the item changed since the page was loaded")]
    StaleItem,
    #[error("the incident changed while closing")]
    StaleClose,
    #[error("the record changed meanwhile")]
    Busy,
    #[error("the input was refused: {}", .0 .0)]
    Invalid(Message),
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("queueing failed: {0}")]
    Queue(Failure),
}

impl PageError {
    pub fn status(&self) -> StatusCode {
        match self {
            PageError::Link(LinkError::Expired) => StatusCode::GONE,
            PageError::Link(LinkError::Invalid) | PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            PageError::Automated => StatusCode::FORBIDDEN,
            PageError::OtherSite | PageError::LeadOnly(_) => StatusCode::FORBIDDEN,
            PageError::StaleItem | PageError::StaleClose | PageError::Busy => StatusCode::CONFLICT,
            PageError::Unreadable | PageError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PageError::Store(_) | PageError::Queue(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn message(&self) -> Message {
        match self {
            PageError::Link(LinkError::Expired) => page::EXPIRED,
            PageError::Link(LinkError::Invalid) | PageError::NotFound | PageError::MethodNotAllowed => page::NOT_VALID,
            PageError::Automated => page::AUTOMATED,
            PageError::OtherSite => page::RELOAD,
            PageError::Unreadable => page::UNREADABLE,
            PageError::LeadOnly(message) => *message,
            PageError::StaleItem => page::STALE,
            PageError::StaleClose => page::STALE_CLOSE,
            PageError::Busy | PageError::Store(_) | PageError::Queue(_) => page::TRY_AGAIN,
            PageError::Invalid(message) => *message,
        }
    }

    /// Failures are logged as errors; refusals as what they are.
    pub fn log(&self) {
        match self {
            PageError::Store(_) | PageError::Queue(_) => tracing::error!(error = %self, "responder page failed"),
            _ => tracing::info!(error = %self, "responder request refused"),
        }
    }

    /// Whether the page may link back to the incident: not for a link that
    /// did not verify or a path that addresses nothing.
    pub fn offers_way_back(&self) -> bool {
        !matches!(self, PageError::Link(_) | PageError::NotFound | PageError::MethodNotAllowed)
    }

    pub fn to_page(&self, back: Option<&Back>) -> HtmlResponse {
        page::problem(self.status(), self.message(), back)
    }
}

impl From<Failure> for PageError {
    fn from(error: Failure) -> Self {
        PageError::Queue(error)
    }
}

/// The free text a refused form carried, to give back to the person.
#[derive(Deserialize, Default)]
struct Typed {
    note: Option<String>,
    closing_note: Option<String>,
}

impl Back {
    /// Back to the incident's page at the form's place, with what was typed.
    pub fn of(base: &str, token: &str, route: Route, item: &str, body: &[u8]) -> Self {
        let anchor = match route {
            Route::Page => String::new(),
            Route::Item => format!("#item-{item}"),
            Route::Close => "#close".to_owned(),
            Route::KeyDates => "#key-dates".to_owned(),
            Route::Areas => "#connected-areas".to_owned(),
        };
        let typed: Typed = sim::web::parse_form(body).unwrap_or_default();
        let typed = [("Your note", typed.note), ("Your closing note", typed.closing_note)]
            .into_iter()
            .filter_map(|(what, text)| text.filter(|t| !t.trim().is_empty()).map(|t| (what, t)))
            .collect();
        Back { href: format!("{base}/a/{token}{anchor}"), typed }
    }
}
