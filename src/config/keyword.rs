//! Settings written as one keyword (`--dialect phantom`, `PHANTOM_API=rest`): an enum whose
//! `FromStr` takes the keyword in any case, surrounded by blanks, and refuses anything else by
//! naming the choices, and whose `Display` gives the keyword back.

/// Declares a keyword enum: `keyword_enum! { /// doc  pub enum Name("what it is") { /// doc
/// Variant = "word", ... } }`.
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident($what:literal) {
            $($(#[$variant_meta:meta])* $variant:ident = $word:literal,)+
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl std::str::FromStr for $name {
            type Err = crate::error::Error;

            fn from_str(s: &str) -> Result<Self, crate::error::Error> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($word => Ok($name::$variant),)+
                    _ => Err(crate::error::Error::Config(format!(
                        "unknown {} `{}` (expected {})",
                        $what,
                        crate::query::endpoint::shorten(s),
                        [$(concat!("`", $word, "`")),+].join(" or ")
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self {
                    $($name::$variant => $word,)+
                })
            }
        }
    };
}
