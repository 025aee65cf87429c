//! Name checks drivers share.

/// Whether `name` is an identifier of at most `max_len` bytes: a letter or
/// `_`, then letters, digits or `_` (SQL identifiers, environment variables).
pub fn is_identifier(name: &str, max_len: usize) -> bool {
    let mut chars = name.chars();
    name.len() <= max_len
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers() {
        assert!(super::is_identifier("_a1", 3));
        assert!(!super::is_identifier("_a12", 3));
        assert!(!super::is_identifier("1a", 9));
        assert!(!super::is_identifier("", 9));
        assert!(!super::is_identifier("a-b", 9));
    }
}
