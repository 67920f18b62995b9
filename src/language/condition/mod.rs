//! Condition operators, typed policy values, and their evaluation against a
//! request's context.

pub(crate) mod value;

use std::collections::BTreeMap;
use std::fmt;

use crate::language::pattern::{Case, Pattern};
use value::{Decimal, Instant, IpNet};

/// The 21 condition operators of the RAM policy language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[expect(missing_docs, reason = "each variant is the RAM operator of the same name")]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    NotIpAddress,
}

/// How an operator compares, once negation is set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Equal,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

impl Operator {
    /// Every operator, in documentation order.
    pub const ALL: [Operator; 21] = [
        Operator::StringEquals,
        Operator::StringNotEquals,
        Operator::StringEqualsIgnoreCase,
        Operator::StringNotEqualsIgnoreCase,
        Operator::StringLike,
        Operator::StringNotLike,
        Operator::NumericEquals,
        Operator::NumericNotEquals,
        Operator::NumericLessThan,
        Operator::NumericLessThanEquals,
        Operator::NumericGreaterThan,
        Operator::NumericGreaterThanEquals,
        Operator::DateEquals,
        Operator::DateNotEquals,
        Operator::DateLessThan,
        Operator::DateLessThanEquals,
        Operator::DateGreaterThan,
        Operator::DateGreaterThanEquals,
        Operator::Bool,
        Operator::IpAddress,
        Operator::NotIpAddress,
    ];

    /// The operator's name as written in policies.
    pub fn name(self) -> &'static str {
        match self {
            Operator::StringEquals => "StringEquals",
            Operator::StringNotEquals => "StringNotEquals",
            Operator::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            Operator::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            Operator::StringLike => "StringLike",
            Operator::StringNotLike => "StringNotLike",
            Operator::NumericEquals => "NumericEquals",
            Operator::NumericNotEquals => "NumericNotEquals",
            Operator::NumericLessThan => "NumericLessThan",
            Operator::NumericLessThanEquals => "NumericLessThanEquals",
            Operator::NumericGreaterThan => "NumericGreaterThan",
            Operator::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Operator::DateEquals => "DateEquals",
            Operator::DateNotEquals => "DateNotEquals",
            Operator::DateLessThan => "DateLessThan",
            Operator::DateLessThanEquals => "DateLessThanEquals",
            Operator::DateGreaterThan => "DateGreaterThan",
            Operator::DateGreaterThanEquals => "DateGreaterThanEquals",
            Operator::Bool => "Bool",
            Operator::IpAddress => "IpAddress",
            Operator::NotIpAddress => "NotIpAddress",
        }
    }

    /// Looks an operator up by its exact name.
    pub fn from_name(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether the operator is a negation (true only when the request value
    /// matches none of the listed values).
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Operator::StringNotEquals
                | Operator::StringNotEqualsIgnoreCase
                | Operator::StringNotLike
                | Operator::NumericNotEquals
                | Operator::DateNotEquals
                | Operator::NotIpAddress
        )
    }

    /// What a policy value for this operator must be, for messages.
    pub fn value_type(self) -> ValueType {
        match self {
            Operator::StringEquals
            | Operator::StringNotEquals
            | Operator::StringEqualsIgnoreCase
            | Operator::StringNotEqualsIgnoreCase
            | Operator::StringLike
            | Operator::StringNotLike => ValueType::String,
            Operator::NumericEquals
            | Operator::NumericNotEquals
            | Operator::NumericLessThan
            | Operator::NumericLessThanEquals
            | Operator::NumericGreaterThan
            | Operator::NumericGreaterThanEquals => ValueType::Number,
            Operator::DateEquals
            | Operator::DateNotEquals
            | Operator::DateLessThan
            | Operator::DateLessThanEquals
            | Operator::DateGreaterThan
            | Operator::DateGreaterThanEquals => ValueType::Date,
            Operator::Bool => ValueType::Bool,
            Operator::IpAddress | Operator::NotIpAddress => ValueType::Ip,
        }
    }

    fn compare(self) -> Compare {
        match self {
            Operator::NumericLessThan | Operator::DateLessThan => Compare::Less,
            Operator::NumericLessThanEquals | Operator::DateLessThanEquals => Compare::LessEqual,
            Operator::NumericGreaterThan | Operator::DateGreaterThan => Compare::Greater,
            Operator::NumericGreaterThanEquals | Operator::DateGreaterThanEquals => Compare::GreaterEqual,
            _ => Compare::Equal,
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The type of value an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Any string.
    String,
    /// A decimal number written as a string (`"10"`, `"-2.5"`).
    Number,
    /// An ISO 8601 date-time with `Z` or an offset, or a bare date.
    Date,
    /// `"true"` or `"false"`.
    Bool,
    /// An IPv4 or IPv6 address or CIDR block.
    Ip,
}

impl ValueType {
    /// A description for messages: "an IP address or CIDR block".
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::String => "a string",
            ValueType::Number => "a decimal number such as `10` or `-2.5`",
            ValueType::Date => "an ISO 8601 date-time with `Z` or an offset, such as `2019-08-12T17:00:00+08:00`",
            ValueType::Bool => "`true` or `false`",
            ValueType::Ip => "an IPv4 or IPv6 address or CIDR block, such as `192.168.0.0/16`",
        }
    }
}

/// `ForAnyValue:` or `ForAllValues:` in front of an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// True when at least one request value satisfies the operator.
    ForAnyValue,
    /// True when every request value satisfies the operator (and when there are none).
    ForAllValues,
}

impl SetQualifier {
    /// The qualifier's name, without the colon.
    pub fn name(self) -> &'static str {
        match self {
            SetQualifier::ForAnyValue => "ForAnyValue",
            SetQualifier::ForAllValues => "ForAllValues",
        }
    }
}

/// Condition keys written without a service prefix that stand for a prefixed key
/// (lowercase). A policy may write either form; a request may supply either.
const KEY_ALIASES: &[(&str, &str)] = &[("instancetype", "expressconnectrouter:instancetype")];

/// The canonical form of a condition key name: ASCII-lowercased, with
/// documented aliases resolved.
pub fn canonical_key(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    KEY_ALIASES.iter().find(|(alias, _)| *alias == lower).map_or(lower, |(_, target)| (*target).to_owned())
}

/// A policy's values for one condition, typed when the policy is parsed.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    Strings(Vec<String>),
    /// Lowercased, for the `IgnoreCase` operators.
    Folded(Vec<String>),
    Patterns(Vec<Pattern>),
    Numbers(Vec<Decimal>),
    Instants(Vec<Instant>),
    Bools(Vec<bool>),
    Nets(Vec<IpNet>),
}

/// A policy value that does not have its operator's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadPolicyValue {
    pub(crate) index: usize,
    pub(crate) value: String,
    pub(crate) expected: ValueType,
}

/// One operator applied to one key: `"IpAddress": {"acs:SourceIp": [...]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    operator: Operator,
    qualifier: Option<SetQualifier>,
    key: String,
    canonical: String,
    raw: Vec<String>,
    values: Values,
}

/// Every value typed, or every value that is not of the type.
fn typed<T>(
    raw: &[String],
    expected: ValueType,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, Vec<BadPolicyValue>> {
    let mut typed = Vec::with_capacity(raw.len());
    let mut bad = Vec::new();
    for (index, s) in raw.iter().enumerate() {
        match parse(s) {
            Some(v) => typed.push(v),
            None => bad.push(BadPolicyValue { index, value: s.clone(), expected }),
        }
    }
    if bad.is_empty() { Ok(typed) } else { Err(bad) }
}

impl Condition {
    pub(crate) fn new(
        operator: Operator,
        qualifier: Option<SetQualifier>,
        key: &str,
        raw: Vec<String>,
    ) -> Result<Self, Vec<BadPolicyValue>> {
        let expected = operator.value_type();
        let values = match operator {
            Operator::StringEquals | Operator::StringNotEquals => Values::Strings(raw.clone()),
            Operator::StringEqualsIgnoreCase | Operator::StringNotEqualsIgnoreCase => {
                Values::Folded(raw.iter().map(|s| s.to_ascii_lowercase()).collect())
            }
            Operator::StringLike | Operator::StringNotLike => {
                Values::Patterns(raw.iter().map(|s| Pattern::new(s, Case::Sensitive)).collect())
            }
            _ => match expected {
                ValueType::Number => Values::Numbers(typed(&raw, expected, value::parse_decimal)?),
                ValueType::Date => Values::Instants(typed(&raw, expected, value::parse_instant)?),
                ValueType::Bool => Values::Bools(typed(&raw, expected, value::parse_bool)?),
                ValueType::Ip => Values::Nets(typed(&raw, expected, value::parse_ipnet)?),
                ValueType::String => Values::Strings(raw.clone()),
            },
        };
        Ok(Self { operator, qualifier, key: key.to_owned(), canonical: canonical_key(key), raw, values })
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }
    /// The set qualifier, if any.
    pub fn qualifier(&self) -> Option<SetQualifier> {
        self.qualifier
    }
    /// The key as written in the policy.
    pub fn key(&self) -> &str {
        &self.key
    }
    /// The canonical key (lowercase, aliases resolved).
    pub fn canonical_key(&self) -> &str {
        &self.canonical
    }
    /// The values as written in the policy.
    pub fn values(&self) -> &[String] {
        &self.raw
    }

    /// The operator as written, with its qualifier: `ForAllValues:StringEquals`.
    pub fn operator_text(&self) -> String {
        match self.qualifier {
            Some(q) => format!("{}:{}", q.name(), self.operator.name()),
            None => self.operator.name().to_owned(),
        }
    }

    /// Whether one request value matches at least one policy value under the
    /// operator's comparison, negation set aside. `Err` when the request value
    /// does not have the operator's type.
    pub(crate) fn matches_any(&self, request: &str) -> Result<bool, ValueType> {
        let compare = self.operator.compare();
        let ordered = |ord: std::cmp::Ordering| match compare {
            Compare::Equal => ord.is_eq(),
            Compare::Less => ord.is_lt(),
            Compare::LessEqual => ord.is_le(),
            Compare::Greater => ord.is_gt(),
            Compare::GreaterEqual => ord.is_ge(),
        };
        let expected = self.operator.value_type();
        Ok(match &self.values {
            Values::Strings(vs) => vs.iter().any(|v| v == request),
            Values::Folded(vs) => vs.iter().any(|v| v.eq_ignore_ascii_case(request)),
            Values::Patterns(ps) => ps.iter().any(|p| p.matches(request)),
            Values::Numbers(vs) => {
                let r = value::parse_decimal(request).ok_or(expected)?;
                vs.iter().any(|v| ordered(r.cmp(v)))
            }
            Values::Instants(vs) => {
                let r = value::parse_instant(request).ok_or(expected)?;
                vs.iter().any(|v| ordered(r.cmp(v)))
            }
            Values::Bools(vs) => {
                let r = value::parse_bool(request).ok_or(expected)?;
                vs.contains(&r)
            }
            Values::Nets(vs) => {
                let r = value::parse_ip(request).ok_or(expected)?;
                vs.iter().any(|v| v.contains(r))
            }
        })
    }

    /// Evaluates the condition against the request's values for its key.
    pub(crate) fn evaluate(&self, context: &Context) -> ConditionResult {
        let values = context.get_canonical(&self.canonical);
        let outcome = self
            .outcome(values, |v| self.matches_any(v))
            .map_err(|(value, expected)| BadRequestValue { value: value.to_owned(), expected });
        ConditionResult { outcome, missing: values.is_empty() }
    }

    /// Whether the condition holds, a malformed request value counting as
    /// `on_malformed`. Allocates nothing.
    pub(crate) fn holds(&self, context: &Context, on_malformed: bool) -> bool {
        self.holds_with(context, on_malformed, |v| self.matches_any(v))
    }

    /// [`Condition::holds`] with another way to compare one request value
    /// against the policy values (a compiled matcher with the same meaning).
    pub(crate) fn holds_with(
        &self,
        context: &Context,
        on_malformed: bool,
        matches_any: impl Fn(&str) -> Result<bool, ValueType>,
    ) -> bool {
        self.outcome(context.get_canonical(&self.canonical), matches_any).unwrap_or(on_malformed)
    }

    /// The rules for missing keys, multi-valued keys, negation and set
    /// qualifiers, over a comparison of one request value with the policy's
    /// values. `Err` names the first malformed request value.
    fn outcome<'v>(
        &self,
        values: &'v [String],
        matches_any: impl Fn(&str) -> Result<bool, ValueType>,
    ) -> Result<bool, (&'v str, ValueType)> {
        let negated = self.operator.is_negated();
        let mut any = false;
        let mut all = true;
        for v in values {
            let matched = matches_any(v).map_err(|expected| (v.as_str(), expected))?;
            // Without a qualifier, `any` is "some value matches"; with one, it
            // and `all` track values that satisfy the operator, negation included.
            let satisfied = if self.qualifier.is_some() { matched != negated } else { matched };
            any |= satisfied;
            all &= satisfied;
        }
        Ok(match self.qualifier {
            None => any != negated,
            Some(SetQualifier::ForAnyValue) => any,
            Some(SetQualifier::ForAllValues) => all,
        })
    }
}

/// A request value that does not have the type its operator compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequestValue {
    /// The value the request carried.
    pub value: String,
    /// What the operator needed.
    pub expected: ValueType,
}

/// The result of one condition against one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConditionResult {
    /// `Ok(holds)`, or the malformed request value.
    pub(crate) outcome: Result<bool, BadRequestValue>,
    /// Whether the request had no value for the key.
    pub(crate) missing: bool,
}

/// The request's context: condition key → values. Keys are case-insensitive
/// and aliases resolve; a key may carry several values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    entries: BTreeMap<String, Vec<String>>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value for `key` (keeping any values it already has).
    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.entries.entry(canonical_key(key)).or_default().push(value.into());
        self
    }

    /// Sets `key` to exactly `values`, replacing what it had.
    pub fn set(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.entries.insert(canonical_key(key), values);
        self
    }

    /// Builder form of [`Context::insert`].
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// The values for `key` (none when absent).
    pub fn get(&self, key: &str) -> &[String] {
        self.get_canonical(&canonical_key(key))
    }

    /// Whether `key` has at least one value.
    pub fn contains(&self, key: &str) -> bool {
        !self.get(key).is_empty()
    }

    pub(crate) fn get_canonical(&self, canonical: &str) -> &[String] {
        self.entries.get(canonical).map_or(&[], Vec::as_slice)
    }

    /// Every key (canonical form) and its values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: Operator, q: Option<SetQualifier>, key: &str, vals: &[&str]) -> Condition {
        Condition::new(op, q, key, vals.iter().map(|s| (*s).to_owned()).collect()).unwrap()
    }

    fn eval(c: &Condition, ctx: &Context) -> Result<bool, BadRequestValue> {
        c.evaluate(ctx).outcome
    }

    #[test]
    fn twenty_one_operators_round_trip_by_name() {
        assert_eq!(Operator::ALL.len(), 21);
        for op in Operator::ALL {
            assert_eq!(Operator::from_name(op.name()), Some(op));
        }
        assert_eq!(Operator::from_name("stringequals"), None);
        assert_eq!(Operator::from_name("Null"), None);
    }

    #[test]
    fn negated_operators_are_nor() {
        let c = cond(Operator::StringNotEquals, None, "acs:SourceVpc", &["vpc-a", "vpc-b"]);
        assert_eq!(eval(&c, &Context::new().with("acs:SourceVpc", "vpc-c")), Ok(true));
        assert_eq!(eval(&c, &Context::new().with("acs:SourceVpc", "vpc-b")), Ok(false));
        assert_eq!(eval(&c, &Context::new()), Ok(true));
    }

    #[test]
    fn missing_keys() {
        let pos = cond(Operator::StringEquals, None, "k", &["v"]);
        let r = pos.evaluate(&Context::new());
        assert_eq!(r.outcome, Ok(false));
        assert!(r.missing);
        let any = cond(Operator::StringEquals, Some(SetQualifier::ForAnyValue), "k", &["v"]);
        assert_eq!(eval(&any, &Context::new()), Ok(false));
        let all = cond(Operator::StringEquals, Some(SetQualifier::ForAllValues), "k", &["v"]);
        assert_eq!(eval(&all, &Context::new()), Ok(true));
    }

    #[test]
    fn set_qualifiers() {
        let ctx = Context::new().with("ram:TrustedPrincipalTypes", "Service").with("ram:TrustedPrincipalTypes", "RAM");
        let all =
            cond(Operator::StringEquals, Some(SetQualifier::ForAllValues), "ram:TrustedPrincipalTypes", &["Service"]);
        assert_eq!(eval(&all, &ctx), Ok(false));
        let any =
            cond(Operator::StringEquals, Some(SetQualifier::ForAnyValue), "ram:TrustedPrincipalTypes", &["Service"]);
        assert_eq!(eval(&any, &ctx), Ok(true));
        let only = Context::new().with("ram:TrustedPrincipalTypes", "Service");
        assert_eq!(eval(&all, &only), Ok(true));
        let all_not =
            cond(Operator::StringNotEquals, Some(SetQualifier::ForAllValues), "ram:TrustedPrincipalTypes", &["RAM"]);
        assert_eq!(eval(&all_not, &ctx), Ok(false));
        assert_eq!(eval(&all_not, &only), Ok(true));
    }

    #[test]
    fn keys_are_case_insensitive_and_aliased() {
        let c = cond(Operator::StringEquals, None, "InstanceType", &["VBR"]);
        assert_eq!(c.canonical_key(), "expressconnectrouter:instancetype");
        assert_eq!(eval(&c, &Context::new().with("expressconnectrouter:InstanceType", "VBR")), Ok(true));
        assert_eq!(eval(&c, &Context::new().with("INSTANCETYPE", "VBR")), Ok(true));
        let arn = cond(Operator::StringLike, None, "acs:PrincipalARN", &["acs:ram::1:role/*"]);
        assert_eq!(eval(&arn, &Context::new().with("acs:PrincipalArn", "acs:ram::1:role/ops")), Ok(true));
    }

    #[test]
    fn malformed_request_values_are_errors() {
        let c = cond(Operator::IpAddress, None, "acs:SourceIp", &["10.0.0.0/8"]);
        let err = eval(&c, &Context::new().with("acs:SourceIp", "not-an-ip")).unwrap_err();
        assert_eq!(err.value, "not-an-ip");
        assert_eq!(err.expected, ValueType::Ip);
    }

    #[test]
    fn malformed_policy_values_are_rejected() {
        let err = Condition::new(
            Operator::DateLessThan,
            None,
            "acs:CurrentTime",
            vec!["later".into(), "2019-08-12T17:00:00+08:00".into(), "soon".into()],
        )
        .unwrap_err();
        assert_eq!(err.iter().map(|e| e.index).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(err[1].expected, ValueType::Date);
    }
}
