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
    norm: Box<str>,
    case: Case,
    has_wildcard: bool,
    /// ASCII, so it can be matched byte by byte against ASCII text.
    ascii: bool,
    /// ASCII without `?`: byte matching is right against any UTF-8 text, as an
    /// ASCII byte never equals part of a multi-byte character.
    bytewise: bool,
    /// Bytes before the first wildcard and after the last one, compared
    /// directly before the wildcard part is matched.
    prefix_len: usize,
    suffix_len: usize,
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
        let norm: Box<str> = match case {
            Case::Sensitive => source.into(),
            Case::Insensitive => source.to_ascii_lowercase().into_boxed_str(),
        };
        let has_wildcard = norm.contains(['*', '?']);
        let ascii = norm.is_ascii();
        let bytewise = ascii && !norm.contains('?');
        let is_wild = |c: char| matches!(c, '*' | '?');
        let (prefix_len, suffix_len) = match (norm.find(is_wild), norm.rfind(is_wild)) {
            (Some(first), Some(last)) => (first, norm.len() - last - 1),
            _ => (norm.len(), 0),
        };
        Self { source: source.to_owned(), norm, case, has_wildcard, ascii, bytewise, prefix_len, suffix_len }
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
        &*self.norm == "*"
    }

    /// Whether `text` matches the pattern. Allocates nothing.
    pub fn matches(&self, text: &str) -> bool {
        let fold = self.case == Case::Insensitive;
        if self.bytewise || (self.ascii && text.is_ascii()) {
            let (pattern, text) = (self.norm.as_bytes(), text.as_bytes());
            let same = |a: &[u8], b: &[u8]| if fold { a.eq_ignore_ascii_case(b) } else { a == b };
            if !self.has_wildcard {
                return same(pattern, text);
            }
            let (p_end, t_end) = (pattern.len() - self.suffix_len, text.len().wrapping_sub(self.suffix_len));
            match (
                pattern.get(..self.prefix_len).zip(text.get(..self.prefix_len)),
                pattern.get(p_end..).zip(text.get(t_end..)),
                pattern.get(self.prefix_len..p_end).zip(text.get(self.prefix_len..t_end)),
            ) {
                (Some((pp, tp)), Some((ps, ts)), Some((pm, tm))) => {
                    same(pp, tp) && same(ps, ts) && match_bytes(pm, tm, fold)
                }
                _ => false,
            }
        } else {
            match_chars(&self.norm, text, fold)
        }
    }

    /// The normalised pattern text (lowercased when case-insensitive).
    pub(crate) fn normalized(&self) -> String {
        self.norm.to_string()
    }
}

/// Greedy wildcard matching with one backtrack point, over ASCII bytes.
fn match_bytes(pattern: &[u8], text: &[u8], fold: bool) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // After a `*`: the pattern position after it, and where the text resumes.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&tc) = text.get(t) {
        let tc = if fold { tc.to_ascii_lowercase() } else { tc };
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                star = Some((p, t));
            }
            Some(&pc) if pc == b'?' || pc == tc => {
                p += 1;
                t += 1;
            }
            _ => match &mut star {
                Some((after, resume)) => {
                    // Let the star swallow one more byte and try again.
                    *resume += 1;
                    p = *after;
                    t = *resume;
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

/// The same algorithm by character, for text or patterns beyond ASCII
/// (`?` matches one whole character).
fn match_chars(pattern: &str, text: &str, fold: bool) -> bool {
    let char_at = |s: &str, i: usize| s.get(i..).and_then(|rest| rest.chars().next());
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(tc) = char_at(text, t) {
        let tc = if fold { tc.to_ascii_lowercase() } else { tc };
        match char_at(pattern, p) {
            Some('*') => {
                p += 1;
                star = Some((p, t));
            }
            Some(pc) if pc == '?' || pc == tc => {
                p += pc.len_utf8();
                t += tc.len_utf8();
            }
            _ => match &mut star {
                Some((after, resume)) => {
                    *resume += char_at(text, *resume).map_or(1, char::len_utf8);
                    p = *after;
                    t = *resume;
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.chars().all(|c| c == '*'))
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
        fn agrees_with_the_recursive_definition(pat in "[aAb*?é:]{0,8}", text in "[aAbé:]{0,10}") {
            let p: Vec<char> = pat.chars().collect();
            let t: Vec<char> = text.chars().collect();
            proptest::prop_assert_eq!(Pattern::new(&pat, Case::Sensitive).matches(&text), oracle(&p, &t));
            let lp: Vec<char> = pat.to_ascii_lowercase().chars().collect();
            let lt: Vec<char> = text.to_ascii_lowercase().chars().collect();
            proptest::prop_assert_eq!(Pattern::new(&pat, Case::Insensitive).matches(&text), oracle(&lp, &lt));
        }
    }

    #[test]
    fn insensitive_is_ascii_only() {
        matches!(Insensitive, "ABC", "abc");
        nmatches!(Insensitive, "É", "é");
    }
}
