//! Every way a responder's request can be refused or fail, and the one place
//! each becomes a page (as `IntakeError::to_problem` maps intake's to
//! problem+json). Texts say what happened and what to do; none carries
//! personal data or internal detail.

use crate::page::{self, Message};
use lambda_http::http::StatusCode;
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
    #[error("only the lead role may close")]
    LeadOnly,
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
            PageError::OtherSite | PageError::LeadOnly => StatusCode::FORBIDDEN,
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
            PageError::LeadOnly => page::LEAD_ONLY,
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

    pub fn to_page(&self) -> HtmlResponse {
        page::problem(self.status(), self.message())
    }
}

impl From<Failure> for PageError {
    fn from(error: Failure) -> Self {
        PageError::Queue(error)
    }
}
