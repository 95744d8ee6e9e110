//! The one page layout: GOV.UK Design System habits (one column, large type,
//! visible focus, high contrast), no external assets. The style sheet is
//! inline and pinned by its hash in the Content-Security-Policy, so a page
//! can carry no other style or script unless its layout pins it too.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

/// The style every page shares; pages add classes, not style elements.
pub const CSS: &str = "body{font-family:Arial,Helvetica,sans-serif;font-size:1.125rem;line-height:1.5;color:#0b0c0c;\
background:#fff;margin:0}main{max-width:40rem;margin:0 auto;padding:1rem}main.wide{max-width:75rem}\
h1{font-size:1.6rem;margin:.5rem 0}\
.tag{display:inline-block;background:#d4351c;color:#fff;font-weight:700;padding:.15rem .5rem}\
.tag.serious{background:#912b88}.tag.note{background:#1d70b8}.tag.grey{background:#505a5f}\
dl{margin:1rem 0}dt{font-weight:700}dd{margin:0 0 .6rem 0}\
.expected{border-left:.4rem solid #1d70b8;padding:.5rem 1rem;background:#f3f2f1}\
.done{border-left:.4rem solid #00703c;padding:.5rem 1rem;background:#f3f2f1}\
.warning{border-left:.4rem solid #d4351c;padding:.5rem 1rem;background:#f3f2f1}\
button{font-size:1.25rem;font-weight:700;color:#fff;background:#00703c;border:0;border-bottom:.2rem solid #002d18;\
padding:.8rem 1.4rem;width:100%;cursor:pointer}button:focus,a:focus,input:focus,select:focus,textarea:focus\
{outline:.2rem solid #ffdd00;box-shadow:0 .25rem #0b0c0c}\
form{margin:1rem 0}label,legend{display:block;font-weight:700;margin-top:.5rem}fieldset{border:0;padding:0;margin:0}\
.choice label{display:inline;font-weight:400}.choice{margin:.4rem 0}\
select,input[type=text],input[type=date],input[type=search],textarea{font-size:1rem;\
width:100%;padding:.4rem;border:.15rem solid #0b0c0c;box-sizing:border-box}button.secondary{background:#1d70b8;\
border-bottom-color:#003078;font-size:1.1rem;margin-top:.6rem}summary{cursor:pointer;padding:.5rem 0;font-size:1.15rem}\
ol.items li{border-bottom:1px solid #b1b4b6;padding:.5rem 0}.meta{font-size:1rem;color:#505a5f}.note{font-weight:700}\
.closed{border-left:.4rem solid #505a5f;padding:.5rem 1rem;background:#f3f2f1}\
.error-summary{border:.3rem solid #d4351c;padding:.8rem 1rem;margin:1rem 0}.error{color:#d4351c;font-weight:700}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;border-bottom:1px solid #b1b4b6;\
padding:.4rem .6rem .4rem 0;vertical-align:top}a{color:#1d70b8}\
footer{font-size:1rem;color:#505a5f;margin-top:2rem}\
.visually-hidden{position:absolute!important;width:1px!important;height:1px!important;margin:0!important;\
padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;clip-path:inset(50%)!important;\
border:0!important;white-space:nowrap!important}";

/// What differs between the responder's pages and the console's.
pub struct Layout {
    /// Shown at the foot of every page.
    pub footer: &'static str,
    /// The console's wider grid; the responder's page stays one phone column.
    pub wide: bool,
    /// A script the layout pins by hash (the console's board refresh); none by default.
    pub script: Option<&'static str>,
}

impl Layout {
    pub const RESPONDER: Layout = Layout {
        footer: "SIM, the Serious Incident Manager. This page is personal to you: do not forward its link.",
        wide: false,
        script: None,
    };

    /// The Content-Security-Policy pinning this layout's style (and script).
    pub fn csp(&self) -> String {
        let style = sha256(CSS);
        let script = match self.script {
            Some(js) => format!("script-src 'sha256-{}'; connect-src 'self'", sha256(js)),
            None => "script-src 'none'".to_owned(),
        };
        format!(
            "default-src 'none'; style-src 'sha256-{style}'; {script}; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    }
}

fn sha256(text: &str) -> String {
    STANDARD.encode(Sha256::digest(text.as_bytes()))
}

/// A whole HTML document around `main`.
pub fn document(layout: &Layout, title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " - SIM" }
                style { (PreEscaped(CSS)) }
            }
            body {
                main class=[layout.wide.then_some("wide")] {
                    (main)
                    footer { (layout.footer) }
                }
                @if let Some(js) = layout.script {
                    script { (PreEscaped(js)) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_the_style_is_pinned() {
        let page = document(&Layout::RESPONDER, "<script>x</script>", html! { p { "a & b" } }).into_string();
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt; - SIM"));
        assert!(page.contains("a &amp; b"));
        assert!(Layout::RESPONDER.csp().contains(&format!("style-src 'sha256-{}'", sha256(CSS))));
        assert!(Layout::RESPONDER.csp().contains("script-src 'none'"));
    }
}
