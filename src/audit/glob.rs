//! Exact set questions about RAM wildcard patterns, for the lint rules and
//! the access audit.
//!
//! A pattern is read as a sequence of tokens: a literal character, `?` (any
//! one character) or `*` (any run of characters, none included). An ARN
//! template of the catalog reads the same way, its `{#name}` placeholders
//! standing for one ARN field value (any non-empty text without `:` or `/`:
//! a region, an account id, a resource id) and every other character (a `*`
//! too, as in `vpnconnection/*`, the ARN a create call is authorized on) for
//! itself. On these token lists this module answers, exactly:
//!
//! - [`intersects`]: does some string match both?
//! - [`witness`]: a short string that matches both;
//! - [`contains`]: does every string that matches one also match the other?
//! - [`distance`]: how many edits separate a string from the nearest string
//!   a pattern matches?
//!
//! The first three search a product of the patterns' positions, whose size
//! is the product of their lengths (two 4,000-token patterns: 16 million
//! states). Each takes a [`Budget`] counted in steps (one state of the
//! search expanded, or for [`contains`] one position moved on one
//! character) and answers in three ways: yes, no, or [`Answer::Unknown`]
//! when the budget ran out first. "Unknown" is never "no": every caller
//! says which questions it could not settle.
//!
//! Only characters that occur in the patterns can behave differently from
//! each other, so every question is answered over the patterns' own
//! characters plus one stand-in for "any other character".

use std::collections::{BTreeSet, VecDeque};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// One token of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Matches exactly this character.
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

/// Whether a token can repeat (and so also match nothing).
fn is_loop(t: Option<&Tok>) -> bool {
    matches!(t, Some(Tok::Star | Tok::Parts))
}

/// Whether `c` may appear inside one ARN field.
fn in_field(c: char) -> bool {
    c != ':' && c != '/'
}

/// The tokens of a RAM wildcard pattern (runs of `*` collapse into one).
pub(crate) fn pattern_tokens(pattern: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(pattern.len());
    for c in pattern.chars() {
        let tok = match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        };
        if tok == Tok::Star && out.last() == Some(&Tok::Star) {
            continue;
        }
        out.push(tok);
    }
    out
}

/// The tokens of a catalog ARN template: `{#name}` is one non-empty ARN
/// field value (no `:` or `/`); every other character, `*` and `?`
/// included, is literal.
pub(crate) fn template_tokens(template: &str) -> Vec<Tok> {
    template_tokens_with(template, |_| Placeholder::Field)
}

/// What a template placeholder stands for.
pub(crate) enum Placeholder {
    /// This text (an account id already known).
    Text(String),
    /// One non-empty ARN field value.
    Field,
    /// One ARN field value, possibly empty (the region of a global service).
    OptionalField,
    /// Any text at all (a whole resource path).
    Any,
}

/// The tokens of a template whose placeholders `fill` reads by name.
pub(crate) fn template_tokens_with(template: &str, fill: impl Fn(&str) -> Placeholder) -> Vec<Tok> {
    let mut out = Vec::with_capacity(template.len());
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{#")
            && let Some((name, tail)) = after.split_once('}')
        {
            match fill(name) {
                Placeholder::Text(text) => out.extend(text.chars().map(Tok::Lit)),
                Placeholder::Field => out.extend([Tok::Part, Tok::Parts]),
                Placeholder::OptionalField => out.push(Tok::Parts),
                Placeholder::Any => out.push(Tok::Star),
            }
            rest = tail;
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(Tok::Lit(c));
        }
        rest = chars.as_str();
    }
    out
}

/// The characters worth trying: every literal of both lists, and one
/// character that is none of them.
fn alphabet(a: &[Tok], b: &[Tok]) -> Vec<char> {
    let mut set: BTreeSet<char> = BTreeSet::from([':', '/']);
    for t in a.iter().chain(b) {
        if let Tok::Lit(c) = t {
            set.insert(*c);
        }
    }
    let other = ('\u{E000}'..='\u{F8FF}').find(|c| !set.contains(c)).unwrap_or('\u{10FFFF}');
    set.insert(other);
    set.into_iter().collect()
}

/// A work allowance for the questions of this module, in steps.
///
/// One budget can be shared by many questions (the pairwise lint rules of a
/// document share one), so that the total work is bounded, not just the
/// work per question. Once spent, every question asked of it is
/// [`Answer::Unknown`].
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    left: u64,
    spent_out: bool,
}

impl Budget {
    /// A budget of `steps` steps.
    pub(crate) fn new(steps: u64) -> Self {
        Self { left: steps, spent_out: false }
    }

    /// Takes `n` steps, or says that fewer are left (and spends the rest).
    pub(crate) fn spend(&mut self, n: u64) -> bool {
        match self.left.checked_sub(n) {
            Some(left) => {
                self.left = left;
                true
            }
            None => {
                self.left = 0;
                self.spent_out = true;
                false
            }
        }
    }

    /// Whether some question ran out of this budget.
    pub(crate) fn is_spent(&self) -> bool {
        self.spent_out
    }
}

/// The steps one intersection of two wildcard patterns may take when it
/// has a budget of its own (one step per pair of positions expanded): about
/// 100 ms and 50 MB at worst.
pub const INTERSECT_STEPS: u64 = 1 << 20;

/// The steps one witness search (a resource within a pattern and an ARN
/// template) may take, both of its passes together: about 15 ms and 30 MB
/// at worst.
pub const WITNESS_STEPS: u64 = 1 << 18;

/// `n` with its thousands grouped (`262,144`), for messages.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A yes-or-no answer that the budget may leave open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Yes, proved.
    Yes,
    /// No, proved.
    No,
    /// Not settled: the budget ran out (or the patterns are longer than
    /// the question handles).
    Unknown,
}

impl Answer {
    /// Both.
    pub(crate) fn and(self, other: Answer) -> Answer {
        match (self, other) {
            (Answer::No, _) | (_, Answer::No) => Answer::No,
            (Answer::Yes, Answer::Yes) => Answer::Yes,
            _ => Answer::Unknown,
        }
    }

    /// Either.
    pub(crate) fn or(self, other: Answer) -> Answer {
        match (self, other) {
            (Answer::Yes, _) | (_, Answer::Yes) => Answer::Yes,
            (Answer::No, Answer::No) => Answer::No,
            _ => Answer::Unknown,
        }
    }

    /// The opposite.
    pub(crate) fn not(self) -> Answer {
        match self {
            Answer::Yes => Answer::No,
            Answer::No => Answer::Yes,
            Answer::Unknown => Answer::Unknown,
        }
    }

    /// Every answer of `items` (stops at the first proved no).
    pub(crate) fn all(items: impl IntoIterator<Item = Answer>) -> Answer {
        let mut out = Answer::Yes;
        for a in items {
            out = out.and(a);
            if out == Answer::No {
                break;
            }
        }
        out
    }

    /// Some answer of `items` (stops at the first proved yes).
    pub(crate) fn any(items: impl IntoIterator<Item = Answer>) -> Answer {
        let mut out = Answer::No;
        for a in items {
            out = out.or(a);
            if out == Answer::Yes {
                break;
            }
        }
        out
    }
}

/// What a [`witness`] search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Witness {
    /// A string that matches both.
    Found(String),
    /// No string matches both (proved).
    None,
    /// The budget ran out before either was settled.
    Unknown,
}

/// Where a pattern goes from position `i` on character `c`, if anywhere.
fn step(tokens: &[Tok], i: usize, c: char) -> Option<usize> {
    match tokens.get(i)? {
        Tok::Star => Some(i),
        Tok::One => Some(i + 1),
        Tok::Lit(d) => (*d == c).then_some(i + 1),
        Tok::Part => in_field(c).then_some(i + 1),
        Tok::Parts => in_field(c).then_some(i),
    }
}

/// Whether some string matches both `a` and `b`, within `budget` (one step
/// per pair of positions expanded; at most `(a.len() + 1) * (b.len() + 1)`
/// pairs, each kept once in memory).
pub(crate) fn intersects(a: &[Tok], b: &[Tok], budget: &mut Budget) -> Answer {
    // When neither side needs a given literal, a character only matters by
    // whether an ARN field may hold it: `:` stands for those that may not,
    // another character for those that may.
    let field = alphabet(&[], &[]);
    let mut seen: HashSet<(usize, usize)> = HashSet::default();
    seen.insert((0, 0));
    let mut queue = VecDeque::from([(0usize, 0usize)]);
    while let Some((i, j)) = queue.pop_front() {
        if !budget.spend(1) {
            return Answer::Unknown;
        }
        if i == a.len() && j == b.len() {
            return Answer::Yes;
        }
        let mut visit = |next: (usize, usize)| {
            if seen.insert(next) {
                queue.push_back(next);
            }
        };
        if is_loop(a.get(i)) {
            visit((i + 1, j));
        }
        if is_loop(b.get(j)) {
            visit((i, j + 1));
        }
        let own;
        let chars: &[char] = match (a.get(i), b.get(j)) {
            (Some(Tok::Lit(c)), _) | (_, Some(Tok::Lit(c))) => {
                own = [*c];
                &own
            }
            _ => &field,
        };
        for &c in chars {
            if let (Some(ni), Some(nj)) = (step(a, i, c), step(b, j, c))
                && (ni, nj) != (i, j)
            {
                visit((ni, nj));
            }
        }
    }
    Answer::No
}

/// A shortest string that matches both token lists, preferring one in which
/// every `*` and every field stands for at least one character
/// (`acs:vpc:x:123:vpnconnection/x` reads better as an example than
/// `acs:vpc::123:vpnconnection/`), searched within `budget`:
/// [`Witness::None`] when no string matches both, [`Witness::Unknown`] when
/// the budget ran out first.
pub(crate) fn witness(a: &[Tok], b: &[Tok], budget: &mut Budget) -> Witness {
    let nonempty = |tokens: &[Tok]| -> Vec<Tok> {
        let mut out = Vec::with_capacity(tokens.len() * 2);
        for &t in tokens {
            match t {
                Tok::Star => out.extend([Tok::One, Tok::Star]),
                Tok::Parts if out.last() != Some(&Tok::Part) => out.extend([Tok::Part, Tok::Parts]),
                t => out.push(t),
            }
        }
        out
    };
    match shortest(&nonempty(a), &nonempty(b), budget) {
        Witness::Found(w) => Witness::Found(w),
        // Without a non-empty reading (or when that search ran out), the
        // plain one with what is left of the budget.
        Witness::None | Witness::Unknown => shortest(a, b, budget),
    }
}

/// A shortest common string: a breadth-first search over pairs of
/// positions, where skipping a loop token reads nothing (so those moves go
/// to the front of the queue) and reading a character is one step. Where
/// either token is a literal the character must be it; elsewhere `x`, which
/// every other token accepts, stands for any character. Only the pairs
/// reached are stored, one step of `budget` per pair taken from the queue.
fn shortest(a: &[Tok], b: &[Tok], budget: &mut Budget) -> Witness {
    let width = b.len() + 1;
    let Some(goal) = (a.len() + 1).checked_mul(width).map(|n| n - 1) else { return Witness::Unknown };
    // For each state settled: the state it was reached from and the character read.
    let mut parent: HashMap<usize, (usize, Option<char>)> = HashMap::default();
    let mut queue: VecDeque<(usize, usize, Option<char>)> = VecDeque::from([(0, 0, None)]);
    let mut reached = false;
    while let Some((state, from, c)) = queue.pop_front() {
        if parent.contains_key(&state) {
            continue;
        }
        if !budget.spend(1) {
            return Witness::Unknown;
        }
        parent.insert(state, (from, c));
        if state == goal {
            reached = true;
            break;
        }
        let (i, j) = (state / width, state % width);
        if is_loop(a.get(i)) {
            queue.push_front(((i + 1) * width + j, state, None));
        }
        if is_loop(b.get(j)) {
            queue.push_front((i * width + j + 1, state, None));
        }
        let c = match (a.get(i), b.get(j)) {
            (Some(Tok::Lit(c)), _) | (_, Some(Tok::Lit(c))) => *c,
            _ => 'x',
        };
        if let (Some(ni), Some(nj)) = (step(a, i, c), step(b, j, c))
            && (ni, nj) != (i, j)
        {
            queue.push_back((ni * width + nj, state, Some(c)));
        }
    }
    if !reached {
        return Witness::None;
    }
    let mut text = Vec::new();
    let mut state = goal;
    while state != 0 {
        let Some(&(previous, c)) = parent.get(&state) else { return Witness::Unknown };
        text.extend(c);
        state = previous;
    }
    Witness::Found(text.into_iter().rev().collect())
}

/// A set of pattern positions (at most [`MAX_TOKENS`] + 1 of them).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
struct Positions([u64; 4]);

/// The longest token list [`contains`] settles.
pub(crate) const MAX_TOKENS: usize = 255;

impl Positions {
    fn insert(&mut self, i: usize) -> bool {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        match self.0.get_mut(word) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                true
            }
            _ => false,
        }
    }

    fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(n, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(n * 64 + bit)
            })
        })
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
}

/// The positions reachable from `from` without reading a character.
fn closure(tokens: &[Tok], from: impl IntoIterator<Item = usize>) -> Positions {
    let mut out = Positions::default();
    for mut i in from {
        while out.insert(i) && is_loop(tokens.get(i)) {
            i += 1;
        }
    }
    out
}

/// The most (inner position, outer position set) pairs one [`contains`]
/// question keeps in memory before it gives up (about 1 MB).
pub(crate) const CONTAINS_STATES: usize = 20_000;

/// Whether every string that matches `inner` also matches `outer`, within
/// `budget` (one step per outer position moved on one character, so a
/// question costs at most [`CONTAINS_STATES`] × the alphabet × the outer
/// positions); [`Answer::Unknown`] when the budget runs out, when the
/// search needs more than [`CONTAINS_STATES`] states, or when a list is
/// longer than [`MAX_TOKENS`].
///
/// This walks `inner` together with the set of positions `outer` can be in
/// after the same text (the subset construction, built lazily): a state in
/// which `inner` has matched and `outer` cannot is a counterexample.
pub(crate) fn contains(outer: &[Tok], inner: &[Tok], budget: &mut Budget) -> Answer {
    if !budget.spend(1) {
        return Answer::Unknown;
    }
    // Quick necessary conditions: `outer`'s literal prefix and suffix must
    // be part of every string of `inner`.
    let literal = |t: &&Tok| matches!(t, Tok::Lit(_));
    let (po, pi) = (outer.iter().take_while(literal).count(), inner.iter().take_while(literal).count());
    let (so, si) = (outer.iter().rev().take_while(literal).count(), inner.iter().rev().take_while(literal).count());
    let wild_inner = pi < inner.len();
    if wild_inner && (po > pi || so > si || outer.get(..po) != inner.get(..po)) {
        return Answer::No;
    }
    if wild_inner && outer.get(outer.len() - so..) != inner.get(inner.len() - so..) {
        return Answer::No;
    }
    if outer.len() > MAX_TOKENS || inner.len() > MAX_TOKENS {
        return Answer::Unknown;
    }
    // Characters that are no literal of `outer` all move it alike, so one
    // stands for them all (besides `:` and `/`, which ARN fields exclude).
    let sigma = alphabet(outer, &[]);
    let mut seen: HashSet<(usize, Positions)> = HashSet::default();
    let start = (0usize, closure(outer, [0]));
    seen.insert(start);
    let mut queue = VecDeque::from([start]);
    while let Some((j, set)) = queue.pop_front() {
        if j == inner.len() && !set.contains(outer.len()) {
            return Answer::No;
        }
        if set.is_empty() && inner.iter().skip(j).all(|t| is_loop(Some(t))) {
            // `outer` is dead and `inner` can still finish: a counterexample
            // (the check above finds it too, a few steps later).
            return Answer::No;
        }
        let mut next_states = Vec::with_capacity(2);
        if is_loop(inner.get(j)) {
            next_states.push((j + 1, set));
        }
        let own;
        let chars: &[char] = match inner.get(j) {
            Some(Tok::Lit(c)) => {
                own = [*c];
                &own
            }
            Some(_) => &sigma,
            None => &[],
        };
        let width = u64::from(set.len()) + 1;
        for &c in chars {
            if !budget.spend(width) {
                return Answer::Unknown;
            }
            if let Some(nj) = step(inner, j, c) {
                next_states.push((nj, closure(outer, set.iter().filter_map(|i| step(outer, i, c)))));
            }
        }
        for next in next_states {
            if seen.insert(next) {
                if seen.len() > CONTAINS_STATES {
                    return Answer::Unknown;
                }
                queue.push_back(next);
            }
        }
    }
    Answer::Yes
}

/// The fewest single-character edits (insert, delete, substitute) that turn
/// `text` into some string that `pattern` matches; 0 when it matches.
pub(crate) fn distance(pattern: &[Tok], text: &str) -> usize {
    let text: Vec<char> = text.chars().collect();
    // prev[j]: the cost of matching the tokens so far against text[..j].
    let mut prev: Vec<usize> = (0..=text.len()).collect();
    for tok in pattern {
        let mut row: Vec<usize> = Vec::with_capacity(text.len() + 1);
        let first = prev.first().copied().unwrap_or(0) + usize::from(!is_loop(Some(tok)));
        row.push(first);
        for (j, tc) in text.iter().enumerate() {
            let diag = prev.get(j).copied().unwrap_or(usize::MAX);
            let up = prev.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let fits = match tok {
                Tok::Star | Tok::One => true,
                Tok::Part | Tok::Parts => in_field(*tc),
                Tok::Lit(c) => c == tc,
            };
            let cost = if is_loop(Some(tok)) {
                // Absorb the character (when it fits) or let the loop end here.
                if fits { up.min(left) } else { up.min(left.saturating_add(1)) }
            } else {
                diag.saturating_add(usize::from(!fits)).min(up.saturating_add(1)).min(left.saturating_add(1))
            };
            row.push(cost);
        }
        prev = row;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::pattern::{Case, Pattern};
    use proptest::prelude::*;

    fn free() -> Budget {
        Budget::new(u64::MAX)
    }

    fn int(a: &[Tok], b: &[Tok]) -> bool {
        match intersects(a, b, &mut free()) {
            Answer::Yes => true,
            Answer::No => false,
            Answer::Unknown => unreachable!("no budget"),
        }
    }

    fn wit(a: &[Tok], b: &[Tok]) -> Option<String> {
        match witness(a, b, &mut free()) {
            Witness::Found(w) => Some(w),
            Witness::None => None,
            Witness::Unknown => unreachable!("no budget"),
        }
    }

    fn con(a: &[Tok], b: &[Tok]) -> Option<bool> {
        match contains(a, b, &mut free()) {
            Answer::Yes => Some(true),
            Answer::No => Some(false),
            Answer::Unknown => None,
        }
    }

    /// Every string over `alphabet` of at most `max` characters.
    fn strings(alphabet: &[char], max: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut layer = vec![String::new()];
        for _ in 0..max {
            let mut next = Vec::new();
            for s in &layer {
                for c in alphabet {
                    let mut t = s.clone();
                    t.push(*c);
                    next.push(t);
                }
            }
            out.extend(next.iter().cloned());
            layer = next;
        }
        out
    }

    /// A matcher for token lists, by the obvious recursion (an oracle).
    fn matches(tokens: &[Tok], text: &[char]) -> bool {
        match (tokens.first(), text.first()) {
            (None, None) => true,
            (Some(Tok::Star), _) => matches(&tokens[1..], text) || (!text.is_empty() && matches(tokens, &text[1..])),
            (Some(Tok::One), Some(_)) => matches(&tokens[1..], &text[1..]),
            (Some(Tok::Lit(c)), Some(t)) if c == t => matches(&tokens[1..], &text[1..]),
            (Some(Tok::Part), Some(t)) if in_field(*t) => matches(&tokens[1..], &text[1..]),
            (Some(Tok::Parts), _) => {
                matches(&tokens[1..], text)
                    || (text.first().is_some_and(|t| in_field(*t)) && matches(tokens, &text[1..]))
            }
            _ => false,
        }
    }

    /// The patterns' letters, `/` (outside ARN fields, like `:`, but not the
    /// literal `:`), and one that none of them has.
    const ALPHABET: [char; 5] = ['a', 'b', ':', '/', 'c'];

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(262_144), "262,144");
        assert_eq!(thousands(100_000_000), "100,000,000");
    }

    #[test]
    fn tokens() {
        assert_eq!(pattern_tokens("a**?"), [Tok::Lit('a'), Tok::Star, Tok::One]);
        assert_eq!(template_tokens("x{#id}*"), [Tok::Lit('x'), Tok::Part, Tok::Parts, Tok::Lit('*')]);
        assert_eq!(template_tokens("{#"), [Tok::Lit('{'), Tok::Lit('#')]);
    }

    #[test]
    fn arn_examples() {
        let ipsec = template_tokens("acs:vpc:{#regionId}:{#accountId}:vpnipsecserver/{#IpsecServerId}");
        let conn = template_tokens("acs:vpc:{#regionId}:{#accountId}:vpnconnection/{#VpnConnectionId}");
        let p = pattern_tokens("acs:vpc:*:*:vpnipsecserver/*");
        assert!(int(&p, &ipsec));
        assert!(!int(&p, &conn));
        assert!(int(&pattern_tokens("acs:vpc:*"), &conn));
        assert!(int(&pattern_tokens("acs:vpc:cn-*:*:vpnconnection/vco-1"), &conn));
        // A field value never holds a `:` or a `/`.
        assert!(!int(&pattern_tokens("acs:vpc:*:*:vpnconnection/a/b"), &conn));
        assert!(!int(&pattern_tokens("acs:vpc:cn-hangzhou:1:2:vpnconnection/*"), &conn));
        assert!(int(&pattern_tokens("acs:*:*cn-beijing*:*:*"), &conn));
        assert!(!int(&pattern_tokens("acs:vpc:cn-hangzhou::vpnconnection/*"), &conn));
        // A literal `*` in a template is matched by a `*` or `?` pattern, or itself.
        let create = template_tokens("acs:vpc:{#regionId}:{#accountId}:vpnconnection/*");
        assert!(int(&pattern_tokens("acs:vpc:*:*:vpnconnection/?"), &create));
        assert!(!int(&pattern_tokens("acs:vpc:*:*:vpnconnection/vco-1"), &create));
    }

    #[test]
    fn witness_examples() {
        let w = |a: &str, b: &str| {
            let found = wit(&pattern_tokens(a), &pattern_tokens(b))?;
            assert!(Pattern::new(a, Case::Sensitive).matches(&found), "{found} !~ {a}");
            assert!(Pattern::new(b, Case::Sensitive).matches(&found), "{found} !~ {b}");
            Some(found)
        };
        assert_eq!(w("a?c", "*b*").as_deref(), Some("abc"));
        assert_eq!(w("acs:vpc:*:*:x/*", "acs:vpc:*:123:*").as_deref(), Some("acs:vpc:x:123:x/x"));
        // `*` crosses `:`, so these two overlap.
        assert_eq!(w("acs:vpc:*:999:*", "acs:vpc:*:123:*").as_deref(), Some("acs:vpc:x:123:999:x"));
        assert_eq!(w("abc", "abd"), None);
        // Where only the empty run fits, the `*` stands for nothing.
        assert_eq!(w("a*", "a").as_deref(), Some("a"));
        let iss = template_tokens("acs:vpc:{#regionId}:{#accountId}:vpnipsecserver/{#IpsecServerId}");
        assert_eq!(
            wit(&pattern_tokens("acs:vpc:cn-hangzhou:*:*"), &iss).as_deref(),
            Some("acs:vpc:cn-hangzhou:x:vpnipsecserver/x")
        );
        assert_eq!(wit(&pattern_tokens("acs:vpc:*:*:vpnconnection/*"), &iss), None);
    }

    #[test]
    fn containment_examples() {
        let c = |o: &str, i: &str| con(&pattern_tokens(o), &pattern_tokens(i));
        assert_eq!(c("vpc:*", "vpc:delete*"), Some(true));
        assert_eq!(c("vpc:delete*", "vpc:*"), Some(false));
        assert_eq!(c("*", ""), Some(true));
        assert_eq!(c("a*", "a**"), Some(true));
        assert_eq!(c("*a*", "?a?"), Some(true));
        assert_eq!(c("?*", "*"), Some(false));
        assert_eq!(c("*:*", "vpc:?*"), Some(true));
    }

    #[test]
    fn distances() {
        let d = |p: &str, t: &str| distance(&pattern_tokens(p), t);
        assert_eq!(d("deleteipsecserver", "deleteipsecserver"), 0);
        assert_eq!(d("deleteipsecsever", "deleteipsecserver"), 1);
        assert_eq!(d("delete*sever", "deleteipsecserver"), 1);
        assert_eq!(d("*", "anything"), 0);
        assert_eq!(d("?", ""), 1);
        assert_eq!(d("", "ab"), 2);
        assert_eq!(d("a?c", "abd"), 1);
    }

    /// Two patterns of `n` tokens that overlap only at the very end, so
    /// the search must visit most of the n × n pairs of positions.
    fn overlapping_late(n: usize) -> (Vec<Tok>, Vec<Tok>) {
        let a: String = "*a".repeat(n / 2);
        let b: String = "*b".repeat(n / 2);
        (pattern_tokens(&format!("{a}*c")), pattern_tokens(&format!("{b}*c")))
    }

    #[test]
    fn intersection_gives_up_within_its_budget_and_says_so() {
        let (a, b) = overlapping_late(4000);
        let mut budget = Budget::new(INTERSECT_STEPS);
        assert_eq!(intersects(&a, &b, &mut budget), Answer::Unknown);
        assert!(budget.is_spent());
        // The same question, small enough, is settled.
        let (a, b) = overlapping_late(40);
        assert_eq!(intersects(&a, &b, &mut Budget::new(INTERSECT_STEPS)), Answer::Yes);
        assert_eq!(intersects(&a, &pattern_tokens("*d"), &mut Budget::new(INTERSECT_STEPS)), Answer::No);
    }

    #[test]
    fn a_long_pattern_has_a_witness_though_the_pairs_are_many() {
        // 6,000 `?`: 6,000 × the template's positions would be too many to
        // lay out, but the search only reaches a few of them.
        let iss = template_tokens("acs:vpc:{#regionId}:{#accountId}:vpnipsecserver/{#IpsecServerId}");
        let pattern = format!("acs:vpc:*:*:vpnipsecserver/{}", "?".repeat(6000));
        match witness(&pattern_tokens(&pattern), &iss, &mut Budget::new(WITNESS_STEPS)) {
            Witness::Found(w) => assert!(Pattern::new(&pattern, Case::Sensitive).matches(&w)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_witness_search_that_runs_out_is_unknown_not_none() {
        // The template as the access audit fills it: the account id is known.
        let iss = template_tokens("acs:vpc:{#regionId}:1234567890123456:vpnipsecserver/{#IpsecServerId}");
        let pattern = pattern_tokens(&"*?".repeat(3000));
        let mut budget = Budget::new(WITNESS_STEPS);
        assert_eq!(witness(&pattern, &iss, &mut budget), Witness::Unknown);
        assert!(budget.is_spent());
        // With room enough, the same search finds one.
        assert!(matches!(witness(&pattern, &iss, &mut Budget::new(1 << 26)), Witness::Found(_)));
    }

    #[test]
    fn a_shared_budget_bounds_many_containment_questions() {
        let outer = pattern_tokens("*a*b*c*d*e*f*g*h*");
        let inner = pattern_tokens("*h*g*f*e*d*c*b*a*");
        let mut budget = Budget::new(10_000);
        let answers: Vec<Answer> = (0..1000).map(|_| contains(&outer, &inner, &mut budget)).collect();
        assert!(answers.contains(&Answer::Unknown));
        assert!(budget.is_spent());
        assert_eq!(contains(&outer, &inner, &mut free()), Answer::No);
        assert_eq!(Answer::all([Answer::Yes, Answer::Unknown]), Answer::Unknown);
        assert_eq!(Answer::any([Answer::Unknown, Answer::Yes]), Answer::Yes);
        assert_eq!(Answer::all([Answer::Unknown, Answer::No]), Answer::No);
    }

    fn arb_tokens() -> impl Strategy<Value = Vec<Tok>> {
        prop::collection::vec(
            prop_oneof![
                Just(Tok::Lit('a')),
                Just(Tok::Lit('b')),
                Just(Tok::Lit(':')),
                Just(Tok::One),
                Just(Tok::Star),
                Just(Tok::Part),
                Just(Tok::Parts)
            ],
            0..5,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn intersection_agrees_with_brute_force(a in arb_tokens(), b in arb_tokens()) {
            let brute = strings(&ALPHABET, 7)
                .iter()
                .any(|s| { let t: Vec<char> = s.chars().collect(); matches(&a, &t) && matches(&b, &t) });
            prop_assert_eq!(int(&a, &b), brute, "{:?} {:?}", a, b);
        }

        #[test]
        fn witnesses_match_both_exactly_when_the_patterns_intersect(a in arb_tokens(), b in arb_tokens()) {
            match wit(&a, &b) {
                Some(w) => {
                    let t: Vec<char> = w.chars().collect();
                    prop_assert!(matches(&a, &t) && matches(&b, &t), "{:?} for {:?} and {:?}", w, a, b);
                }
                None => prop_assert!(!int(&a, &b), "no witness for {:?} and {:?}", a, b),
            }
        }

        #[test]
        fn containment_agrees_with_brute_force(a in arb_tokens(), b in arb_tokens()) {
            let brute = strings(&ALPHABET, 6)
                .iter()
                .all(|s| { let t: Vec<char> = s.chars().collect(); !matches(&b, &t) || matches(&a, &t) });
            prop_assert_eq!(con(&a, &b), Some(brute), "{:?} {:?}", a, b);
        }

        #[test]
        fn templates_agree_with_brute_force(p in "[ab:*?]{0,4}", t in "[a:*]{0,2}(\\{#x\\})?[b:]{0,2}") {
            let (pt, tt) = (pattern_tokens(&p), template_tokens(&t));
            let brute = strings(&['a', 'b', ':', '*', 'c'], 6).iter().any(|s| {
                let chars: Vec<char> = s.chars().collect();
                matches(&tt, &chars) && Pattern::new(&p, Case::Sensitive).matches(s)
            });
            prop_assert_eq!(int(&pt, &tt), brute, "{} {}", p, t);
        }

        #[test]
        fn distance_agrees_with_brute_force(p in arb_tokens(), text in "[ab:c]{0,4}") {
            let lev = |a: &str, b: &str| crate::language::fuzzy::levenshtein(a, b);
            let brute = strings(&ALPHABET, 6)
                .iter()
                .filter(|s| matches(&p, &s.chars().collect::<Vec<_>>()))
                .map(|s| lev(s, &text))
                .min();
            if let Some(best) = brute {
                prop_assert_eq!(distance(&p, &text), best, "{:?} {}", p, text);
            }
        }
    }
}
