//! `docs/scenario-format.md` must not drift from the code: every field of the raw scenario structs
//! is documented, and every complete example in it still parses. No simulation runs here.

use crate::common::repo_root;
use std::path::Path;

const DOC: &str = "docs/scenario-format.md";

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo_root().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The names of the `pub <field>:` lines of `file.rs` (the raw serde structs).
fn raw_fields(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("pub ")?;
            let (name, _) = rest.split_once(':')?;
            let is_field = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            is_field.then(|| name.to_string())
        })
        .collect()
}

/// The bodies of the ```toml blocks of the doc whose first line is a `name =` line.
fn complete_examples(doc: &str) -> Vec<String> {
    let mut examples = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match &mut current {
            None if line.trim() == "```toml" => current = Some(String::new()),
            Some(body) if line.trim() == "```" => {
                if body.starts_with("name =") {
                    examples.push(std::mem::take(body));
                }
                current = None;
            }
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "{DOC}: a ```toml block is not closed");
    examples
}

fn parse(text: &str) -> hbsim::scenario::Scenario {
    hbsim::scenario::parse(Path::new(DOC), text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n--- example ---\n{text}"))
}

#[test]
fn every_raw_field_is_documented() {
    let doc = read(DOC);
    let fields = raw_fields(&read("src/scenario/file.rs"));
    assert!(fields.len() > 50, "found only {} fields in file.rs: {fields:?}", fields.len());
    let missing: Vec<&String> = fields.iter().filter(|f| !doc.contains(&format!("`{f}`"))).collect();
    assert!(missing.is_empty(), "{DOC} does not mention these fields of file.rs: {missing:?}");
}

#[test]
fn complete_examples_parse() {
    let examples = complete_examples(&read(DOC));
    assert!(examples.len() >= 2, "{DOC}: expected the minimal and the all-defaults examples");
    for example in &examples {
        parse(example);
    }
}

#[test]
fn all_defaults_example_matches_the_defaults() {
    let examples = complete_examples(&read(DOC));
    let spelled = examples
        .iter()
        .find(|e| e.starts_with("name = \"all-defaults\""))
        .expect("the all-defaults example");
    let spelled = parse(spelled);
    let bare = parse("name = \"all-defaults\"\nduration = \"1h\"\n");
    // Debug output compares every field of the validated structs.
    let view = |s: &hbsim::scenario::Scenario| {
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?} {:?} {} {} {} {:?}",
            s.broker,
            s.clients,
            s.background,
            s.groups,
            s.policies,
            s.description,
            s.seed,
            s.duration_ns,
            s.sample_interval_ns,
            s.max_events,
            s.dumps_ns
        )
    };
    assert_eq!(view(&spelled), view(&bare), "the all-defaults example no longer matches file.rs");
}
