//! Everything SIM serves as HTML, whichever function serves it: one layout
//! (`layout`), one set of security headers (`response`), one route table type
//! (`routes`) and one form decoder (`form`). Pages are written with `maud`,
//! which escapes every interpolated value unless told otherwise.

pub mod form;
pub mod layout;
pub mod response;
pub mod routes;

pub use form::{parse_form, FormError};
pub use layout::{document, Layout};
pub use maud::{html, Markup, PreEscaped, DOCTYPE};
pub use response::{html_response, redirect, HtmlResponse};
pub use routes::{Matched, Routes};
