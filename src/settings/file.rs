//! The defaults file read as the shell would read it: only a regular
//! file, only its first [`MAX_FILE_BYTES`], split into `KEY=value`
//! assignments and the lines that are none, each with its number. Syntax
//! only: which keys the kit knows is `validate`'s.

use std::path::Path;

use super::Warning;
use crate::shell::{self, Dialect};
use crate::text::short;

/// The file is read up to this size; the rest is ignored with a warning.
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 20;

/// The bytes of the settings file, and a warning where it was cut: only a
/// regular file is read, and only its first [`MAX_FILE_BYTES`].
pub(super) fn read_file(path: &Path) -> Result<(Vec<u8>, Vec<Warning>), String> {
    let mut buf = crate::bounded::read_regular(path, MAX_FILE_BYTES + 1)?;
    let mut warnings = Vec::new();
    if buf.len() as u64 > MAX_FILE_BYTES {
        warnings.push(Warning(format!(
            "{}: larger than {MAX_FILE_BYTES} bytes; read only the first {MAX_FILE_BYTES}",
            path.display()
        )));
        buf.truncate(MAX_FILE_BYTES as usize);
        // Drop the partial last line.
        if let Some(pos) = buf.iter().rposition(|b| *b == b'\n') {
            buf.truncate(pos);
        }
    }
    Ok((buf, warnings))
}

/// One `KEY=value` assignment, as the shell would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A line that is not a comment, a blank or an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    pub reason: String,
}

/// Split shell-style text into assignments and problems, reading it as the
/// shell would: comments, blank lines, quotes, trailing comments, several
/// statements on a line separated by `;`, several assignments in one
/// statement, and the declaration forms `export`, `readonly`, `declare` and
/// `typeset` (with options such as `-x`). Assignments are read; what is not
/// an assignment (`export KEY` alone, an option, a command) is passed over
/// silently, except a command word that names a `ROUTE53_` key, which is
/// most likely a misspelt assignment. `$` is not expanded (no kit setting
/// needs it).
pub fn parse(text: &[u8]) -> (Vec<Entry>, Vec<LineProblem>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in text.split(|b| *b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(_) => {
                problems.push(LineProblem {
                    line,
                    reason: "not UTF-8 text".into(),
                });
                continue;
            }
        };
        match parse_line(text) {
            Ok(found) => {
                entries.extend(
                    found
                        .into_iter()
                        .map(|(key, value)| Entry { key, value, line }),
                )
            }
            Err(reason) => problems.push(LineProblem { line, reason }),
        }
    }
    (entries, problems)
}

/// The assignments of one line.
fn parse_line(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut found = Vec::new();
    for words in shell::split(text, Dialect::DefaultsFile)? {
        let Some(first) = words.first() else {
            continue;
        };
        let declaration = first.assigns.is_none()
            && matches!(
                first.text.as_str(),
                "export" | "readonly" | "declare" | "typeset"
            );
        let rest = if declaration { &words[1..] } else { &words[..] };
        for (i, w) in rest.iter().enumerate() {
            match w.assigns {
                Some(eq) => found.push((w.text[..eq].to_string(), w.text[eq + 1..].to_string())),
                // export KEY, declare -x: nothing to read.
                None if declaration => {}
                None if i > 0 => {
                    return Err(format!(
                        "{} is followed by {:?}: the shell would run that as a command with the assignment for it alone",
                        short(&rest[i - 1].text),
                        short(&w.text)
                    ))
                }
                // A command. One that names a kit key, or holds a `=`
                // after something that is no name, is likely a typo.
                None if w.text.contains("ROUTE53_") || w.text.contains('=') => {
                    return Err(format!(
                        "{:?} is not a KEY=value assignment of a valid variable name",
                        short(&w.text)
                    ))
                }
                None => break,
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` reads as these assignments (key, value, line), with no
    /// problem.
    #[track_caller]
    fn reads_as(text: &str, want: &[(&str, &str, usize)]) {
        let (entries, problems) = parse(text.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn shell_forms_are_understood() {
        let text = "# comment\n\n  export ROUTE53_TTL=30\nROUTE53_RECORD_INTERVAL='4'\nROUTE53_RECORD_TRY_COUNT=\"6\"   # trailing\nA=b\\ c\nB=\"x\\\"y\"\r\n";
        reads_as(
            text,
            &[
                ("ROUTE53_TTL", "30", 3),
                ("ROUTE53_RECORD_INTERVAL", "4", 4),
                ("ROUTE53_RECORD_TRY_COUNT", "6", 5),
                ("A", "b c", 6),
                ("B", "x\"y", 7),
            ],
        );
    }

    #[test]
    fn every_malformed_line_is_reported_with_its_number() {
        let text = b"ROUTE53_TTL=5\njust words\nROUTE53_X='open\n1BAD=2\nK=v; rm -rf /\n\xff\xfe=1\nROUTE53_RECORD_TRY_COUNT=7\nROUTE53_TTL 30\nROUTE53_TTL=30 60\nA=1 | tee x\n";
        let (entries, problems) = parse(text);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        // A command that names no kit key (line 2, and `rm` after `;` on
        // line 5) is the shell's business, not a problem.
        assert_eq!(lines, vec![3, 4, 6, 8, 9, 10]);
        let got: Vec<_> = entries.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(
            got,
            vec![
                ("ROUTE53_TTL", 1),
                ("K", 5),
                ("ROUTE53_RECORD_TRY_COUNT", 7)
            ]
        );
        assert!(
            problems[4].reason.contains("would run that as a command"),
            "{problems:?}"
        );
    }

    #[test]
    fn statements_and_declarations_are_read_as_the_shell_would() {
        let text = "ROUTE53_TTL=30; export ROUTE53_TTL\nexport PATH\nreadonly ROUTE53_RECORD_INTERVAL=4\ndeclare -x ROUTE53_RECORD_TRY_COUNT=6\ntypeset -rx A=1\nexport K1=v K2='w x'\nX=1;Y=2 ; ;\n";
        reads_as(
            text,
            &[
                ("ROUTE53_TTL", "30", 1),
                ("ROUTE53_RECORD_INTERVAL", "4", 3),
                ("ROUTE53_RECORD_TRY_COUNT", "6", 4),
                ("A", "1", 5),
                ("K1", "v", 6),
                ("K2", "w x", 6),
                ("X", "1", 7),
                ("Y", "2", 7),
            ],
        );
    }
}
