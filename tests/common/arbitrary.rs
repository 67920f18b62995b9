//! Arbitrary JSON documents in the shape of RAM policies, for the property
//! tests that feed the reader, the evaluator and the linter anything.

use proptest::prelude::*;

/// Values RAM policies hold, and a few that are nearly right.
const WORDS: [&str; 13] = [
    "1",
    "Allow",
    "Deny",
    "*",
    "vpc:Delete*",
    "vpc:DeleteIpsecSever",
    "ram:*",
    "expressconnectrouter:RevokeInstanceFromExpressConnectRouter",
    "acs:vpc:*:*:vpnipsecserver/*",
    "acs:*:*:*:**?",
    "VBR",
    "10.0.0.0/8",
    "2019-08-12T17:00:00+08:00",
];

/// Member names of policies, their conditions and principals.
const NAMES: [&str; 20] = [
    "Version",
    "Statement",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "Principal",
    "Condition",
    "Sid",
    "RAM",
    "StringEquals",
    "StringLike",
    "ForAnyValue:StringLike",
    "ForAllValues:IpAddress",
    "Bool",
    "NumericLessThan",
    "DateLessThan",
    "acs:SourceIp",
    "InstanceType",
    "vpc:tag/env",
];

/// Any JSON value up to five levels deep: policy words and names mixed with
/// arbitrary text, numbers, booleans and nulls.
pub fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|n| serde_json::json!(n)),
        prop_oneof![prop::sample::select(&WORDS[..]).prop_map(str::to_owned), ".{0,12}"]
            .prop_map(serde_json::Value::String),
    ];
    let names = prop_oneof![prop::sample::select(&NAMES[..]).prop_map(str::to_owned), ".{0,8}"];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(names.clone(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}
