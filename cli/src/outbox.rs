//! The local stack's outbox: messages taken off the sender queues and
//! rendered as they would arrive, with working personal links, for a person
//! to read at `/outbox`. (In AWS the sender functions deliver them instead.)

use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::links::{LinkClaims, LinkKey};
use sim::ports::{Queue, Store};
use sim::render::{escape, Alert, AlertKind};
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// How long a personal link stays valid.
pub const LINK_LIFETIME: Duration = Duration::days(7);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub channel: Channel,
    pub contact: String,
    /// Where it would go: a number or address from the contact record.
    pub to: String,
    pub subject: Option<String>,
    pub text: String,
    pub link: String,
}

pub struct Outbox {
    pub base_url: String,
    pub key: LinkKey,
    delivered: Mutex<Vec<Delivered>>,
}

impl Outbox {
    pub fn new(base_url: String, key: LinkKey) -> Self {
        Self { base_url, key, delivered: Mutex::default() }
    }

    pub fn messages(&self) -> Vec<Delivered> {
        self.delivered.lock().expect("outbox lock").clone()
    }

    /// Renders one queued notification into the outbox.
    pub async fn deliver(&self, store: &dyn Store, body: &str, now: OffsetDateTime) -> Result<(), String> {
        let message: NotificationMessage = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let incident = store.get_incident(&message.incident_id).await.map_err(|e| e.to_string())?.ok_or("no incident")?;
        let categorisation =
            store.get_categorisation(&incident.id).await.map_err(|e| e.to_string())?.ok_or("not categorised")?;
        let contact = store
            .contacts(&incident.licensee_id)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|c| c.id == message.contact_id)
            .ok_or("no contact")?;
        let token = self.key.sign(&LinkClaims {
            incident_id: incident.id.clone(),
            contact_id: contact.id.clone(),
            channel: message.channel,
            expires_at: now + LINK_LIFETIME,
        });
        let link = format!("{}/a/{token}", self.base_url);
        let alert = Alert {
            incident: &incident,
            category: categorisation.category,
            reason: &categorisation.reason,
            kind: if message.step == 0 { AlertKind::First } else { AlertKind::Reminder },
            acknowledge_within: categorisation.acknowledge_within_minutes,
            link: &link,
        };
        let mobile = contact.mobile.as_ref().map(|m| m.as_str().to_owned()).unwrap_or_default();
        let delivered = match message.channel {
            Channel::Sms => Delivered { to: mobile, subject: None, text: alert.sms().text, ..blank(&message, &contact.name, &link) },
            Channel::Email => {
                let email = alert.email();
                Delivered {
                    to: contact.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
                    subject: Some(email.subject),
                    text: email.text,
                    ..blank(&message, &contact.name, &link)
                }
            }
            Channel::WhatsApp => {
                let t = alert.whatsapp(&token);
                let text = format!("template {} ({}): {}\n[button] {link}", t.name, t.language, t.body.join(" | "));
                Delivered { to: mobile, subject: None, text, ..blank(&message, &contact.name, &link) }
            }
        };
        self.delivered.lock().expect("outbox lock").push(delivered);
        Ok(())
    }

    /// Takes everything off a sender queue into the outbox.
    pub async fn drain(&self, store: &dyn Store, queue: &dyn Queue, now: OffsetDateTime) {
        let Ok(batch) = queue.receive(10).await else { return };
        for m in batch {
            match self.deliver(store, &m.body, now).await {
                Ok(()) => {
                    let _ = queue.delete(&m.receipt).await;
                }
                Err(error) => tracing::warn!(%error, "outbox could not render a message"),
            }
        }
    }

    pub fn html(&self) -> String {
        let messages = self.messages();
        let mut html = String::from(
            "<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>SIM local outbox</title><style>body{font-family:Arial,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}\
             article{border:1px solid #b1b4b6;padding:.75rem;margin:.75rem 0}pre{white-space:pre-wrap}</style></head><body>\
             <h1>SIM local outbox</h1><p>What the senders would have delivered, newest last. Links open the responder's page.</p>",
        );
        for channel in [Channel::Sms, Channel::WhatsApp, Channel::Email] {
            let of: Vec<&Delivered> = messages.iter().filter(|m| m.channel == channel).collect();
            html.push_str(&format!("<h2>{} ({})</h2>", channel.to_string().to_uppercase(), of.len()));
            for m in of {
                html.push_str(&format!(
                    "<article><p><strong>To {}</strong> ({})</p>{}<pre>{}</pre><p><a href=\"{}\">Open personal link</a></p></article>",
                    escape(&m.contact),
                    escape(&m.to),
                    m.subject.as_ref().map(|s| format!("<p>Subject: {}</p>", escape(s))).unwrap_or_default(),
                    escape(&m.text),
                    escape(&m.link),
                ));
            }
        }
        html.push_str("</body></html>");
        html
    }
}

fn blank(message: &NotificationMessage, name: &str, link: &str) -> Delivered {
    Delivered {
        channel: message.channel,
        contact: name.to_owned(),
        to: String::new(),
        subject: None,
        text: String::new(),
        link: link.to_owned(),
    }
}
