//! Stakeholder briefings: checklist progress, a completed section, a category
//! change, closing, reviews and key dates, per channel.

use super::sms::fit_sms;
use super::{area, capitalise, escape, headline, words, Email, Sms, WhatsAppTemplate};
use crate::domain::category::Category;
use crate::domain::choice::Choice;
use crate::domain::follow_up::BriefingContent;
use crate::domain::incident::Incident;

/// A stakeholder briefing for one reader: what changed or is due, checklist
/// progress and their personal link.
pub struct Briefing<'a> {
    pub incident: &'a Incident,
    pub category: Category,
    pub content: &'a BriefingContent,
    pub link: &'a str,
}

impl Briefing<'_> {
    fn headline(&self) -> String {
        headline(self.incident, self.category)
    }

    fn title(&self) -> String {
        let c = self.content;
        match &c.reason {
            r if r.is_digest() => format!("Update {}", c.number),
            r => capitalise(&r.describe()),
        }
    }

    fn progress(&self) -> String {
        let c = self.content;
        let state = if c.closed { "Closed. " } else { "" };
        format!("{state}{} of {} checklist items open", c.open_count(), c.total())
    }

    pub fn sms(&self) -> Sms {
        let c = self.content;
        let mut summary = match c.lines.len() {
            0 => String::new(),
            _ if !c.reason.is_digest() => format!(" {}", c.lines[0]),
            n => format!(" {n} change{}.", if n == 1 { "" } else { "s" }),
        };
        if let Some(complete) = c.lines.iter().find(|l| l.starts_with("Section complete")) {
            summary.push_str(&format!(" {complete}"));
        }
        let head = format!("SIM {}: {}.{summary}", self.title().to_uppercase(), self.headline());
        let tail = format!(" {}: {}", self.progress(), self.link);
        fit_sms(&head, &tail)
    }

    pub fn email(&self) -> Email {
        let c = self.content;
        let subject = format!("[SIM] {}: {}", self.title(), self.headline());
        let footer = "This link is personal to you: do not forward this email. Updates carry checklist progress \
                      only; notes and names stay on the page.";
        let mut text = format!("{}\n{}\n\n", self.title(), self.headline());
        let mut html = format!(
            "<!doctype html><html lang=\"en-GB\"><body style=\"font-family:Arial,sans-serif;font-size:16px;color:#111\">\
             <h1 style=\"font-size:20px\">{}: {}</h1>",
            escape(&self.title()),
            escape(&self.headline())
        );
        let mut list = |heading: &str, lines: &[String]| {
            if lines.is_empty() {
                return;
            }
            text.push_str(&format!("{heading}\n"));
            html.push_str(&format!("<h2 style=\"font-size:18px\">{}</h2><ul>", escape(heading)));
            for l in lines {
                text.push_str(&format!("- {l}\n"));
                html.push_str(&format!("<li>{}</li>", escape(l)));
            }
            text.push('\n');
            html.push_str("</ul>");
        };
        let what = if c.reason.is_digest() { "What changed" } else { "Why you are receiving this" };
        list(what, &c.lines);
        list("Open items", &c.open_items);
        let sections: Vec<String> =
            c.sections.iter().map(|s| format!("{}: {} of {} done", s.title, s.closed, s.total)).collect();
        list("Checklist progress", &sections);
        let action = format!("{}. Open the checklist", self.progress());
        text.push_str(&format!("{action}: {}\n\n{footer}\n", self.link));
        html.push_str(&format!(
            "<p><a href=\"{link}\" style=\"display:inline-block;background:#0b0c0c;color:#fff;padding:12px 20px;\
             text-decoration:none;font-weight:bold\">{action}</a></p><p style=\"font-size:14px\">{}</p></body></html>",
            escape(footer),
            link = escape(self.link),
            action = escape(&action),
        ));
        Email { subject, text, html }
    }

    /// `sim_incident_update`: body {{1}} category, {{2}} incident type,
    /// {{3}} area, {{4}} what the update is; URL button suffix the token.
    pub fn whatsapp(&self, token: &str) -> WhatsAppTemplate {
        WhatsAppTemplate {
            name: "sim_incident_update",
            language: "en_GB",
            body: vec![
                self.category.label().to_owned(),
                words(self.incident.report.incident_type.as_str()),
                area(self.incident),
                format!("{}. {}", self.title(), self.progress()),
            ],
            button_url_suffix: token.to_owned(),
            acknowledge_payload: None,
        }
    }
}
