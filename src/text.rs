//! Text for messages: values shortened to a readable length, and text from
//! outside (LCD output, tags, answers) made safe to print on one line.

/// A value for a message: at most 60 characters, then "...".
pub fn short(value: &str) -> String {
    short_to(value, 60)
}

/// The text cut to `max` characters, marked where cut.
pub fn short_to(value: &str, max: usize) -> String {
    if value.chars().count() <= max {
        value.to_string()
    } else {
        let mut s: String = value.chars().take(max).collect();
        s.push_str("...");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_and_marked() {
        assert_eq!(short("abc"), "abc");
        assert_eq!(short_to("abcdef", 3), "abc...");
        assert_eq!(short(&"é".repeat(61)).chars().count(), 63);
    }
}
