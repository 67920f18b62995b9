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

    /// Whether `text` matches the pattern.
    pub fn matches(&self, text: &str) -> bool {
        match self.case {
            Case::Sensitive => wildcard_match(&self.norm, text.chars()),
            Case::Insensitive => wildcard_match(&self.norm, text.chars().map(|c| c.to_ascii_lowercase())),
        }
    }
}

/// Greedy wildcard matching with one backtrack point.
fn wildcard_match(pattern: &[char], text: impl Iterator<Item = char>) -> bool {
    let text: Vec<char> = text.collect();
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match (pattern.get(p), text.get(t)) {
            (Some('*'), _) => {
                star = Some((p, t));
                p += 1;
            }
            (Some(pc), Some(tc)) if *pc == '?' || pc == tc => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
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

    #[test]
    fn insensitive_is_ascii_only() {
        matches!(Insensitive, "ABC", "abc");
        nmatches!(Insensitive, "É", "é");
    }
}
