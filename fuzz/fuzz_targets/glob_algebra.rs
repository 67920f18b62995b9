//! The glob algebra that `diff`, `who-can`, `what-can` and `lint` share,
//! against a brute-force oracle.
//!
//! Two token lists and a short text come from the input; every string over
//! the relevant alphabet up to a length where the answer is settled is tried
//! against both lists with an obvious recursive matcher. Intersection,
//! witnesses, containment and edit distance must agree with it, and the
//! engines' own wildcard matcher must agree with it on plain patterns.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ramguard::fuzzing::{self, Token};

/// Steps enough that no question on lists this short can run out.
const STEPS: u64 = 1 << 22;

/// Strings up to this long are tried. A shortest common string needs at
/// most one character per non-repeating token of either list (a character
/// that both lists read with a repeating token can be dropped), and so
/// does a shortest edit; for containment, lists of at most
/// [`EXACT_TOKENS`] tokens have a shortest counterexample this short.
const MAX_LEN: usize = 6;
const EXACT_TOKENS: usize = 4;

/// The literals a list may hold, and one character that is none of them
/// (it stands for every other character an ARN field may hold).
const ALPHABET: [char; 5] = ['a', 'b', ':', '/', 'c'];

fn token(byte: u8) -> Token {
    match byte % 8 {
        0 => Token::Lit('a'),
        1 => Token::Lit('b'),
        2 => Token::Lit(':'),
        3 => Token::Lit('/'),
        4 => Token::One,
        5 => Token::Star,
        6 => Token::Part,
        _ => Token::Parts,
    }
}

fn in_field(c: char) -> bool {
    c != ':' && c != '/'
}

/// The obvious recursive matcher.
fn matches(tokens: &[Token], text: &[char]) -> bool {
    match (tokens.split_first(), text.split_first()) {
        (None, None) => true,
        (Some((Token::Star, rest)), _) => {
            matches(rest, text) || text.split_first().is_some_and(|(_, t)| matches(tokens, t))
        }
        (Some((Token::Parts, rest)), _) => {
            matches(rest, text) || text.split_first().is_some_and(|(c, t)| in_field(*c) && matches(tokens, t))
        }
        (Some((Token::One, rest)), Some((_, t))) => matches(rest, t),
        (Some((Token::Part, rest)), Some((c, t))) => in_field(*c) && matches(rest, t),
        (Some((Token::Lit(l), rest)), Some((c, t))) => l == c && matches(rest, t),
        _ => false,
    }
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev.get(j).copied().unwrap_or(usize::MAX).saturating_add(usize::from(ca != cb));
            let delete = prev.get(j + 1).copied().unwrap_or(usize::MAX).saturating_add(1);
            let insert = row.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            row.push(substitute.min(delete).min(insert));
        }
        prev = row;
    }
    prev.last().copied().unwrap_or(0)
}

/// Every string over [`ALPHABET`] up to [`MAX_LEN`] characters, shortest first.
fn strings() -> &'static [Vec<char>] {
    static ALL: std::sync::OnceLock<Vec<Vec<char>>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| enumerate(MAX_LEN))
}

fn enumerate(max: usize) -> Vec<Vec<char>> {
    let mut out = vec![Vec::new()];
    let mut layer = vec![Vec::new()];
    for _ in 0..max {
        let mut next = Vec::with_capacity(layer.len() * ALPHABET.len());
        for s in &layer {
            for c in ALPHABET {
                let mut t: Vec<char> = s.clone();
                t.push(c);
                next.push(t);
            }
        }
        out.extend(next.iter().cloned());
        layer = next;
    }
    out
}

fn fixed(tokens: &[Token]) -> usize {
    tokens.iter().filter(|t| !matches!(t, Token::Star | Token::Parts)).count()
}

/// The pattern text of a list without ARN-field tokens (`*` and `?` are
/// never literals here).
fn pattern_text(tokens: &[Token]) -> Option<String> {
    tokens
        .iter()
        .map(|t| match *t {
            Token::Lit(c) => Some(c),
            Token::One => Some('?'),
            Token::Star => Some('*'),
            Token::Part | Token::Parts => None,
        })
        .collect()
}

fn split(data: &[u8]) -> (Vec<Token>, Vec<Token>, Vec<char>) {
    let mut bytes = data.iter().copied();
    let list = |bytes: &mut dyn Iterator<Item = u8>| {
        let n = bytes.next().map_or(0, |b| usize::from(b % 9));
        bytes.take(n).map(token).collect::<Vec<_>>()
    };
    let a = list(&mut bytes);
    let b = list(&mut bytes);
    let text = bytes.take(4).map(|b| ALPHABET.get(usize::from(b) % ALPHABET.len()).copied().unwrap_or('c')).collect();
    (a, b, text)
}

fuzz_target!(|data: &[u8]| {
    let (a, b, text) = split(data);
    let bound = (fixed(&a) + fixed(&b)).min(MAX_LEN);
    let exact = a.len() <= EXACT_TOKENS && b.len() <= EXACT_TOKENS;
    let all = strings();
    let common = all.iter().find(|s| s.len() <= bound && matches(&a, s) && matches(&b, s));

    // Intersection and witnesses.
    let intersects = fuzzing::intersects(&a, &b, STEPS);
    let witness = fuzzing::witness(&a, &b, STEPS);
    assert!(intersects.is_some() && witness.is_some(), "budget ran out on {a:?} and {b:?}");
    match witness.flatten() {
        Some(w) => {
            let w: Vec<char> = w.chars().collect();
            assert!(matches(&a, &w) && matches(&b, &w), "witness {w:?} does not match {a:?} and {b:?}");
            assert_eq!(intersects, Some(true), "a witness for {a:?} and {b:?}, but no intersection");
        }
        None => {
            assert_eq!(intersects, Some(false), "an intersection of {a:?} and {b:?}, but no witness");
            assert!(common.is_none(), "{common:?} matches {a:?} and {b:?}, but no witness was found");
        }
    }
    if fixed(&a) + fixed(&b) <= MAX_LEN {
        assert_eq!(intersects, Some(common.is_some()), "{a:?} and {b:?}: brute force found {common:?}");
    }

    // Containment: a counterexample up to MAX_LEN always means no; for short
    // lists, none up to MAX_LEN means yes.
    let contains = fuzzing::contains(&a, &b, STEPS);
    assert!(contains.is_some(), "budget ran out on containment of {b:?} in {a:?}");
    let counterexample = all.iter().find(|s| matches(&b, s) && !matches(&a, s));
    if let Some(s) = counterexample {
        assert_eq!(contains, Some(false), "{s:?} matches {b:?} but not {a:?}");
    } else if exact {
        assert_eq!(contains, Some(true), "no counterexample to {b:?} in {a:?} up to {MAX_LEN}");
    }
    // A list always contains itself.
    assert_eq!(fuzzing::contains(&a, &a, STEPS), Some(true), "{a:?} does not contain itself");

    // Edit distance to the nearest matching string.
    if fixed(&a) + text.len() <= MAX_LEN {
        let best = all.iter().filter(|s| matches(&a, s)).map(|s| levenshtein(s, &text)).min();
        if let Some(best) = best {
            let text: String = text.iter().collect();
            assert_eq!(fuzzing::distance(&a, &text), best, "distance from {text:?} to {a:?}");
        }
    }

    // The engines' matcher, on plain patterns.
    for tokens in [&a, &b] {
        if let Some(pattern) = pattern_text(tokens) {
            let mut collapsed = tokens.to_vec();
            collapsed.dedup_by(|x, y| *x == Token::Star && *y == Token::Star);
            assert_eq!(fuzzing::pattern_tokens(&pattern), collapsed, "tokens of {pattern:?}");
            for s in all.iter().filter(|s| s.len() <= 4) {
                let text: String = s.iter().collect();
                assert_eq!(
                    fuzzing::pattern_matches(&pattern, &text, false),
                    matches(tokens, s),
                    "{pattern:?} against {text:?}"
                );
            }
        }
    }
});
