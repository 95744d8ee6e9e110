//! Link scanners and chat previews: they open (and some submit) links in
//! messages. Nothing they do may acknowledge for a person.

/// Known scanner and preview agents, each as the whole words it is written
/// in (a user agent is split at every character that is not a letter or a
/// digit). Matching whole words keeps a phone named "CUBOT" from counting as
/// a "bot".
const SCANNER_MARKERS: &[&[&str]] = &[
    &["bot"],
    &["googlebot"],
    &["bingbot"],
    &["slackbot"],
    &["twitterbot"],
    &["linkedinbot"],
    &["applebot"],
    &["discordbot"],
    &["telegrambot"],
    &["duckduckbot"],
    &["yandexbot"],
    &["spider"],
    &["crawler"],
    &["preview"],
    &["facebookexternalhit"],
    &["whatsapp"],
    &["slack"],
    &["telegram"],
    &["discord"],
    &["skypeuripreview"],
    &["microsoft", "office"],
    &["ms", "office"],
    &["safelinks"],
    &["proofpoint"],
    &["mimecast"],
    &["barracuda"],
    &["symantec"],
    &["forcepoint"],
    &["trendmicro"],
    &["python", "requests"],
    &["python", "urllib"],
    &["go", "http", "client"],
    &["java"],
    &["okhttp"],
    &["wget"],
    &["curl"],
    &["libwww", "perl"],
];

pub fn is_scanner(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    let words: Vec<&str> = ua.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    words.is_empty() || SCANNER_MARKERS.iter().any(|marker| words.windows(marker.len()).any(|w| w == *marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUBOT_WEBVIEW: &str = "Mozilla/5.0 (Linux; Android 13; CUBOT P80 Build/TP1A.220624.014; wv) \
AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36";

    #[test]
    fn scanners_and_previews_are_recognised_and_phones_are_not() {
        for scanner in [
            "",
            "WhatsApp/2.23.20.0",
            "facebookexternalhit/1.1",
            "Mozilla/5.0 (compatible; Microsoft Office SafeLinks)",
            "Slackbot-LinkExpanding 1.0",
            "python-requests/2.31",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (compatible; Googlebot/2.1)",
            "curl/8.5.0",
            "Mozilla/5.0 (Windows NT 10.0) ms-office; MSOffice 16",
        ] {
            assert!(is_scanner(scanner), "{scanner}");
        }
        for person in [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
            CUBOT_WEBVIEW,
            "Mozilla/5.0 (Linux; Android 12; ROBOTIC X1) AppleWebKit/537.36 Chrome/119.0 Mobile Safari/537.36",
        ] {
            assert!(!is_scanner(person), "{person}");
        }
    }
}
