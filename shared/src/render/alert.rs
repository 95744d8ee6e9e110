//! Alerts: the first alert, reminders, upgrades and escalations, per channel.

use super::sms::{fit_sms, reply_tail};
use super::{area, escape, headline, when, words, Email, Sms, WhatsAppTemplate};
use crate::domain::category::Category;
use crate::domain::choice::Choice;
use crate::domain::incident::Incident;
use crate::domain::notification::AlertKind;

pub struct Alert<'a> {
    pub incident: &'a Incident,
    pub category: Category,
    pub reason: &'a str,
    pub kind: AlertKind,
    /// Minutes the reader has to acknowledge, if acknowledgement is required.
    pub acknowledge_within: Option<u32>,
    /// The reader's personal link.
    pub link: &'a str,
}

impl Alert<'_> {
    fn headline(&self) -> String {
        headline(self.incident, self.category)
    }

    fn expected(&self) -> String {
        match (self.kind, self.acknowledge_within) {
            (AlertKind::Reminder, _) => "You have not acknowledged yet. Acknowledge now".into(),
            (AlertKind::Escalation, _) => "A required role has not acknowledged. Please acknowledge".into(),
            (_, Some(minutes)) => format!("Acknowledge within {minutes} min"),
            (_, None) => "For information; no acknowledgement needed. Details".into(),
        }
    }

    pub fn sms(&self) -> Sms {
        self.sms_replying(None)
    }

    /// The SMS with the person's reply code (see `LinkKey::reply_code`) when
    /// it asks for an acknowledgement: replying the code acknowledges, as
    /// the link's button does.
    pub fn sms_with_reply_code(&self, code: &str) -> Sms {
        self.sms_replying(Some(code))
    }

    fn sms_replying(&self, code: Option<&str>) -> Sms {
        let prefix = match self.kind {
            AlertKind::First => "SIM",
            AlertKind::Reminder => "SIM REMINDER",
            AlertKind::Upgrade => "SIM UPGRADED",
            AlertKind::Escalation => "SIM ESCALATION",
        };
        // Only an alert that asks for an acknowledgement offers the reply.
        let asks =
            matches!(self.kind, AlertKind::Reminder | AlertKind::Escalation) || self.acknowledge_within.is_some();
        let tail = match code {
            Some(code) if asks => reply_tail(&self.expected(), code, self.link),
            _ => format!(". {}: {}", self.expected(), self.link),
        };
        fit_sms(&format!("{prefix}: {} at {}", self.headline(), when(self.incident.report.occurred_at)), &tail)
    }

    pub fn email(&self) -> Email {
        let report = &self.incident.report;
        let lead = match self.kind {
            AlertKind::First => "",
            AlertKind::Reminder => "Reminder: ",
            AlertKind::Upgrade => "Upgraded: ",
            AlertKind::Escalation => "Escalation: ",
        };
        let subject = format!("[SIM] {lead}{} at {}", self.headline(), when(report.occurred_at));
        let victims = match report.victims.len() {
            0 => "none reported".to_owned(),
            n => format!("{n} (most severe injury: {})", words(report.most_severe_injury().as_str())),
        };
        let flags = if report.flags.is_empty() {
            "none".to_owned()
        } else {
            report.flags.iter().map(|f| words(f.as_str())).collect::<Vec<_>>().join(", ")
        };
        let rows = [
            ("Category", format!("{} ({})", self.category.label(), self.reason)),
            ("Incident", words(report.incident_type.as_str())),
            ("Weapon", words(report.weapon.as_str())),
            ("Where", {
                let mut w = area(self.incident);
                if let Some(pd) = &report.location.postcode_district {
                    w.push_str(&format!(", {}", pd.as_str()));
                }
                w
            }),
            ("When", when(report.occurred_at)),
            ("Victims", victims),
            ("Police flags", flags),
            ("Police reference", report.police_reference.as_str().to_owned()),
        ];
        let expected = format!("{}: {}", self.expected(), self.link);
        let footer = "This link is personal to you: do not forward this email. SIM never includes names or \
                      personal details of victims or suspects in messages.";
        let mut text = format!("{}\n\n", self.headline());
        for (k, v) in &rows {
            text.push_str(&format!("{k}: {v}\n"));
        }
        text.push_str(&format!("\n{expected}\n\n{footer}\n"));

        let mut html = format!(
            "<!doctype html><html lang=\"en-GB\"><body style=\"font-family:Arial,sans-serif;font-size:16px;color:#111\">\
             <h1 style=\"font-size:20px\">{}</h1><table role=\"presentation\" style=\"border-collapse:collapse\">",
            escape(&self.headline())
        );
        for (k, v) in &rows {
            html.push_str(&format!(
                "<tr><th scope=\"row\" style=\"text-align:left;padding:4px 12px 4px 0\">{}</th><td style=\"padding:4px 0\">{}</td></tr>",
                escape(k),
                escape(v)
            ));
        }
        html.push_str(&format!(
            "</table><p><a href=\"{link}\" style=\"display:inline-block;background:#0b0c0c;color:#fff;padding:12px 20px;\
             text-decoration:none;font-weight:bold\">{action}</a></p><p style=\"font-size:14px\">{}</p></body></html>",
            escape(footer),
            link = escape(self.link),
            action = escape(&self.expected()),
        ));
        Email { subject, text, html }
    }

    /// `token` is the link's last path segment (the template holds the base URL).
    pub fn whatsapp(&self, token: &str) -> WhatsAppTemplate {
        WhatsAppTemplate {
            name: match self.kind {
                AlertKind::Reminder | AlertKind::Escalation => "sim_incident_reminder",
                _ => "sim_incident_alert",
            },
            language: "en_GB",
            body: vec![
                self.category.label().to_owned(),
                words(self.incident.report.incident_type.as_str()),
                area(self.incident),
                when(self.incident.report.occurred_at),
            ],
            button_url_suffix: token.to_owned(),
            acknowledge_payload: Some(token.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sms::sms_segments;
    use time::macros::datetime;

    fn incident(ward: &str) -> Incident {
        use crate::domain::incident::IncidentReport;
        let report = IncidentReport::from_json(
            &serde_json::json!({
                "police_reference": "REF-1", "occurred_at": "2026-11-21T01:50:00Z",
                "location": {"borough": "Barking and Dagenham", "ward": ward},
                "incident_type": "acid_attack", "weapon": "corrosive_substance"
            }),
            datetime!(2026-11-21 02:10 UTC),
        )
        .unwrap();
        Incident {
            id: crate::ids::IncidentId::parse("inc-0123456789abcdef0123456789abcdef").unwrap(),
            licensee_id: crate::ids::LicenseeId::parse("lbbd").unwrap(),
            caller_id: crate::ids::CallerId::parse("met-cad").unwrap(),
            fingerprint: report.fingerprint(),
            report,
            received_at: datetime!(2026-11-21 02:10 UTC),
            version: 1,
            handoff: None,
            shared_from: None,
        }
    }

    #[test]
    fn an_sms_stays_within_two_gsm7_segments_and_keeps_its_link_whatever_the_place() {
        // 80 characters, the longest area name SIM accepts, with accents.
        let incident = incident("Thamés View and Castle Point (north) & Becontrée Heath, Village Mayesbrook Parso");
        let link = format!("https://sim.lbbd.example/a/{}", "x".repeat(90));
        for kind in [AlertKind::First, AlertKind::Reminder, AlertKind::Upgrade, AlertKind::Escalation] {
            let alert = Alert {
                incident: &incident,
                category: Category::SeriousViolence,
                reason: "r",
                kind,
                acknowledge_within: Some(30),
                link: &link,
            };
            let sms = alert.sms();
            assert!(sms_segments(&sms.text).unwrap() <= 2, "{} ({} septets)", sms.text, sms.text.len());
            assert!(sms.text.ends_with(&link), "{}", sms.text);
        }
        let first = Alert {
            incident: &incident,
            category: Category::Critical,
            reason: "r",
            kind: AlertKind::First,
            acknowledge_within: Some(10),
            link: &link,
        };
        let reminder = Alert { kind: AlertKind::Reminder, ..first };
        assert_ne!(first.sms().text, reminder.sms().text, "a reminder never repeats the first text");
        // The reply code, when acknowledgement is asked: still two segments, the link last.
        for alert in [&first, &reminder] {
            let sms = alert.sms_with_reply_code("K7P2QX");
            assert!(sms.text.contains(": reply K7P2QX or open https://"), "{}", sms.text);
            assert!(sms_segments(&sms.text).unwrap() <= 2 && sms.text.ends_with(&link), "{}", sms.text);
        }
        let for_information = Alert { acknowledge_within: None, kind: AlertKind::Upgrade, ..first };
        assert!(!for_information.sms_with_reply_code("K7P2QX").text.contains("K7P2QX"), "nothing to acknowledge");
        assert!(first.email().html.contains("Barking and Dagenham"));
        assert!(!first.email().html.contains("<script"), "escaped");
    }
}
