//! Placeholders read as unknown values by `ramguard diff`.
//!
//! A document read from a ROS template or a Terraform module can hold
//! placeholders, `{{Ref:Bucket}}` or `{{var.vpn_id}}`, for values known only
//! at deployment. The same placeholder is the same value on both sides of a
//! diff (the sides are one stack before and after a change), and nothing
//! else is known about it. Read as the literal text it is, a placeholder
//! would match nothing and hide the grants made through it, so `diff` asks
//! two questions instead:
//!
//! 1. **Generic values.** Each placeholder is replaced, everywhere, by one
//!    fresh token that no pattern names. A request the new side allows and
//!    the old side denies under those values is new access for every value
//!    of the placeholders that no pattern names: the diff fails, and shows
//!    the counterexample with the placeholders restored.
//! 2. **Every value.** Each statement that holds a placeholder is replaced
//!    by one that covers what it does for every value: on the side where
//!    more of it can only add new access (an `Allow` of the new side, a
//!    `Deny` of the old side) it is widened (the placeholder becomes `*`, a
//!    `NotAction` or a `Principal` that holds one covers everything, a
//!    condition entry that holds one is removed); on the other side it is
//!    removed. A statement both sides hold identically is removed from
//!    both when it is a `Deny` (it refuses the same requests on both sides),
//!    and widened on both when it is an identity or resource `Allow`. When
//!    this search finds nothing, no value of the placeholders gives new
//!    access; when it finds something, the answer is undecided.
//!
//! Widening a statement both sides share is exact only together with the
//! first search, and only while every other statement that holds a
//! placeholder is a `Deny` or not an identity or resource `Allow` of the new
//! side; beyond that the answer is undecided too. The account placeholders
//! (`{{ALIYUN::AccountId}}`, `{{ALIYUN::TenantId}}`, Terraform's
//! `data.alicloud_account.NAME.id` and
//! `data.alicloud_caller_identity.NAME.account_id`) are not unknowns: they are
//! the account the stack is deployed in, read as the account of the
//! principal the diff asks about.

use serde_json::{Map, Value};

use ramguard::PolicyKind;
use ramguard::sources::placeholders;

/// Whether `placeholder` (the text inside the braces) stands for the account
/// the stack is deployed in.
pub(crate) fn is_account(placeholder: &str) -> bool {
    let named = |prefix: &str, suffix: &str| {
        placeholder
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
            .is_some_and(|name| !name.is_empty() && !name.contains(['.', '[', ' ']))
    };
    matches!(placeholder, "ALIYUN::AccountId" | "ALIYUN::TenantId")
        || named("data.alicloud_account.", ".id")
        || named("data.alicloud_caller_identity.", ".account_id")
}

/// `text` with each placeholder replaced by what `with` gives for the text
/// inside its braces (`None` keeps it); the placeholders are those the
/// readers' own scanner finds.
pub(crate) fn replace(text: &str, with: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = text.to_owned();
    for inside in placeholders(text) {
        if let Some(value) = with(inside) {
            out = out.replace(&format!("{{{{{inside}}}}}"), &value);
        }
    }
    out
}

/// `value` with every string (object keys included) mapped by `f`.
pub(crate) fn map_strings(value: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(members) => {
            Value::Object(members.iter().map(|(k, v)| (f(k), map_strings(v, f))).collect::<Map<String, Value>>())
        }
        other => other.clone(),
    }
}

/// Whether any string in `value` (object keys included) holds a placeholder.
pub(crate) fn holds(value: &Value) -> bool {
    match value {
        Value::String(s) => !placeholders(s).is_empty(),
        Value::Array(items) => items.iter().any(holds),
        Value::Object(members) => members.iter().any(|(k, v)| !placeholders(k).is_empty() || holds(v)),
        _ => false,
    }
}

/// Every placeholder in `value` (strings and keys), each once, in order.
fn collect(value: &Value, out: &mut Vec<String>) {
    fn add(text: &str, out: &mut Vec<String>) {
        for p in placeholders(text) {
            if !out.iter().any(|o| o == p) {
                out.push(p.to_owned());
            }
        }
    }
    match value {
        Value::String(s) => add(s, out),
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        Value::Object(members) => {
            for (k, v) in members {
                add(k, out);
                collect(v, out);
            }
        }
        _ => {}
    }
}

/// The placeholders of a diff and the token each is read as.
pub(crate) struct Unknowns {
    /// Each unknown placeholder (the text inside the braces) and its token.
    tokens: Vec<(String, String)>,
    /// The account placeholders found.
    accounts: Vec<String>,
}

impl Unknowns {
    /// The placeholders of `documents`, each given a token that appears in
    /// none of `texts` (every document of the diff, lowercased).
    pub(crate) fn new<'a>(documents: impl Iterator<Item = &'a Value>, texts: &[String]) -> Self {
        let mut found = Vec::new();
        for document in documents {
            collect(document, &mut found);
        }
        let (accounts, unknown): (Vec<String>, Vec<String>) = found.into_iter().partition(|p| is_account(p));
        // Lowercase letters only: no wildcard, separator or ARN delimiter,
        // and the same under every case rule a pattern can use.
        let fresh = |prefix: &str| texts.iter().all(|t| !t.contains(prefix));
        let prefix = ["qzxunknown", "qzxqunknownq", "zqxwunknownwxq"]
            .into_iter()
            .find(|p| fresh(p))
            .map_or_else(|| format!("qzx{}unknown", texts.len()), str::to_owned);
        let tokens = unknown
            .into_iter()
            .enumerate()
            .map(|(n, p)| {
                let token = format!("{prefix}{}xzq", letters(n));
                (p, token)
            })
            .collect();
        Self { tokens, accounts }
    }

    /// Whether there is nothing to read as unknown.
    pub(crate) fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.accounts.is_empty()
    }

    /// The unknown placeholders, with their braces.
    pub(crate) fn unknown(&self) -> Vec<String> {
        self.tokens.iter().map(|(p, _)| format!("{{{{{p}}}}}")).collect()
    }

    /// The account placeholders, with their braces.
    pub(crate) fn accounts(&self) -> Vec<String> {
        self.accounts.iter().map(|p| format!("{{{{{p}}}}}")).collect()
    }

    /// `document` with each account placeholder replaced by `account` (kept
    /// when there is none), and each other placeholder by its token when
    /// `tokens` is set.
    pub(crate) fn substitute(&self, document: &Value, account: Option<&str>, tokens: bool) -> Value {
        let with = |inside: &str| -> Option<String> {
            if is_account(inside) {
                return account.map(str::to_owned);
            }
            if !tokens {
                return None;
            }
            self.tokens.iter().find(|(p, _)| p == inside).map(|(_, t)| t.clone())
        };
        map_strings(document, &|s| replace(s, &with))
    }

    /// `text` with each token shown as the placeholder it stands for.
    pub(crate) fn restore(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (placeholder, token) in &self.tokens {
            if out.contains(token.as_str()) {
                out = out.replace(token.as_str(), &format!("{{{{{placeholder}}}}}"));
            }
        }
        out
    }

    /// `value` with each token shown as the placeholder it stands for.
    pub(crate) fn restore_value(&self, value: &Value) -> Value {
        map_strings(value, &|s| self.restore(s))
    }
}

/// `n` written in the letters `a` to `p`, so that no token is a prefix of
/// another once the suffix is added.
fn letters(mut n: usize) -> String {
    const DIGITS: &[u8; 16] = b"abcdefghijklmnop";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS.get(n % 16).copied().unwrap_or(b'a'));
        n /= 16;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Which side of the diff a document is on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Old,
    New,
}

/// What the search over every value does with one statement that holds a
/// placeholder.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Treatment {
    Widen,
    Remove,
}

/// The statements of a document, as a list.
pub(crate) fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

/// A statement without its `Sid`, for comparing statements.
fn without_sid(statement: &Value) -> Value {
    match statement {
        Value::Object(members) => Value::Object(
            members.iter().filter(|(k, _)| k.as_str() != "Sid").map(|(k, v)| (k.clone(), v.clone())).collect(),
        ),
        other => other.clone(),
    }
}

fn is_deny(statement: &Value) -> bool {
    statement.get("Effect").and_then(Value::as_str) == Some("Deny")
}

/// One document of a diff that holds placeholders, with its account bound.
pub(crate) struct Template<'a> {
    pub(crate) side: Side,
    pub(crate) kind: PolicyKind,
    pub(crate) document: &'a Value,
}

/// What the search over every value makes of the documents, and whether its
/// answer settles the question.
pub(crate) struct Widened {
    /// Each document, in the order given, as the search over every value
    /// reads it.
    pub(crate) documents: Vec<Value>,
    /// Why finding nothing would still not settle the question, if it would not.
    pub(crate) unsettled: Option<String>,
}

/// The documents of the search over every value (see the module's
/// documentation), in the order of `templates`.
pub(crate) fn widen(templates: &[Template<'_>]) -> Widened {
    let grants = |kind: PolicyKind| matches!(kind, PolicyKind::Identity | PolicyKind::Resource);
    // Is `statement` (of `kind`, on `side`) held identically on the other side?
    let shared = |side: Side, kind: PolicyKind, statement: &Value| {
        let plain = without_sid(statement);
        templates
            .iter()
            .filter(|t| t.side != side && t.kind == kind)
            .any(|t| statements(t.document).into_iter().any(|s| without_sid(s) == plain))
    };
    let mut shares_grant = false;
    let mut lone_grant: Option<String> = None;
    let mut documents = Vec::with_capacity(templates.len());
    for template in templates {
        let mut kept = Vec::new();
        for statement in statements(template.document) {
            if !holds(statement) {
                kept.push(statement.clone());
                continue;
            }
            let deny = is_deny(statement);
            let both = shared(template.side, template.kind, statement);
            let treatment = match (both, deny, template.side) {
                (true, true, _) => Treatment::Remove,
                (true, false, _) if grants(template.kind) => {
                    shares_grant = true;
                    Treatment::Widen
                }
                (_, false, Side::New) | (_, true, Side::Old) => Treatment::Widen,
                (_, false, Side::Old) | (_, true, Side::New) => Treatment::Remove,
            };
            if !both && !deny && template.side == Side::New && grants(template.kind) && lone_grant.is_none() {
                let mut found = Vec::new();
                collect(statement, &mut found);
                lone_grant = Some(found.iter().map(|p| format!("{{{{{p}}}}}")).collect::<Vec<_>>().join(", "));
            }
            // A statement taken away leaves an inert one in its place, so
            // that the others keep their numbers.
            kept.push(match treatment {
                Treatment::Widen => widen_statement(statement),
                Treatment::Remove => inert(template.side),
            });
        }
        let mut document = template.document.clone();
        if let Value::Object(members) = &mut document {
            members.insert("Statement".to_owned(), Value::Array(kept));
        }
        documents.push(document);
    }
    let unsettled = match (shares_grant, lone_grant) {
        (true, Some(placeholders)) => Some(format!(
            "a statement of the new side that holds {placeholders} is not on the old side, next to statements \
             both sides share that hold placeholders: what it allows for every value cannot be settled"
        )),
        _ => None,
    };
    Widened { documents, unsettled }
}

/// A statement that stands in for one taken away: it applies to no real
/// request, and can neither add new access on the new
/// side (a `Deny`) nor take any away on the old side (an `Allow`).
fn inert(side: Side) -> Value {
    let effect = if side == Side::New { "Deny" } else { "Allow" };
    serde_json::json!({
        "Effect": effect,
        "Action": "ramguard-unknown:None",
        "Resource": "acs:ramguard-unknown:*:*:none",
    })
}

/// `statement` widened to cover what it does for every value of its
/// placeholders.
fn widen_statement(statement: &Value) -> Value {
    let Value::Object(members) = statement else { return statement.clone() };
    let star = |s: &str| replace(s, &|_| Some("*".to_owned()));
    let mut out = Map::new();
    for (key, value) in members {
        match key.as_str() {
            "Action" | "Resource" => {
                out.insert(key.clone(), map_strings(value, &star));
            }
            "NotAction" if holds(value) => {
                out.insert("Action".to_owned(), Value::String("*".to_owned()));
            }
            "Principal" if holds(value) => {
                out.insert("Principal".to_owned(), Value::String("*".to_owned()));
            }
            "Condition" => {
                if let Some(condition) = widen_condition(value) {
                    out.insert(key.clone(), condition);
                }
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// A `Condition` block without its entries that hold a placeholder; `None`
/// when nothing is left.
fn widen_condition(condition: &Value) -> Option<Value> {
    let Value::Object(operators) = condition else { return Some(condition.clone()) };
    let mut out = Map::new();
    for (operator, keys) in operators {
        if !placeholders(operator).is_empty() {
            continue;
        }
        let kept: Map<String, Value> = match keys {
            Value::Object(entries) => entries
                .iter()
                .filter(|(k, v)| placeholders(k).is_empty() && !holds(v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            other => {
                out.insert(operator.clone(), other.clone());
                continue;
            }
        };
        if !kept.is_empty() {
            out.insert(operator.clone(), Value::Object(kept));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(statements: Value) -> Value {
        serde_json::json!({"Version": "1", "Statement": statements})
    }

    #[test]
    fn tokens_are_fresh_distinct_and_restored() {
        let d = doc(serde_json::json!([{"Effect": "Allow", "Action": "oss:GetObject",
            "Resource": ["acs:oss:*:{{ALIYUN::AccountId}}:{{Ref:Bucket}}/*", "acs:oss:*:*:{{var.b}}"]}]));
        let texts = vec![d.to_string().to_lowercase(), "qzxunknown".to_owned()];
        let unknowns = Unknowns::new(std::iter::once(&d), &texts);
        assert_eq!(unknowns.unknown(), ["{{Ref:Bucket}}", "{{var.b}}"]);
        assert_eq!(unknowns.accounts(), ["{{ALIYUN::AccountId}}"]);
        let read = unknowns.substitute(&d, Some("123"), true);
        let text = read.to_string();
        assert!(!text.contains("{{") && text.contains("acs:oss:*:123:qzxqunknownqaxzq/*"), "{text}");
        assert!(text.contains("acs:oss:*:*:qzxqunknownqbxzq"), "{text}");
        assert_eq!(unknowns.restore(&text), d.to_string().replace("{{ALIYUN::AccountId}}", "123"));
        // Without tokens only the account is bound.
        let bound = unknowns.substitute(&d, Some("123"), false).to_string();
        assert!(bound.contains("{{Ref:Bucket}}") && !bound.contains("AccountId"), "{bound}");
    }

    #[test]
    fn letters_never_make_one_token_a_prefix_of_another() {
        let all: Vec<String> = (0..300).map(|n| format!("t{}xzq", letters(n))).collect();
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate() {
                assert!(i == j || !b.contains(a.as_str()), "{a} in {b}");
            }
        }
    }

    #[test]
    fn account_placeholders_are_known_by_name() {
        assert!(is_account("ALIYUN::TenantId"));
        assert!(is_account("data.alicloud_account.current.id"));
        assert!(is_account("data.alicloud_caller_identity.me.account_id"));
        assert!(!is_account("data.alicloud_account.current.name"));
        assert!(!is_account("var.account_id"));
    }

    #[test]
    fn widening_covers_every_value_and_removal_takes_the_statement_away() {
        let old = doc(serde_json::json!([
            {"Effect": "Deny", "NotAction": "vpc:{{Ref:A}}", "Resource": "*"},
            {"Effect": "Allow", "Action": "vpc:*", "Resource": "acs:vpc:*:*:vpc/{{Ref:V}}",
             "Condition": {"StringEquals": {"acs:SourceVpc": "{{Ref:V}}", "vpc:Tag/env": "prod"},
                           "IpAddress": {"acs:SourceIp": "{{Ref:Ip}}"}}},
            {"Effect": "Allow", "Action": "ecs:*", "Resource": "acs:ecs:*:*:instance/{{Ref:I}}"}
        ]));
        let new = doc(serde_json::json!([
            {"Sid": "again", "Effect": "Allow", "Action": "ecs:*", "Resource": "acs:ecs:*:*:instance/{{Ref:I}}"},
            {"Effect": "Deny", "Action": "ecs:*", "Resource": "{{Ref:I}}"}
        ]));
        let templates = [
            Template { side: Side::Old, kind: PolicyKind::Identity, document: &old },
            Template { side: Side::New, kind: PolicyKind::Identity, document: &new },
        ];
        let widened = widen(&templates);
        assert_eq!(widened.unsettled, None);
        let [old, new] = &widened.documents[..] else { panic!() };
        assert_eq!(
            old["Statement"],
            serde_json::json!([
                {"Effect": "Deny", "Action": "*", "Resource": "*"},
                inert(Side::Old),
                {"Effect": "Allow", "Action": "ecs:*", "Resource": "acs:ecs:*:*:instance/*"}
            ])
        );
        assert_eq!(
            new["Statement"],
            serde_json::json!([{"Sid": "again", "Effect": "Allow", "Action": "ecs:*",
                                "Resource": "acs:ecs:*:*:instance/*"}, inert(Side::New)])
        );
        // A new grant with a placeholder next to a shared one is not settled.
        let lone = doc(serde_json::json!([
            {"Effect": "Allow", "Action": "ecs:*", "Resource": "acs:ecs:*:*:instance/{{Ref:I}}"},
            {"Effect": "Allow", "Action": "oss:*", "Resource": ["acs:oss:*:*:{{Ref:B}}"]}
        ]));
        let templates = [
            Template { side: Side::Old, kind: PolicyKind::Identity, document: old },
            Template { side: Side::New, kind: PolicyKind::Identity, document: &lone },
        ];
        // `old` here is the widened one: it holds no placeholder, so nothing is shared.
        assert_eq!(widen(&templates).unsettled, None);
        let original_old = doc(serde_json::json!([
            {"Effect": "Allow", "Action": "ecs:*", "Resource": "acs:ecs:*:*:instance/{{Ref:I}}"}
        ]));
        let templates = [
            Template { side: Side::Old, kind: PolicyKind::Identity, document: &original_old },
            Template { side: Side::New, kind: PolicyKind::Identity, document: &lone },
        ];
        let why = widen(&templates).unsettled.unwrap();
        assert!(why.contains("{{Ref:B}}"), "{why}");
    }

    #[test]
    fn a_statement_taken_away_leaves_an_inert_one_in_its_place() {
        let new = doc(serde_json::json!([{"Effect": "Deny", "Action": "ecs:*", "Resource": "{{Ref:I}}"}]));
        let old = doc(serde_json::json!([{"Effect": "Allow", "Action": "ecs:*", "Resource": "{{Ref:I}}"}]));
        let templates = [
            Template { side: Side::Old, kind: PolicyKind::Control, document: &old },
            Template { side: Side::New, kind: PolicyKind::Control, document: &new },
        ];
        let widened = widen(&templates);
        assert_eq!(widened.documents[0]["Statement"][0]["Effect"], "Allow");
        assert_eq!(widened.documents[0]["Statement"][0]["Action"], "ramguard-unknown:None");
        assert_eq!(widened.documents[1]["Statement"][0]["Effect"], "Deny");
    }
}
