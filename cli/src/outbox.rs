//! The local stack's outbox: in the embedded default the senders hand their
//! messages to recording adapters instead of providers, and `/outbox` shows
//! them as they would arrive, with working personal links.

use sim::adapters::recording_sender::RecordingSender;
use sim::ports::Outgoing;
use sim::render::escape;
use std::sync::Arc;

/// One recording sender per channel; `None` where a real provider is used.
#[derive(Clone, Default)]
pub struct Outbox {
    pub sms: Option<Arc<RecordingSender>>,
    pub email: Option<Arc<RecordingSender>>,
    pub whatsapp: Option<Arc<RecordingSender>>,
    /// Where links point: the local stack's own address.
    pub base_url: String,
}

impl Outbox {
    pub fn html(&self) -> String {
        let mut html = String::from(
            "<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>SIM local outbox</title><style>body{font-family:Arial,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}\
             article{border:1px solid #b1b4b6;padding:.75rem;margin:.75rem 0}pre{white-space:pre-wrap}</style></head><body>\
             <h1>SIM local outbox</h1><p>What the senders delivered, oldest first. Links open the responder's page.</p>",
        );
        for (title, sender) in [("SMS", &self.sms), ("WHATSAPP", &self.whatsapp), ("EMAIL", &self.email)] {
            let Some(sender) = sender else {
                html.push_str(&format!(
                    "<h2>{title}</h2><p>Sent to the provider at AWS_ENDPOINT_URL, not kept here.</p>"
                ));
                continue;
            };
            let sent = sender.sent();
            html.push_str(&format!("<h2>{title} ({})</h2>", sent.len()));
            for message in sent {
                html.push_str(&self.article(&message));
            }
        }
        html.push_str("</body></html>");
        html
    }

    fn article(&self, message: &Outgoing) -> String {
        let (to, subject, text, link) = match message {
            Outgoing::Sms { to, text } => (to.as_str().to_owned(), None, text.clone(), self.link_in(text)),
            Outgoing::Email { to, email } => {
                (to.as_str().to_owned(), Some(email.subject.clone()), email.text.clone(), self.link_in(&email.text))
            }
            Outgoing::WhatsApp { to, template } => {
                let link = format!("{}/a/{}", self.base_url, template.button_url_suffix);
                let text = format!(
                    "template {} ({}): {}\n[button] {link}",
                    template.name,
                    template.language,
                    template.body.join(" | ")
                );
                (to.as_str().to_owned(), None, text, Some(link))
            }
        };
        format!(
            "<article><p><strong>To {}</strong></p>{}<pre>{}</pre>{}</article>",
            escape(&to),
            subject.map(|s| format!("<p>Subject: {}</p>", escape(&s))).unwrap_or_default(),
            escape(&text),
            link.map(|l| format!("<p><a href=\"{0}\">Open personal link</a></p>", escape(&l))).unwrap_or_default(),
        )
    }

    fn link_in(&self, text: &str) -> Option<String> {
        let start = text.find(&format!("{}/a/", self.base_url))?;
        Some(text[start..].split_whitespace().next().unwrap_or_default().to_owned())
    }
}
