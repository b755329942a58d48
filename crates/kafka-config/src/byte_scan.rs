//! Byte-class tests eight bytes at a time (SWAR: one `u64` holds eight bytes). Setup checks every
//! byte it reads and writes (control characters in a mounted file, the bytes a `.properties`
//! file must escape), and musl's static binary gives it no vectorised search; a word test per
//! eight bytes made those checks about three times cheaper than a table lookup per byte.
//!
//! Each test answers whether *any* of the eight bytes is in the class, exactly (the borrow tricks
//! below can flag a lane above a real hit, which never changes the answer).

/// `0x01` in every lane.
const ONES: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every lane.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The next eight bytes of `chunk` (which holds at least eight) as a word.
pub(crate) fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&chunk[..8]);
    u64::from_le_bytes(bytes)
}

/// Whether any byte of `word` is below `limit` (at most `0x80`).
pub(crate) const fn any_below(word: u64, limit: u8) -> bool {
    word.wrapping_sub(ONES * limit as u64) & !word & HIGHS != 0
}

/// Whether any byte of `word` is above `limit` (at most `0x7f`): bytes from `0x80` up count.
pub(crate) const fn any_above(word: u64, limit: u8) -> bool {
    (word.wrapping_add(ONES * (127 - limit) as u64) | word) & HIGHS != 0
}

/// Whether any byte of `word` is `byte`.
pub(crate) const fn any_equal(word: u64, byte: u8) -> bool {
    let zero_where_equal = word ^ (ONES * byte as u64);
    zero_where_equal.wrapping_sub(ONES) & !zero_where_equal & HIGHS != 0
}

/// How many bytes of `bytes` are `byte`.
pub(crate) fn count(bytes: &[u8], byte: u8) -> usize {
    let mut words = bytes.chunks_exact(8);
    let mut total = 0;
    for chunk in &mut words {
        let word = word(chunk);
        if any_equal(word, byte) {
            total += chunk.iter().filter(|&&b| b == byte).count();
        }
    }
    total + words.remainder().iter().filter(|&&b| b == byte).count()
}

/// The offset of the first byte of `bytes` that is `wanted`, eight bytes at a time: a word's
/// bytes are looked at one by one only when `word_may_hold` says it can hold such a byte (it
/// must say so for every word that does).
#[inline(always)]
pub(crate) fn position(
    bytes: &[u8],
    word_may_hold: impl Fn(u64) -> bool,
    wanted: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut words {
        if word_may_hold(word(chunk))
            && let Some(inside) = chunk.iter().position(|&byte| wanted(byte))
        {
            return Some(offset + inside);
        }
        offset += 8;
    }
    let tail = words.remainder();
    tail.iter()
        .position(|&byte| wanted(byte))
        .map(|inside| offset + inside)
}

/// The offset of the first byte of `bytes` that is `a` or `b`.
pub(crate) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    position(
        bytes,
        |word| any_equal(word, a) || any_equal(word, b),
        |byte| byte == a || byte == b,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn word_tests_agree_with_byte_tests(bytes in proptest::array::uniform8(any::<u8>()), limit in 0u8..=0x7f, probe in any::<u8>()) {
            let word = word(&bytes);
            prop_assert_eq!(any_below(word, limit), bytes.iter().any(|b| *b < limit));
            prop_assert_eq!(any_below(word, 0x80), bytes.iter().any(|b| *b < 0x80));
            prop_assert_eq!(any_above(word, limit), bytes.iter().any(|b| *b > limit));
            prop_assert_eq!(any_equal(word, probe), bytes.contains(&probe));
        }
    }

    proptest! {
        #[test]
        fn searches_agree_with_byte_loops(bytes in proptest::collection::vec(prop_oneof![8 => b'a'..=b'd', 1 => any::<u8>()], 0..40)) {
            prop_assert_eq!(count(&bytes, b'b'), bytes.iter().filter(|&&x| x == b'b').count());
            prop_assert_eq!(find_either(&bytes, b'c', b'd'), bytes.iter().position(|&x| x == b'c' || x == b'd'));
        }
    }

    #[test]
    fn edge_bytes() {
        let word = |bytes: [u8; 8]| super::word(&bytes);
        assert!(any_below(
            word([0x20, 0x20, 0x20, 0x1f, 0x20, 0x20, 0x20, 0x20]),
            0x20
        ));
        assert!(!any_below(word([0x20; 8]), 0x20));
        assert!(!any_below(word([0xff; 8]), 0x20));
        assert!(any_above(
            word([0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x80]),
            0x7e
        ));
        assert!(!any_above(word([0x7e; 8]), 0x7e));
        assert!(any_equal(word([0, 0, 0, 0, 0, 0, 0, b'\\']), b'\\'));
        assert!(!any_equal(word([b'\\' + 1; 8]), b'\\'));
    }
}
