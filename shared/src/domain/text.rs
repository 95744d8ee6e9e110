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
