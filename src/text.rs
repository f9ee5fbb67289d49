//! Text for messages: values shortened to a readable length, secrets in
//! URLs hidden, and text from outside (LCD output, tags, answers) made safe
//! to print on one line.

/// A value for a message: at most 60 characters, then "...".
pub(crate) fn short(value: &str) -> String {
    short_to(value, 60)
}

/// The text cut to `max` characters, marked where cut.
pub(crate) fn short_to(value: &str, max: usize) -> String {
    if value.chars().count() <= max {
        value.to_string()
    } else {
        let mut s: String = value.chars().take(max).collect();
        s.push_str("...");
        s
    }
}

/// Unicode's bidirectional formatting characters: shown, they reorder a
/// terminal's line (U+202E makes "gfd" of "dfg").
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text from anywhere made safe for one line of a log or a terminal:
/// control and bidirectional-formatting characters escaped (`\u{1b}`,
/// `\u{202e}`, `\n`), everything else kept.
pub(crate) fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A URL with any user and password replaced by `***`, with or without a
/// scheme (`user:password@proxy:3128` is a proxy setting too), whatever
/// the password holds: everything before the last `@` is taken for them
/// (a password may hold `/`, `?`, `#` or `@` unencoded; a host never
/// holds `@`).
pub(crate) fn hide_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let shown = match rest.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => rest.to_string(),
    };
    match scheme {
        Some(s) => format!("{s}://{shown}"),
        None => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_credentials_are_hidden_with_or_without_a_scheme() {
        assert_eq!(
            hide_userinfo("http://user:secret@proxy:3128"),
            "http://***@proxy:3128"
        );
        assert_eq!(hide_userinfo("user:secret@proxy:3128"), "***@proxy:3128");
        assert_eq!(hide_userinfo("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(hide_userinfo("http://u:p@w@proxy/x"), "http://***@proxy/x");
        for password in ["pa/ss", "pa#ss", "pa?ss", "p/a#s?s@x"] {
            for url in [
                format!("http://user:{password}@proxy:3128"),
                format!("user:{password}@proxy:3128/"),
            ] {
                let shown = hide_userinfo(&url);
                assert!(
                    !shown.contains("pa") && !shown.contains("ss"),
                    "{url} -> {shown}"
                );
                assert!(
                    shown.ends_with("***@proxy:3128") || shown.ends_with("***@proxy:3128/"),
                    "{shown}"
                );
            }
        }
    }

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(
            printable("a\u{202e}b\x1b[2Jc\nd"),
            "a\\u{202e}b\\u{1b}[2Jc\\nd"
        );
        assert_eq!(printable("plain: text é"), "plain: text é");
        assert!(is_bidi_control('\u{2067}') && !is_bidi_control('a'));
    }

    #[test]
    fn long_values_are_cut_and_marked() {
        assert_eq!(short("abc"), "abc");
        assert_eq!(short_to("abcdef", 3), "abc...");
        assert_eq!(short(&"é".repeat(61)).chars().count(), 63);
    }
}
