//! Newtypes over a `String` that only `parse` can make.

/// For a `struct T(String)` with `fn parse(&str) -> Result<T, &'static str>`:
/// serde goes through `parse` (with `#[serde(try_from = "String", into =
/// "String")]`), and `as_str` reads the text back.
#[macro_export]
macro_rules! text_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = &'static str;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Text police send, made comparable: Unicode NFC (so "é" typed as "e" and a
/// combining accent is the one character "é"), typographic punctuation as its
/// plain form (’ → ', “ ” → ", – — → -), and every kind of space as a plain space.
pub fn normalise(input: &str) -> String {
    let composed = icu_normalizer::ComposingNormalizerBorrowed::new_nfc().normalize(input);
    composed
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}' | '\u{FF07}' | '`'
            | '\u{00B4}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => '"',
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' => '-',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect()
}

/// The GSM 03.38 default alphabet and its extension table (each extension
/// character takes two septets).
pub const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
pub const GSM7_EXTENDED: &str = "^{}\\[~]|€";

fn is_gsm7(c: char) -> bool {
    GSM7_BASIC.contains(c) || GSM7_EXTENDED.contains(c)
}

/// Text an SMS can carry in GSM-7, transliterated rather than dropped: the
/// typographic punctuation of [`normalise`], full-width and other compatibility
/// forms as their plain letters ("Ｎｏｒｔｈ" → "North"), accented letters GSM-7
/// lacks as their base letter ("naïve" → "naive"), a few common ligatures and
/// symbols spelled out, and anything left as "?" so the reader sees that
/// something was there.
pub fn transliterate_gsm7(input: &str) -> String {
    let nfkd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfkd();
    let mut out = String::with_capacity(input.len());
    for c in normalise(input).chars() {
        if is_gsm7(c) {
            out.push(c);
            continue;
        }
        let spelled = match c {
            'Œ' => Some("OE"),
            'œ' => Some("oe"),
            'Ð' => Some("D"),
            'ð' => Some("d"),
            'Þ' => Some("Th"),
            'þ' => Some("th"),
            'Ł' => Some("L"),
            'ł' => Some("l"),
            'Đ' => Some("D"),
            'đ' => Some("d"),
            'ı' => Some("i"),
            '…' => Some("..."),
            '→' => Some("-"),
            '✓' | '✔' => Some("v"),
            '•' | '·' => Some("-"),
            _ => None,
        };
        if let Some(text) = spelled {
            out.push_str(text);
            continue;
        }
        let decomposed = nfkd.normalize(c.encode_utf8(&mut [0; 4])).into_owned();
        let kept: String = decomposed.chars().filter(|d| is_gsm7(*d)).collect();
        if kept.is_empty() {
            out.push('?');
        } else {
            out.push_str(&kept);
        }
    }
    out
}

/// Characters that change how text reads without being seen: bidirectional
/// embeddings, overrides, isolates and marks (a right-to-left override can
/// make "txt.exe" read "exe.txt"), zero-width spaces, word joiners, invisible
/// operators, the byte-order mark and the soft hyphen.
pub fn is_invisible_control(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{206A}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// The text without invisible and bidirectional control characters (see
/// `is_invisible_control`); zero-width joiners, which emoji and some scripts
/// need, are kept. Apply to free text before checking its length.
pub fn strip_invisible_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(is_invisible_control) {
        text.chars().filter(|c| !is_invisible_control(*c)).collect::<String>().into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_composes_and_plains_typographic_punctuation() {
        assert_eq!(normalise("St John\u{2019}s"), "St John's");
        assert_eq!(normalise("\u{201C}Brixton\u{201D} \u{2013} North"), "\"Brixton\" - North");
        assert_eq!(normalise("Cafe\u{0301}"), "Café");
        assert_eq!(normalise("Café").chars().count(), 4);
        assert_eq!(normalise("a\u{00A0}b\tc"), "a b c");
    }

    #[test]
    fn sms_text_is_transliterated_not_dropped() {
        assert_eq!(transliterate_gsm7("\u{FF2E}\u{FF4F}\u{FF52}\u{FF54}\u{FF48}"), "North");
        assert_eq!(transliterate_gsm7("St Mary\u{2019}s \u{2013} naïve ✓"), "St Mary's - naive v");
        assert_eq!(transliterate_gsm7("Dvořák Łódź"), "Dvorak Lodz");
        // GSM-7 has these: kept as they are.
        assert_eq!(transliterate_gsm7("café Ñ Ü £5 €"), "café Ñ Ü £5 €");
        // Nothing near it in GSM-7: marked, never silently gone.
        assert_eq!(transliterate_gsm7("Lаmbeth"), "L?mbeth");
        assert!(transliterate_gsm7("x 🙂 y").contains('?'));
    }
}

#[cfg(test)]
mod invisible_tests {
    use super::*;

    #[test]
    fn bidi_overrides_and_invisible_characters_are_stripped_and_joiners_kept() {
        assert_eq!(strip_invisible_controls("report\u{202E}fdp.exe"), "reportfdp.exe");
        assert_eq!(strip_invisible_controls("\u{FEFF}a\u{200B}b\u{2066}c\u{2069}\u{200F}"), "abc");
        assert_eq!(strip_invisible_controls("family 👨\u{200D}👩\u{200D}👧"), "family 👨\u{200D}👩\u{200D}👧");
        assert!(matches!(strip_invisible_controls("plain"), std::borrow::Cow::Borrowed("plain")));
    }
}
