//! Link scanners and chat previews: they open (and some submit) links in
//! messages. Nothing they do may acknowledge for a person.

const SCANNER_MARKERS: &[&str] = &[
    "bot",
    "spider",
    "crawler",
    "preview",
    "facebookexternalhit",
    "whatsapp",
    "slack",
    "telegram",
    "discord",
    "skypeuripreview",
    "microsoft office",
    "ms-office",
    "safelinks",
    "proofpoint",
    "mimecast",
    "barracuda",
    "symantec",
    "forcepoint",
    "trendmicro",
    "python-requests",
    "go-http-client",
    "java/",
    "okhttp",
    "wget",
];

pub fn is_scanner(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    ua.is_empty() || SCANNER_MARKERS.iter().any(|m| ua.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners_and_previews_are_recognised_and_phones_are_not() {
        for scanner in [
            "",
            "WhatsApp/2.23.20.0",
            "facebookexternalhit/1.1",
            "Mozilla/5.0 (compatible; Microsoft Office SafeLinks)",
            "Slackbot-LinkExpanding 1.0",
            "python-requests/2.31",
        ] {
            assert!(is_scanner(scanner), "{scanner}");
        }
        for person in [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
        ] {
            assert!(!is_scanner(person), "{person}");
        }
    }
}
