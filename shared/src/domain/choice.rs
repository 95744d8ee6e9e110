//! Closed sets of values that travel as snake_case strings (incident type,
//! weapon, ...). One macro so every such set parses, prints and explains
//! itself ("must be one of ...") the same way.

/// A value from a closed set of string spellings.
pub trait Choice: Sized + Copy + 'static {
    const ALL: &'static [(&'static str, Self)];

    fn as_str(&self) -> &'static str;

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(name, _)| *name == s).map(|(_, v)| *v)
    }

    /// "one of: a, b, c", for error messages.
    fn expected() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
        format!("must be one of: {}", names.join(", "))
    }
}

#[macro_export]
macro_rules! choice {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $crate::domain::choice::Choice for $name {
            const ALL: &'static [(&'static str, Self)] = &[$(($text, $name::$variant)),+];
            fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::domain::choice::Choice::as_str(self))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                <$name as $crate::domain::choice::Choice>::parse(&s).ok_or_else(|| {
                    ::serde::de::Error::custom(<$name as $crate::domain::choice::Choice>::expected())
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::domain::choice::Choice::as_str(self))
            }
        }
    };
}
