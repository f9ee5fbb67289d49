//! Pure parsers of the LCD commands' output, and the wording of a command
//! line and its stderr for messages. Tested on captured lines.

use std::path::Path;

use super::{DepLayout, Equivalency, Instance, Switchback};

/// The field separator of `ins_list` and `dep_list` without `-f`.
const SEP: char = '\u{1}';

/// Parse `ins_list` output: one instance a line, fields joined by Ctrl-A:
/// system, app, type, tag, id, info, state, then fields the kit ignores.
pub fn parse_ins_list(out: &str) -> Result<Vec<Instance>, (usize, String)> {
    Ok(fields(out, 7)?
        .into_iter()
        .map(|f| Instance {
            system: f[0].to_string(),
            app: f[1].to_string(),
            rtype: f[2].to_string(),
            tag: f[3].to_string(),
            id: f[4].to_string(),
            info: f[5].to_string(),
            state: f[6].to_string(),
            fields: f.len(),
            switchback: f[7..].iter().find_map(|x| Switchback::from_lcd(x)),
        })
        .collect())
}

/// The fields of each non-blank line, at least `min` of them, or the
/// number of the first line that has fewer.
fn fields(out: &str, min: usize) -> Result<Vec<Vec<&str>>, (usize, String)> {
    let mut lines = Vec::new();
    for (i, line) in out.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(SEP).collect();
        if f.len() < min {
            return Err((
                i + 1,
                format!("{} fields where at least {min} were expected", f.len()),
            ));
        }
        lines.push(f);
    }
    Ok(lines)
}

/// Parse `dep_list` output: one dependency a line, fields parent and child,
/// Ctrl-A separated.
pub(crate) fn parse_deps(out: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    Ok(fields(out, 2)?
        .into_iter()
        .map(|f| (f[0].to_string(), f[1].to_string()))
        .collect())
}

/// Parse `dep_list -c PARENT` output into the children of `parent`, and the
/// layout seen. The documented layout (parent first) is taken wherever any
/// line shows it; only where none does is a line with the parent in its
/// second field read the other way round. Lines about other resources are
/// skipped, so the reading holds whichever way the command filters.
pub fn parse_dep_children(
    out: &str,
    parent: &str,
) -> Result<(Vec<String>, Option<DepLayout>), (usize, String)> {
    let deps = parse_deps(out)?;
    let layout = if deps.iter().any(|(a, _)| a == parent) {
        Some(DepLayout::ParentFirst)
    } else if deps.iter().any(|(_, b)| b == parent) {
        Some(DepLayout::ChildFirst)
    } else {
        None
    };
    let mut children: Vec<String> = Vec::new();
    for (a, b) in deps {
        let child = match layout {
            Some(DepLayout::ParentFirst) if a == parent => b,
            Some(DepLayout::ChildFirst) if b == parent => a,
            _ => continue,
        };
        if !children.contains(&child) {
            children.push(child);
        }
    }
    Ok((children, layout))
}

/// Parse `eqv_list` output: system, tag, other system, other tag, type,
/// priority, other priority, Ctrl-A separated.
pub fn parse_eqv_list(out: &str) -> Result<Vec<Equivalency>, (usize, String)> {
    Ok(fields(out, 7)?
        .into_iter()
        .map(|f| Equivalency {
            system: f[0].into(),
            tag: f[1].into(),
            other_system: f[2].into(),
            other_tag: f[3].into(),
            etype: f[4].into(),
            priority: f[5].into(),
            other_priority: f[6].into(),
        })
        .collect())
}

/// Parse `typ_list -a APP` output: one resource type a line, the type in
/// the last of its fields (the app may come first), Ctrl-A separated.
pub(crate) fn parse_typ_list(out: &str) -> Result<Vec<String>, (usize, String)> {
    Ok(fields(out, 1)?
        .into_iter()
        .filter_map(|f| f.last().map(|t| t.trim().to_string()))
        .filter(|t| !t.is_empty())
        .collect())
}

/// A command line for messages: arguments quoted where needed, control
/// characters escaped.
pub(crate) fn describe(program: &Path, args: &[&str]) -> String {
    let mut s = program.display().to_string();
    for a in args {
        s.push(' ');
        if !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c))
        {
            s.push_str(a);
        } else {
            s.push_str(&format!("{a:?}"));
        }
    }
    s
}

/// stderr for a message: lossy UTF-8, control characters escaped, bounded.
pub(crate) fn clean(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let mut out = String::new();
    for c in text.chars().take(2000) {
        match c {
            '\n' => out.push_str(" | "),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    if out.is_empty() {
        out.push_str("(no message on stderr)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const INS_LIST: &str = include_str!("../../tests/fixtures/lcd-output/ins_list.txt");
    const DEP_LIST: &str = include_str!("../../tests/fixtures/lcd-output/dep_list.txt");

    #[test]
    fn ins_list_lines_are_read_field_by_field() {
        let list = parse_ins_list(INS_LIST).expect("fixture parses");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].app, "comm");
        assert_eq!(list[0].rtype, "ip");
        assert_eq!(list[0].tag, "ip-10.0.1.10");
        assert_eq!(list[0].info, "node1 eth0 10.0.1.10 ffffff00 none");
        assert_eq!(list[0].state, "ISP");
        assert_eq!(list[1].rtype, "route53");
        assert_eq!(list[1].info, "Z0123456789ABCDEFGHIJ app.example.com");
    }

    #[test]
    fn ins_list_with_too_few_fields_names_the_line() {
        let err = parse_ins_list("a\u{1}b\u{1}c\n").expect_err("must be refused");
        assert_eq!(err.0, 1);
    }

    #[test]
    fn dep_list_gives_children_of_the_parent_only() {
        let (children, layout) = parse_dep_children(DEP_LIST, "r53-app").expect("fixture parses");
        assert_eq!(children, vec!["ip-10.0.1.10".to_string()]);
        assert_eq!(layout, Some(DepLayout::ParentFirst));
        assert!(parse_dep_children(DEP_LIST, "nobody")
            .expect("parses")
            .0
            .is_empty());
        // The other field order reads the same.
        let (children, layout) =
            parse_dep_children("ip-10.0.1.10\u{1}r53-app\n", "r53-app").expect("parses");
        assert_eq!(children, vec!["ip-10.0.1.10".to_string()]);
        assert_eq!(layout, Some(DepLayout::ChildFirst));
    }

    #[test]
    fn dep_list_garbage_is_an_error() {
        assert!(parse_dep_children("garbage line\n", "x").is_err());
    }

    #[test]
    fn eqv_list_lines_are_read_field_by_field() {
        let list = parse_eqv_list(include_str!("../../tests/fixtures/lcd-output/eqv_list.txt"))
            .expect("fixture parses");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].other_system, "node2");
        assert_eq!(list[0].etype, "SHARED");
        assert_eq!(
            (list[0].priority.as_str(), list[0].other_priority.as_str()),
            ("1", "10")
        );
        assert!(parse_eqv_list("node1\u{1}tag\n").is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn field() -> impl Strategy<Value = String> {
            // Anything but the separator and a line break.
            "[^\u{1}\n\r]{0,30}"
        }

        proptest! {
            #[test]
            fn any_text_parses_without_panic(text in "\\PC{0,500}") {
                let _ = parse_ins_list(&text);
                let _ = parse_dep_children(&text, "x");
                let _ = parse_eqv_list(&text);
            }

            #[test]
            fn ins_list_lines_round_trip(fields in proptest::collection::vec(field(), 7..10)) {
                let line = fields.join("\u{1}");
                prop_assume!(!line.trim().is_empty());
                let list = parse_ins_list(&format!("{line}\n")).map_err(|e| TestCaseError::fail(e.1))?;
                prop_assert_eq!(list.len(), 1);
                let i = &list[0];
                prop_assert_eq!((&i.system, &i.app, &i.rtype, &i.tag), (&fields[0], &fields[1], &fields[2], &fields[3]));
                prop_assert_eq!((&i.id, &i.info, &i.state), (&fields[4], &fields[5], &fields[6]));
            }

            #[test]
            fn dep_list_gives_exactly_the_parents_children(
                deps in proptest::collection::vec(("[a-c]", "[a-z]{1,5}"), 0..20)
            ) {
                let text: String = deps.iter().map(|(p, c)| format!("{p}\u{1}{c}\n")).collect();
                let (children, _) = parse_dep_children(&text, "a").map_err(|e| TestCaseError::fail(e.1))?;
                let mut want: Vec<String> = Vec::new();
                let parent_first = deps.iter().any(|(p, _)| p == "a");
                for (p, c) in &deps {
                    let child = if parent_first && p == "a" {
                        c
                    } else if !parent_first && c == "a" {
                        p
                    } else {
                        continue;
                    };
                    if !want.contains(child) {
                        want.push(child.clone());
                    }
                }
                prop_assert_eq!(children, want);
            }
        }
    }

    #[test]
    fn hostile_arguments_are_quoted_in_messages() {
        let d = describe(
            Path::new("/opt/LifeKeeper/bin/ins_list"),
            &["-t", "a b;$(x)\n"],
        );
        assert_eq!(d, "/opt/LifeKeeper/bin/ins_list -t \"a b;$(x)\\n\"");
    }

    #[test]
    fn stderr_is_bounded_and_escaped() {
        let s = clean(b"line one\nline\x1b two\xff");
        assert_eq!(s, "line one | line\\u{1b} two\u{fffd}");
    }
}
