//! "Did you mean": the closest of a set of known names to a misspelt one (Levenshtein distance
//! via `strsim`), and the same applied to the messages of unknown fields, actions and policies.

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// ` (did you mean `x`?)` or nothing.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"))
}

/// The words between backticks in `text`, in order.
fn quoted(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Adds a "did you mean" to a message about an unknown name, written as serde and the
/// validation write them: "unknown field `x`, expected one of `a`, `b`" or
/// "unknown action `x` (expected a, b or c)". Other messages come back unchanged.
pub fn annotate(message: &str) -> String {
    let Some(at) = message.find("unknown ") else {
        return message.to_string();
    };
    let rest = &message[at..];
    let Some(word) = quoted(rest).first().copied() else {
        return message.to_string();
    };
    let Some(expected_at) = rest.find("expected") else {
        return message.to_string();
    };
    let expected = &rest[expected_at + "expected".len()..];
    let mut candidates = quoted(expected);
    if candidates.is_empty() {
        // "(expected a, b or c)": plain words.
        let list = expected.trim_start_matches(" one of").trim().trim_end_matches(')');
        candidates = list
            .split([',', ' '])
            .map(|w| w.trim_matches(|c: char| c == '(' || c == ')' || c == '='))
            .filter(|w| !w.is_empty() && *w != "or")
            .collect();
    }
    match closest(word, candidates) {
        Some(c) if c != word => format!("{message}; did you mean `{c}`?"),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(closest("leakyy", ["leaky", "fixed"]), Some("leaky"));
        assert_eq!(closest("zzzzzz", ["leaky", "fixed"]), None);
        let m = "unknown field `sed`, expected one of `name`, `seed`, `duration`";
        assert!(annotate(m).ends_with("did you mean `seed`?"), "{}", annotate(m));
        let m = "unknown action `disconect_clients` (expected stop_group_creation, restart_broker or disconnect_clients)";
        assert!(annotate(m).ends_with("did you mean `disconnect_clients`?"), "{}", annotate(m));
        assert_eq!(annotate("lag must be positive"), "lag must be positive");
    }
}
