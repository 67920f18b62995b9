//! RAM wildcard patterns: `*` matches any run of characters (none included),
//! `?` matches exactly one character, everything else matches itself.
//!
//! There is no escape character and no separator: `*` crosses `:` and `/`.
//!
//! # Matching in linear time
//!
//! A pattern is split at its `*`s into segments. The first segment must match
//! at the start of the text and the last one at its end; every segment in
//! between is searched for left to right, each at its earliest place after
//! the one before. Taking the earliest place is never wrong: any other match
//! leaves less text for the segments after it. Every search stops at the end
//! of its match and the next one starts there, so the text is read once
//! whatever the number of segments, and nothing is ever retried.
//!
//! Each search is itself linear:
//!
//! - a segment without `?`, matched case-sensitively (resources), with
//!   `memchr`'s `memmem` (two-way with a vectorised prefilter, guaranteed
//!   O(segment + text));
//! - a segment without `?`, matched ASCII case-insensitively (actions), with
//!   Knuth-Morris-Pratt over lowercased bytes (at most two comparisons per
//!   byte of text);
//! - a segment with `?`, character by character with the bit-parallel
//!   Shift-And algorithm: one 64-bit word of state for every 64 characters of
//!   the segment, updated once per character of text.
//!
//! So matching costs O(|pattern| + |text| × ⌈s / 64⌉), where s is the length
//! of the longest segment holding a `?`: O(|pattern| + |text|) for every
//! pattern whose `?`-segments have at most 64 characters, and at most 96
//! words of state per character of text for the longest segment an identity
//! policy can hold (6,144 characters). Matching allocates nothing, except
//! that a `?`-segment of more than 64 characters keeps its state in a buffer
//! of its thread, allocated the first time and reused after.

use std::cell::RefCell;
use std::fmt;
use std::hash::{Hash, Hasher};

use memchr::memmem::Finder;

/// Whether letter case matters when matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Case {
    /// Exact comparison (resources, `StringLike` values).
    Sensitive,
    /// ASCII case-insensitive comparison (actions).
    Insensitive,
}

/// A compiled RAM wildcard pattern.
#[derive(Clone)]
pub struct Pattern {
    /// The text as written in the policy.
    source: String,
    /// The text compared against: lowercased when case-insensitive.
    norm: Box<str>,
    case: Case,
    has_wildcard: bool,
    shape: Shape,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.case == other.case
    }
}

impl Eq for Pattern {}

impl Hash for Pattern {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.source.hash(state);
        self.case.hash(state);
    }
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

/// A pattern split at its `*`s.
#[derive(Clone)]
enum Shape {
    /// No `*`: the one segment must cover the whole text.
    Whole(Anchored),
    /// `first*middle*...*last`: `first` and `last` may be empty, `middle`
    /// holds no empty segment (`**` is `*`).
    Stars { first: Anchored, middle: Box<[Floating]>, last: Anchored },
}

/// A segment matched at a fixed place: the start or the end of the text.
#[derive(Clone)]
struct Anchored {
    text: Box<str>,
    /// Whether it holds a `?` (otherwise it is compared byte for byte).
    wild: bool,
}

/// A segment searched for between the anchored ones.
#[derive(Clone)]
struct Floating {
    /// Its bytes; `search` finds them.
    len: usize,
    search: Search,
}

#[derive(Clone)]
enum Search {
    /// No `?`, case-sensitive.
    Exact(Box<Finder<'static>>),
    /// No `?`, ASCII case-insensitive: the lowercased bytes and their
    /// Knuth-Morris-Pratt failure function.
    Folded { bytes: Box<[u8]>, failure: Box<[usize]> },
    /// With `?`: Shift-And tables, one per 64 characters.
    Wild(Box<[Chunk]>),
}

impl Pattern {
    pub(crate) fn new(source: &str, case: Case) -> Self {
        let norm: Box<str> = match case {
            Case::Sensitive => source.into(),
            Case::Insensitive => source.to_ascii_lowercase().into_boxed_str(),
        };
        let has_wildcard = norm.contains(['*', '?']);
        let fold = case == Case::Insensitive;
        let mut parts = norm.split('*');
        let first = Anchored::new(parts.next().unwrap_or_default());
        let mut rest: Vec<&str> = parts.collect();
        let shape = match rest.pop() {
            None => Shape::Whole(first),
            Some(last) => Shape::Stars {
                first,
                middle: rest.into_iter().filter(|s| !s.is_empty()).map(|s| Floating::new(s, fold)).collect(),
                last: Anchored::new(last),
            },
        };
        Self { source: source.to_owned(), norm, case, has_wildcard, shape }
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

    /// Whether `text` matches the pattern, in time linear in the lengths of
    /// both (see the module documentation). Allocates nothing.
    pub fn matches(&self, text: &str) -> bool {
        let fold = self.case == Case::Insensitive;
        match &self.shape {
            Shape::Whole(whole) => whole.prefix(text, fold) == Some(text.len()),
            Shape::Stars { first, middle, last } => {
                let Some(rest) = first.prefix(text, fold).and_then(|end| text.get(end..)) else {
                    return false;
                };
                let Some(mut window) = last.suffix(rest, fold).and_then(|start| rest.get(..start)) else {
                    return false;
                };
                for segment in middle {
                    match segment.find(window, fold).and_then(|end| window.get(end..)) {
                        Some(after) => window = after,
                        None => return false,
                    }
                }
                true
            }
        }
    }

    /// Whether letter case matters when matching.
    pub(crate) fn case(&self) -> Case {
        self.case
    }

    /// The normalised pattern text (lowercased when case-insensitive).
    pub(crate) fn normalized(&self) -> String {
        self.norm.to_string()
    }
}

fn fold_char(c: char, fold: bool) -> char {
    if fold { c.to_ascii_lowercase() } else { c }
}

fn same_bytes(text: &[u8], segment: &[u8], fold: bool) -> bool {
    if fold { text.eq_ignore_ascii_case(segment) } else { text == segment }
}

impl Anchored {
    fn new(text: &str) -> Self {
        Self { text: text.into(), wild: text.contains('?') }
    }

    /// Where a match at the start of `text` ends.
    fn prefix(&self, text: &str, fold: bool) -> Option<usize> {
        if !self.wild {
            let len = self.text.len();
            return text.as_bytes().get(..len).filter(|t| same_bytes(t, self.text.as_bytes(), fold)).map(|_| len);
        }
        let mut chars = text.chars();
        let mut end = 0;
        for p in self.text.chars() {
            let t = chars.next()?;
            if p != '?' && p != fold_char(t, fold) {
                return None;
            }
            end += t.len_utf8();
        }
        Some(end)
    }

    /// Where a match at the end of `text` starts.
    fn suffix(&self, text: &str, fold: bool) -> Option<usize> {
        if !self.wild {
            let start = text.len().checked_sub(self.text.len())?;
            return text.as_bytes().get(start..).filter(|t| same_bytes(t, self.text.as_bytes(), fold)).map(|_| start);
        }
        let mut chars = text.chars();
        let mut start = text.len();
        for p in self.text.chars().rev() {
            let t = chars.next_back()?;
            if p != '?' && p != fold_char(t, fold) {
                return None;
            }
            start -= t.len_utf8();
        }
        Some(start)
    }
}

impl Floating {
    fn new(text: &str, fold: bool) -> Self {
        let search = if text.contains('?') {
            let chars: Vec<char> = text.chars().collect();
            Search::Wild(chars.chunks(64).map(Chunk::new).collect())
        } else if fold {
            Search::Folded { bytes: text.as_bytes().into(), failure: failure(text.as_bytes()) }
        } else {
            Search::Exact(Box::new(Finder::new(text.as_bytes()).into_owned()))
        };
        Self { len: text.len(), search }
    }

    /// Where the earliest match in `text` ends.
    fn find(&self, text: &str, fold: bool) -> Option<usize> {
        match &self.search {
            Search::Exact(finder) => finder.find(text.as_bytes()).map(|start| start + self.len),
            Search::Folded { bytes, failure } => kmp_find(bytes, failure, text.as_bytes()),
            Search::Wild(chunks) => shift_and(chunks, text, fold),
        }
    }
}

/// The Knuth-Morris-Pratt failure function: for each prefix of `pattern`,
/// the length of its longest proper prefix that is also its suffix.
fn failure(pattern: &[u8]) -> Box<[usize]> {
    let mut table = vec![0usize; pattern.len()];
    let mut k = 0usize;
    for (i, &c) in pattern.iter().enumerate().skip(1) {
        while k > 0 && pattern.get(k) != Some(&c) {
            k = table.get(k - 1).copied().unwrap_or(0);
        }
        if pattern.get(k) == Some(&c) {
            k += 1;
        }
        if let Some(slot) = table.get_mut(i) {
            *slot = k;
        }
    }
    table.into_boxed_slice()
}

/// Where the earliest occurrence of the lowercased `pattern` in `text`
/// (compared lowercased) ends. Each step either advances in the text or
/// falls back along `failure`, which it can do at most as often as it
/// advanced: at most 2 × |text| steps.
fn kmp_find(pattern: &[u8], failure: &[usize], text: &[u8]) -> Option<usize> {
    if pattern.is_empty() {
        return Some(0);
    }
    let mut k = 0usize;
    for (i, t) in text.iter().enumerate() {
        let t = t.to_ascii_lowercase();
        while k > 0 && pattern.get(k) != Some(&t) {
            k = failure.get(k - 1).copied().unwrap_or(0);
        }
        if pattern.get(k) == Some(&t) {
            k += 1;
            if k == pattern.len() {
                return Some(i + 1);
            }
        }
    }
    None
}

/// Up to 64 characters of a `?`-segment, as Shift-And masks: bit i of a
/// character's mask is set when position i accepts that character.
#[derive(Clone)]
struct Chunk {
    /// The row of `masks` for each ASCII character; row 0 (only the `?`s
    /// accept it) for the characters the chunk does not name.
    ascii: [u8; 128],
    /// The rows of the characters beyond ASCII that the chunk names, sorted.
    other: Box<[(char, u8)]>,
    masks: Box<[u64]>,
    /// Characters in the chunk: 1 to 64.
    len: u32,
}

impl Chunk {
    fn new(chars: &[char]) -> Self {
        let question = chars.iter().enumerate().filter(|(_, c)| **c == '?').fold(0u64, |m, (i, _)| m | 1 << i);
        let mut ascii = [0u8; 128];
        let mut other: Vec<(char, u8)> = Vec::new();
        let mut masks = vec![question];
        for (i, &c) in chars.iter().enumerate().filter(|(_, c)| **c != '?') {
            let known = if c.is_ascii() {
                ascii.get(c as usize).copied().filter(|row| *row != 0)
            } else {
                other.iter().find(|(k, _)| *k == c).map(|(_, row)| *row)
            };
            let row = match known {
                Some(row) => row,
                None => {
                    // At most 64 characters, so at most 65 rows.
                    let row = u8::try_from(masks.len()).unwrap_or(u8::MAX);
                    masks.push(question);
                    match ascii.get_mut(c as usize) {
                        Some(slot) if c.is_ascii() => *slot = row,
                        _ => other.push((c, row)),
                    }
                    row
                }
            };
            if let Some(mask) = masks.get_mut(usize::from(row)) {
                *mask |= 1 << i;
            }
        }
        other.sort_unstable();
        let len = u32::try_from(chars.len()).unwrap_or(64);
        Self { ascii, other: other.into_boxed_slice(), masks: masks.into_boxed_slice(), len }
    }

    fn mask(&self, c: char) -> u64 {
        let row = if c.is_ascii() {
            self.ascii.get(c as usize).copied()
        } else {
            self.other.binary_search_by_key(&c, |(k, _)| *k).ok().and_then(|i| self.other.get(i)).map(|(_, row)| *row)
        };
        self.masks.get(usize::from(row.unwrap_or(0))).copied().unwrap_or(0)
    }

    /// The bit that says the whole chunk has matched.
    fn accept(&self) -> u64 {
        1u64 << self.len.saturating_sub(1).min(63)
    }
}

thread_local! {
    /// Shift-And state for `?`-segments longer than one word.
    static WIDE_STATE: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Where the earliest match of a `?`-segment in `text` ends: Shift-And over
/// characters, one word of state per chunk.
fn shift_and(chunks: &[Chunk], text: &str, fold: bool) -> Option<usize> {
    if let [chunk] = chunks {
        let accept = chunk.accept();
        let mut state = 0u64;
        for (i, c) in text.char_indices() {
            state = ((state << 1) | 1) & chunk.mask(fold_char(c, fold));
            if state & accept != 0 {
                return Some(i + c.len_utf8());
            }
        }
        return None;
    }
    WIDE_STATE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut state) => shift_and_wide(chunks, text, fold, &mut state),
        Err(_) => shift_and_wide(chunks, text, fold, &mut Vec::new()),
    })
}

fn shift_and_wide(chunks: &[Chunk], text: &str, fold: bool, state: &mut Vec<u64>) -> Option<usize> {
    let accept = chunks.last()?.accept();
    state.clear();
    state.resize(chunks.len(), 0);
    for (i, c) in text.char_indices() {
        let c = fold_char(c, fold);
        // Every chunk but the last holds 64 characters, so the bit carried
        // into the next word is the top one.
        let mut carry = 1u64;
        for (word, chunk) in state.iter_mut().zip(chunks) {
            let top = *word >> 63;
            *word = ((*word << 1) | carry) & chunk.mask(c);
            carry = top;
        }
        if state.last().is_some_and(|w| w & accept != 0) {
            return Some(i + c.len_utf8());
        }
    }
    None
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

    /// The textbook dynamic programme over prefixes (quadratic, but not
    /// exponential like the recursive definition), for long inputs.
    fn table(p: &[char], t: &[char]) -> bool {
        let mut row = vec![false; t.len() + 1];
        row[0] = true;
        for &pc in p {
            let mut next = vec![false; t.len() + 1];
            for j in 0..=t.len() {
                next[j] = match pc {
                    '*' => row[j] || (j > 0 && next[j - 1]),
                    _ => j > 0 && row[j - 1] && (pc == '?' || pc == t[j - 1]),
                };
            }
            row = next;
        }
        row[t.len()]
    }

    /// A text that `pattern` matches: each `*` replaced by the next fill
    /// (cycling), each `?` by the next character of `any`.
    fn instance(pattern: &str, fills: &[String], any: &str) -> String {
        let mut any = any.chars().cycle();
        let mut fills = fills.iter().cycle();
        pattern
            .chars()
            .map(|c| match c {
                '*' => fills.next().cloned().unwrap_or_default(),
                '?' => any.next().map(String::from).unwrap_or_else(|| "x".to_owned()),
                c => c.to_string(),
            })
            .collect()
    }

    /// Both case modes against the table, the insensitive one on lowercased
    /// input.
    fn check(pat: &str, text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let p: Vec<char> = pat.chars().collect();
        let t: Vec<char> = text.chars().collect();
        proptest::prop_assert_eq!(
            Pattern::new(pat, Case::Sensitive).matches(text),
            table(&p, &t),
            "{:?} {:?}",
            pat,
            text
        );
        let lp: Vec<char> = pat.to_ascii_lowercase().chars().collect();
        let lt: Vec<char> = text.to_ascii_lowercase().chars().collect();
        proptest::prop_assert_eq!(Pattern::new(pat, Case::Insensitive).matches(text), table(&lp, &lt));
        Ok(())
    }

    /// `text` with the character at `at` (modulo its length) replaced by
    /// the first of `with`, when `spoil` is given.
    fn spoiled(text: String, spoil: Option<(usize, String)>) -> String {
        let Some((at, with)) = spoil else { return text };
        let mut chars: Vec<char> = text.chars().collect();
        if !chars.is_empty() {
            let at = at % chars.len();
            chars[at] = with.chars().next().unwrap();
        }
        chars.into_iter().collect()
    }

    proptest::proptest! {
        #[test]
        fn the_table_is_the_recursive_definition(pat in "[ab*?é]{0,9}", text in "[abé]{0,10}") {
            let p: Vec<char> = pat.chars().collect();
            let t: Vec<char> = text.chars().collect();
            proptest::prop_assert_eq!(table(&p, &t), oracle(&p, &t));
        }

        /// Long `?`-segments (over one 64-bit word of Shift-And state), long
        /// literal runs, and texts built to match, then perhaps spoiled.
        #[test]
        fn long_segments_agree_with_the_table(
            pat in "[aAbé?]{0,150}(\\*[aAbé?]{0,150}){0,3}",
            fills in proptest::collection::vec("[aAbé]{0,40}", 1..4),
            any in "[aAbé]{1,5}",
            spoil in proptest::option::of((0usize..400, "[aAbé?*]")),
        ) {
            check(&pat, &spoiled(instance(&pat, &fills, &any), spoil))?;
        }

        /// Many stars between short segments, `?` runs among them.
        #[test]
        fn many_stars_agree_with_the_table(
            pat in "(\\*{1,2}[ab?é]{0,3}){0,40}",
            fills in proptest::collection::vec("[abAé]{0,6}", 1..5),
            any in "[abé]{1,3}",
            spoil in proptest::option::of((0usize..300, "[abé]")),
        ) {
            check(&pat, &spoiled(instance(&pat, &fills, &any), spoil))?;
        }

        /// Random texts, not built from the pattern, over a small alphabet
        /// so that near-misses are common.
        #[test]
        fn random_texts_agree_with_the_table(pat in "[aAb*?é]{0,30}", text in "[aAbé]{0,120}") {
            check(&pat, &text)?;
        }
    }

    #[test]
    fn wide_question_segments_cross_word_boundaries() {
        for len in [63, 64, 65, 127, 128, 129, 200] {
            // `?` at both ends of the segment and at every word boundary.
            let segment: String = (0..len).map(|i| if i % 64 == 0 || i == len - 1 { '?' } else { 'a' }).collect();
            let pattern = format!("x*{segment}*y");
            let hit = format!("xbb{}cy", "a".repeat(len));
            assert!(Pattern::new(&pattern, Case::Sensitive).matches(&hit), "{len}");
            // One character short of the segment.
            let short = format!("x{}y", "a".repeat(len - 1));
            assert!(!Pattern::new(&pattern, Case::Sensitive).matches(&short), "{len}");
            // A wrong character in the middle of a word.
            let mut spoiled: Vec<char> = format!("x{}y", "a".repeat(len)).chars().collect();
            spoiled[1 + len / 2 + (len / 2 % 64 == 0) as usize] = 'b';
            let spoiled: String = spoiled.into_iter().collect();
            assert!(!Pattern::new(&pattern, Case::Sensitive).matches(&spoiled), "{len}");
            let wide = format!("x*{}*y", "é".repeat(len));
            assert!(Pattern::new(&wide.replace('é', "?"), Case::Sensitive).matches(&format!("x{}y", "é".repeat(len))));
        }
    }

    #[test]
    fn insensitive_segments_fold_the_text() {
        matches!(Insensitive, "ecs:*instance*attribute", "ECS:DescribeINSTANCEAttribute");
        matches!(Insensitive, "ecs:*aab*", "ecs:AAAAB");
        nmatches!(Insensitive, "ecs:*aab*", "ecs:AAAA");
        matches!(Insensitive, "*ab?d*", "xxABCDyy");
        nmatches!(Sensitive, "*ab?d*", "xxABCDyy");
    }

    /// The input that made the backtracking matcher retry a 6,000-character
    /// run at each of 200,000 positions; linear matching answers at once.
    #[test]
    fn hostile_runs_are_decided() {
        let text = "a".repeat(200_000);
        for pattern in [
            format!("*{}b", "a".repeat(5_998)),
            format!("*{}b*", "a?".repeat(2_999)),
            format!("*{}b", "A".repeat(5_998)),
            format!("{}*{}", "a".repeat(3), "?".repeat(6_000)),
        ] {
            let expected = pattern.ends_with('?');
            assert_eq!(Pattern::new(&pattern, Case::Sensitive).matches(&text), expected && !pattern.contains('A'));
            assert_eq!(Pattern::new(&pattern, Case::Insensitive).matches(&text), expected);
        }
        let text = "é".repeat(100_000);
        assert!(!Pattern::new(&format!("*{}b", "é".repeat(5_998)), Case::Sensitive).matches(&text));
        assert!(Pattern::new(&format!("*{}", "é?".repeat(2_999)), Case::Sensitive).matches(&text));
    }

    #[test]
    fn insensitive_is_ascii_only() {
        matches!(Insensitive, "ABC", "abc");
        nmatches!(Insensitive, "É", "é");
    }
}
