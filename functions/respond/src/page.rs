//! Server-rendered, mobile-first, accessible HTML: one column, large text
//! and button, real headings and labels, visible focus, high contrast. No
//! JavaScript; the only style is inline and pinned by its hash in the CSP.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use sha2::{Digest, Sha256};
use sim::domain::choice::Choice;
use sim::domain::notification::{Acknowledgement, Categorisation};
use sim::domain::{Contact, Incident};
use sim::render::{area, escape, when, words};
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
form{margin:1rem 0}.note{font-weight:700}footer{font-size:1rem;color:#505a5f;margin-top:2rem}";

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
    pub incident: &'a Incident,
    pub categorisation: &'a Categorisation,
    pub contact: &'a Contact,
    pub acknowledgements: &'a [Acknowledgement],
    pub form_key: String,
    pub note: Option<String>,
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
    respond(StatusCode::OK, &title, &main)
}

fn role_words(contact: &Contact) -> String {
    contact.role.as_str().replace('-', " ")
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}
