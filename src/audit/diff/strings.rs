//! Representative strings for a family of patterns.
//!
//! Whether a policy set allows a request depends on a string (an action, a
//! resource, a condition value) only through which of the set's patterns
//! match it. Two strings that match exactly the same patterns are
//! interchangeable. [`representative_strings`] returns one string for every
//! combination of matches that some string realises, so that evaluating the
//! set on those strings is the same as evaluating it on every string.
//!
//! It simulates every pattern's automaton at once over an alphabet made of
//! the characters the patterns mention plus one character that none of them
//! mentions (every other character behaves like that one), breadth first, so
//! each combination is found with a shortest string.

use std::collections::VecDeque;

use rustc_hash::FxHashSet;

/// How a pattern compares text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// RAM wildcards `*` and `?`, case-sensitive (resources, `StringLike`).
    Glob,
    /// RAM wildcards, ASCII case-insensitive (actions).
    GlobIgnoreCase,
    /// The text itself, case-sensitive (`StringEquals`).
    Exact,
    /// The text itself, ASCII case-insensitive (`StringEqualsIgnoreCase`).
    ExactIgnoreCase,
    /// A resource name (`acs:<service>:<region>:<account>:<rest>`) whose
    /// account field is the pattern's text, or has any value when the text
    /// is `*`: what the account boundary looks at.
    ArnAccount,
}

impl MatchKind {
    fn folds(self) -> bool {
        matches!(self, MatchKind::GlobIgnoreCase | MatchKind::ExactIgnoreCase)
    }
    fn wild(self) -> bool {
        matches!(self, MatchKind::Glob | MatchKind::GlobIgnoreCase)
    }
}

/// A pattern and how it compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StringPattern {
    /// The pattern as written.
    pub text: String,
    /// How it compares.
    pub kind: MatchKind,
}

impl StringPattern {
    /// A pattern of the given kind.
    pub fn new(text: &str, kind: MatchKind) -> Self {
        Self { text: text.to_owned(), kind }
    }

    /// Whether `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        let nfa = Nfa::new(self);
        let mut state = nfa.start();
        for c in text.chars() {
            state = nfa.step(&state, c);
            if state.iter().all(|w| *w == 0) {
                return false;
            }
        }
        nfa.accepts(&state)
    }

    /// The characters compared literally.
    fn literals(&self) -> Box<dyn Iterator<Item = char> + '_> {
        if self.kind == MatchKind::ArnAccount {
            return Box::new("acs:".chars().chain(self.text.chars().filter(|c| *c != '*')));
        }
        let wild = self.kind.wild();
        Box::new(self.text.chars().filter(move |c| !(wild && matches!(c, '*' | '?'))))
    }
}

/// The most bytes one exploration keeps for its states (visited set, queue,
/// the strings' back pointers and the combinations found): 256 MiB. A
/// state holds one bit per position of every pattern, so a family of long
/// patterns reaches this bound before the state budget; the exploration
/// then stops and says so ([`Representatives::exact`] false,
/// [`Representatives::budget`] the reason).
pub const MAX_EXPLORE_BYTES: usize = 256 << 20;

/// The result of [`representative_strings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representatives {
    /// The strings: every one of `keep`, then one string for each further
    /// combination of matches.
    pub strings: Vec<String>,
    /// Whether every realisable combination is represented (false when the
    /// exploration hit its state or memory budget).
    pub exact: bool,
    /// When a budget stopped the exploration, which one, as a sentence.
    pub budget: Option<String>,
}

#[derive(Debug, Clone, Copy)]
enum Tok {
    Lit(char),
    Star,
    One,
    /// Any run of characters other than `:`, empty included: one ARN field.
    Field,
}

struct Nfa {
    toks: Vec<Tok>,
    fold: bool,
    /// For a [`MatchKind::ArnAccount`] pattern, whether it is the one for
    /// any account (`*`).
    account: Option<bool>,
}

/// A set of pattern positions, as bits.
type Bits = Vec<u64>;

fn set_bit(bits: &mut [u64], i: usize) -> bool {
    let (word, bit) = (i / 64, i % 64);
    match bits.get_mut(word) {
        Some(w) => {
            let had = *w & (1 << bit) != 0;
            *w |= 1 << bit;
            !had
        }
        None => false,
    }
}

fn has_bit(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

impl Nfa {
    fn new(p: &StringPattern) -> Self {
        if p.kind == MatchKind::ArnAccount {
            let lits = |text: &str| text.chars().map(Tok::Lit).collect::<Vec<_>>();
            let mut toks = lits("acs:");
            toks.extend([Tok::Field, Tok::Lit(':'), Tok::Field, Tok::Lit(':')]);
            if p.text == "*" {
                toks.push(Tok::Field);
            } else {
                toks.extend(lits(&p.text));
            }
            toks.extend([Tok::Lit(':'), Tok::Star]);
            return Self { toks, fold: false, account: Some(p.text == "*") };
        }
        let fold = p.kind.folds();
        let norm = |c: char| if fold { c.to_ascii_lowercase() } else { c };
        let toks = p
            .text
            .chars()
            .map(|c| match c {
                '*' if p.kind.wild() => Tok::Star,
                '?' if p.kind.wild() => Tok::One,
                c => Tok::Lit(norm(c)),
            })
            .collect();
        Self { toks, fold, account: None }
    }

    fn words(&self) -> usize {
        (self.toks.len() + 1).div_ceil(64)
    }

    /// Adds `i` and every position reachable from it by skipping stars.
    fn close(&self, bits: &mut [u64], mut i: usize) {
        loop {
            set_bit(bits, i);
            match self.toks.get(i) {
                Some(Tok::Star | Tok::Field) => i += 1,
                _ => return,
            }
        }
    }

    fn start(&self) -> Bits {
        let mut bits = vec![0; self.words()];
        self.close(&mut bits, 0);
        bits
    }

    fn step(&self, from: &[u64], c: char) -> Bits {
        let mut bits = vec![0; self.words()];
        self.step_into(from, c, &mut bits);
        bits
    }

    /// [`Nfa::step`] into `bits` (of [`Nfa::words`] words, all clear).
    fn step_into(&self, from: &[u64], c: char, bits: &mut [u64]) {
        let c = if self.fold { c.to_ascii_lowercase() } else { c };
        for (i, tok) in self.toks.iter().enumerate() {
            if !has_bit(from, i) {
                continue;
            }
            match tok {
                Tok::Star => self.close(bits, i),
                Tok::Field if c != ':' => self.close(bits, i),
                Tok::Field => {}
                Tok::One => self.close(bits, i + 1),
                Tok::Lit(l) if *l == c => self.close(bits, i + 1),
                Tok::Lit(_) => {}
            }
        }
    }

    fn accepts(&self, bits: &[u64]) -> bool {
        has_bit(bits, self.toks.len())
    }
}

/// A character that no pattern compares literally (in either case for
/// case-insensitive ones): it stands for every character the patterns do not
/// mention. Readable letters are preferred.
pub fn fresh_char(patterns: &[StringPattern]) -> char {
    let mut used = FxHashSet::default();
    for p in patterns {
        for c in p.literals() {
            used.insert(c);
            if p.kind.folds() {
                used.insert(c.to_ascii_lowercase());
                used.insert(c.to_ascii_uppercase());
            }
        }
    }
    // Past the readable ones, every character is tried in turn: the patterns
    // name finitely many, so one is always left (a set of patterns that named
    // every character would get `\u{2603}`, and [`explore`] then says it is
    // not exact).
    "xzqjkvwyXZQJKVWY0123456789gbmhfupldnocrtseaiGBMHFUPLDNOCRTSEAI_~^"
        .chars()
        .chain('\u{a1}'..=char::MAX)
        .find(|c| !used.contains(c))
        .unwrap_or('\u{2603}')
}

/// Fills a wildcard pattern: every `*` with `star`, every `?` with `one`.
pub fn fill(pattern: &str, star: &str, one: char) -> String {
    let mut out = String::with_capacity(pattern.len() + star.len());
    for c in pattern.chars() {
        match c {
            '*' => out.push_str(star),
            '?' => out.push(one),
            c => out.push(c),
        }
    }
    out
}

/// Which patterns match `text`.
fn vector(nfas: &[Nfa], text: &str) -> Vec<bool> {
    // Two buffers, stepped into in turn: no allocation per character.
    let (mut from, mut to): (Bits, Bits) = (Vec::new(), Vec::new());
    let matched: Vec<bool> = nfas
        .iter()
        .map(|n| {
            from.clear();
            from.extend_from_slice(&n.start());
            for c in text.chars() {
                to.clear();
                to.resize(n.words(), 0);
                n.step_into(&from, c, &mut to);
                std::mem::swap(&mut from, &mut to);
                if from.iter().all(|w| *w == 0) {
                    break;
                }
            }
            n.accepts(&from)
        })
        .collect();
    project(nfas, matched.into_iter())
}

/// The combination of matches that tells strings apart: each pattern's
/// match, except that the [`MatchKind::ArnAccount`] patterns count as one,
/// whether the text is in the boundary's own account (it is no ARN, or its
/// account field is one of the patterns' other than `*`).
fn project(nfas: &[Nfa], matched: impl Iterator<Item = bool>) -> Vec<bool> {
    let mut out = Vec::with_capacity(nfas.len());
    let (mut arn, mut listed, mut any_account) = (false, false, false);
    for (n, m) in nfas.iter().zip(matched) {
        match n.account {
            None => out.push(m),
            Some(wild) => {
                any_account = true;
                if wild {
                    arn |= m;
                } else {
                    listed |= m;
                }
            }
        }
    }
    if any_account {
        out.push(!arn || listed);
    }
    out
}

/// The characters worth trying: those the patterns compare literally (both
/// cases for case-insensitive ones) and one character none of them mentions;
/// and whether that character is really unmentioned.
fn alphabet(patterns: &[&StringPattern]) -> (Vec<char>, bool) {
    let mut alphabet: Vec<char> = Vec::new();
    for p in patterns {
        for c in p.literals() {
            alphabet.push(c);
            if p.kind.folds() {
                alphabet.push(c.to_ascii_lowercase());
                alphabet.push(c.to_ascii_uppercase());
            }
        }
    }
    let owned: Vec<StringPattern> = patterns.iter().map(|p| (*p).clone()).collect();
    let fresh = fresh_char(&owned);
    // Only a character no pattern names stands for all the others.
    let stands_for_the_rest = !alphabet.contains(&fresh);
    alphabet.push(fresh);
    alphabet.sort_unstable();
    alphabet.dedup();
    (alphabet, stands_for_the_rest)
}

/// The characters that some live position of `state` compares literally
/// (both cases for case-insensitive patterns), and `:` when a field is live:
/// any other character steps every automaton the same way.
fn telling_chars(nfas: &[Nfa], ranges: &[(usize, usize)], state: &[u64]) -> FxHashSet<char> {
    let mut out = FxHashSet::default();
    for (k, n) in nfas.iter().enumerate() {
        let bits = part(ranges, state, k);
        for (i, tok) in n.toks.iter().enumerate() {
            if !has_bit(bits, i) {
                continue;
            }
            match tok {
                Tok::Lit(l) => {
                    out.insert(*l);
                    if n.fold {
                        out.insert(l.to_ascii_uppercase());
                        out.insert(l.to_ascii_lowercase());
                    }
                }
                Tok::Field => {
                    out.insert(':');
                }
                Tok::Star | Tok::One => {}
            }
        }
    }
    out
}

/// Pattern `k`'s words in `state`.
fn part<'s>(ranges: &[(usize, usize)], state: &'s [u64], k: usize) -> &'s [u64] {
    ranges.get(k).and_then(|&(a, b)| state.get(a..b)).unwrap_or(&[])
}

/// Breadth-first over strings that start with `prefix`: a shortest string for
/// each combination of matches of `patterns` found, and, when the search did
/// not finish, which budget stopped it: `max_states` states, or
/// [`MAX_EXPLORE_BYTES`] of memory for them.
///
/// A state is every pattern's set of positions, laid out as one slice of
/// words; the visited set holds each state once, the queue a copy of the
/// states still to expand, and each state's string is kept as a back
/// pointer (its parent and the character read) rather than as text.
fn explore(patterns: &[&StringPattern], prefix: &str, max_states: usize) -> (Vec<String>, Option<String>) {
    explore_within(patterns, prefix, max_states, MAX_EXPLORE_BYTES)
}

/// [`explore`] with `max_bytes` for its memory budget.
fn explore_within(
    patterns: &[&StringPattern],
    prefix: &str,
    max_states: usize,
    max_bytes: usize,
) -> (Vec<String>, Option<String>) {
    let nfas: Vec<Nfa> = patterns.iter().map(|p| Nfa::new(p)).collect();
    let (alphabet, fresh) = alphabet(patterns);
    // Where each pattern's words lie in a state.
    let mut ranges = Vec::with_capacity(nfas.len());
    let mut words = 0usize;
    for n in &nfas {
        ranges.push((words, words + n.words()));
        words += n.words();
    }
    // Bytes per state: the visited copy and the queued copy of its words,
    // their handles, its back pointer, and its combination when new.
    let per_state = 2 * 8 * words + 2 * 24 + 8 + nfas.len() + 48;
    let limit = max_states.min(max_bytes / per_state.max(1));
    let step_all = |state: &[u64], c: char, out: &mut [u64]| {
        out.iter_mut().for_each(|w| *w = 0);
        for (k, n) in nfas.iter().enumerate() {
            if let Some(dst) = ranges.get(k).and_then(|&(a, b)| out.get_mut(a..b)) {
                n.step_into(part(&ranges, state, k), c, dst);
            }
        }
    };
    let mut start: Box<[u64]> = vec![0; words].into_boxed_slice();
    for (k, n) in nfas.iter().enumerate() {
        if let Some(dst) = ranges.get(k).and_then(|&(a, b)| start.get_mut(a..b)) {
            dst.copy_from_slice(&n.start());
        }
    }
    let mut scratch = vec![0u64; words];
    for c in prefix.chars() {
        step_all(&start, c, &mut scratch);
        start.copy_from_slice(&scratch);
    }
    // Back pointers: (parent, character); index 0 is the prefix itself.
    let mut texts: Vec<(u32, char)> = vec![(0, '\0')];
    let text_of = |texts: &[(u32, char)], mut at: u32| -> String {
        let mut rev = Vec::new();
        while at != 0 {
            let Some(&(parent, c)) = texts.get(at as usize) else { break };
            rev.push(c);
            at = parent;
        }
        let mut s = prefix.to_owned();
        s.extend(rev.into_iter().rev());
        s
    };
    let mut covered: FxHashSet<Vec<bool>> = FxHashSet::default();
    let mut found = Vec::new();
    let mut visited: FxHashSet<Box<[u64]>> = FxHashSet::default();
    visited.insert(start.clone());
    let mut queue: VecDeque<(Box<[u64]>, u32)> = VecDeque::from([(start, 0)]);
    // Without a character that stands for every unnamed one, the classes
    // found may not be all there are.
    let mut stopped = (!fresh)
        .then(|| "every character is named by some pattern, so no one character stands for the others".to_owned());
    'search: while let Some((state, at)) = queue.pop_front() {
        let accepts = project(&nfas, nfas.iter().enumerate().map(|(k, n)| n.accepts(part(&ranges, &state, k))));
        if covered.insert(accepts) {
            found.push(text_of(&texts, at));
        }
        if state.iter().all(|w| *w == 0) {
            continue;
        }
        // Every character that no live position compares literally leads to
        // the same next state: only the first of them (in alphabet order) is
        // stepped, so a long list of literals elsewhere costs nothing here.
        let telling = telling_chars(&nfas, &ranges, &state);
        let mut stepped_an_other = false;
        for &c in &alphabet {
            if !telling.contains(&c) {
                if stepped_an_other {
                    continue;
                }
                stepped_an_other = true;
            }
            step_all(&state, c, &mut scratch);
            if visited.contains(scratch.as_slice()) {
                continue;
            }
            if visited.len() >= limit {
                stopped = Some(if limit < max_states {
                    format!(
                        "the search for representative strings of {} patterns stopped at {} states: {} bytes each would pass its memory budget of {} MiB",
                        nfas.len(),
                        crate::audit::glob::thousands(limit as u64),
                        crate::audit::glob::thousands(per_state as u64),
                        max_bytes >> 20
                    )
                } else {
                    format!(
                        "the search for representative strings of {} patterns stopped at its budget of {} states",
                        nfas.len(),
                        crate::audit::glob::thousands(max_states as u64)
                    )
                });
                break 'search;
            }
            let next: Box<[u64]> = scratch.clone().into_boxed_slice();
            visited.insert(next.clone());
            let Ok(index) = u32::try_from(texts.len()) else { break 'search };
            texts.push((at, c));
            queue.push_back((next, index));
        }
    }
    (found, stopped)
}

/// `keep`, then the strings of each list that add a combination of matches.
fn assemble(patterns: &[StringPattern], keep: &[String], lists: &[&[String]]) -> Vec<String> {
    let nfas: Vec<Nfa> = patterns.iter().map(Nfa::new).collect();
    let mut covered: FxHashSet<Vec<bool>> = FxHashSet::default();
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    let mut strings: Vec<String> = Vec::new();
    for s in keep {
        if seen.insert(s) {
            covered.insert(vector(&nfas, s));
            strings.push(s.clone());
        }
    }
    for s in lists.iter().flat_map(|l| l.iter()) {
        if !seen.contains(s.as_str()) && covered.insert(vector(&nfas, s)) {
            seen.insert(s);
            strings.push(s.clone());
        }
    }
    strings
}

/// One string for every combination of matches of `patterns` that some
/// string realises.
///
/// Every string of `keep` is returned first (they are wanted in their own
/// right, such as the catalog's actions); then each string of `prefer` whose
/// combination of matches is not yet represented (readable candidates, such
/// as patterns with their wildcards filled); then, for each combination still
/// missing, a shortest string that realises it. `max_states` bounds the
/// exploration; `exact` in the result says whether it finished.
pub fn representative_strings(
    patterns: &[StringPattern],
    keep: &[String],
    prefer: &[String],
    max_states: usize,
) -> Representatives {
    let refs: Vec<&StringPattern> = patterns.iter().collect();
    let (found, budget) = explore(&refs, "", max_states);
    Representatives { strings: assemble(patterns, keep, &[prefer, &found]), exact: budget.is_none(), budget }
}

/// [`representative_strings`] for action patterns, explored service by
/// service.
///
/// A pattern whose service code has no wildcard (`vpc:Delete*`) can only
/// match actions of that service, so the actions of each such service are
/// explored with that service's patterns and those whose service code has a
/// wildcard (`*`, `*:Describe*`); the actions of every other service only
/// with the latter. This keeps large sets of patterns tractable.
pub fn action_representatives(
    patterns: &[StringPattern],
    keep: &[String],
    prefer: &[String],
    max_states: usize,
) -> Representatives {
    let service = |p: &StringPattern| -> Option<String> {
        let (s, _) = p.text.split_once(':')?;
        (!s.contains(['*', '?'])).then(|| s.to_ascii_lowercase())
    };
    let general: Vec<&StringPattern> = patterns.iter().filter(|p| service(p).is_none()).collect();
    let mut services: Vec<String> = patterns.iter().filter_map(service).collect();
    services.sort_unstable();
    services.dedup();
    let mut exact = true;
    let mut budget: Option<String> = None;
    let mut found: Vec<String> = Vec::new();
    for s in &services {
        let group: Vec<&StringPattern> =
            patterns.iter().filter(|p| service(p).as_deref() == Some(s.as_str()) || service(p).is_none()).collect();
        let (strings, stopped) = explore(&group, &format!("{s}:"), max_states);
        exact &= stopped.is_none();
        budget = budget.or(stopped.map(|why| format!("service `{s}`: {why}")));
        found.extend(strings);
    }
    // Actions of no listed service: only the general patterns can match them.
    let (others, stopped) = explore(&general, "", max_states);
    exact &= stopped.is_none();
    budget = budget.or(stopped);
    for s in others {
        let first = s.split_once(':').map(|(head, _)| head.to_ascii_lowercase());
        // A string that fell into a listed service's region stands for that
        // region, not for the others: it is still a valid candidate, but the
        // exploration of the others is no longer known to be complete.
        if first.is_some_and(|f| services.contains(&f)) {
            exact = false;
        }
        found.push(s);
    }
    Representatives { strings: assemble(patterns, keep, &[prefer, &found]), exact, budget }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(s: &str) -> StringPattern {
        StringPattern::new(s, MatchKind::Glob)
    }

    #[test]
    fn matching_follows_ram_wildcards() {
        assert!(glob("a*b?").matches("aXXbc"));
        assert!(!glob("a*b?").matches("ab"));
        assert!(StringPattern::new("A*", MatchKind::GlobIgnoreCase).matches("abc"));
        assert!(StringPattern::new("a*", MatchKind::Exact).matches("a*"));
        assert!(!StringPattern::new("a*", MatchKind::Exact).matches("ab"));
        assert!(StringPattern::new("VBR", MatchKind::ExactIgnoreCase).matches("vbr"));
    }

    #[test]
    fn every_realisable_combination_is_found() {
        // iss-prod* and * : {both}, {only *}; the empty string matches only `*`.
        let ps = [glob("iss-prod*"), glob("*")];
        let r = representative_strings(&ps, &[], &[], 10_000);
        assert!(r.exact);
        let vectors: FxHashSet<Vec<bool>> =
            r.strings.iter().map(|s| ps.iter().map(|p| p.matches(s)).collect()).collect();
        assert_eq!(vectors.len(), 2);
        assert!(r.strings.contains(&String::new()));
        assert!(r.strings.contains(&"iss-prod".to_owned()));
    }

    #[test]
    fn intersections_are_found_even_when_no_pattern_contains_another() {
        // Strings matching both `a*` and `*b`, only one, or neither.
        let ps = [glob("a*"), glob("*b")];
        let r = representative_strings(&ps, &[], &[], 10_000);
        let vectors: FxHashSet<Vec<bool>> =
            r.strings.iter().map(|s| ps.iter().map(|p| p.matches(s)).collect()).collect();
        assert_eq!(vectors.len(), 4);
        assert!(r.strings.contains(&"ab".to_owned()));
    }

    #[test]
    fn preferred_strings_are_used_when_they_add_a_combination() {
        let ps = [glob("acs:vpc:*:*:vpnipsecserver/iss-prod*"), glob("acs:vpc:*:*:vpnipsecserver/*")];
        let nice = "acs:vpc:cn-hangzhou:1:vpnipsecserver/iss-x".to_owned();
        let r = representative_strings(&ps, &[], &[nice.clone(), "acs:vpc:a:b:vpnipsecserver/c".to_owned()], 10_000);
        assert_eq!(r.strings[0], nice);
        assert!(!r.strings.contains(&"acs:vpc:a:b:vpnipsecserver/c".to_owned()));
    }

    #[test]
    fn the_fresh_character_is_in_no_literal() {
        assert_eq!(fresh_char(&[glob("abc")]), 'x');
        assert_eq!(fresh_char(&[StringPattern::new("X", MatchKind::GlobIgnoreCase)]), 'z');
        assert_eq!(fill("a*b?", "zz", 'q'), "azzbq");
    }

    #[test]
    fn actions_are_explored_service_by_service() {
        let ps = [
            StringPattern::new("vpc:Delete*", MatchKind::GlobIgnoreCase),
            StringPattern::new("*:Describe*", MatchKind::GlobIgnoreCase),
            StringPattern::new("ecs:*", MatchKind::GlobIgnoreCase),
        ];
        let r = action_representatives(&ps, &[], &[], 10_000);
        assert!(r.exact);
        let vectors: FxHashSet<Vec<bool>> =
            r.strings.iter().map(|s| ps.iter().map(|p| p.matches(s)).collect()).collect();
        // vpc:Delete* and *:Describe* together (`vpc:delete:describe`), each alone,
        // ecs with and without Describe, and nothing at all: six combinations.
        for v in [
            [true, true, false],
            [true, false, false],
            [false, true, false],
            [false, true, true],
            [false, false, true],
            [false, false, false],
        ] {
            assert!(vectors.contains(v.as_slice()), "{v:?} in {:?}", r.strings);
        }
        assert_eq!(vectors.len(), 6);
    }

    #[test]
    fn memory_bounds_the_states_of_a_family_of_many_patterns() {
        // 600 patterns: a state is 600 position sets, about 10 KB, so 1 MiB
        // holds about 100 of them, far fewer than the state budget.
        let letters = "abcdefghijklmnopqrstuvwxyz";
        let texts: Vec<String> =
            letters.chars().flat_map(|a| letters.chars().map(move |b| format!("*{a}{b}*"))).take(600).collect();
        let ps: Vec<StringPattern> = texts.iter().map(|t| glob(t)).collect();
        let refs: Vec<&StringPattern> = ps.iter().collect();
        let (found, stopped) = explore_within(&refs, "", 20_000, 1 << 20);
        let why = stopped.expect("the memory budget stops the search");
        assert!(why.contains("memory budget of 1 MiB"), "{why}");
        assert!(!found.is_empty());
        // Few patterns stay within both budgets.
        let (_, stopped) = explore_within(&refs[..3], "", 20_000, 1 << 20);
        assert_eq!(stopped, None);
    }

    #[test]
    fn the_budget_is_reported() {
        let ps = [glob("*a*b*c*d*"), glob("*d*c*b*a*")];
        let r = representative_strings(&ps, &[], &[], 3);
        assert!(!r.exact);
        assert!(r.budget.is_some_and(|why| why.contains("budget of 3 states")));
    }

    #[test]
    fn account_patterns_read_the_fourth_field() {
        let own = StringPattern::new("123", MatchKind::ArnAccount);
        let any = StringPattern::new("*", MatchKind::ArnAccount);
        assert!(own.matches("acs:vpc:cn-hangzhou:123:vpnconnection/vco-1"));
        assert!(own.matches("acs:ram::123:role/a:b"));
        assert!(!own.matches("acs:vpc:cn:999:x/123:y"));
        assert!(!own.matches("acs:vpc:cn:1234:x"));
        assert!(any.matches("acs::::"));
        assert!(!any.matches("acs:::"));
        assert!(!any.matches("*"));
        // The account patterns count as one: in the account (no ARN, or the
        // account field listed) or not. A shortest string of each is found.
        let r = representative_strings(&[glob("acs:vpc:*"), own.clone(), any.clone()], &[], &[], 10_000);
        assert!(r.exact);
        let in_account = |s: &str| !any.matches(s) || own.matches(s);
        let vpc: Vec<&String> = r.strings.iter().filter(|s| s.starts_with("acs:vpc:")).collect();
        assert_eq!(vpc.len(), 2, "{:?}", r.strings);
        assert!(vpc.iter().any(|s| in_account(s)) && vpc.iter().any(|s| !in_account(s)), "{vpc:?}");
    }

    proptest::proptest! {
        #[test]
        fn account_patterns_agree_with_the_evaluator(text in "(acs:)?[a1:/*]{0,12}") {
            let field = crate::language::arn::account_field(&text);
            proptest::prop_assert_eq!(StringPattern::new("1", MatchKind::ArnAccount).matches(&text), field == Some("1"));
            proptest::prop_assert_eq!(StringPattern::new("", MatchKind::ArnAccount).matches(&text), field == Some(""));
            proptest::prop_assert_eq!(StringPattern::new("*", MatchKind::ArnAccount).matches(&text), field.is_some());
        }
    }
}
