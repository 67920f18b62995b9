//! RAM wildcard patterns: `*` matches any run of characters (none included),
//! `?` matches exactly one character, everything else matches itself.
//!
//! There is no escape character and no separator: `*` crosses `:` and `/`.
//! Matching is linear-time in practice (the classic greedy two-pointer
//! algorithm with a single backtrack point), so a hostile pattern cannot make
//! a request slow.

use std::fmt;

/// Whether letter case matters when matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Case {
    /// Exact comparison (resources, `StringLike` values).
    Sensitive,
    /// ASCII case-insensitive comparison (actions).
    Insensitive,
}

/// A compiled RAM wildcard pattern.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    /// The text as written in the policy.
    source: String,
    /// The text compared against: lowercased when case-insensitive.
    norm: Vec<char>,
    case: Case,
    has_wildcard: bool,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Pattern {
    pub(crate) fn new(source: &str, case: Case) -> Self {
        let norm: Vec<char> = match case {
            Case::Sensitive => source.chars().collect(),
            Case::Insensitive => source.chars().map(|c| c.to_ascii_lowercase()).collect(),
        };
        let has_wildcard = norm.iter().any(|c| matches!(c, '*' | '?'));
        Self { source: source.to_owned(), norm, case, has_wildcard }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern contains `*` or `?`.
    pub fn has_wildcard(&self) -> bool {
        self.has_wildcard
    }

    /// Whether the pattern is exactly `*`.
    pub fn is_match_all(&self) -> bool {
        self.norm.len() == 1 && self.norm.first() == Some(&'*')
    }

    /// Whether `text` matches the pattern. Allocates nothing.
    pub fn matches(&self, text: &str) -> bool {
        match self.case {
            Case::Sensitive => wildcard_match(&self.norm, text, |c| c),
            Case::Insensitive => wildcard_match(&self.norm, text, |c| c.to_ascii_lowercase()),
        }
    }

    /// The normalised pattern text (lowercased when case-insensitive).
    pub(crate) fn normalized(&self) -> String {
        self.norm.iter().collect()
    }
}

/// Greedy wildcard matching with one backtrack point, walking `text` by
/// character without copying it.
fn wildcard_match(pattern: &[char], text: &str, fold: impl Fn(char) -> char) -> bool {
    let mut chars = text.char_indices();
    let mut p = 0usize;
    // After a `*`: the pattern position after it, and the text to retry from.
    let mut star: Option<(usize, std::str::CharIndices<'_>)> = None;
    loop {
        let before = chars.clone();
        let Some((_, tc)) = chars.next() else { break };
        match pattern.get(p) {
            Some('*') => {
                p += 1;
                star = Some((p, before));
                chars = star.as_ref().map_or(chars, |(_, c)| c.clone());
            }
            Some(pc) if *pc == '?' || *pc == fold(tc) => p += 1,
            _ => match &mut star {
                Some((sp, retry)) => {
                    // Let the star swallow one more character and try again.
                    retry.next();
                    p = *sp;
                    chars = retry.clone();
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! matches {
        ($case:ident, $pat:expr, $text:expr) => {
            assert!(Pattern::new($pat, Case::$case).matches($text), "{:?} should match {:?}", $pat, $text);
        };
    }
    macro_rules! nmatches {
        ($case:ident, $pat:expr, $text:expr) => {
            assert!(!Pattern::new($pat, Case::$case).matches($text), "{:?} should not match {:?}", $pat, $text);
        };
    }

    #[test]
    fn literals() {
        matches!(Sensitive, "vpc:DeleteIpsecServer", "vpc:DeleteIpsecServer");
        nmatches!(Sensitive, "vpc:DeleteIpsecServer", "vpc:DeleteIpsecServe");
        nmatches!(Sensitive, "vpc:DeleteIpsecServer", "vpc:DeleteIpsecServerX");
        nmatches!(Sensitive, "vpc:DeleteIpsecServer", "vpc:deleteipsecserver");
        matches!(Insensitive, "vpc:DeleteIpsecServer", "VPC:deleteipsecserver");
        matches!(Sensitive, "", "");
        nmatches!(Sensitive, "", "a");
    }

    #[test]
    fn star() {
        matches!(Sensitive, "*", "");
        matches!(Sensitive, "*", "anything:at/all");
        matches!(Insensitive, "vpc:Delete*", "vpc:DeleteVpnConnection");
        matches!(Insensitive, "vpc:Delete*", "vpc:Delete");
        nmatches!(Insensitive, "vpc:Delete*", "vpc:CreateVpnConnection");
        matches!(Insensitive, "*:Describe*", "ecs:DescribeInstances");
        matches!(Sensitive, "acs:*:*cn-beijing*:*:*", "acs:vpc:cn-beijing:123:vpc/vpc-1");
        nmatches!(Sensitive, "acs:*:*cn-beijing*:*:*", "acs:vpc:cn-hangzhou:123:vpc/vpc-1");
        matches!(Sensitive, "a*b*c", "aXXbYYbZc");
        nmatches!(Sensitive, "a*b*c", "aXXbYYbZ");
        matches!(Sensitive, "**", "x");
        matches!(Sensitive, "*a", "aaaa");
        nmatches!(Sensitive, "*a", "aaab");
    }

    #[test]
    fn question_mark() {
        matches!(Sensitive, "vpc-?", "vpc-1");
        nmatches!(Sensitive, "vpc-?", "vpc-");
        nmatches!(Sensitive, "vpc-?", "vpc-12");
        matches!(Sensitive, "?*", "x");
        nmatches!(Sensitive, "?*", "");
        matches!(Sensitive, "h?llo", "héllo");
    }

    #[test]
    fn special_characters_are_literal() {
        matches!(Sensitive, "a[b]{c}\\d", "a[b]{c}\\d");
        nmatches!(Sensitive, "a[b]c", "abc");
        matches!(Sensitive, "a.b", "a.b");
        nmatches!(Sensitive, "a.b", "axb");
    }

    /// The obvious recursive definition, as an oracle.
    fn oracle(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => oracle(&p[1..], t) || (!t.is_empty() && oracle(p, &t[1..])),
            (Some('?'), Some(_)) => oracle(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => oracle(&p[1..], &t[1..]),
            _ => false,
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_recursive_definition(pat in "[ab*?é:]{0,8}", text in "[abé:]{0,10}") {
            let p: Vec<char> = pat.chars().collect();
            let t: Vec<char> = text.chars().collect();
            proptest::prop_assert_eq!(Pattern::new(&pat, Case::Sensitive).matches(&text), oracle(&p, &t));
        }
    }

    #[test]
    fn insensitive_is_ascii_only() {
        matches!(Insensitive, "ABC", "abc");
        nmatches!(Insensitive, "É", "é");
    }
}
