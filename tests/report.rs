//! The lint report renderers: SARIF checked against the official SARIF 2.1.0
//! schema and GitHub code scanning's upload rules, `JUnit` XML checked against
//! the vendored Jenkins `junit-10.xsd`, the human report's snippets and
//! carets, the JSON shape, and escaping.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests unwrap and index what they just built"
)]

use std::collections::{BTreeMap, BTreeSet};

use ramguard::catalog::Catalog;
use ramguard::lint::{Finding, LintOptions, Rule, Severity, Unchecked, lint};
use ramguard::report::{FileReport, IgnoreList, Report};
use ramguard::{JsonPath, Limits, Location};
use serde_json::Value;

const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemas");

/// A policy whose `Effect` RAM rejects: one RG001 finding at line 5.
const BAD: &str = "{\n  \"Version\": \"1\",\n  \"Statement\": [\n    {\n\t\"Effect\": \"Allw\", \"Action\": \"ecs:*\", \"Resource\": \"*\"\n    }\n  ]\n}\n";

/// The same mistake after a Chinese `Sid` on one line.
const CJK: &str =
    r#"{"Version": "1", "Statement": [{"Sid": "策略一", "Effect": "Allw", "Action": "ecs:*", "Resource": "*"}]}"#;

fn lint_text(file: &str, text: &str) -> Vec<Finding> {
    let limits = Limits::default();
    let options = LintOptions { catalog: Catalog::builtin().unwrap(), limits: &limits, kind: None };
    lint(file, text, &options)
}

/// The four classes, as rules made by hand (only RG001 exists in every build).
const RULES4: [Rule; 4] = [
    Rule { code: "RG001", name: "invalid-policy", severity: Severity::Error, summary: "s1", help: "h1" },
    Rule { code: "RG101", name: "allow-all", severity: Severity::SecurityWarning, summary: "s2", help: "h2" },
    Rule { code: "RG201", name: "shadowed", severity: Severity::Warning, summary: "s3", help: "h3" },
    Rule { code: "RG301", name: "tidy", severity: Severity::Suggestion, summary: "s4", help: "h4" },
];

fn finding(rule: &Rule, file: &str, path: JsonPath, line: usize, column: usize, message: &str) -> Finding {
    Finding {
        code: rule.code,
        rule: rule.name,
        severity: rule.severity,
        file: file.to_owned(),
        path,
        location: Location { line, column },
        message: message.to_owned(),
        help: format!("help for {}", rule.code),
    }
}

/// A report with one finding of each class, a clean file and an unreadable one.
fn mixed_report() -> Report {
    let real = lint_text("policies/bad.json", BAD);
    assert_eq!(real.len(), 1, "{real:?}");
    let path = real[0].path.clone();
    let findings = vec![
        real[0].clone(),
        finding(&RULES4[1], "policies/bad.json", path.clone(), 5, 2, "grants `*` on `*`"),
        finding(&RULES4[2], "policies/bad.json", JsonPath::root(), 1, 1, "shadowed"),
        finding(&RULES4[3], "policies/bad.json", path, 7, 3, "tidy <this> & \"that\""),
    ];
    Report::new(vec![
        FileReport::new("policies/ok.json", Some("{}".to_owned()), Vec::new()),
        FileReport::new("policies/bad.json", Some(BAD.to_owned()), findings),
        FileReport::unreadable("policies/gone.json", "cannot read: No such file or directory (os error 2)"),
    ])
}

// ---------------------------------------------------------------- SARIF

/// The `language` pattern of the official schema, which is not a valid
/// regular expression (a stray `]`), so the validator's check of the schema
/// itself rejects it.
const BROKEN_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

/// A validator for the vendored SARIF 2.1.0 schema, formats (`uri`,
/// `uri-reference`, ...) checked. The broken pattern, used for
/// `run.language` and `toolComponent.language` (which ramguard never
/// writes), is replaced in memory by the language-tag pattern it means;
/// nothing else is touched.
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(format!("{SCHEMAS}/sarif-schema-2.1.0.json")).unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    let definitions = schema["definitions"].as_object_mut().unwrap();
    let mut patched = Vec::new();
    for (name, definition) in definitions.iter_mut() {
        if let Some(language) = definition.pointer_mut("/properties/language/pattern")
            && language == BROKEN_LANGUAGE_PATTERN
        {
            *language = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
            patched.push(name.as_str());
        }
    }
    assert_eq!(patched, ["run", "toolComponent"]);
    jsonschema::options().should_validate_formats(true).build(&schema).unwrap()
}

fn schema_errors(validator: &jsonschema::Validator, log: &Value) -> Vec<String> {
    validator.iter_errors(log).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// A clean file whose pairwise rules a budget left not fully checked, and
/// a file with a finding and the same note.
fn unchecked_report() -> Report {
    let unchecked =
        || Some(Unchecked { rules: vec!["RG206", "RG302"], reason: "the budget <of> one document ran out".to_owned() });
    let real = lint_text("policies/bad.json", BAD);
    Report::new(vec![
        FileReport::new("policies/clean.json", None, Vec::new()).with_unchecked(unchecked()),
        FileReport::new("policies/bad.json", Some(BAD.to_owned()), real).with_unchecked(unchecked()),
    ])
}

#[test]
fn rules_left_unchecked_are_said_in_every_format() {
    let report = unchecked_report();
    let human = report.human();
    assert!(human.contains("policies/clean.json: no findings from the rules checked fully"), "{human}");
    assert!(!human.contains("policies/clean.json: no findings\n"), "{human}");
    assert!(human.contains("note: not fully checked: RG206, RG302 (the budget <of> one document ran out)"), "{human}");
    assert!(human.contains("(2 not fully checked)"), "{human}");

    let json = report.json();
    let clean = json["files"].as_array().unwrap().iter().find(|f| f["file"] == "policies/clean.json").unwrap();
    assert_eq!(clean["status"], "unchecked");
    assert_eq!(clean["unchecked"]["rules"], serde_json::json!(["RG206", "RG302"]));
    assert_eq!(json["summary"]["unchecked"], 2);

    let sarif = report.sarif();
    let errors = schema_errors(&sarif_validator(), &sarif);
    assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
    let about: Vec<&str> = notes.iter().filter_map(|n| n["associatedRule"]["id"].as_str()).collect();
    assert_eq!(about, ["RG206", "RG302", "RG206", "RG302"]);
    let index = ramguard::lint::RULES.iter().position(|r| r.code == "RG206").unwrap();
    assert_eq!(notes[0]["associatedRule"]["index"], index);
    assert_eq!(notes[0]["level"], "warning");

    for threshold in Severity::ALL {
        let xml = report.junit(threshold);
        let violations = junit_violations(&xml);
        assert!(violations.is_empty(), "{violations:#?}\n{xml}");
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let skipped = doc.descendants().filter(|n| n.has_tag_name("skipped")).count();
        assert_eq!(skipped, 4, "{xml}");
        let clean = doc.descendants().find(|n| n.attribute("name") == Some("policies/clean.json")).unwrap();
        assert_eq!(clean.attribute("skipped"), Some("2"));
        // No passing `lint` case claims the clean file passed.
        assert!(!xml.contains("name=\"lint\""), "{xml}");
    }

    // RG206 is a warning: a pass at `warning` or below is not proved, one at
    // `security-warning` is (no rule of that class was left unchecked).
    assert!(report.undecided(Severity::Warning));
    assert!(report.undecided(Severity::Suggestion));
    assert!(!report.undecided(Severity::SecurityWarning));
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let validator = sarif_validator();
    let report = mixed_report();
    for log in [report.sarif(), report.sarif_with_rules(&RULES4), Report::new(Vec::new()).sarif()] {
        let errors = schema_errors(&validator, &log);
        assert!(errors.is_empty(), "{errors:#?}\n{log:#}");
    }
}

#[test]
fn the_schema_validator_rejects_broken_logs() {
    // The validator is live: small breakages of a valid log are caught.
    let validator = sarif_validator();
    let good = mixed_report().sarif_with_rules(&RULES4);
    let mut no_version = good.clone();
    no_version.as_object_mut().unwrap().remove("version");
    let mut bad_level = good.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    let mut bad_line = good.clone();
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
    let mut bad_uri = good;
    bad_uri["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b".into();
    for broken in [no_version, bad_level, bad_line, bad_uri] {
        assert!(!schema_errors(&validator, &broken).is_empty(), "{broken:#}");
    }
}

#[test]
fn sarif_meets_github_code_scanning_rules() {
    let log = mixed_report().sarif_with_rules(&RULES4);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().starts_with("https://"));
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "ramguard");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"].as_str().unwrap().starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 4);
    let levels: Vec<&str> = rules.iter().map(|r| r["defaultConfiguration"]["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["error", "error", "warning", "note"]);
    for r in rules {
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["help"]["text"].as_str().unwrap().is_empty());
        let security = r["id"] == "RG101";
        assert_eq!(r["properties"]["tags"] == serde_json::json!(["security"]), security, "{r}");
        match r["properties"]["security-severity"].as_str() {
            // GitHub reads a number from 0.0 to 10.0, written as a string.
            Some(s) => {
                assert!(security);
                let score: f64 = s.parse().unwrap();
                assert!((0.0..=10.0).contains(&score));
            }
            None => assert!(!security, "{r}"),
        }
    }
    let results = runs[0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for r in results {
        let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], r["ruleId"], "ruleIndex points at the rule of ruleId");
        assert_eq!(r["level"], rules[index]["defaultConfiguration"]["level"]);
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let loc = &r["locations"][0];
        assert_eq!(loc["physicalLocation"]["artifactLocation"]["uri"], "policies/bad.json");
        assert!(loc["physicalLocation"]["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["physicalLocation"]["region"]["startColumn"].as_u64().unwrap() >= 1);
        assert_eq!(loc["logicalLocations"][0]["fullyQualifiedName"], r["properties"]["jsonPath"]);
    }
    // Results come in document order: RG201 (1:1), RG101 (5:2), RG001 (5:12), RG301 (7:3).
    let ids: Vec<&str> = results.iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["RG201", "RG101", "RG001", "RG301"]);
    // The RG001 finding, checked by hand: `"Allw"` starts at line 5, column 12
    // (a tab, then `"Effect": ` is ten characters).
    let first = &results[2];
    assert_eq!(first["ruleId"], "RG001");
    assert_eq!(
        first["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 5, "startColumn": 12})
    );
    assert_eq!(first["properties"]["jsonPath"], "Statement[0].Effect");
    // Columns count characters, and the run says so.
    assert_eq!(runs[0]["columnKind"], "unicodeCodePoints");
    // The unreadable file is a failed execution with a notification naming it.
    let invocation = &runs[0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "error");
    assert_eq!(note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "policies/gone.json");
}

#[test]
fn sarif_of_the_builtin_rules_indexes_them_in_order() {
    let log = Report::new(vec![FileReport::new("a.json", None, lint_text("a.json", "{"))]).sarif();
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let codes: Vec<&str> = ramguard::lint::RULES.iter().map(|r| r.code).collect();
    assert_eq!(ids, codes);
    assert_eq!(log["runs"][0]["results"][0]["ruleIndex"], 0);
    assert_eq!(log["runs"][0]["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn sarif_keeps_the_most_serious_results_under_githubs_limit() {
    use ramguard::report::SARIF_MAX_RESULTS;
    let mut findings: Vec<Finding> = (1..=SARIF_MAX_RESULTS)
        .map(|line| finding(&RULES4[3], "big.json", JsonPath::root(), line, 1, "tidy"))
        .collect();
    // One error at the very end, past the limit in document order.
    findings.push(finding(&RULES4[0], "big.json", JsonPath::root(), SARIF_MAX_RESULTS + 1, 1, "broken"));
    let log = Report::new(vec![FileReport::new("big.json", None, findings)]).sarif_with_rules(&RULES4);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), SARIF_MAX_RESULTS);
    assert_eq!(results.last().unwrap()["ruleId"], "RG001", "the error is kept, in document order");
    // The last suggestion (line 25,000) made way for it.
    assert_eq!(results[SARIF_MAX_RESULTS - 2]["locations"][0]["physicalLocation"]["region"]["startLine"], 24_999);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "warning");
    assert!(note["message"]["text"].as_str().unwrap().starts_with("1 less serious finding was left out"));
}

// ---------------------------------------------------------------- JUnit

/// What the vendored XSD says of one element.
#[derive(Debug, Default)]
struct Decl {
    /// Attribute name -> required.
    attributes: BTreeMap<String, bool>,
    /// Element children allowed, in any order and number (see `content_model`).
    children: BTreeSet<String>,
    /// Whether character data may appear (mixed content or a simple type).
    text: bool,
    /// A simple-typed element: text only, no attributes.
    simple: bool,
}

fn xs(node: roxmltree::Node<'_, '_>, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace() == Some("http://www.w3.org/2001/XMLSchema")
}

/// The element refs of a compositor whose particles may come in any order
/// and any number: a `choice` with `maxOccurs="unbounded"` and
/// `minOccurs="0"`, a `sequence` of exactly one such particle, or a sequence
/// of one `element` with `minOccurs="0" maxOccurs="unbounded"`. Any other
/// construct panics, so a schema this checker cannot fully enforce is never
/// passed off as checked.
fn content_model(compositor: roxmltree::Node<'_, '_>, out: &mut BTreeSet<String>) {
    let particles: Vec<_> = compositor.children().filter(roxmltree::Node::is_element).collect();
    let unbounded = compositor.attribute("maxOccurs") == Some("unbounded");
    let optional = compositor.attribute("minOccurs") == Some("0");
    if xs(compositor, "choice") {
        assert!(unbounded && optional, "unsupported choice: {compositor:?}");
        for p in particles {
            assert!(xs(p, "element"), "unsupported particle in choice: {p:?}");
            out.insert(p.attribute("ref").unwrap().to_owned());
        }
    } else if xs(compositor, "sequence") {
        assert!(compositor.attribute("maxOccurs").is_none() && compositor.attribute("minOccurs").is_none());
        assert_eq!(particles.len(), 1, "unsupported sequence: {compositor:?}");
        let p = particles[0];
        if xs(p, "element") {
            assert_eq!((p.attribute("minOccurs"), p.attribute("maxOccurs")), (Some("0"), Some("unbounded")));
            out.insert(p.attribute("ref").unwrap().to_owned());
        } else {
            content_model(p, out);
        }
    } else {
        panic!("unsupported compositor {compositor:?}");
    }
}

fn junit_schema() -> BTreeMap<String, Decl> {
    let text = std::fs::read_to_string(format!("{SCHEMAS}/junit-10.xsd")).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let mut decls = BTreeMap::new();
    for element in doc.root_element().children().filter(|n| xs(*n, "element")) {
        let name = element.attribute("name").unwrap().to_owned();
        let mut decl = Decl::default();
        if let Some(ty) = element.attribute("type") {
            assert_eq!(ty, "xs:string", "unsupported type of {name}");
            decl.simple = true;
            decl.text = true;
        } else {
            let complex = element.children().find(|n| xs(*n, "complexType")).unwrap();
            decl.text = complex.attribute("mixed") == Some("true");
            for part in complex.children().filter(roxmltree::Node::is_element) {
                if xs(part, "attribute") {
                    assert_eq!(part.attribute("type"), Some("xs:string"), "unsupported attribute type");
                    let required = match part.attribute("use") {
                        Some("required") => true,
                        Some("optional") | None => false,
                        other => panic!("unsupported use {other:?}"),
                    };
                    decl.attributes.insert(part.attribute("name").unwrap().to_owned(), required);
                } else {
                    content_model(part, &mut decl.children);
                }
            }
        }
        decls.insert(name, decl);
    }
    decls
}

/// Every constraint of the vendored XSD, checked on `xml`; the violations.
fn junit_violations(xml: &str) -> Vec<String> {
    let schema = junit_schema();
    let doc = match roxmltree::Document::parse(xml) {
        Ok(doc) => doc,
        Err(e) => return vec![format!("not well-formed XML 1.0: {e}")],
    };
    let mut errors = Vec::new();
    let mut stack = vec![doc.root_element()];
    if !schema.contains_key(doc.root_element().tag_name().name()) {
        errors.push(format!("root `{}` is not declared", doc.root_element().tag_name().name()));
    }
    while let Some(node) = stack.pop() {
        let name = node.tag_name().name();
        let Some(decl) = schema.get(name) else {
            errors.push(format!("`{name}` is not declared"));
            continue;
        };
        if node.tag_name().namespace().is_some() {
            errors.push(format!("`{name}` is in a namespace"));
        }
        for a in node.attributes() {
            if !decl.attributes.contains_key(a.name()) || a.namespace().is_some() {
                errors.push(format!("`{name}` has undeclared attribute `{}`", a.name()));
            }
        }
        for (a, required) in &decl.attributes {
            if *required && node.attribute(a.as_str()).is_none() {
                errors.push(format!("`{name}` lacks required attribute `{a}`"));
            }
        }
        for child in node.children() {
            if child.is_element() {
                if decl.simple || !decl.children.contains(child.tag_name().name()) {
                    errors.push(format!("`{name}` may not contain `{}`", child.tag_name().name()));
                }
                stack.push(child);
            } else if child.is_text() && !decl.text && !child.text().unwrap_or_default().trim().is_empty() {
                errors.push(format!("`{name}` may not contain text"));
            }
        }
    }
    errors
}

#[test]
fn the_junit_checker_reads_the_whole_schema_and_rejects_violations() {
    let schema = junit_schema();
    // Every global element of junit-10.xsd was understood.
    let names: Vec<&str> = schema.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "error",
            "failure",
            "properties",
            "property",
            "rerunError",
            "rerunFailure",
            "skipped",
            "system-err",
            "system-out",
            "testcase",
            "testsuite",
            "testsuites"
        ]
    );
    assert_eq!(schema["testsuite"].attributes.get("tests"), Some(&true));
    assert_eq!(schema["testcase"].attributes.get("name"), Some(&true));
    assert!(
        junit_violations(r#"<testsuites><testsuite tests="1"><testcase name="a"/></testsuite></testsuites>"#)
            .is_empty()
    );
    for bad in [
        r#"<testsuites><testcase name="a"/></testsuites>"#,
        r#"<testsuites><testsuite><testcase name="a"/></testsuite></testsuites>"#,
        r#"<testsuites><testsuite tests="1"><testcase/></testsuite></testsuites>"#,
        r#"<testsuites><testsuite tests="1" colour="red"/></testsuites>"#,
        r#"<testsuites><testsuite tests="1"><testcase name="a"><system-out><b/></system-out></testcase></testsuite></testsuites>"#,
        r#"<testsuites>text</testsuites>"#,
        "<testsuites name=\"\u{1}\"/>",
    ] {
        assert!(!junit_violations(bad).is_empty(), "{bad}");
    }
}

#[test]
fn junit_is_valid_against_the_vendored_xsd() {
    let report = mixed_report();
    for threshold in Severity::ALL {
        let xml = report.junit(threshold);
        let violations = junit_violations(&xml);
        assert!(violations.is_empty(), "{violations:#?}\n{xml}");
    }
    let empty = Report::new(Vec::new()).junit(Severity::Error);
    assert!(junit_violations(&empty).is_empty(), "{empty}");
}

#[test]
fn junit_counts_failures_by_threshold() {
    let report = mixed_report();
    let xml = report.junit(Severity::SecurityWarning);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    // 1 passing case for ok.json, 4 findings, 1 read error: 6 tests; the error
    // and the security warning fail, the warning and suggestion pass.
    assert_eq!(
        (root.attribute("tests"), root.attribute("failures"), root.attribute("errors")),
        (Some("6"), Some("2"), Some("1"))
    );
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let names: Vec<&str> = suites.iter().map(|s| s.attribute("name").unwrap()).collect();
    assert_eq!(names, ["policies/bad.json", "policies/gone.json", "policies/ok.json"]);
    let bad = suites[0];
    assert_eq!((bad.attribute("tests"), bad.attribute("failures")), (Some("4"), Some("2")));
    let cases: Vec<_> = bad.children().filter(|n| n.has_tag_name("testcase")).collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(
        names,
        [
            "RG201[shadowed]",
            "RG101[allow-all] at Statement[0].Effect",
            "RG001[invalid-policy] at Statement[0].Effect",
            "RG301[tidy] at Statement[0].Effect"
        ]
    );
    assert_eq!(cases[2].attribute("line"), Some("5"));
    let failure = cases[2].children().find(|n| n.has_tag_name("failure")).unwrap();
    assert_eq!(failure.attribute("type"), Some("error"));
    assert_eq!(failure.attribute("message"), Some("invalid effect `Allw`: expected `Allow` or `Deny`"));
    assert!(failure.text().unwrap().starts_with("policies/bad.json:5:12: error RG001[invalid-policy]"));
    // The suggestion passes, its text kept in system-out.
    let last = cases[3];
    assert!(last.children().all(|n| !n.has_tag_name("failure")));
    assert!(last.children().any(|n| n.has_tag_name("system-out")));
    let gone = suites[1].children().find(|n| n.has_tag_name("testcase")).unwrap();
    assert_eq!(gone.children().find(|n| n.has_tag_name("error")).unwrap().attribute("type"), Some("unreadable"));
    let ok = suites[2].children().find(|n| n.has_tag_name("testcase")).unwrap();
    assert_eq!((ok.attribute("name"), ok.children().count()), (Some("lint"), 0));
    // Everything fails at `suggestion`, only the error at `error`.
    let all = report.junit(Severity::Suggestion);
    assert!(all.contains("failures=\"4\" errors=\"1\""), "{all}");
    let errors_only = report.junit(Severity::Error);
    assert!(errors_only.starts_with("<?xml") && errors_only.contains("tests=\"6\" failures=\"1\""));
}

#[test]
fn junit_escapes_markup_and_characters_xml_forbids() {
    let rule = &RULES4[0];
    let nasty = "a<b>&\"c\" 'd'\u{1b}[31m\u{0}\ttab\nline\u{fffe}";
    let report = Report::new(vec![FileReport::new(
        "dir/a&b.json",
        None,
        vec![finding(rule, "dir/a&b.json", JsonPath::root(), 1, 1, nasty)],
    )]);
    let xml = report.junit(Severity::Suggestion);
    assert!(junit_violations(&xml).is_empty(), "{xml}");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failure = doc.descendants().find(|n| n.has_tag_name("failure")).unwrap();
    // Markup, quotes, tab and newline survive; forbidden characters are spelt out.
    assert_eq!(failure.attribute("message"), Some("a<b>&\"c\" 'd'\\u{1b}[31m\\u{0}\ttab\nline\\u{fffe}"));
    assert!(failure.text().unwrap().contains("a<b>&\"c\" 'd'\\u{1b}[31m"));
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("name"), Some("dir/a&b.json"));
}

// ---------------------------------------------------------------- human

/// The caret line under the snippet of the first finding in `human`.
fn snippet_and_caret(human: &str) -> (String, String) {
    let lines: Vec<&str> = human.lines().collect();
    let i = lines.iter().position(|l| l.contains(" | ") && !l.trim_start().starts_with('|')).unwrap();
    (lines[i].to_owned(), lines[i + 1].to_owned())
}

#[test]
fn human_shows_the_finding_with_a_caret_under_its_column() {
    let report = Report::new(vec![FileReport::new("bad.json", Some(BAD.to_owned()), lint_text("bad.json", BAD))]);
    let human = report.human();
    let expected = "bad.json: 1 error\n\
                    \n\
                    error RG001[invalid-policy]: invalid effect `Allw`: expected `Allow` or `Deny`\n \
                    --> bad.json:5:12 at Statement[0].Effect\n  \
                    |\n\
                    5 |     \"Effect\": \"Allw\", \"Action\": \"ecs:*\", \"Resource\": \"*\"\n  \
                    |               ^\n  \
                    = help: did you mean `Allow`?\n\
                    \n\
                    summary: 1 file, 1 error, 0 security warnings, 0 warnings, 0 suggestions\n";
    assert_eq!(human, expected);
}

#[test]
fn human_caret_counts_wide_characters_twice() {
    let findings = lint_text("cjk.json", CJK);
    // Counted by hand: `{"Version": "1", "Statement": [{"Sid": ` is 39 characters,
    // `"策略一"` 5 more (40-44), `, ` (45-46), `"Effect"` (47-54), `: ` (55-56):
    // `"Allw"` starts at column 57.
    assert_eq!(findings[0].location, Location { line: 1, column: 57 });
    let human = Report::new(vec![FileReport::new("cjk.json", Some(CJK.to_owned()), findings)]).human();
    let (line, caret) = snippet_and_caret(&human);
    assert_eq!(line, format!("1 | {CJK}"));
    // 56 characters before the column, three of them two cells wide: 59 cells.
    assert_eq!(caret, format!("  | {}^", " ".repeat(59)));
}

#[test]
fn human_survives_lines_out_of_range_and_control_characters() {
    let rule = &RULES4[2];
    let report = Report::new(vec![FileReport::new(
        "x.json",
        Some("{\u{1b}[2J\n}".to_owned()),
        vec![
            finding(rule, "x.json", JsonPath::root(), 99, 5, "far away"),
            finding(rule, "x.json", JsonPath::root(), 1, 400, "past the end"),
            finding(rule, "x.json", JsonPath::root(), 1, 2, "escape \u{1b}[31m"),
        ],
    )]);
    let human = report.human();
    assert!(!human.contains('\u{1b}'), "no escape sequence reaches the terminal: {human:?}");
    assert!(human.contains("x.json:99:5"));
    assert!(!human.contains("99 |"), "no snippet for a line that does not exist");
    // Past the end of line 1 (`{`, ESC, `[2J` = 5 characters): the caret follows the line.
    assert!(human.contains("1 | {\u{fffd}[2J\n  |      ^\n"), "{human}");
    assert!(human.contains("  |  ^\n"), "column 2 is the escape character: {human}");
    assert!(human.ends_with("summary: 1 file, 0 errors, 0 security warnings, 3 warnings, 0 suggestions\n"));
}

#[test]
fn human_groups_by_file_and_summarises() {
    let human = mixed_report().human();
    let headers: Vec<&str> = human.lines().filter(|l| l.starts_with("policies/")).collect();
    assert_eq!(
        headers,
        [
            "policies/bad.json: 1 error, 1 security warning, 1 warning, 1 suggestion",
            "policies/gone.json: error: cannot read: No such file or directory (os error 2)",
            "policies/ok.json: no findings",
        ]
    );
    assert!(human.contains(
        "security-warning RG101[allow-all]: grants `*` on `*`\n --> policies/bad.json:5:2 at Statement[0].Effect\n"
    ));
    assert!(
        human.contains("warning RG201[shadowed]: shadowed\n --> policies/bad.json:1:1\n"),
        "a root path is not printed"
    );
    assert!(human.ends_with("summary: 3 files, 1 error, 1 security warning, 1 warning, 1 suggestion (1 unreadable)\n"));
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_has_the_documented_shape() {
    let mut report = mixed_report();
    let v = report.json();
    assert_eq!(v["tool"]["name"], "ramguard");
    assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let files = v["files"].as_array().unwrap();
    let statuses: Vec<(&str, &str)> =
        files.iter().map(|f| (f["file"].as_str().unwrap(), f["status"].as_str().unwrap())).collect();
    assert_eq!(
        statuses,
        [("policies/bad.json", "findings"), ("policies/gone.json", "unreadable"), ("policies/ok.json", "ok")]
    );
    assert!(files[1]["error"].as_str().unwrap().starts_with("cannot read"));
    assert!(files[0].get("error").is_none());
    assert_eq!(files[0]["ignored"], 0);
    let codes: Vec<&str> =
        files[0]["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["RG201", "RG101", "RG001", "RG301"]);
    let f = &files[0]["findings"][2];
    let keys: BTreeSet<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["code", "rule", "severity", "file", "path", "line", "column", "message", "help"]));
    assert_eq!(
        (f["rule"].as_str(), f["severity"].as_str(), f["line"].as_u64(), f["column"].as_u64()),
        (Some("invalid-policy"), Some("error"), Some(5), Some(12))
    );
    assert_eq!((f["path"].as_str(), f["file"].as_str()), (Some("Statement[0].Effect"), Some("policies/bad.json")));
    assert_eq!(files[0]["findings"][1]["severity"], "security-warning");
    // The rules that fired are documented, in code order, once each.
    let rules: Vec<&str> = v["rules"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(rules, ["RG001", "RG101", "RG201", "RG301"]);
    assert_eq!(v["rules"][0]["name"], "invalid-policy");
    assert!(v["rules"][0]["help"].as_str().unwrap().len() > 10);

    // Ignoring RG001 in that file moves it into the `ignored` counts.
    report.apply(&IgnoreList::parse("RG001 policies/*.json\n").unwrap());
    let v = report.json();
    assert_eq!(v["files"][0]["ignored"], 1);
    assert_eq!(
        v["summary"],
        serde_json::json!({
            "files": 3, "unreadable": 1, "findings": 3, "error": 0, "security-warning": 1,
            "warning": 1, "suggestion": 1, "ignored": 1, "unchecked": 0,
        })
    );
    // RG001 no longer fires; the others still do.
    let rules: Vec<&str> = v["rules"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(rules, ["RG101", "RG201", "RG301"]);
}

#[test]
fn fails_compares_classes_by_seriousness() {
    let rule = &RULES4[2]; // a warning
    let report =
        Report::new(vec![FileReport::new("a.json", None, vec![finding(rule, "a.json", JsonPath::root(), 1, 1, "m")])]);
    assert!(!report.fails(Severity::Error));
    assert!(!report.fails(Severity::SecurityWarning));
    assert!(report.fails(Severity::Warning));
    assert!(report.fails(Severity::Suggestion));
    assert!(!Report::new(Vec::new()).fails(Severity::Suggestion));
}

// ---------------------------------------------------------------- any input

mod any_input {
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::*;

    static SARIF: LazyLock<jsonschema::Validator> = LazyLock::new(sarif_validator);

    /// Text with the characters renderers trip on: markup, quotes, tabs,
    /// control characters, non-characters, wide and combining characters.
    fn nasty() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                any::<char>(),
                Just('<'),
                Just('&'),
                Just('"'),
                Just('\t'),
                Just('\n'),
                Just('\r'),
                Just('\u{1b}'),
                Just('\u{0}'),
                Just('\u{fffe}'),
                Just('策'),
                Just('\u{301}'),
            ],
            0..40,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn every_format_renders_any_finding(
            file in nasty(),
            source in proptest::option::of(nasty()),
            message in nasty(),
            line in 0usize..6,
            column in 0usize..60,
            class in 0usize..4,
        ) {
            let mut f = finding(&RULES4[class], &file, JsonPath::root(), line, column, &message);
            f.help = message.clone();
            let report = Report::new(vec![FileReport::new(file.clone(), source, vec![f])]);
            let human = report.human();
            prop_assert!(!human.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{:?}", human);
            let xml = report.junit(Severity::Suggestion);
            let violations = junit_violations(&xml);
            prop_assert!(violations.is_empty(), "{:?}\n{}", violations, xml);
            let log = report.sarif_with_rules(&RULES4);
            let errors = schema_errors(&SARIF, &log);
            prop_assert!(errors.is_empty(), "{:?}\n{:#}", errors, log);
            prop_assert!(serde_json::to_string(&report.json()).is_ok());
        }
    }
}
