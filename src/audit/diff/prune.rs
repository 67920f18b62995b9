//! The context search for one action and resource: a depth-first walk over
//! the keys' values that prunes, with three-valued logic, every partial
//! context under which the new set cannot allow or the old set must allow.
//!
//! Pruning only skips requests; every request reached is still decided by
//! the real evaluator. Whether a statement applies is three-valued (Kleene's
//! logic, sound for AND and OR: a false or true with keys still open stays
//! so however they are filled); each kind's verdict is then narrowed to the
//! verdicts still possible, and RAM's order of evaluation, the very function
//! both engines use, is run over every combination of them. A subtree is
//! pruned only when every combination agrees, so it never holds a
//! counterexample.

use crate::engine::eval::{PolicySet, Verdict, decide, principal_matches};
use crate::engine::request::{Principal, Request};
use crate::language::condition::Context;
use crate::language::policy::{Effect, PolicyKind, Statement};

use super::values::KeyValues;

/// False, unknown, true.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    False,
    Unknown,
    True,
}

impl Tri {
    fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }
}

/// One statement about the action and resource: whether its conditions on
/// fixed facts hold, and for each condition on a searched key, whether it
/// holds under each of the key's values.
struct Relevant {
    kind: PolicyKind,
    deny: bool,
    fixed: bool,
    tables: Vec<(usize, Vec<bool>)>,
}

/// A policy set's statements about one action, and which kinds it has.
pub(crate) struct About<'s> {
    pub(crate) statements: Vec<(PolicyKind, &'s Statement)>,
    control: bool,
    session: bool,
}

impl<'s> About<'s> {
    /// The statements of `set` whose action element covers `action`.
    pub(crate) fn new(set: &'s PolicySet, action: &str) -> Self {
        let statements = set
            .iter()
            .flat_map(|p| p.statements().iter().map(move |s| (p.kind(), s)))
            .filter(|(_, s)| s.actions().matches(action))
            .collect();
        Self {
            statements,
            control: !set.policies(PolicyKind::Control).is_empty(),
            session: !set.policies(PolicyKind::Session).is_empty(),
        }
    }
}

/// What one policy set needs for a decision on one action and resource.
pub(crate) struct SetModel {
    statements: Vec<Relevant>,
    control: bool,
    session: bool,
    /// The request without the searched keys, and its one resource.
    base: Request,
    resource: String,
}

impl SetModel {
    /// The statements of `about` (a set's statements about `action`) that
    /// cover `resource`, their conditions tabulated over the values of `keys`.
    pub(crate) fn new(
        about: &About<'_>,
        principal: &Principal,
        action: &str,
        resource: &str,
        keys: &[&KeyValues],
        key_of: impl Fn(&str) -> Option<usize>,
    ) -> Self {
        let base = Request::new(principal.clone(), action, resource);
        let statements = about
            .statements
            .iter()
            .filter_map(|(kind, s)| relevant(*kind, s, &base, resource, keys, &key_of))
            .collect();
        Self { statements, control: about.control, session: about.session, base, resource: resource.to_owned() }
    }

    /// Whether the set allows, as far as `assigned` (a value index per key,
    /// `None` while open) decides it. Each kind's verdict is narrowed to
    /// the ones its statements can still give, and RAM's order of
    /// evaluation itself (`eval::decide`, shared with both engines) is run
    /// on every combination of them: true when all allow, false when none
    /// does. Treating the kinds as independent can only widen what is
    /// unknown, which costs pruning, never a counterexample.
    pub(crate) fn allows(&self, assigned: &[Option<usize>]) -> Tri {
        let (mut deny, mut allow) = ([Tri::False; 4], [Tri::False; 4]);
        for s in &self.statements {
            let applies = s.applies(assigned);
            let slot = if s.deny { &mut deny } else { &mut allow };
            if let Some(v) = slot.get_mut(index(s.kind)) {
                *v = v.or(applies);
            }
        }
        // The verdicts each kind can still give, without allocating: this
        // runs at every node of the search.
        let mut options = [([Verdict::Silent; 3], 0usize); 4];
        for ((verdicts, len), (d, a)) in options.iter_mut().zip(deny.into_iter().zip(allow)) {
            for (possible, verdict) in [
                (d != Tri::False, Verdict::Deny),
                (d != Tri::True && a != Tri::False, Verdict::Allow),
                (d != Tri::True && a != Tri::True, Verdict::Silent),
            ] {
                if let Some(slot) = verdicts.get_mut(*len).filter(|_| possible) {
                    *slot = verdict;
                    *len += 1;
                }
            }
        }
        let present = |kind| match kind {
            PolicyKind::Control => self.control,
            PolicyKind::Session => self.session,
            PolicyKind::Identity | PolicyKind::Resource => true,
        };
        let (mut some_allow, mut some_deny) = (false, false);
        let mut choice = [0usize; 4];
        loop {
            let verdict = |kind| {
                let i = index(kind);
                options.get(i).and_then(|(v, _)| v.get(choice.get(i).copied().unwrap_or(0))).copied()
            };
            let decision = decide(&self.base, &self.resource, present, |kind| verdict(kind).unwrap_or(Verdict::Silent));
            if decision.outcome.is_allow() {
                some_allow = true;
            } else {
                some_deny = true;
            }
            if some_allow && some_deny {
                return Tri::Unknown;
            }
            // The next combination, odometer style.
            let mut carried = true;
            for (c, (_, len)) in choice.iter_mut().zip(&options) {
                *c += 1;
                if *c < *len {
                    carried = false;
                    break;
                }
                *c = 0;
            }
            if carried {
                break;
            }
        }
        if some_allow { Tri::True } else { Tri::False }
    }
}

fn index(kind: PolicyKind) -> usize {
    match kind {
        PolicyKind::Control => 0,
        PolicyKind::Session => 1,
        PolicyKind::Identity => 2,
        PolicyKind::Resource => 3,
    }
}

impl Relevant {
    fn applies(&self, assigned: &[Option<usize>]) -> Tri {
        if !self.fixed {
            return Tri::False;
        }
        let mut result = Tri::True;
        for (key, table) in &self.tables {
            match assigned.get(*key).copied().flatten() {
                Some(i) => {
                    if !table.get(i).copied().unwrap_or(false) {
                        return Tri::False;
                    }
                }
                None => result = Tri::Unknown,
            }
        }
        result
    }
}

fn relevant(
    kind: PolicyKind,
    s: &Statement,
    base: &Request,
    resource: &str,
    keys: &[&KeyValues],
    key_of: &impl Fn(&str) -> Option<usize>,
) -> Option<Relevant> {
    if !s.actions().matches(base.action()) || !s.matches_resource(resource) {
        return None;
    }
    if let Some(p) = s.principal()
        && !principal_matches(p, base.principal())
    {
        return None;
    }
    let deny = s.effect() == Effect::Deny;
    let mut fixed = true;
    let mut tables = Vec::new();
    for c in s.conditions() {
        match key_of(c.canonical_key()).and_then(|i| keys.get(i).map(|kv| (i, kv))) {
            Some((i, kv)) => {
                let table = kv
                    .choices
                    .iter()
                    .map(|choice| {
                        let mut ctx = Context::new();
                        if let Some(values) = choice {
                            ctx.set(&kv.key, values.clone());
                        }
                        c.holds(&ctx, deny)
                    })
                    .collect();
                tables.push((i, table));
            }
            // A key that is not searched (`acs:PrincipalARN`) has the
            // request's own value.
            None => fixed &= c.holds(base.context(), deny),
        }
    }
    Some(Relevant { kind, deny, fixed, tables })
}

/// What a leaf of the search asks the caller to do next.
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// The search over the keys' values.
pub(crate) struct Walk<'m> {
    pub(crate) sizes: Vec<usize>,
    pub(crate) new: &'m SetModel,
    pub(crate) old: Option<&'m SetModel>,
    /// Leaves (requests) left.
    pub(crate) leaves: usize,
    /// Inner nodes left.
    pub(crate) nodes: usize,
}

impl Walk<'_> {
    /// Calls `f` on every full assignment that pruning cannot rule out, in
    /// lexicographic order of the value indexes (each key absent first, so
    /// early keys stay absent when they can). Returns whether the walk
    /// finished within its budgets (`false` also when `f` stopped it).
    pub(crate) fn run(&mut self, f: &mut dyn FnMut(&[usize]) -> Flow) -> bool {
        let mut assigned: Vec<Option<usize>> = vec![None; self.sizes.len()];
        self.descend(0, &mut assigned, f)
    }

    fn viable(&self, assigned: &[Option<usize>]) -> bool {
        self.new.allows(assigned) != Tri::False && self.old.is_none_or(|o| o.allows(assigned) != Tri::True)
    }

    fn descend(
        &mut self,
        depth: usize,
        assigned: &mut Vec<Option<usize>>,
        f: &mut dyn FnMut(&[usize]) -> Flow,
    ) -> bool {
        if self.nodes == 0 {
            return false;
        }
        self.nodes -= 1;
        if !self.viable(assigned) {
            return true;
        }
        let Some(&size) = self.sizes.get(depth) else {
            if self.leaves == 0 {
                return false;
            }
            self.leaves -= 1;
            let full: Vec<usize> = assigned.iter().map(|a| a.unwrap_or(0)).collect();
            return matches!(f(&full), Flow::Continue);
        };
        for choice in 0..size {
            if let Some(slot) = assigned.get_mut(depth) {
                *slot = Some(choice);
            }
            if !self.descend(depth + 1, assigned, f) {
                return false;
            }
        }
        if let Some(slot) = assigned.get_mut(depth) {
            *slot = None;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kleene_logic() {
        assert_eq!(Tri::Unknown.or(Tri::True), Tri::True);
        assert_eq!(Tri::Unknown.or(Tri::False), Tri::Unknown);
    }

    #[test]
    fn leaves_come_in_order_and_pruning_skips_nothing_when_open() {
        let root: Principal = "acs:ram::1:root".parse().unwrap();
        let resource = "acs:vpc:cn-hangzhou:1:vpc/v";
        let empty = SetModel {
            statements: Vec::new(),
            control: false,
            session: false,
            base: Request::new(root, "vpc:DeleteVpc", resource),
            resource: resource.to_owned(),
        };
        assert_eq!(empty.allows(&[None, None]), Tri::True);
        let mut seen = Vec::new();
        let mut walk = Walk { sizes: vec![2, 3], new: &empty, old: None, leaves: 100, nodes: 1000 };
        assert!(walk.run(&mut |a| {
            seen.push(a.to_vec());
            Flow::Continue
        }));
        assert_eq!(seen, [vec![0, 0], vec![0, 1], vec![0, 2], vec![1, 0], vec![1, 1], vec![1, 2]]);
        let mut walk = Walk { sizes: vec![2, 3], new: &empty, old: None, leaves: 2, nodes: 1000 };
        assert!(!walk.run(&mut |_| Flow::Continue));
    }
}
