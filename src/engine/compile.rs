//! The compiled policy set: policies indexed once, decisions in nanoseconds.
//!
//! Every statement's `Action` patterns go into one index, built the way
//! globset builds its sets: literal actions in a hash map, match-all patterns
//! and `NotAction` statements in a short list that every request visits, and
//! every other pattern in a [`GlobSet`], which classifies them again (prefix,
//! suffix, general) and matches them all in one pass. A request looks up its
//! action once and gets the few statements that can apply to it; only those
//! have their resources, principals and conditions checked. The cost of a
//! decision therefore does not grow with statements about other actions.
//!
//! Statements that share an action are indexed again by their resources, so
//! that a request does not check one by one the hundreds of statements that
//! grant `vpc:Delete*` on other teams' resources. A resource is cut into
//! segments (text cut after each `:`, `/` and `-`); a pattern's *fixed*
//! segments are those without wildcards that every resource it matches has
//! as segments of its own, wherever `*` (which crosses `:` and `/`) puts
//! them. Each pattern is filed under the one of its fixed segments that the
//! fewest patterns of its action share. A request looks each segment of its
//! resource up once and checks only the statements filed under those, plus
//! those whose patterns fix nothing; so the index never misses a statement
//! that could apply, and the statements found are then checked in full, as
//! before. Decisions do not depend on the order statements are checked in
//! (any applicable Deny wins, then any Allow), so no per-request sorting of
//! statements is needed; a statement found twice is merely checked twice.
//! `docs/compiled-index.md` has the details and the proof.
//!
//! The order of evaluation across policy kinds is shared with the reference
//! evaluator ([`PolicySet`]); the differential tests check that both engines
//! give the same decision on random policy sets.

use std::cell::RefCell;
use std::sync::Arc;

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};
use rustc_hash::FxHashMap as HashMap;

use crate::engine::decision::{Decision, Explanation};
use crate::engine::eval::{PolicySet, Verdict, combine, decide, principal_matches};
use crate::engine::request::Request;
use crate::language::condition::{Condition, Context, Operator};
use crate::language::pattern::{Case, Pattern};
use crate::language::policy::{ActionSpec, Effect, Policy, PolicyKind, PrincipalSpec, Statement};

/// Why a policy set could not be compiled.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// A pattern could not be turned into a matcher (for instance, it would
    /// need more memory than the matcher allows).
    #[error("cannot compile pattern `{pattern}`: {reason}")]
    Pattern {
        /// The pattern as written.
        pattern: String,
        /// What the matcher reported.
        reason: String,
    },
    /// More statements than one set can index (over four billion).
    #[error("a compiled set holds at most {max} statements")]
    TooManyStatements {
        /// The most a set can hold.
        max: u64,
    },
}

/// Builds a [`CompiledPolicySet`].
#[derive(Debug, Default)]
pub struct PolicySetBuilder {
    /// Shared with the sets built from it, so building copies no policy;
    /// adding after a build copies the policies once.
    set: Arc<PolicySet>,
}

impl PolicySetBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a policy; it takes part in evaluation as its kind says.
    pub fn add(&mut self, policy: Policy) -> &mut Self {
        Arc::make_mut(&mut self.set).add(policy);
        self
    }

    /// Compiles the policies added so far.
    pub fn build(&self) -> Result<CompiledPolicySet, CompileError> {
        CompiledPolicySet::compile_shared(Arc::clone(&self.set))
    }
}

/// An immutable, indexed policy set. Cheap to clone (the index is shared),
/// `Send` and `Sync`: compile once, then decide from any number of threads.
#[derive(Debug, Clone)]
pub struct CompiledPolicySet {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The policies as read, for `explain`.
    source: Arc<PolicySet>,
    statements: Vec<CompiledStatement>,
    /// Which kinds have at least one policy.
    present: [bool; 4],
    /// The statements of each action key, indexed by resource.
    buckets: Vec<Bucket>,
    /// Lowercased literal action → its bucket.
    exact: HashMap<Box<str>, u32>,
    /// The bucket of statements every request must check: a match-all
    /// `Action`, or `NotAction`.
    always: u32,
    /// Wildcard patterns with a literal service code (`vpc:Describe*`), by service.
    by_service: HashMap<Box<str>, PatternGroup>,
    /// Wildcard patterns whose service code has a wildcard too (`*:Describe*`).
    general: PatternGroup,
    /// The resource segments statements are filed under.
    segments: Segments,
}

/// The resource segments statements are filed under, each with an id.
#[derive(Debug, Default)]
struct Segments {
    ids: HashMap<Box<str>, u32>,
}

/// The characters a resource segment ends with.
fn is_boundary(c: char) -> bool {
    matches!(c, ':' | '/' | '-')
}

/// `text` cut after each boundary character; the last piece may end without one.
fn segments(text: &str) -> std::str::SplitInclusive<'_, fn(char) -> bool> {
    text.split_inclusive(is_boundary as fn(char) -> bool)
}

/// The segments of a resource pattern that every resource it matches has as
/// segments of its own: those without `*` or `?` that end with a boundary
/// character, and the last one when it has no wildcard. Each such segment
/// starts the pattern or follows a boundary character, which a wildcard
/// never stands for, so in a matching resource the same text starts a
/// segment and, holding no boundary before its end, is that whole segment.
/// `None` when matching ignores case (no resource pattern does), which the
/// index cannot follow.
fn fixed_segments(pattern: &Pattern) -> Option<Vec<&str>> {
    if pattern.case() != Case::Sensitive {
        return None;
    }
    let mut pieces = segments(pattern.as_str()).peekable();
    let mut fixed = Vec::new();
    while let Some(piece) = pieces.next() {
        let last = pieces.peek().is_none();
        if !piece.contains(['*', '?']) && (last || piece.ends_with(is_boundary)) {
            fixed.push(piece);
        }
    }
    Some(fixed)
}

impl Segments {
    /// The id of `segment`, added if new.
    fn id(&mut self, segment: &str) -> Result<u32, CompileError> {
        if let Some(&id) = self.ids.get(segment) {
            return Ok(id);
        }
        let id = u32::try_from(self.ids.len()).map_err(|_| too_many())?;
        self.ids.insert(segment.into(), id);
        Ok(id)
    }

    /// The ids of the segments of `resource` that statements are filed
    /// under, each once, into `out`.
    fn of(&self, resource: &str, out: &mut Vec<u32>) {
        out.clear();
        out.extend(segments(resource).filter_map(|segment| self.ids.get(segment).copied()));
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
    }
}

fn too_many() -> CompileError {
    CompileError::TooManyStatements { max: u64::from(u32::MAX) }
}

/// What a statement's resources can be filed under: for each resource
/// pattern, its fixed segments (never empty); `None` when the statement must
/// be checked for every resource.
type Filing<'a> = Option<Vec<Vec<&'a str>>>;

fn filing(statement: &Statement) -> Filing<'_> {
    let patterns = statement.resources()?;
    if patterns.iter().any(Pattern::is_match_all) {
        return None;
    }
    patterns.iter().map(|p| fixed_segments(p).filter(|fixed| !fixed.is_empty())).collect()
}

/// The statements of one action key.
#[derive(Debug, Default)]
struct Bucket {
    /// Statements checked for every resource: their resources match
    /// anything or fix no segment, or the bucket is too small to be worth
    /// indexing.
    any: Vec<u32>,
    /// Segment id → statements with a resource pattern filed under it.
    by_segment: HashMap<u32, Vec<u32>>,
    /// Every statement, while building.
    all: Vec<u32>,
}

/// Buckets with fewer statements are checked statement by statement.
const BUCKET_INDEX_THRESHOLD: usize = 8;

impl Bucket {
    fn push(&mut self, id: u32) {
        if self.all.last() != Some(&id) {
            self.all.push(id);
        }
    }

    /// Files each statement's patterns, each under the one of its fixed
    /// segments that the fewest patterns of this bucket hold, so that a
    /// request naming that segment checks few statements besides.
    fn seal(&mut self, filings: &[Filing<'_>], segments: &mut Segments) -> Result<(), CompileError> {
        let all = std::mem::take(&mut self.all);
        if all.len() < BUCKET_INDEX_THRESHOLD {
            self.any = all;
            return Ok(());
        }
        let filing = |id: u32| filings.get(id as usize).and_then(Option::as_ref);
        let mut counts: HashMap<&str, u32> = HashMap::default();
        for fixed in all.iter().filter_map(|&id| filing(id)).flatten() {
            for segment in fixed {
                *counts.entry(segment).or_default() += 1;
            }
        }
        for id in all {
            let Some(patterns) = filing(id) else {
                self.any.push(id);
                continue;
            };
            for fixed in patterns {
                // The last of the rarest: later segments tend to be the more specific.
                let rarest = fixed.iter().rev().min_by_key(|s| counts.get(*s).copied().unwrap_or(0));
                let Some(rarest) = rarest else { continue };
                let ids = self.by_segment.entry(segments.id(rarest)?).or_default();
                if ids.last() != Some(&id) {
                    ids.push(id);
                }
            }
        }
        self.any.shrink_to_fit();
        for ids in self.by_segment.values_mut() {
            ids.shrink_to_fit();
        }
        Ok(())
    }

    /// Adds the statements that can apply to a resource whose filed segments
    /// are `segments` to `out`.
    fn collect(&self, segments: &[u32], out: &mut Vec<u32>) {
        out.extend_from_slice(&self.any);
        if self.is_indexed() {
            for segment in segments {
                if let Some(ids) = self.by_segment.get(segment) {
                    out.extend_from_slice(ids);
                }
            }
        }
    }

    fn is_indexed(&self) -> bool {
        !self.by_segment.is_empty()
    }
}

/// Wildcard action patterns (each once) and their buckets. Small groups are matched
/// pattern by pattern; larger ones through one [`GlobSet`], which matches
/// them all in one pass.
#[derive(Debug, Default)]
struct PatternGroup {
    patterns: Vec<(u32, Pattern)>,
    set: Option<GlobSet>,
}

/// From this many patterns on, a group is matched through a [`GlobSet`].
const GLOBSET_THRESHOLD: usize = 24;

impl PatternGroup {
    fn seal(&mut self) -> Result<(), CompileError> {
        if self.patterns.len() >= GLOBSET_THRESHOLD {
            let normalized: Vec<String> = self.patterns.iter().map(|(_, p)| p.normalized()).collect();
            self.set = Some(glob_set(normalized.iter().map(String::as_str))?);
        }
        Ok(())
    }

    /// Adds the buckets whose pattern matches `action` (lowercased) to `out`.
    fn collect(&self, action: &str, hits: &mut Vec<usize>, out: &mut Vec<u32>) {
        match &self.set {
            Some(set) if glob_engine_agrees(action) => {
                set.matches_candidate_into(&Candidate::from_bytes(action.as_bytes()), hits);
                out.extend(hits.iter().filter_map(|&g| self.patterns.get(g).map(|(id, _)| *id)));
            }
            _ => out.extend(self.patterns.iter().filter(|(_, p)| p.matches(action)).map(|(id, _)| *id)),
        }
    }
}

#[derive(Debug)]
struct CompiledStatement {
    kind: PolicyKind,
    effect: Effect,
    /// `NotAction` patterns, checked per request; `None` for `Action`.
    not_action: Option<Vec<Pattern>>,
    resources: ResourceMatcher,
    principal: Option<PrincipalSpec>,
    conditions: Vec<CompiledCondition>,
}

/// A statement's resource patterns, classified.
#[derive(Debug)]
enum ResourceMatcher {
    /// `*`, or no `Resource` element (a trust policy's statement).
    Any,
    /// Literal ARNs compared exactly, and wildcard patterns.
    Patterns { literals: Vec<Box<str>>, globs: Vec<Pattern> },
}

impl ResourceMatcher {
    fn new(patterns: Option<&[Pattern]>) -> Self {
        let Some(patterns) = patterns else { return ResourceMatcher::Any };
        if patterns.iter().any(Pattern::is_match_all) {
            return ResourceMatcher::Any;
        }
        let (globs, literals): (Vec<&Pattern>, Vec<&Pattern>) = patterns.iter().partition(|p| p.has_wildcard());
        ResourceMatcher::Patterns {
            literals: literals.into_iter().map(|p| p.as_str().into()).collect(),
            globs: globs.into_iter().cloned().collect(),
        }
    }

    fn matches(&self, resource: &str) -> bool {
        match self {
            ResourceMatcher::Any => true,
            ResourceMatcher::Patterns { literals, globs } => {
                literals.iter().any(|l| **l == *resource) || globs.iter().any(|g| g.matches(resource))
            }
        }
    }
}

/// A condition, with `StringLike` / `StringNotLike` value lists compiled into
/// one matcher.
#[derive(Debug)]
struct CompiledCondition {
    condition: Condition,
    like: Option<GlobSet>,
}

/// Lists shorter than this are matched pattern by pattern, which is faster
/// than a set for a handful of patterns.
const LIKE_SET_THRESHOLD: usize = 4;

impl CompiledCondition {
    fn new(condition: &Condition) -> Result<Self, CompileError> {
        let like = matches!(condition.operator(), Operator::StringLike | Operator::StringNotLike)
            && condition.values().len() >= LIKE_SET_THRESHOLD;
        let like = if like { Some(glob_set(condition.values().iter().map(String::as_str))?) } else { None };
        Ok(Self { condition: condition.clone(), like })
    }

    fn holds(&self, context: &Context, on_malformed: bool) -> bool {
        match &self.like {
            Some(set) => self.condition.holds_with(context, on_malformed, |value| {
                if glob_engine_agrees(value) {
                    Ok(set.is_match_candidate(&Candidate::from_bytes(value.as_bytes())))
                } else {
                    self.condition.matches_any(value)
                }
            }),
            None => self.condition.holds(context, on_malformed),
        }
    }
}

/// Whether the glob engine reads `text` as RAM does. It matches bytes, so
/// `?` would match part of a character beyond ASCII; and it treats text as a
/// file path, whose extension it looks up in the last `/`-separated part, which
/// it finds no name in when the text ends with `.`. Such text is matched
/// pattern by pattern instead.
fn glob_engine_agrees(text: &str) -> bool {
    text.is_ascii() && !text.ends_with('.')
}

/// RAM's `*` and `?` as a glob that `globset` reads the same way: no
/// separators, `**` collapsed (globset gives it a meaning of its own), and
/// globset's other special characters escaped.
fn to_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut previous_star = false;
    for c in pattern.chars() {
        if c == '*' && previous_star {
            continue;
        }
        previous_star = c == '*';
        if matches!(c, '[' | ']' | '{' | '}' | '\\' | '!' | ',') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn glob_set<'a>(patterns: impl Iterator<Item = &'a str>) -> Result<GlobSet, CompileError> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(&to_glob(pattern))
            .literal_separator(false)
            .backslash_escape(true)
            .empty_alternates(false)
            .build()
            .map_err(|e| CompileError::Pattern { pattern: pattern.to_owned(), reason: e.to_string() })?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|e| CompileError::Pattern { pattern: e.glob().unwrap_or_default().to_owned(), reason: e.to_string() })
}

fn kind_slot(kind: PolicyKind) -> usize {
    match kind {
        PolicyKind::Identity => 0,
        PolicyKind::Session => 1,
        PolicyKind::Control => 2,
        PolicyKind::Resource => 3,
    }
}

/// Buffers reused across requests on one thread, so a decision allocates nothing.
#[derive(Default)]
struct Scratch {
    buckets: Vec<u32>,
    /// The filed segments of the resource being decided.
    segments: Vec<u32>,
    candidates: Vec<u32>,
    glob_hits: Vec<usize>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The action, ASCII-lowercased, on the stack when it is short.
struct LowerAction {
    buf: [u8; 96],
    len: usize,
    heap: Option<String>,
}

impl LowerAction {
    fn new(action: &str) -> Self {
        let mut buf = [0u8; 96];
        match buf.get_mut(..action.len()) {
            Some(slot) => {
                slot.copy_from_slice(action.as_bytes());
                slot.make_ascii_lowercase();
                Self { buf, len: action.len(), heap: None }
            }
            None => Self { buf, len: 0, heap: Some(action.to_ascii_lowercase()) },
        }
    }

    fn as_str(&self) -> &str {
        match &self.heap {
            Some(s) => s,
            // ASCII lowercasing keeps UTF-8 valid, so this never falls back.
            None => self.buf.get(..self.len).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default(),
        }
    }
}

impl CompiledPolicySet {
    /// Compiles a policy set.
    pub fn compile(set: PolicySet) -> Result<Self, CompileError> {
        Self::compile_shared(Arc::new(set))
    }

    fn compile_shared(set: Arc<PolicySet>) -> Result<Self, CompileError> {
        let mut statements = Vec::new();
        let mut present = [false; 4];
        let mut buckets: Vec<Bucket> = vec![Bucket::default()];
        let always = 0u32;
        let mut exact: HashMap<Box<str>, u32> = HashMap::default();
        let mut wild: HashMap<String, u32> = HashMap::default();
        let mut by_service: HashMap<Box<str>, PatternGroup> = HashMap::default();
        let mut general = PatternGroup::default();
        let mut segments = Segments::default();
        // What each statement's resources can be filed under.
        let mut filings: Vec<Filing<'_>> = Vec::new();
        let bucket_of = |buckets: &mut Vec<Bucket>| -> Result<u32, CompileError> {
            let id = u32::try_from(buckets.len()).map_err(|_| too_many())?;
            buckets.push(Bucket::default());
            Ok(id)
        };
        for policy in set.iter() {
            if let Some(slot) = present.get_mut(kind_slot(policy.kind())) {
                *slot = true;
            }
            for statement in policy.statements() {
                let id = u32::try_from(statements.len()).map_err(|_| too_many())?;
                let hit = |bucket: u32, buckets: &mut Vec<Bucket>| {
                    if let Some(b) = buckets.get_mut(bucket as usize) {
                        b.push(id);
                    }
                };
                match statement.actions() {
                    ActionSpec::NotAction(_) => hit(always, &mut buckets),
                    ActionSpec::Action(patterns) if patterns.iter().any(Pattern::is_match_all) => {
                        hit(always, &mut buckets)
                    }
                    ActionSpec::Action(patterns) => {
                        for p in patterns {
                            let normalized = p.normalized();
                            if p.has_wildcard() {
                                let bucket = match wild.get(&normalized) {
                                    Some(&b) => b,
                                    None => {
                                        let b = bucket_of(&mut buckets)?;
                                        match normalized.split_once(':') {
                                            Some((service, _)) if !service.contains(['*', '?']) => {
                                                by_service
                                                    .entry(service.into())
                                                    .or_default()
                                                    .patterns
                                                    .push((b, p.clone()));
                                            }
                                            _ => general.patterns.push((b, p.clone())),
                                        }
                                        wild.insert(normalized, b);
                                        b
                                    }
                                };
                                hit(bucket, &mut buckets);
                            } else {
                                let bucket = match exact.get(normalized.as_str()) {
                                    Some(&b) => b,
                                    None => {
                                        let b = bucket_of(&mut buckets)?;
                                        exact.insert(normalized.into_boxed_str(), b);
                                        b
                                    }
                                };
                                hit(bucket, &mut buckets);
                            }
                        }
                    }
                }
                filings.push(filing(statement));
                statements.push(compile_statement(policy.kind(), statement)?);
            }
        }
        for bucket in &mut buckets {
            bucket.seal(&filings, &mut segments)?;
        }
        drop(filings);
        for group in by_service.values_mut() {
            group.seal()?;
        }
        general.seal()?;
        let inner = Inner { source: set, statements, present, buckets, exact, always, by_service, general, segments };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The policies the set was compiled from.
    pub fn policies(&self) -> &PolicySet {
        &self.inner.source
    }

    /// How many statements the set holds.
    pub fn len(&self) -> usize {
        self.inner.statements.len()
    }

    /// Whether the set holds no statement.
    pub fn is_empty(&self) -> bool {
        self.inner.statements.is_empty()
    }

    /// Decides a request. Builds no strings and, on one thread, allocates
    /// nothing once warm (except for actions longer than 96 bytes).
    pub fn authorize(&self, request: &Request) -> Decision {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.authorize_with(request, &mut scratch),
            Err(_) => self.authorize_with(request, &mut Scratch::default()),
        })
    }

    /// Decides a request and says why. The answer is exactly the reference
    /// evaluator's, from the same policies.
    pub fn explain(&self, request: &Request) -> Explanation {
        self.inner.source.explain(request)
    }

    fn authorize_with(&self, request: &Request, scratch: &mut Scratch) -> Decision {
        let action = LowerAction::new(request.action());
        self.buckets(action.as_str(), scratch);
        let inner = &*self.inner;
        let present = |kind: PolicyKind| inner.present.get(kind_slot(kind)).copied().unwrap_or(false);
        let Scratch { buckets, segments, candidates, .. } = scratch;
        // Whether any bucket the action reaches is indexed, so that its
        // resources need looking up: the same for every resource.
        let indexed = buckets.iter().filter_map(|&id| inner.buckets.get(id as usize)).any(Bucket::is_indexed);
        combine(request.resources().iter().map(|resource| {
            self.candidates(buckets, indexed, resource, segments, candidates);
            let candidates = &*candidates;
            decide(request, resource, present, |kind| self.verdict(kind, candidates, request, resource))
        }))
    }

    /// The buckets whose action key can match `action` (lowercased), each once.
    fn buckets(&self, action: &str, scratch: &mut Scratch) {
        let inner = &*self.inner;
        let out = &mut scratch.buckets;
        out.clear();
        out.push(inner.always);
        if let Some(&bucket) = inner.exact.get(action) {
            out.push(bucket);
        }
        if let Some(group) = action.split_once(':').and_then(|(service, _)| inner.by_service.get(service)) {
            group.collect(action, &mut scratch.glob_hits, out);
        }
        inner.general.collect(action, &mut scratch.glob_hits, out);
    }

    /// The statements of `buckets` that can apply to `resource`; a statement
    /// may come more than once, in no particular order.
    /// With `indexed` false, no bucket is indexed and `resource` is not looked up.
    fn candidates(&self, buckets: &[u32], indexed: bool, resource: &str, segments: &mut Vec<u32>, out: &mut Vec<u32>) {
        let inner = &*self.inner;
        if indexed {
            inner.segments.of(resource, segments);
        } else {
            segments.clear();
        }
        out.clear();
        for bucket in buckets.iter().filter_map(|&id| inner.buckets.get(id as usize)) {
            bucket.collect(segments, out);
        }
    }

    fn verdict(&self, kind: PolicyKind, candidates: &[u32], request: &Request, resource: &str) -> Verdict {
        let mut verdict = Verdict::Silent;
        for &id in candidates {
            let Some(statement) = self.inner.statements.get(id as usize) else { continue };
            if statement.kind != kind || !statement.applies(request, resource) {
                continue;
            }
            match statement.effect {
                Effect::Deny => return Verdict::Deny,
                Effect::Allow => verdict = Verdict::Allow,
            }
        }
        verdict
    }
}

impl CompiledStatement {
    fn applies(&self, request: &Request, resource: &str) -> bool {
        if let Some(not) = &self.not_action
            && not.iter().any(|p| p.matches(request.action()))
        {
            return false;
        }
        if !self.resources.matches(resource) {
            return false;
        }
        if let Some(spec) = &self.principal
            && !principal_matches(spec, request.principal())
        {
            return false;
        }
        let deny = self.effect == Effect::Deny;
        self.conditions.iter().all(|c| c.holds(request.context(), deny))
    }
}

fn compile_statement(kind: PolicyKind, statement: &Statement) -> Result<CompiledStatement, CompileError> {
    Ok(CompiledStatement {
        kind,
        effect: statement.effect(),
        not_action: match statement.actions() {
            ActionSpec::NotAction(patterns) => Some(patterns.clone()),
            ActionSpec::Action(_) => None,
        },
        resources: ResourceMatcher::new(statement.resources()),
        principal: statement.principal().cloned(),
        conditions: statement.conditions().iter().map(CompiledCondition::new).collect::<Result<_, _>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::decision::Outcome;
    use crate::engine::request::Principal;

    fn set(docs: &[(&str, PolicyKind)]) -> CompiledPolicySet {
        let mut b = PolicySetBuilder::new();
        for (i, (text, kind)) in docs.iter().enumerate() {
            b.add(Policy::parse(&format!("p{i}"), text, *kind).unwrap());
        }
        b.build().unwrap()
    }

    fn req(action: &str, resource: &str) -> Request {
        Request::new("acs:ram::1:user/u".parse::<Principal>().unwrap(), action, resource)
    }

    #[test]
    fn patterns_fix_the_wildcard_free_segments_a_match_must_have() {
        let fixed = |text: &str| {
            let pattern = Pattern::new(text, Case::Sensitive);
            fixed_segments(&pattern).unwrap().into_iter().map(str::to_owned).collect::<Vec<_>>()
        };
        assert_eq!(
            fixed("acs:vpc:*:1:vpnconnection/vco-team7-*"),
            ["acs:", "vpc:", "1:", "vpnconnection/", "vco-", "team7-"]
        );
        assert_eq!(
            fixed("acs:vpc:cn-hangzhou:1:vpnconnection/vco-1"),
            ["acs:", "vpc:", "cn-", "hangzhou:", "1:", "vpnconnection/", "vco-", "1"]
        );
        assert_eq!(fixed("acs:vpc:cn-?:1:*/vco-1*"), ["acs:", "vpc:", "cn-", "1:", "vco-"]);
        assert_eq!(fixed("*vco-1"), ["1"]);
        assert!(fixed("*team-*").is_empty());
        assert!(fixed("vco*").is_empty());
        assert!(fixed_segments(&Pattern::new("acs:vpc:*", Case::Insensitive)).is_none());
    }

    #[test]
    fn a_resource_names_each_filed_segment_once() {
        let mut segments = Segments::default();
        let team = segments.id("team7-").unwrap();
        let vco = segments.id("vco-").unwrap();
        assert_eq!(segments.id("team7-").unwrap(), team);
        let mut out = Vec::new();
        segments.of(&format!("acs:vpc:x:1:vpnconnection/{}vco-1", "team7-".repeat(50)), &mut out);
        let mut expected = vec![team, vco];
        expected.sort_unstable();
        assert_eq!(out, expected);
        segments.of("acs:ecs:x:1:instance/i-1", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn globs_keep_ram_meaning() {
        assert_eq!(to_glob("a**b"), "a*b");
        assert_eq!(to_glob("a[b]{c},!\\"), "a\\[b\\]\\{c\\}\\,\\!\\\\");
        let s = glob_set(["vpc:describe*", "*:list?", "oss:a[b]"].into_iter()).unwrap();
        assert!(s.is_match("vpc:describevpcs"));
        assert!(s.is_match("ecs:lista"));
        assert!(!s.is_match("ecs:listab"));
        assert!(s.is_match("oss:a[b]"));
        assert!(!s.is_match("oss:ab"));
        assert!(glob_set(["a/*"].into_iter()).unwrap().is_match("a/b/c"));
    }

    #[test]
    fn indexes_literal_glob_and_not_action_statements() {
        let s = set(&[(
            r#"{"Version":"1","Statement":[
                {"Effect":"Allow","Action":"vpc:DeleteVpnConnection","Resource":"*"},
                {"Effect":"Allow","Action":"vpc:Describe*","Resource":"*"},
                {"Effect":"Allow","NotAction":"ecs:*","Resource":"acs:oss:*:*:*"},
                {"Effect":"Deny","Action":"*","Resource":"acs:vpc:*:*:vpc/vpc-locked"}]}"#,
            PolicyKind::Identity,
        )]);
        assert_eq!(s.len(), 4);
        let allow = |a: &str, r: &str| s.authorize(&req(a, r)).outcome;
        assert_eq!(allow("VPC:deletevpnconnection", "x"), Outcome::Allow);
        assert_eq!(allow("vpc:DescribeVpcs", "x"), Outcome::Allow);
        assert_eq!(allow("vpc:CreateVpc", "x"), Outcome::ImplicitDeny);
        assert_eq!(allow("rds:Anything", "acs:oss:r:1:b"), Outcome::Allow);
        assert_eq!(allow("ecs:Anything", "acs:oss:r:1:b"), Outcome::ImplicitDeny);
        assert_eq!(allow("vpc:DescribeVpcs", "acs:vpc:*:*:vpc/vpc-locked"), Outcome::ExplicitDeny);
    }

    proptest::proptest! {
        #[test]
        fn large_groups_match_like_their_patterns(
            patterns in proptest::collection::vec("vpc:[ade./*?\\\\\\[{,!]{0,6}", GLOBSET_THRESHOLD..GLOBSET_THRESHOLD * 2),
            actions in proptest::collection::vec("vpc:[adeé./\\\\\\[{,!]{0,6}", 1..20),
        ) {
            let mut group = PatternGroup::default();
            for (i, p) in patterns.iter().enumerate() {
                group.patterns.push((u32::try_from(i).unwrap(), Pattern::new(p, crate::language::pattern::Case::Insensitive)));
            }
            group.seal().unwrap();
            proptest::prop_assert!(group.set.is_some());
            for action in &actions {
                let mut out = Vec::new();
                group.collect(action, &mut Vec::new(), &mut out);
                out.sort_unstable();
                let expected: Vec<u32> =
                    group.patterns.iter().filter(|(_, p)| p.matches(action)).map(|(id, _)| *id).collect();
                proptest::prop_assert_eq!(out, expected);
            }
        }
    }

    #[test]
    fn like_lists_compile_to_one_matcher() {
        let s = set(&[(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*",
                "Condition":{"StringLike":{"oss:Prefix":["a/*","b/*","c?","dé*"]}}}]}"#,
            PolicyKind::Identity,
        )]);
        let with = |v: &str| s.authorize(&req("oss:GetObject", "*").with_context_value("oss:Prefix", v)).outcome;
        assert_eq!(with("a/x/y"), Outcome::Allow);
        assert_eq!(with("c1"), Outcome::Allow);
        assert_eq!(with("c12"), Outcome::ImplicitDeny);
        assert_eq!(with("déjà"), Outcome::Allow);
        assert_eq!(with("z"), Outcome::ImplicitDeny);
    }

    #[test]
    fn is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<CompiledPolicySet>();
        let s = set(&[(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            PolicyKind::Identity,
        )]);
        let c = s.clone();
        assert!(Arc::ptr_eq(&s.inner, &c.inner));
    }
}
