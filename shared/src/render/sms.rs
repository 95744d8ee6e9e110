//! SMS text: plain GSM-7 in at most two segments, the link never shortened.

use super::Sms;
use crate::domain::text::{GSM7_BASIC, GSM7_EXTENDED};

/// `head` shortened as needed so that it and `tail` (which holds the link,
/// never shortened) fit two GSM-7 segments.
pub(super) fn fit_sms(head: &str, tail: &str) -> Sms {
    let mut head = gsm7(&crate::domain::text::transliterate_gsm7(head));
    let tail = gsm7(tail);
    while gsm7_septets(&head) + gsm7_septets(&tail) > SMS_MAX_SEPTETS && head.chars().count() > 20 {
        let keep = head.chars().count() - 4;
        head = format!("{}..", head.chars().take(keep).collect::<String>().trim_end_matches('.'));
    }
    Sms { text: format!("{head}{tail}") }
}

/// The end of an SMS that asks for an acknowledgement: the reply code, then
/// the link (never shortened). The code is GSM-7 letters and digits.
pub(super) fn reply_tail(expected: &str, code: &str, link: &str) -> String {
    format!(". {expected}: reply {code} or open {link}")
}

/// Two concatenated GSM-7 segments of 153 septets each.
pub const SMS_MAX_SEPTETS: usize = 306;

/// Septets the text takes in GSM-7, or None if it needs UCS-2.
pub fn gsm7_length(text: &str) -> Option<usize> {
    text.chars().try_fold(0, |n, c| {
        if GSM7_BASIC.contains(c) {
            Some(n + 1)
        } else if GSM7_EXTENDED.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    })
}

fn gsm7_septets(text: &str) -> usize {
    gsm7_length(text).unwrap_or(usize::MAX / 2)
}

/// The text in plain GSM-7: anything else becomes its nearest ASCII or is dropped,
/// so one stray character never turns the message into a 70-character UCS-2 one.
pub fn gsm7(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            c if GSM7_BASIC.contains(c) => Some(c),
            '‘' | '’' => Some('\''),
            '“' | '”' => Some('"'),
            '–' | '—' | '→' => Some('-'),
            c if c.is_whitespace() => Some(' '),
            _ => None,
        })
        .collect()
}

/// SMS segments the text needs (GSM-7: 160, then 153 per segment).
pub fn sms_segments(text: &str) -> Option<usize> {
    let n = gsm7_length(text)?;
    Some(if n <= 160 { 1 } else { n.div_ceil(153) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_counts_extended_characters_twice_and_replaces_the_rest() {
        assert_eq!(gsm7_length("abc€"), Some(5));
        assert_eq!(gsm7_length("naïve"), None);
        assert_eq!(gsm7("St Mary’s – naïve ✓"), "St Mary's - nave ");
        assert_eq!(sms_segments(&"a".repeat(160)), Some(1));
        assert_eq!(sms_segments(&"a".repeat(161)), Some(2));
        assert_eq!(sms_segments(&"a".repeat(307)), Some(3));
    }
}
