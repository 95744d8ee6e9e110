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
