//! The README as the unit tests read it: its tables, row by row, and its
//! code blocks. Each table the code decides (the settings, the message IDs,
//! the exit statuses, the IAM policy, the decision table) is tested beside
//! the code that decides it, so that one edit in either place fails.

#![cfg(test)]

/// The README, as built into the tests.
pub(crate) const README: &str = include_str!("../README.md");

/// The rows of the first table under the heading `heading` (a line that
/// starts with it), each as its cells, trimmed; the header and the rule
/// left out.
pub(crate) fn table(heading: &str) -> Vec<Vec<String>> {
    let Some(start) = README
        .lines()
        .position(|l| l.starts_with('#') && l.trim_start_matches('#').trim() == heading)
    else {
        panic!("README.md has no heading {heading:?}");
    };
    let rows: Vec<Vec<String>> = README
        .lines()
        .skip(start + 1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    assert!(rows.len() > 2, "no table under {heading:?}");
    rows.into_iter().skip(2).collect()
}

/// The first fenced code block of `language` after the line that holds
/// `marker`.
pub(crate) fn block_after(marker: &str, language: &str) -> String {
    let Some(at) = README.find(marker) else {
        panic!("README.md does not say {marker:?}");
    };
    let fence = format!("```{language}\n");
    let Some(start) = README[at..].find(&fence).map(|i| at + i + fence.len()) else {
        panic!("no {language} block after {marker:?}");
    };
    let end = README[start..]
        .find("```")
        .map_or(README.len(), |i| start + i);
    README[start..end].to_string()
}

/// Every `.rs` file of the crate's `src`, with its text.
pub(crate) fn sources() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("src is readable")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&p).expect("source is text");
                out.push((p.display().to_string(), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    out
}

#[test]
fn tables_are_found_and_read_by_cell() {
    let rows = table("Exit status");
    assert_eq!(rows[0][0], "0");
    assert!(block_after("For the demo resource:", "json").contains("\"Statement\""));
    assert!(sources().iter().any(|(p, _)| p.ends_with("src/readme.rs")));
}
