//! Byte comparisons eight bytes at a time. The static binary's libc (musl) compares byte by
//! byte, and setup sorts hundreds of keys sharing long prefixes (`com.example.plugin.…`,
//! `KAFKA_…`) and compares each final file with the one already there: comparing words made
//! those several times cheaper.

use std::cmp::Ordering;

/// Compares `a` and `b` as `str::cmp` does (lexicographic by bytes).
#[must_use]
pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut a_words = a.chunks_exact(8);
    let mut b_words = b.chunks_exact(8);
    for (a_word, b_word) in (&mut a_words).zip(&mut b_words) {
        let mut x = [0u8; 8];
        let mut y = [0u8; 8];
        x.copy_from_slice(a_word);
        y.copy_from_slice(b_word);
        // Big-endian: the first differing byte decides, as in a byte-by-byte comparison.
        match u64::from_be_bytes(x).cmp(&u64::from_be_bytes(y)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
    }
    let done = a.len().min(b.len()) / 8 * 8;
    a[done..].cmp(&b[done..])
}

/// Whether `a` and `b` hold the same bytes (as `a == b`).
#[must_use]
pub fn equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut a_words = a.chunks_exact(8);
    let mut b_words = b.chunks_exact(8);
    (&mut a_words).zip(&mut b_words).all(|(x, y)| {
        let mut x_word = [0u8; 8];
        let mut y_word = [0u8; 8];
        x_word.copy_from_slice(x);
        y_word.copy_from_slice(y);
        u64::from_ne_bytes(x_word) == u64::from_ne_bytes(y_word)
    }) && a_words.remainder() == b_words.remainder()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn compares_as_str_does(a in "[a-c.]{0,20}", b in "[a-c.]{0,20}") {
            prop_assert_eq!(compare(&a, &b), a.cmp(&b));
            let (long_a, long_b) = (format!("com.example.plugin.{a}"), format!("com.example.plugin.{b}"));
            prop_assert_eq!(compare(&long_a, &long_b), long_a.cmp(&long_b));
        }
    }

    proptest! {
        #[test]
        fn equal_is_byte_equality(a in proptest::collection::vec(0u8..3, 0..40), b in proptest::collection::vec(0u8..3, 0..40)) {
            prop_assert_eq!(equal(&a, &b), a == b);
            prop_assert!(equal(&a, &a.clone()));
        }
    }

    #[test]
    fn prefixes_and_non_ascii_order_as_bytes() {
        for (a, b) in [
            ("", "a"),
            ("abcdefgh", "abcdefghi"),
            ("abcdefgh\u{e9}", "abcdefghz"),
            ("same", "same"),
        ] {
            assert_eq!(compare(a, b), a.cmp(b), "{a} {b}");
            assert_eq!(compare(b, a), b.cmp(a), "{b} {a}");
        }
    }
}
