//! Entry points for the fuzz targets under `fuzz/`, compiled only with
//! `--cfg fuzzing` (which `cargo fuzz` sets for every crate it builds).
//!
//! This is not part of ramguard's API. It opens the glob algebra that
//! `diff`, `who-can`, `what-can` and `lint` share (intersection, witnesses,
//! containment, edit distance) through plain types, so that a target can
//! check it against a brute-force oracle, and the wildcard matcher that
//! both engines use, so that a target can check the two against each other;
//! and the Terraform reader on one file's text, without a folder to read.

use std::path::Path;

use crate::audit::glob::{self, Budget, Tok};
use crate::language::pattern::{Case, Pattern};
use crate::language::sources::{Found, SourceError, TerraformOptions};

/// One token, as the glob algebra reads patterns and catalog templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// Exactly this character.
    Lit(char),
    /// `?`: any one character.
    One,
    /// `*`: any run of characters.
    Star,
    /// One character of an ARN field: anything but `:` and `/`.
    Part,
    /// Any run of ARN field characters.
    Parts,
}

fn to_glob(tokens: &[Token]) -> Vec<Tok> {
    tokens
        .iter()
        .map(|t| match *t {
            Token::Lit(c) => Tok::Lit(c),
            Token::One => Tok::One,
            Token::Star => Tok::Star,
            Token::Part => Tok::Part,
            Token::Parts => Tok::Parts,
        })
        .collect()
}

fn from_glob(tokens: &[Tok]) -> Vec<Token> {
    tokens
        .iter()
        .map(|t| match *t {
            Tok::Lit(c) => Token::Lit(c),
            Tok::One => Token::One,
            Tok::Star => Token::Star,
            Tok::Part => Token::Part,
            Tok::Parts => Token::Parts,
        })
        .collect()
}

fn answer(a: glob::Answer) -> Option<bool> {
    match a {
        glob::Answer::Yes => Some(true),
        glob::Answer::No => Some(false),
        glob::Answer::Unknown => None,
    }
}

/// The tokens of a RAM wildcard pattern.
pub fn pattern_tokens(pattern: &str) -> Vec<Token> {
    from_glob(&glob::pattern_tokens(pattern))
}

/// The tokens of a catalog ARN template (`{#name}` is one ARN field value).
pub fn template_tokens(template: &str) -> Vec<Token> {
    from_glob(&glob::template_tokens(template))
}

/// Whether some string matches both; `None` when `steps` ran out.
pub fn intersects(a: &[Token], b: &[Token], steps: u64) -> Option<bool> {
    answer(glob::intersects(&to_glob(a), &to_glob(b), &mut Budget::new(steps)))
}

/// A string that matches both (`Some(Some(_))`), none (`Some(None)`), or
/// not settled within `steps` (`None`).
pub fn witness(a: &[Token], b: &[Token], steps: u64) -> Option<Option<String>> {
    match glob::witness(&to_glob(a), &to_glob(b), &mut Budget::new(steps)) {
        glob::Witness::Found(w) => Some(Some(w)),
        glob::Witness::None => Some(None),
        glob::Witness::Unknown => None,
    }
}

/// Whether every string `inner` matches, `outer` matches too; `None` when
/// `steps` ran out.
pub fn contains(outer: &[Token], inner: &[Token], steps: u64) -> Option<bool> {
    answer(glob::contains(&to_glob(outer), &to_glob(inner), &mut Budget::new(steps)))
}

/// The fewest single-character edits that turn `text` into a string that
/// `pattern` matches.
pub fn distance(pattern: &[Token], text: &str) -> usize {
    glob::distance(&to_glob(pattern), text)
}

/// Whether the engines' wildcard matcher matches `text` against `pattern`.
pub fn pattern_matches(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let case = if case_insensitive { Case::Insensitive } else { Case::Sensitive };
    Pattern::new(pattern, case).matches(text)
}

/// The documents of a Terraform root module made of one `.tf` file,
/// `text`, as if written at `path`.
pub fn terraform_file(path: &Path, text: &str, options: &TerraformOptions) -> Result<Vec<Found>, SourceError> {
    crate::language::sources::terraform::read_terraform_text(path, text, options)
}
