//! Text split into words as the shell splits it, without ever running a
//! shell: single and double quotes, backslashes, and what each kind of
//! text may hold beyond words. The one tokenizer of the kit: the defaults
//! file is read with it ([`Dialect::DefaultsFile`]), and a profile's
//! `credential_process` is run with it ([`Dialect::Command`]).
//!
//! Shell syntax the kit cannot honour without a shell is refused, naming
//! it; `$` is never expanded.

/// One word, and where it assigns: `NAME=value` with the name unquoted
/// and a valid variable name, `assigns` is the position of its `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub(crate) text: String,
    pub(crate) assigns: Option<usize>,
}

/// What a text may hold beyond words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// One line of a file the shell reads (`/etc/default/LifeKeeper`):
    /// `;` ends a statement, `#` at a word's start begins a comment, and
    /// `$` is kept as written (no kit setting needs expansion).
    DefaultsFile,
    /// One command line, run without a shell (a `credential_process`):
    /// one statement; `;`, `$` and a leading `~`, which only a shell would
    /// honour, are refused by name.
    Command,
}

/// The statements of `text`, each a list of words (a statement may be
/// empty); why it cannot be read without a shell, where it cannot.
pub(crate) fn split(text: &str, dialect: Dialect) -> Result<Vec<Vec<Word>>, String> {
    let mut out = vec![Vec::new()];
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| is_blank(*c)) {
            chars.next();
        }
        match (chars.peek(), dialect) {
            (None, _) | (Some('#'), Dialect::DefaultsFile) => break,
            (Some(';'), Dialect::DefaultsFile) => {
                chars.next();
                out.push(Vec::new());
                continue;
            }
            (Some('~'), Dialect::Command) => {
                return Err("it starts a word with '~' (shell expansion)".into())
            }
            _ => {}
        }
        let word = word(&mut chars, dialect)?;
        if let Some(current) = out.last_mut() {
            current.push(word);
        }
    }
    Ok(out)
}

/// One word: unquoted text, '...' and "..." pieces run together, ended by
/// unquoted white space or (in a file) `;`.
fn word(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    dialect: Dialect,
) -> Result<Word, String> {
    let mut text = String::new();
    let mut quoted = false;
    let mut assigns = None;
    while let Some(&c) = chars.peek() {
        match c {
            c if is_blank(c) => break,
            ';' if dialect == Dialect::DefaultsFile => break,
            '\0' => return Err("it holds a NUL byte".into()),
            '\'' => {
                chars.next();
                quoted = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => text.push(c),
                        None => return Err("a single quote is not closed".into()),
                    }
                }
            }
            '"' => {
                chars.next();
                quoted = true;
                double_quoted(chars, &mut text, dialect)?;
            }
            '\\' => {
                chars.next();
                quoted = true;
                match chars.next() {
                    Some(c) => text.push(c),
                    None => {
                        return Err(
                            "it ends in a backslash (continued lines are not supported)".into()
                        )
                    }
                }
            }
            '&' | '|' | '<' | '>' | '(' | ')' | '`' | ';' => {
                return Err(format!("it uses {c:?} (shell syntax)"));
            }
            '$' if dialect == Dialect::Command => {
                return Err(format!("it uses {c:?} (shell expansion)"));
            }
            '=' if !quoted && assigns.is_none() => {
                chars.next();
                if is_name(&text) {
                    assigns = Some(text.len());
                }
                text.push('=');
            }
            c => {
                chars.next();
                text.push(c);
            }
        }
    }
    Ok(Word { text, assigns })
}

/// The inside of "...": a backslash escapes `"`, `\`, `$` and a backquote;
/// a command line may hold no `$` or backquote there (the shell would
/// expand them).
fn double_quoted(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    text: &mut String,
    dialect: Dialect,
) -> Result<(), String> {
    loop {
        match chars.next() {
            Some('"') => return Ok(()),
            Some('\\') => match chars.next() {
                Some(c @ ('"' | '\\' | '$' | '`')) => text.push(c),
                Some(c) => {
                    text.push('\\');
                    text.push(c);
                }
                None => return Err("a double quote is not closed".into()),
            },
            Some(c @ ('$' | '`')) if dialect == Dialect::Command => {
                return Err(format!("it uses {c:?} (shell expansion)"));
            }
            Some(c) => text.push(c),
            None => return Err("a double quote is not closed".into()),
        }
    }
}

/// What separates words, as the shell's default IFS has it.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n')
}

/// A valid shell variable name.
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The words of one command line, run without a shell; never empty.
pub(crate) fn command_words(line: &str) -> Result<Vec<String>, String> {
    let statements = split(line, Dialect::Command)?;
    let words: Vec<String> = statements.into_iter().flatten().map(|w| w.text).collect();
    if words.is_empty() {
        return Err("it is empty".into());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str, dialect: Dialect) -> Vec<Vec<String>> {
        split(line, dialect)
            .expect("splits")
            .into_iter()
            .map(|s| s.into_iter().map(|w| w.text).collect())
            .collect()
    }

    #[test]
    fn quotes_and_backslashes_are_read_as_the_shell_reads_them() {
        assert_eq!(
            command_words(r#"/usr/bin/get-creds --profile 'prod ha' "a \"b\"" c\ d"#)
                .expect("words"),
            [
                "/usr/bin/get-creds",
                "--profile",
                "prod ha",
                "a \"b\"",
                "c d"
            ]
        );
        assert_eq!(
            texts(r#"A='x y' B="p\$q" C=a\;b # note"#, Dialect::DefaultsFile),
            [["A=x y", "B=p$q", "C=a;b"]]
        );
    }

    #[test]
    fn a_file_line_holds_statements_and_comments() {
        assert_eq!(
            texts("A=1; export A ;B=2", Dialect::DefaultsFile),
            vec![vec!["A=1"], vec!["export", "A"], vec!["B=2"]]
        );
        assert!(texts("# all comment", Dialect::DefaultsFile)[0].is_empty());
        let w = &split("KEY=v 'Q'=x", Dialect::DefaultsFile).expect("splits")[0];
        assert_eq!(w[0].assigns, Some(3));
        assert_eq!(w[1].assigns, None, "a quoted name assigns nothing");
    }

    #[test]
    fn what_needs_a_shell_is_refused_by_name() {
        for (line, dialect, why) in [
            ("a | b", Dialect::Command, "'|' (shell syntax)"),
            ("a; b", Dialect::Command, "';' (shell syntax)"),
            ("$(x)", Dialect::Command, "'$' (shell expansion)"),
            ("a `b`", Dialect::Command, "'`' (shell syntax)"),
            ("a > f", Dialect::Command, "'>' (shell syntax)"),
            ("\"$HOME/x\"", Dialect::Command, "'$' (shell expansion)"),
            ("~/bin/x", Dialect::Command, "'~' (shell expansion)"),
            ("'open", Dialect::Command, "a single quote is not closed"),
            (
                "A=\"open",
                Dialect::DefaultsFile,
                "a double quote is not closed",
            ),
            ("A=1 && B=2", Dialect::DefaultsFile, "'&' (shell syntax)"),
            ("A=x\\", Dialect::DefaultsFile, "ends in a backslash"),
            ("A=\0", Dialect::DefaultsFile, "NUL byte"),
        ] {
            let e = split(line, dialect).expect_err(line);
            assert!(e.contains(why), "{line:?}: {e}");
        }
        assert_eq!(command_words("  ").expect_err("empty"), "it is empty");
        assert_eq!(
            texts("A=$HOME", Dialect::DefaultsFile),
            [["A=$HOME"]],
            "kept, never expanded"
        );
    }
}
