//! Server-rendered, mobile-first, accessible HTML: one column, large text
//! and button, real headings and labels, visible focus, high contrast. No
//! JavaScript; the only style is inline and pinned by its hash in the CSP.

use crate::checklist::People;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use sha2::{Digest, Sha256};
use sim::domain::checklist::{Assignee, ChecklistItem, ItemStatus};
use sim::domain::choice::Choice;
use sim::domain::follow_up::{FollowUp, KeyDateKind};
use sim::domain::notification::{Acknowledgement, Categorisation};
use sim::domain::{Contact, Incident, Role};
use sim::render::{area, capitalise, escape, when, when_date, words};
use std::sync::LazyLock;

pub type Message = (&'static str, &'static str);
pub const NOT_VALID: Message = (
    "This link is not valid",
    "Check that you opened the whole link from your SIM message. If it still does not work, call your duty officer.",
);
pub const EXPIRED: Message =
    ("This link has expired", "Use the link in your most recent SIM message, or call your duty officer.");
pub const RELOAD: Message = (
    "Your acknowledgement could not be confirmed",
    "Open the link from your SIM message again and press Acknowledge on that page.",
);
pub const STALE: Message = (
    "Someone changed this item first",
    "It was updated after you opened the page. Reload the page to see the latest, then make your change again.",
);
pub const LEAD_ONLY: Message = (
    "Only the incident's lead can close it",
    "Closing is for the lead role of this incident's response. Ask them to close it from their own link.",
);
pub const STALE_CLOSE: Message = (
    "The incident changed while you were closing it",
    "Someone closed it or added a key date after you opened the page. Reload the page to see the latest.",
);
pub const TRY_AGAIN: Message =
    ("SIM could not load this page", "Please try again in a moment. If it keeps failing, call your duty officer.");

const CSS: &str = "body{font-family:Arial,Helvetica,sans-serif;font-size:1.125rem;line-height:1.5;color:#0b0c0c;\
background:#fff;margin:0}main{max-width:40rem;margin:0 auto;padding:1rem}h1{font-size:1.6rem;margin:.5rem 0}\
.tag{display:inline-block;background:#d4351c;color:#fff;font-weight:700;padding:.15rem .5rem}\
.tag.serious{background:#912b88}.tag.note{background:#1d70b8}dl{margin:1rem 0}dt{font-weight:700}dd{margin:0 0 .6rem 0}\
.expected{border-left:.4rem solid #1d70b8;padding:.5rem 1rem;background:#f3f2f1}\
.done{border-left:.4rem solid #00703c;padding:.5rem 1rem;background:#f3f2f1}\
button{font-size:1.25rem;font-weight:700;color:#fff;background:#00703c;border:0;border-bottom:.2rem solid #002d18;\
padding:.8rem 1.4rem;width:100%;cursor:pointer}button:focus,a:focus{outline:.2rem solid #ffdd00;box-shadow:0 .25rem #0b0c0c}\
form{margin:1rem 0}label{display:block;font-weight:700;margin-top:.5rem}select,input[type=text],input[type=date],textarea{font-size:1rem;\
width:100%;padding:.4rem;border:.15rem solid #0b0c0c;box-sizing:border-box}button.secondary{background:#1d70b8;\
border-bottom-color:#003078;font-size:1.1rem;margin-top:.6rem}summary{cursor:pointer;padding:.5rem 0;font-size:1.15rem}\
ol.items li{border-bottom:1px solid #b1b4b6;padding:.5rem 0}.meta{font-size:1rem;color:#505a5f}.note{font-weight:700}.closed{border-left:.4rem solid #505a5f;padding:.5rem 1rem;background:#f3f2f1}footer{font-size:1rem;color:#505a5f;margin-top:2rem}";

static CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
});

fn respond(status: StatusCode, title: &str, main: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{} - SIM</title><style>{CSS}</style></head>\
         <body><main>{main}<footer>SIM, the Serious Incident Manager. This page is personal to you: do not forward \
         its link.</footer></main></body></html>",
        escape(title)
    );
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::CONTENT_SECURITY_POLICY, CSP.as_str())
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header("x-robots-tag", "noindex, nofollow")
        .body(Body::from(html))
        .expect("valid response")
}

pub fn problem(status: StatusCode, (title, text): Message) -> Response<Body> {
    respond(status, title, &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(text)))
}

pub struct View<'a> {
    pub token: &'a str,
    pub incident: &'a Incident,
    pub categorisation: &'a Categorisation,
    pub contact: &'a Contact,
    pub acknowledgements: &'a [Acknowledgement],
    pub checklist: &'a [ChecklistItem],
    pub people: People,
    pub form_key: String,
    pub note: Option<String>,
    pub follow_up: &'a FollowUp,
    /// The role that may close the incident (none for categories without a policy).
    pub lead_role: Option<Role>,
}

pub fn incident(v: &View<'_>) -> Response<Body> {
    let report = &v.incident.report;
    let category = v.categorisation.category;
    let tag_class = match category.as_str() {
        "CRITICAL" => "tag",
        "SERIOUS_VIOLENCE" => "tag serious",
        _ => "tag note",
    };
    let title = format!("{} in {}", capitalise(&words(report.incident_type.as_str())), area(v.incident));
    let mut main = String::new();
    if let Some(note) = &v.note {
        main.push_str(&format!("<p class=\"note\" role=\"status\">{}</p>", escape(note)));
    }
    main.push_str(&format!(
        "<p><span class=\"{tag_class}\">{}</span></p><h1>{}</h1>",
        escape(category.label()),
        escape(&title)
    ));
    if let Some(closure) = &v.follow_up.closure {
        main.push_str(&format!(
            "<div class=\"closed\"><h2>Closed at {}</h2><p>Closed by the {} lead. Closing note: {}</p>\
             <p>Reviews at 24 hours, 72 hours and 7 days re-alert the groups with the open items.</p></div>",
            escape(&when(closure.at)),
            escape(&closure.role.as_str().replace('-', " ")),
            escape(&closure.note)
        ));
    }

    let mine = v.acknowledgements.iter().find(|a| a.contact_id == v.contact.id);
    match (mine, v.categorisation.acknowledge_within_minutes) {
        (Some(ack), _) => main.push_str(&format!(
            "<div class=\"done\"><h2>You acknowledged at {}</h2><p>Thank you. The response checklist and updates \
             will reach you as the response goes on.</p></div>",
            escape(&when(ack.at))
        )),
        (None, Some(minutes)) => {
            let due = v.categorisation.decided_at + time::Duration::minutes(minutes.into());
            main.push_str(&format!(
                "<div class=\"expected\"><h2>What is expected of you</h2><p>As {} you are asked to acknowledge this \
                 alert by {} ({minutes} minutes after it was sent). Every role alerted must acknowledge; if you do \
                 not, SIM reminds you and alerts your deputy.</p></div>\
                 <form method=\"post\"><input type=\"hidden\" name=\"form_key\" value=\"{}\">\
                 <button type=\"submit\">Acknowledge</button></form>",
                escape(&role_words(v.contact)),
                escape(&when(due)),
                escape(&v.form_key)
            ));
        }
        (None, None) => main.push_str(
            "<div class=\"expected\"><h2>What is expected of you</h2><p>This is for your information; no \
             acknowledgement is needed.</p></div>",
        ),
    }

    let victims = match report.victims.len() {
        0 => "None reported".to_owned(),
        n => format!("{n}; most severe injury {}", words(report.most_severe_injury().as_str())),
    };
    let flags = if report.flags.is_empty() {
        "None".to_owned()
    } else {
        report.flags.iter().map(|f| words(f.as_str())).collect::<Vec<_>>().join(", ")
    };
    let mut place = area(v.incident);
    if let Some(pd) = &report.location.postcode_district {
        place.push_str(&format!(", {}", pd.as_str()));
    }
    let rows = [
        ("Why this category", v.categorisation.reason.clone()),
        ("Incident", words(report.incident_type.as_str())),
        ("Weapon", words(report.weapon.as_str())),
        ("Where", place),
        ("When", when(report.occurred_at)),
        ("Victims", victims),
        ("Police flags", flags),
        ("Police reference", report.police_reference.as_str().to_owned()),
    ];
    main.push_str("<h2>Summary</h2><dl>");
    for (k, value) in rows {
        main.push_str(&format!("<dt>{}</dt><dd>{}</dd>", escape(k), escape(&value)));
    }
    main.push_str("</dl><h2>Acknowledged so far</h2>");
    if v.acknowledgements.is_empty() {
        main.push_str("<p>No one yet.</p>");
    } else {
        main.push_str("<ul>");
        for a in v.acknowledgements {
            main.push_str(&format!(
                "<li>{} at {}</li>",
                escape(&words(a.role.as_str()).replace('-', " ")),
                escape(&when(a.at))
            ));
        }
        main.push_str("</ul>");
    }
    checklist(v, &mut main);
    key_dates(v, &mut main);
    close(v, &mut main);
    respond(StatusCode::OK, &title, &main)
}

/// The response checklist by section, each item with its own small form.
fn checklist(v: &View<'_>, main: &mut String) {
    if v.checklist.is_empty() {
        return;
    }
    let closed = v.checklist.iter().filter(|i| i.is_closed()).count();
    main.push_str(&format!(
        "<h2 id=\"checklist\">Response checklist</h2><p>{closed} of {} items done. Open a section to take, assign \
         or update its items. Notes are working notes: never write names or details of victims or suspects.</p>",
        v.checklist.len()
    ));
    let mut sections: Vec<(&str, &str, Vec<&ChecklistItem>)> = Vec::new();
    for item in v.checklist {
        match sections.last_mut() {
            Some((id, _, items)) if *id == item.section_id => items.push(item),
            _ => sections.push((&item.section_id, &item.section_title, vec![item])),
        }
    }
    for (id, title, items) in sections {
        let done = items.iter().filter(|i| i.is_closed()).count();
        main.push_str(&format!(
            "<details id=\"section-{}\"><summary><strong>{}</strong> ({done} of {} done)</summary><ol class=\"items\">",
            escape(id),
            escape(title),
            items.len()
        ));
        for item in items {
            main.push_str(&item_html(v, item));
        }
        main.push_str("</ol></details>");
    }
}

fn item_html(v: &View<'_>, item: &ChecklistItem) -> String {
    let field = |name: &str| format!("{name}-{}", escape(&item.item_id));
    let assigned = match &item.assignee {
        None => "nobody yet".to_owned(),
        Some(Assignee::Role(r)) => format!("the {} role", r.as_str().replace('-', " ")),
        Some(Assignee::Person(p)) => {
            v.people.people.iter().find(|(id, _)| id == p).map_or(p.to_string(), |(_, n)| n.clone())
        }
    };
    let mut statuses = String::new();
    for (value, status) in ItemStatus::ALL {
        let selected = if *status == item.status { " selected" } else { "" };
        statuses.push_str(&format!("<option value=\"{value}\"{selected}>{}</option>", words(value)));
    }
    let current = |a: &Assignee| item.assignee.as_ref() == Some(a);
    let mut assignees = format!(
        "<option value=\"\"{}>Nobody</option><option value=\"me\"{}>Me</option>",
        if item.assignee.is_none() { " selected" } else { "" },
        if current(&Assignee::Person(v.contact.id.clone())) { " selected" } else { "" }
    );
    for role in &v.people.roles {
        let selected = if current(&Assignee::Role(role.clone())) { " selected" } else { "" };
        assignees.push_str(&format!(
            "<option value=\"role:{0}\"{selected}>The {1} role</option>",
            escape(role.as_str()),
            escape(&role.as_str().replace('-', " "))
        ));
    }
    for (id, name) in v.people.people.iter().filter(|(id, _)| *id != v.contact.id) {
        let selected = if current(&Assignee::Person(id.clone())) { " selected" } else { "" };
        assignees.push_str(&format!(
            "<option value=\"person:{}\"{selected}>{}</option>",
            escape(id.as_str()),
            escape(name)
        ));
    }
    format!(
        "<li id=\"item-{id}\"><p>{text}</p><p class=\"meta\">Owner: {owner}. Status: <strong>{status}</strong>. \
         Assigned to: {assigned}.{note}</p>\
         <form method=\"post\" action=\"/a/{token}/items/{id}\">\
         <input type=\"hidden\" name=\"form_key\" value=\"{key}\"><input type=\"hidden\" name=\"version\" value=\"{version}\">\
         <label for=\"{status_id}\">Status</label><select id=\"{status_id}\" name=\"status\">{statuses}</select>\
         <label for=\"{assignee_id}\">Assigned to</label><select id=\"{assignee_id}\" name=\"assignee\">{assignees}</select>\
         <label for=\"{note_id}\">Add a note (optional)</label><input type=\"text\" id=\"{note_id}\" name=\"note\" maxlength=\"280\">\
         <button type=\"submit\" class=\"secondary\">Save this item</button></form></li>",
        id = escape(&item.item_id),
        text = escape(&item.text),
        owner = escape(&item.owner_role.as_str().replace('-', " ")),
        status = escape(&words(item.status.as_str())),
        assigned = escape(&assigned),
        note = item.note.as_ref().map(|n| format!(" Note: “{}”", escape(n))).unwrap_or_default(),
        token = escape(v.token),
        key = escape(&v.form_key),
        version = item.version,
        status_id = field("status"),
        assignee_id = field("assignee"),
        note_id = field("note"),
    )
}

/// Key dates so far, and the form to add one.
fn key_dates(v: &View<'_>, main: &mut String) {
    if v.lead_role.is_none() {
        return;
    }
    main.push_str(
        "<h2 id=\"key-dates\">Key dates</h2><p>Funerals, court dates and anniversaries are times of risk. \
                   On the day, SIM re-alerts the groups with the checklist's open items.</p>",
    );
    if v.follow_up.key_dates.is_empty() {
        main.push_str("<p>None added yet.</p>");
    } else {
        main.push_str("<ul>");
        for d in &v.follow_up.key_dates {
            main.push_str(&format!("<li>{}: {}</li>", escape(d.kind.label()), escape(&when_date(d.date))));
        }
        main.push_str("</ul>");
    }
    let mut options = String::new();
    for (value, kind) in KeyDateKind::ALL {
        options.push_str(&format!("<option value=\"{value}\">{}</option>", escape(kind.label())));
    }
    main.push_str(&format!(
        "<form method=\"post\" action=\"/a/{token}/key-dates\"><input type=\"hidden\" name=\"form_key\" value=\"{key}\">\
         <label for=\"key-date-what\">What is the date?</label><select id=\"key-date-what\" name=\"what\">{options}</select>\
         <label for=\"key-date-date\">Date</label><input type=\"date\" id=\"key-date-date\" name=\"date\" required>\
         <button type=\"submit\" class=\"secondary\">Add key date</button></form>",
        token = escape(v.token),
        key = escape(&v.form_key),
    ));
}

/// The close form, for the lead role while the incident is open.
fn close(v: &View<'_>, main: &mut String) {
    let Some(lead) = &v.lead_role else { return };
    if v.follow_up.closure.is_some() {
        return;
    }
    let lead_words = lead.as_str().replace('-', " ");
    if v.contact.role != *lead {
        main.push_str(&format!(
            "<h2 id=\"close\">Closing the incident</h2><p>{} closes the incident when the response has ended.</p>",
            escape(&capitalise(&format!("the {lead_words} lead")))
        ));
        return;
    }
    main.push_str(&format!(
        "<h2 id=\"close\">Close the incident</h2><p>As the {lead} lead you close the incident when the response has \
         ended. The groups are told at once; reviews follow at 24 hours, 72 hours and 7 days.</p>\
         <form method=\"post\" action=\"/a/{token}/close\"><input type=\"hidden\" name=\"form_key\" value=\"{key}\">\
         <input type=\"hidden\" name=\"version\" value=\"{version}\">\
         <label for=\"closing-note\">Closing note (how the response ended; no names)</label>\
         <textarea id=\"closing-note\" name=\"closing_note\" rows=\"4\" maxlength=\"1000\" required></textarea>\
         <button type=\"submit\">Close incident</button></form>",
        lead = escape(&lead_words),
        token = escape(v.token),
        key = escape(&v.form_key),
        version = v.follow_up.version,
    ));
}

fn role_words(contact: &Contact) -> String {
    contact.role.as_str().replace('-', " ")
}
