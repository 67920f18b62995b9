//! The lint rules, driven by data: every rule has a policy in
//! `tests/cases/lint/` that triggers it, with the findings written by hand in
//! a sibling `.expect` file, and one that is clean. The whole corpus and the
//! bundled policies are linted too, and no input makes the linter panic.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

#[path = "common/arbitrary.rs"]
mod arbitrary;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use ramguard::catalog::Catalog;
use ramguard::lint::{Finding, LintOptions, RULES, Severity, lint, rule};
use ramguard::{Limits, Policy, PolicyKind};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn run(file: &str, text: &str, kind: Option<PolicyKind>) -> Vec<Finding> {
    run_with(Catalog::builtin().unwrap(), file, text, kind)
}

fn run_with(catalog: &Catalog, file: &str, text: &str, kind: Option<PolicyKind>) -> Vec<Finding> {
    let limits = Limits::default();
    lint(file, text, &LintOptions { catalog, limits: &limits, kind })
}

/// The built-in catalog with a user catalog file merged into it.
fn merged(user: &str) -> Catalog {
    let mut catalog = Catalog::builtin().unwrap().clone();
    catalog.merge(Catalog::from_json(user).unwrap()).unwrap();
    catalog
}

/// `(code, "line:column", path)` of each finding.
fn triples(findings: &[Finding]) -> BTreeSet<(String, String, String)> {
    findings.iter().map(|f| (f.code.to_owned(), f.location.to_string(), f.path.to_string())).collect()
}

fn describe(findings: &[Finding]) -> String {
    findings.iter().map(|f| format!("  {f}\n    help: {}", f.help)).collect::<Vec<_>>().join("\n")
}

/// One case: `<CODE>-<name>.trigger.json`, `.clean.json` and `.expect`, and
/// optionally `.catalog.json`, operations merged into the built-in catalog.
struct Case {
    name: String,
    code: String,
    kind: Option<PolicyKind>,
    catalog: Catalog,
    expected: BTreeSet<(String, String, String)>,
    trigger: String,
    clean: String,
}

fn kind_named(name: &str) -> PolicyKind {
    match name {
        "identity" => PolicyKind::Identity,
        "session" => PolicyKind::Session,
        "control" => PolicyKind::Control,
        "resource" => PolicyKind::Resource,
        other => panic!("unknown kind `{other}`"),
    }
}

fn cases() -> Vec<Case> {
    let dir = root().join("tests/cases/lint");
    let mut names: BTreeSet<String> = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let stem =
            [".trigger.json", ".clean.json", ".catalog.json", ".expect"].iter().find_map(|s| file.strip_suffix(s));
        names.insert(stem.unwrap_or_else(|| panic!("unexpected file {file} in tests/cases/lint")).to_owned());
    }
    names
        .into_iter()
        .map(|name| {
            let read = |suffix: &str| {
                std::fs::read_to_string(dir.join(format!("{name}{suffix}")))
                    .unwrap_or_else(|e| panic!("{name}{suffix}: {e}"))
            };
            let mut kind = None;
            let mut expected = BTreeSet::new();
            for line in read(".expect").lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
                if let Some(k) = line.strip_prefix("kind:") {
                    kind = Some(kind_named(k.trim()));
                    continue;
                }
                let mut parts = line.splitn(3, ' ');
                let (code, at, path) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
                expected.insert((code.to_owned(), at.to_owned(), path.to_owned()));
            }
            let code = name.split('-').next().unwrap().to_owned();
            let catalog = match std::fs::read_to_string(dir.join(format!("{name}.catalog.json"))) {
                Ok(user) => merged(&user),
                Err(_) => Catalog::builtin().unwrap().clone(),
            };
            Case { code, kind, catalog, expected, trigger: read(".trigger.json"), clean: read(".clean.json"), name }
        })
        .collect()
}

#[test]
fn every_case_produces_exactly_its_expected_findings() {
    let mut failures = Vec::new();
    for case in cases() {
        let found = run_with(&case.catalog, &format!("{}.trigger.json", case.name), &case.trigger, case.kind);
        if triples(&found) != case.expected {
            failures.push(format!(
                "{}.trigger.json: expected {:?}, found:\n{}",
                case.name,
                case.expected,
                describe(&found)
            ));
        }
        let clean = run_with(&case.catalog, &format!("{}.clean.json", case.name), &case.clean, case.kind);
        if !clean.is_empty() {
            failures.push(format!("{}.clean.json should have no finding, found:\n{}", case.name, describe(&clean)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_rule_has_a_trigger_and_a_clean_case() {
    let cases = cases();
    for r in RULES {
        let own: Vec<&Case> = cases.iter().filter(|c| c.code == r.code).collect();
        assert!(!own.is_empty(), "{} has no case in tests/cases/lint", r.code);
        for c in own {
            assert!(c.expected.iter().any(|(code, _, _)| code == r.code), "{} does not expect {}", c.name, r.code);
        }
    }
    for c in &cases {
        assert!(rule(&c.code).is_some(), "{}: no rule {}", c.name, c.code);
    }
}

#[test]
fn rules_are_listed_in_code_order_with_their_class() {
    let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(codes, sorted);
    assert_eq!(codes.len(), 19);
    for r in RULES {
        let class = match r.code.get(..3) {
            Some("RG0") => Severity::Error,
            Some("RG1") => Severity::SecurityWarning,
            Some("RG2") => Severity::Warning,
            Some("RG3") => Severity::Suggestion,
            _ => panic!("{}: unexpected code", r.code),
        };
        assert_eq!(r.severity, class, "{}", r.code);
        assert!(r.summary.len() > 20 && r.help.len() > 60, "{} needs a real summary and help", r.code);
        assert!(r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", r.name);
        assert_eq!(rule(r.code).map(|x| x.code), Some(r.code));
        assert_eq!(rule(&r.name.to_uppercase()).map(|x| x.code), Some(r.code));
    }
    assert_eq!(rule("rg203").map(|r| r.name), Some("resource-type-mismatch"));
    assert!(rule("RG999").is_none());
}

fn find<'a>(findings: &'a [Finding], code: &str) -> &'a Finding {
    findings.iter().find(|f| f.code == code).unwrap_or_else(|| panic!("no {code} in\n{}", describe(findings)))
}

#[test]
fn messages_name_the_values_and_help_is_specific() {
    let case = |name: &str| {
        let text = std::fs::read_to_string(root().join(format!("tests/cases/lint/{name}.trigger.json"))).unwrap();
        run(name, &text, None)
    };
    let typo = case("RG201-typo");
    let f = find(&typo, "RG201");
    assert!(f.message.contains("`vpc:DeleteVpnConection`"), "{}", f.message);
    assert_eq!(f.help, "did you mean `vpc:DeleteVpnConnection`?");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.file, "RG201-typo");

    let resources = case("RG203-resource-type");
    let f = find(&resources, "RG203");
    assert!(f.message.contains("`acs:vpc:*:*:vpnipsecserver/*`") && f.message.contains("vpnconnection"), "{f}");
    assert!(f.help.contains("acs:vpc:{#regionId}:{#accountId}:vpnconnection/{#VpnConnectionId}"), "{}", f.help);
    let vbr = resources.iter().find(|f| f.path.to_string() == "Statement[1].Resource").unwrap();
    assert!(vbr.help.contains("rule out vpc"), "{}", vbr.help);
    assert!(vbr.help.contains("virtualborderrouter/{#VbrId}"), "{}", vbr.help);

    let values = case("RG205-value-type");
    let f = find(&values, "RG205");
    assert!(f.message.contains("`vbr`") && f.message.contains("VPC, VBR"), "{}", f.message);
    assert!(f.help.contains("write `VBR`"), "{}", f.help);
    let f = values.iter().find(|f| f.path.to_string().ends_with("acs:SourceIp")).unwrap();
    assert_eq!(f.message, "`StringLike` compares strings, but `acs:SourceIp` is an IP address");
    assert_eq!(f.help, "compare `acs:SourceIp` with `IpAddress` or `NotIpAddress`");

    let deny = case("RG103-condition");
    let f = find(&deny, "RG103");
    assert!(f.message.contains("NoVbrRevokes"), "{}", f.message);
    assert_eq!(f.severity, Severity::SecurityWarning);

    let shadowed = case("RG206-shadowed");
    assert!(find(&shadowed, "RG206").message.contains("`VpnAdmin`"), "{}", describe(&shadowed));

    let numbers = case("RG208-number");
    let helps: Vec<&str> = numbers.iter().map(|f| f.help.as_str()).collect();
    assert_eq!(
        helps,
        [
            "write \"1.50\": RAM reads condition values as strings",
            "write \"1e2\": RAM reads condition values as strings"
        ]
    );
    assert_eq!(numbers[0].message, "the number 1.50 should be written as the string \"1.50\"");

    let size = run(
        "s",
        &std::fs::read_to_string(root().join("tests/cases/lint/RG209-session.trigger.json")).unwrap(),
        Some(PolicyKind::Session),
    );
    assert!(find(&size, "RG209").message.contains("2047 characters long, 99 % of the 2048"), "{}", describe(&size));
}

#[test]
fn findings_come_in_document_order_then_by_code() {
    for case in cases() {
        let found = run_with(&case.catalog, &case.name, &case.trigger, case.kind);
        let keys: Vec<_> = found.iter().map(|f| (f.location, f.code)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{}", case.name);
    }
}

#[test]
fn narrowing_policies_are_not_grants() {
    let all = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    assert_eq!(run("a", all, None).len(), 1);
    assert!(run("a", all, Some(PolicyKind::Control)).is_empty());
    assert!(run("a", all, Some(PolicyKind::Session)).is_empty());
}

#[test]
fn deny_with_a_key_no_action_sets_never_matches() {
    // The revoke sets InstanceType; the delete does not, so the Deny can never apply to it.
    let text = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:DeleteVpnConnection","Resource":"*",
        "Condition":{"StringEquals":{"InstanceType":"VBR"}}}]}"#;
    let found = run("t", text, None);
    let codes: Vec<&str> = found.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["RG103", "RG204"], "{}", describe(&found));
    // Negated, the condition always holds: the Deny applies, only the key is odd.
    let negated = text.replace("StringEquals", "StringNotEquals");
    let codes: Vec<&str> = run("t", &negated, None).iter().map(|f| f.code).collect();
    assert_eq!(codes, ["RG204"]);
    // With an action of a service the catalog does not know, nothing is provable.
    let mixed = text.replace(r#""vpc:DeleteVpnConnection""#, r#"["vpc:DeleteVpnConnection","ecs:DeleteInstance"]"#);
    assert!(run("t", &mixed, None).is_empty(), "{}", describe(&run("t", &mixed, None)));
}

/// The corpus documents RAM rejects, from `tests/corpus/SOURCES.md`.
fn rejected() -> BTreeSet<String> {
    let sources = std::fs::read_to_string(root().join("tests/corpus/SOURCES.md")).unwrap();
    let section = sources.split("## Documents RAM rejects as written").nth(1).unwrap();
    let table = section.split("\n\n| file | source").next().unwrap();
    let listed: BTreeSet<String> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .filter(|f| f.ends_with(".json"))
        .map(str::to_owned)
        .collect();
    assert_eq!(listed.len(), 16);
    listed
}

fn json_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn the_corpus_is_linted_as_ram_reads_it() {
    let rejected = rejected();
    let mut counts: BTreeMap<&str, usize> = RULES.iter().map(|r| (r.code, 0)).collect();
    let docs = json_files(&root().join("tests/corpus"));
    assert_eq!(docs.len(), 308);
    let mut failures = Vec::new();
    for (file, text) in &docs {
        let found = run(file, text, None);
        for f in &found {
            *counts.entry(f.code).or_default() += 1;
        }
        let errors = found.iter().filter(|f| f.code == "RG001").count();
        if rejected.contains(file) {
            if errors == 0 || errors != found.len() {
                failures.push(format!("{file}: rejected, so only RG001 expected:\n{}", describe(&found)));
            }
        } else if errors > 0 {
            failures.push(format!("{file}: accepted by RAM, but:\n{}", describe(&found)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("findings per rule over the corpus: {counts:?}");
    // The corpus holds administrator grants and PassRole on `*`; it holds no
    // misspelt catalog action and no Deny that never matches.
    assert!(counts["RG101"] >= 1 && counts["RG104"] >= 1);
    assert_eq!(counts["RG103"], 0);
    // No corpus document has whitespace at an end, an invisible character or
    // a lookalike in an action, key or ARN field, and none of their Chinese
    // names is read as one.
    assert_eq!(counts["RG210"], 0);
}

#[test]
fn the_bundled_policies_raise_no_security_concern() {
    let kinds =
        [("change-window-control.json", PolicyKind::Control), ("session-vpn-readonly.json", PolicyKind::Session)];
    let files: Vec<(String, String)> =
        json_files(&root().join("policies")).into_iter().filter(|(f, _)| !f.ends_with(".suite.json")).collect();
    assert!(files.len() >= 8);
    for (file, text) in &files {
        let kind = kinds.iter().find(|(f, _)| f == file).map(|(_, k)| *k);
        let found = run(file, text, kind);
        let serious: Vec<Finding> = found.iter().filter(|f| f.severity <= Severity::SecurityWarning).cloned().collect();
        assert!(serious.is_empty(), "{file}:\n{}", describe(&serious));
        assert!(found.is_empty(), "{file}:\n{}", describe(&found));
    }
}

/// A policy-shaped document: statements with any actions, resources and conditions.
fn arb_policy() -> impl Strategy<Value = String> {
    let actions = prop::collection::vec(
        prop_oneof![
            Just("*"),
            Just("vpc:*"),
            Just("vpc:DeleteIpsecServer"),
            Just("VPC:deleteipsecserver"),
            Just("vpc:DeleteIpsecSever"),
            Just("vpc:DeleteVpnConnection"),
            Just("expressconnectrouter:RevokeInstanceFromExpressConnectRouter"),
            Just("ram:Attach*"),
            Just("ecs:*"),
            Just("vpc:DeleteVpnConn\u{435}ction"),
            Just("\u{feff}vpc:*"),
            Just("\u{ff56}pc:Delete*\u{3000}"),
        ],
        1..4,
    );
    let resources = prop::collection::vec(
        prop_oneof![
            Just("*"),
            Just("acs:vpc:*:*:vpnipsecserver/*"),
            Just("acs:vpc:*:*:vpnconnection/*"),
            Just("acs:vpc:*:1234567890123456:vpc/*"),
            Just("acs:expressconnect:*:*:virtualborderrouter/*"),
            Just("acs:*:*:*:*"),
            Just("acs:v\u{440}c:*:*:vpnconnection/\u{202e}*"),
            Just("acs:oss:*:*:b/\u{200d}\u{200c} "),
        ],
        1..4,
    );
    let condition = prop_oneof![
        Just(""),
        Just(r#","Condition":{"NotIpAddress":{"acs:SourceIp\u00a0":"10.0.0.0/8"}}"#),
        Just(r#","Condition":{"StringEquals":{"acs:ResourceTag/\u200b":"x"}}"#),
        Just(r#","Condition":{"StringEquals":{"InstanceType":"VBR"}}"#),
        Just(r#","Condition":{"StringEquals":{"InstanceType":"VBRR"}}"#),
        Just(r#","Condition":{"StringNotEquals":{"vpc:Foo":"x"}}"#),
        Just(r#","Condition":{"StringEquals":{"acs:SourceIp":"office"}}"#),
        Just(r#","Condition":{"Bool":{"acs:MFAPresent":true}}"#),
        Just(r#","Condition":{"ForAllValues:StringLike":{"zstack:StateEvent":["en*"]}}"#),
    ];
    let statement = (prop::bool::ANY, prop::bool::ANY, actions, resources, condition).prop_map(
        |(allow, not, actions, resources, condition)| {
            format!(
                r#"{{"Effect":"{}","{}":{},"Resource":{}{}}}"#,
                if allow { "Allow" } else { "Deny" },
                if not { "NotAction" } else { "Action" },
                serde_json::to_string(&actions).unwrap(),
                serde_json::to_string(&resources).unwrap(),
                condition
            )
        },
    );
    prop::collection::vec(statement, 1..5).prop_map(|s| format!(r#"{{"Version":"1","Statement":[{}]}}"#, s.join(",")))
}

fn kinds() -> impl Strategy<Value = Option<PolicyKind>> {
    prop_oneof![
        Just(None),
        Just(Some(PolicyKind::Identity)),
        Just(Some(PolicyKind::Session)),
        Just(Some(PolicyKind::Control)),
        Just(Some(PolicyKind::Resource))
    ]
}

/// Whatever the document, the linter answers, and RG001 is reported exactly
/// when RAM's rules reject the document, alone.
fn check_any(text: &str, kind: Option<PolicyKind>) -> Result<(), TestCaseError> {
    let found = run("x", text, kind);
    let effective = kind.unwrap_or_else(|| ramguard::detect_kind(text));
    let accepted = Policy::parse_with_limits("x", text, effective, &Limits::default()).is_ok();
    let errors = found.iter().filter(|f| f.code == "RG001").count();
    if accepted {
        prop_assert_eq!(errors, 0);
    } else {
        prop_assert!(errors >= 1);
        prop_assert_eq!(errors, found.len());
    }
    for f in &found {
        prop_assert!(f.location.line >= 1 && f.location.column >= 1);
        prop_assert!(rule(f.code).is_some());
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}", kind in kinds()) {
        check_any(&text, kind)?;
    }

    #[test]
    fn arbitrary_json_never_panics(value in arbitrary::arb_json(), kind in kinds()) {
        check_any(&serde_json::to_string_pretty(&value).unwrap(), kind)?;
    }

    #[test]
    fn arbitrary_policies_never_panic(text in arb_policy(), kind in kinds()) {
        check_any(&text, kind)?;
    }
}

#[test]
fn large_and_pathological_documents_are_linted_quickly() {
    let started = std::time::Instant::now();
    // 300 wildcard resources (all compared pairwise) in one statement, 600 statements, and patterns of 5,000 characters.
    let resources: Vec<String> = (0..300).map(|i| format!("acs:vpc:*:*:vpnconnection/vco-{i}*")).collect();
    let one = serde_json::json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Principal": {"RAM": "acs:ram::1234567890123456:root"},
         "Action": "vpc:DeleteVpnConnection", "Resource": resources}]});
    let statements: Vec<serde_json::Value> = (0..600)
        .map(|i| serde_json::json!({"Effect": "Deny", "Principal": "*", "Action": format!("vpc:*{i}*"), "Resource": "*"}))
        .collect();
    let many = serde_json::json!({"Version": "1", "Statement": statements});
    let long = "*a".repeat(2_500);
    let wide = serde_json::json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": [format!("vpc:{long}"), format!("vpc:{long}b")],
         "Resource": [long.clone(), format!("{long}?")]},
        {"Effect": "Deny", "Principal": "*", "NotAction": format!("vpc:{long}"), "Resource": long}]});
    for doc in [one, many, wide] {
        let text = doc.to_string();
        let found = run("big", &text, Some(PolicyKind::Resource));
        assert!(found.iter().all(|f| f.code != "RG001"), "{}", describe(&found));
    }
    assert!(started.elapsed().as_secs() < 30, "took {:?}", started.elapsed());
}

fn codes_of(text: &str) -> Vec<&'static str> {
    run("t", text, None).iter().map(|f| f.code).collect()
}

#[test]
fn shadowing_reads_wildcards_not_action_and_conditions() {
    let doc = |a: &str, b: &str| format!(r#"{{"Version":"1","Statement":[{a},{b}]}}"#);
    // A Deny of everything but reads covers a Deny of the deletes.
    let not_reads = r#"{"Effect":"Deny","NotAction":["vpc:Describe*","vpc:List*"],"Resource":"*"}"#;
    let deletes = r#"{"Effect":"Deny","Action":"vpc:Delete*","Resource":"acs:vpc:*:*:*"}"#;
    assert_eq!(codes_of(&doc(not_reads, deletes)), ["RG206"]);
    // ... but not a Deny that includes a read.
    let with_read = r#"{"Effect":"Deny","Action":["vpc:Delete*","vpc:DescribeVpnConnection"],"Resource":"*"}"#;
    assert!(codes_of(&doc(not_reads, with_read)).is_empty());
    // A narrower resource pattern or an extra condition on the wide statement breaks the cover.
    let wide = r#"{"Effect":"Deny","Action":"vpc:*","Resource":"acs:vpc:cn-*"}"#;
    assert!(codes_of(&doc(wide, deletes)).is_empty());
    let wide = r#"{"Effect":"Deny","Action":"vpc:*","Resource":"*","Condition":{"Bool":{"acs:MFAPresent":"false"}}}"#;
    assert!(codes_of(&doc(wide, deletes)).is_empty());
    // Statements that cover each other: only the later one is reported.
    let upper = r#"{"Effect":"Deny","Action":"VPC:Delete*","Resource":"acs:vpc:*:*:*"}"#;
    let found = run("t", &doc(deletes, upper), None);
    assert_eq!(triples(&found).into_iter().map(|t| t.2).collect::<Vec<_>>(), ["Statement[1]"]);
    assert_eq!(found[0].code, "RG207", "same patterns up to case are a duplicate");
    // Different effects never shadow each other.
    let allow = deletes.replace("Deny", "Allow");
    assert!(codes_of(&doc(&allow, deletes)).is_empty());
}

#[test]
fn catalog_rules_stay_silent_without_evidence() {
    let one = |action: &str, resource: &str| {
        format!(r#"{{"Version":"1","Statement":[{{"Effect":"Deny","Action":{action},"Resource":"{resource}"}}]}}"#)
    };
    // Uncatalogued actions with no near spelling, and families of real actions.
    assert!(codes_of(&one(r#""vpc:DeleteVSwitch""#, "*")).is_empty());
    assert!(codes_of(&one(r#"["vpc:*VSwitch*","vpc:DescribeVpc*"]"#, "*")).is_empty());
    // A plural is another real action, not a misspelling.
    assert!(codes_of(&one(r#""vpc:DescribeVpnConnections""#, "*")).is_empty());
    // Operations without resource-level authorization accept any resource.
    assert!(codes_of(&one(r#""vpc:ListIpsecServers""#, "acs:vpc:*:*:vpnconnection/x")).is_empty());
    // With one action the catalog does not know, the resource is not judged.
    let mixed = one(r#"["vpc:DeleteVpnConnection","vpc:DeleteVSwitch"]"#, "acs:vpc:*:*:vswitch/*");
    assert!(codes_of(&mixed).is_empty());
    // An ARN field holds no `/`: a VPN connection id cannot end in `vpnipsecserver/x`.
    let deep = one(r#""vpc:DeleteVpnConnection""#, "acs:vpc:*:*:vpnconnection/*/vpnipsecserver/x");
    assert_eq!(codes_of(&deep), ["RG103", "RG203"]);
}

#[test]
fn catalog_keys_are_judged_only_for_the_actions_that_set_them() {
    // A bare `InstanceType` in an ECS policy is not the ExpressConnect Router's key.
    let ecs = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:RunInstances","Resource":"*",
        "Condition":{"StringEquals":{"InstanceType":"ecs.g6.large"}}}]}"#;
    assert!(codes_of(ecs).is_empty());
    // With a wildcard that covers the revoke, the key's values are known.
    let ecr = ecs.replace("ecs:RunInstances", "expressconnectrouter:Revoke*");
    assert_eq!(codes_of(&ecr), ["RG205"]);
}

/// Statements for the soundness properties: catalog actions and near misses,
/// resource patterns of several types, and conditions of every kind the
/// catalog-aware rules reason about.
fn arb_statement(effect: &'static str) -> impl Strategy<Value = String> {
    let action = prop_oneof![
        Just("vpc:DeleteIpsecServer"),
        Just("vpc:DeleteIpsecSever"),
        Just("vpc:DeleteVpnConnection"),
        Just("vpc:Delete*"),
        Just("vpc:*VpnConnection*"),
        Just("vpc:ListIpsecServers"),
        Just("expressconnectrouter:RevokeInstanceFromExpressConnectRouter"),
        Just("zstack:ChangeIPSecConnectionState"),
        Just("vpc:Delete\u{200b}VpnConnection"),
        Just("vpc:DeleteIpsecServer\u{a0}"),
    ];
    let resource = prop_oneof![
        Just("*"),
        Just("acs:vpc:*:*:vpnipsecserver/*"),
        Just("acs:vpc:*:*:vpnconnection/*"),
        Just("acs:vpc:*:*:vpc/*"),
        Just("acs:vpc:cn-hangzhou:*:*"),
        Just("acs:expressconnect:*:*:virtualborderrouter/*"),
        Just("acs:zstack::*:ipsecconnection/*"),
    ];
    let condition = prop_oneof![
        Just(""),
        Just(r#""StringEquals":{"InstanceType":"VBR"}"#),
        Just(r#""StringEquals":{"expressconnectrouter:InstanceType":"VBRR"}"#),
        Just(r#""StringNotEquals":{"InstanceType":"VPC"}"#),
        Just(r#""StringEqualsIgnoreCase":{"InstanceType":"vbr"}"#),
        Just(r#""StringLike":{"InstanceType":"V*"}"#),
        Just(r#""StringEquals":{"zstack:StateEvent":["enable","enabl"]}"#),
        Just(r#""StringEquals":{"acs:SourceIp":"office"}"#),
        Just(r#""IpAddress":{"acs:SourceIp":"10.0.0.0/8"}"#),
        Just(r#""Bool":{"acs:MFAPresent":"false"}"#),
        Just(r#""StringEquals":{"vpc:Foo":"x"}"#),
        Just(r#""ForAllValues:StringEquals":{"vpc:Foo":"x"}"#),
    ];
    (
        prop::bool::ANY,
        prop::collection::vec(action, 1..3),
        prop::collection::vec(resource, 1..3),
        prop::collection::vec(condition, 0..3),
    )
        .prop_map(move |(not, actions, resources, conditions)| {
            let conditions: BTreeSet<&str> = conditions.into_iter().filter(|c| !c.is_empty()).collect();
            let conditions: Vec<&str> = conditions.into_iter().collect();
            format!(
                r#"{{"Effect":"{effect}","{}":{},"Resource":{},"Condition":{{{}}}}}"#,
                if not { "NotAction" } else { "Action" },
                serde_json::to_string(&actions).unwrap(),
                serde_json::to_string(&resources).unwrap(),
                conditions.join(",")
            )
        })
}

/// Every call of every catalog operation with the enumerated parameters
/// taking each of their values, by callers with and without an office
/// address and MFA: the requests RAM would evaluate.
fn catalog_requests() -> Vec<ramguard::Request> {
    let catalog = Catalog::builtin().unwrap();
    let mut requests = Vec::new();
    for op in catalog.operations() {
        let mut calls: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
        for p in &op.parameters {
            let values: Vec<String> = match (&p.values, op.region_parameter.as_deref() == Some(p.name.as_str())) {
                (_, true) => vec!["cn-hangzhou".to_owned()],
                (Some(vs), _) => vs.clone(),
                (None, _) => vec!["x-1".to_owned()],
            };
            calls = calls
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.insert(p.name.clone(), v.clone());
                        c
                    })
                })
                .collect();
        }
        for params in &calls {
            for (ip, mfa) in [(Some("10.1.2.3"), true), (Some("203.0.113.7"), false), (None, false)] {
                let mut caller =
                    ramguard::catalog::Caller::new("acs:ram::1234567890123456:user/alice".parse().unwrap());
                caller.source_ip = ip.map(str::to_owned);
                caller.mfa_present = Some(mfa);
                if let Ok(request) = op.authorization_request(params, &caller) {
                    requests.push(request);
                }
            }
        }
    }
    assert!(requests.len() > 50, "{}", requests.len());
    requests
}

fn outcome(statement: &str, request: &ramguard::Request) -> ramguard::Outcome {
    let text = format!(r#"{{"Version":"1","Statement":[{statement}]}}"#);
    let policy = Policy::parse("p", &text, PolicyKind::Identity).unwrap();
    ramguard::PolicySet::new().with(policy).authorize(request).outcome
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whenever RG206 or RG207 says a statement changes nothing, the other
    /// statement applies to every catalog request the first applies to.
    #[test]
    fn shadowing_is_sound_against_the_evaluator(
        allow in prop::bool::ANY,
        a in arb_statement("Allow"),
        b in arb_statement("Allow"),
    ) {
        let (a, b) = if allow { (a, b) } else { (a.replace("Allow", "Deny"), b.replace("Allow", "Deny")) };
        let text = format!(r#"{{"Version":"1","Statement":[{a},{b}]}}"#);
        let found = run("t", &text, None);
        let applies = if allow { ramguard::Outcome::Allow } else { ramguard::Outcome::ExplicitDeny };
        for f in found.iter().filter(|f| f.code == "RG206" || f.code == "RG207") {
            let (shadowed, by) = if f.path.to_string() == "Statement[1]" { (&b, &a) } else { (&a, &b) };
            for request in catalog_requests() {
                if outcome(shadowed, &request) == applies {
                    prop_assert_eq!(outcome(by, &request), applies, "{}\n{:?}", f, request);
                }
            }
        }
    }

    /// Whenever RG103 says a Deny never applies, no catalog request is denied by it.
    #[test]
    fn never_matching_denies_never_match(deny in arb_statement("Deny")) {
        let text = format!(r#"{{"Version":"1","Statement":[{deny}]}}"#);
        let found = run("t", &text, None);
        if found.iter().any(|f| f.code == "RG103") {
            for request in catalog_requests() {
                prop_assert_ne!(outcome(&deny, &request), ramguard::Outcome::ExplicitDeny, "{:?}", request);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whenever RG203 says a resource pattern fits none of the statement's
    /// actions, the statement cut down to that pattern (and made a Deny, which
    /// applies when any resource of a request matches) applies to no catalog
    /// request.
    #[test]
    fn resource_mismatches_are_sound_against_the_evaluator(statement in arb_statement("Allow")) {
        let text = format!(r#"{{"Version":"1","Statement":[{statement}]}}"#);
        let found = run("t", &text, None);
        let value: serde_json::Value = serde_json::from_str(&statement).unwrap();
        let resources = value["Resource"].as_array().unwrap();
        for f in found.iter().filter(|f| f.code == "RG203") {
            let at = f.path.to_string();
            let k: usize = at.strip_prefix("Statement[0].Resource[").map_or(0, |r| r.trim_end_matches(']').parse().unwrap());
            let mut cut = value.clone();
            cut["Resource"] = serde_json::json!([resources[k]]);
            cut["Effect"] = serde_json::json!("Deny");
            let cut = cut.to_string();
            for request in catalog_requests() {
                prop_assert_ne!(outcome(&cut, &request), ramguard::Outcome::ExplicitDeny, "{}\n{:?}", f, request);
            }
        }
    }
}

#[test]
fn size_warning_starts_at_ninety_percent() {
    let base = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:DescribeVpnGateway","Resource":"*"}]}"#;
    let padded = |len: usize| format!("{base}{}", " ".repeat(len - base.len()));
    // 90 % of 6,144 is 5,529.6: 5,530 characters warn, 5,529 do not.
    assert_eq!(codes_of(&padded(5_530)), ["RG209"]);
    assert!(codes_of(&padded(5_529)).is_empty());
    // Over the limit, RAM rejects the document: RG001 alone.
    assert_eq!(codes_of(&padded(6_145)), ["RG001"]);
    // Resource policies have no default limit.
    let trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}]}"#;
    assert!(codes_of(&format!("{trust}{}", " ".repeat(10_000))).is_empty());
}

#[test]
fn unknown_global_keys_get_a_suggestion() {
    let text = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:DeleteVpnConnection","Resource":"*",
        "Condition":{"IpAddress":{"acs:SoureIp":"10.0.0.0/8"}}}]}"#;
    let found = run("t", text, None);
    assert_eq!(find(&found, "RG204").help, "did you mean `acs:SourceIp`?");
}

#[test]
fn invisible_characters_are_reported_once_with_what_was_meant() {
    let deny = |action: &str, key: &str| {
        serde_json::json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": action, "Resource": "*",
            "Condition": {"NotIpAddress": {key: "10.0.0.0/8"}}}]})
        .to_string()
    };
    // The trailing space is RG210's alone: RG204 does not say it again.
    let found = run("t", &deny("vpc:DeleteVpnConnection", "acs:SourceIp "), None);
    assert_eq!(triples(&found).into_iter().map(|t| t.0).collect::<Vec<_>>(), ["RG210"], "{}", describe(&found));
    let f = find(&found, "RG210");
    assert_eq!(f.message, "condition key `acs:SourceIp ` ends with a space (U+0020)");
    assert!(f.help.starts_with("did you mean `acs:SourceIp`?"), "{}", f.help);
    assert_eq!(f.severity, Severity::Warning);
    // Outside the catalog too, where RG204 says nothing.
    assert_eq!(codes_of(&deny("ecs:DeleteInstance", "acs:SourceIp\u{2060}")), ["RG210"]);
    // A Cyrillic `е` in the only action of a Deny: RG210 instead of RG201, and
    // the Deny still never applies.
    let found = run("t", &deny("vpc:DeleteVpnConn\u{435}ction", "acs:SourceIp"), None);
    let codes: Vec<&str> = found.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["RG103", "RG210"], "{}", describe(&found));
    assert!(find(&found, "RG103").message.contains("did you mean `vpc:DeleteVpnConnection`?"), "{}", describe(&found));
    assert!(find(&found, "RG210").help.starts_with("did you mean `vpc:DeleteVpnConnection`?"));
    // Lookalikes of a key that is not known are reported with their ASCII form.
    let found = run("t", &deny("ecs:DeleteInstance", "ecs:T\u{430}gKeys"), None);
    assert!(find(&found, "RG210").help.starts_with("write `ecs:TagKeys`."), "{}", describe(&found));
}

#[test]
fn rejected_actions_with_invisible_characters_say_what_was_meant() {
    let one = |action: &str| {
        serde_json::json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
            .to_string()
    };
    // RAM rejects a service code with a space or a Cyrillic `р`: RG001, whose help names the character.
    let found = run("t", &one(" vpc:DeleteVpnConnection"), None);
    assert_eq!(found.len(), 1, "{}", describe(&found));
    assert_eq!(found[0].code, "RG001");
    assert_eq!(found[0].help, "the action starts with a space (U+0020): did you mean `vpc:DeleteVpnConnection`?");
    let found = run("t", &one("v\u{440}c:DeleteVpnConnection"), None);
    assert_eq!(
        found[0].help,
        "the action has `\u{440}` (U+0440, which looks like `p`): did you mean `vpc:DeleteVpnConnection`?"
    );
    // Other invalid actions keep the general help.
    let found = run("t", &one("vpc"), None);
    assert_eq!(found[0].code, "RG001");
    assert!(!found[0].help.contains("did you mean"), "{}", found[0].help);
}

#[test]
fn names_in_free_text_keep_their_own_characters() {
    // Resource and tag names may be written in any script, with the joiners
    // of Persian and Indic text; only their ends and bidi controls are read.
    let text = serde_json::json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:GetObject",
        "Resource": ["acs:oss:*:*:b/\u{645}\u{6cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}", "acs:oss:*:*:b/\u{43e}\u{442}\u{447}\u{451}\u{442}"],
        "Condition": {"StringEquals": {"acs:ResourceTag/\u{43e}\u{442}\u{434}\u{435}\u{43b}": "x"}}}]})
    .to_string();
    assert!(codes_of(&text).is_empty(), "{}", describe(&run("t", &text, None)));
    let spaced = serde_json::json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:GetObject",
        "Resource": "acs:oss:*:*:b/\u{43e}\u{442}\u{447}\u{451}\u{442} "}]})
    .to_string();
    assert_eq!(codes_of(&spaced), ["RG210"]);
}

/// A `demo:TagResources` call whose request carries these tag keys.
fn tagging(keys: &[&str]) -> ramguard::Request {
    let mut context = ramguard::Context::new();
    context.set("demo:TagKeys", keys.iter().map(|k| (*k).to_owned()).collect());
    ramguard::Request::new(
        "acs:ram::1234567890123456:user/alice".parse().unwrap(),
        "demo:TagResources",
        "acs:demo:cn-hangzhou:1234567890123456:instance/i-1",
    )
    .with_context(context)
}

/// The operator with the qualifier RG211's help tells to write.
fn suggested_operator(help: &str) -> String {
    let (_, rest) = help.split_once("write `").unwrap();
    rest.split('`').next().unwrap().to_owned()
}

#[test]
fn the_suggested_set_qualifier_means_what_the_help_says() {
    let read = |suffix: &str| {
        std::fs::read_to_string(root().join(format!("tests/cases/lint/RG211-set-qualifier{suffix}"))).unwrap()
    };
    let catalog = merged(&read(".catalog.json"));
    let listed_and_not = tagging(&["team", "owner"]);
    let all_listed = tagging(&["team", "env"]);
    let none = tagging(&[]);
    let statement = |effect: &str, operator: &str| {
        serde_json::json!({"Effect": effect, "Action": "demo:TagResources", "Resource": "*",
            "Condition": {operator: {"demo:TagKeys": ["team", "env"]}}})
        .to_string()
    };
    let help_for = |effect: &str, operator: &str| {
        let text = format!(r#"{{"Version":"1","Statement":[{}]}}"#, statement(effect, operator));
        let found = run_with(&catalog, "t", &text, None);
        assert_eq!(found.len(), 1, "{}", describe(&found));
        assert_eq!(found[0].code, "RG211");
        found[0].help.clone()
    };
    use ramguard::Outcome::{Allow, ExplicitDeny, ImplicitDeny};

    // A Deny of unlisted tag keys: as written, one listed key lets an unlisted one through.
    let help = help_for("Deny", "StringNotEquals");
    let meant = suggested_operator(&help);
    assert_eq!(meant, "ForAnyValue:StringNotEquals", "{help}");
    assert_eq!(outcome(&statement("Deny", "StringNotEquals"), &listed_and_not), ImplicitDeny);
    assert_eq!(outcome(&statement("Deny", &meant), &listed_and_not), ExplicitDeny);
    assert_eq!(outcome(&statement("Deny", &meant), &all_listed), ImplicitDeny);
    assert_eq!(outcome(&statement("Deny", &meant), &none), ImplicitDeny, "no tag key, no denial");
    // ... and as written it reads as `ForAllValues:StringNotEquals`, as the help says.
    assert!(help.contains("(`ForAllValues:StringNotEquals`)"), "{help}");
    for r in [&listed_and_not, &all_listed, &none, &tagging(&["owner"])] {
        assert_eq!(
            outcome(&statement("Deny", "StringNotEquals"), r),
            outcome(&statement("Deny", "ForAllValues:StringNotEquals"), r)
        );
    }

    // An Allow of listed tag keys: as written, one listed key carries an unlisted one.
    let help = help_for("Allow", "StringEquals");
    let meant = suggested_operator(&help);
    assert_eq!(meant, "ForAllValues:StringEquals", "{help}");
    assert_eq!(outcome(&statement("Allow", "StringEquals"), &listed_and_not), Allow);
    assert_eq!(outcome(&statement("Allow", &meant), &listed_and_not), ImplicitDeny);
    assert_eq!(outcome(&statement("Allow", &meant), &all_listed), Allow);
    assert_eq!(outcome(&statement("Allow", &meant), &none), Allow, "the help warns that no value is allowed too");
    assert!(help.contains("(`ForAnyValue:StringEquals`)") && help.contains("carries none"), "{help}");

    // A positive Deny and a negated Allow already mean what the help names: writing it changes nothing.
    for (effect, operator, qualified) in [
        ("Deny", "StringEquals", "ForAnyValue:StringEquals"),
        ("Allow", "StringNotEquals", "ForAllValues:StringNotEquals"),
    ] {
        let help = help_for(effect, operator);
        assert_eq!(suggested_operator(&help), qualified, "{help}");
        for r in [&listed_and_not, &all_listed, &none, &tagging(&["owner"])] {
            assert_eq!(
                outcome(&statement(effect, operator), r),
                outcome(&statement(effect, qualified), r),
                "{effect} {operator}"
            );
        }
    }
}

#[test]
fn set_qualifiers_are_asked_for_only_on_multivalued_keys() {
    let catalog =
        merged(&std::fs::read_to_string(root().join("tests/cases/lint/RG211-set-qualifier.catalog.json")).unwrap());
    let doc = |key: &str, operator: &str| {
        serde_json::json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": ["demo:TagResources"],
            "Resource": "*", "Condition": {operator: {key: "team"}}}]})
        .to_string()
    };
    let codes = |text: &str| run_with(&catalog, "t", text, None).iter().map(|f| f.code).collect::<Vec<_>>();
    assert_eq!(codes(&doc("demo:TagKeys", "StringNotLike")), ["RG211"]);
    assert_eq!(codes(&doc("DEMO:tagkeys", "StringNotEquals")), ["RG211"], "key names are case-insensitive");
    assert!(codes(&doc("demo:TagKeys", "ForAllValues:StringNotLike")).is_empty());
    assert!(codes(&doc("acs:SourceVpc", "StringNotEquals")).is_empty(), "a single-valued global key");
    // Without the user catalog nothing says the key is multi-valued.
    assert!(codes_of(&doc("demo:TagKeys", "StringNotEquals")).is_empty());
}
