//! What the catalog's tables are made of, shared by the build script that generates them
//! (`build.rs` includes this file) and by [`crate::catalog`], which looks keys up in them: the
//! hash of a name for the lookup table, and the character-bucket counts of a lower-cased name
//! for the "did you mean" bound. Both sides must compute exactly the same values, so they are
//! written once, here.

/// Buckets of the characters of config names, for the letter-count bound of the "did you
/// mean" search.
const BUCKETS: usize = 40;

/// The bucket counts of a name, sixteen one-byte counts per chunk, so that the bound compares
/// sixteen buckets at once (one `psadbw` on x86-64, which the compiler finds in
/// [`crate::catalog`]'s byte loop). The last chunk's unused lanes stay 0.
pub(crate) const CHUNKS: usize = BUCKETS.div_ceil(16);

/// The characters with a bucket of their own, the ones whose counts vary most across Kafka's
/// config names first: the bound in the "did you mean" search adds the buckets up a chunk at a
/// time and stops as soon as a name is ruled out, so the first chunk should rule out the most.
/// Every other byte shares the last bucket.
const BUCKET_ORDER: &[u8; BUCKETS - 1] = b"eatsro.imlncupdgfhbkywxvzqj4012356789_-";

/// The bucket of each byte (see [`BUCKET_ORDER`]).
const BUCKET_OF: [u8; 256] = {
    let mut table = [(BUCKETS - 1) as u8; 256];
    let mut index = 0;
    while index < BUCKET_ORDER.len() {
        table[BUCKET_ORDER[index] as usize] = index as u8;
        index += 1;
    }
    table
};

/// How often each character bucket occurs in `lowercase`, sixteen buckets per chunk. A count
/// stops at 255; the cap keeps the bound a lower bound: `|min(a, c) - min(b, c)| <= |a - b|`.
pub(crate) fn bucket_counts(lowercase: &str) -> [[u8; 16]; CHUNKS] {
    let mut flat = [0u8; CHUNKS * 16];
    for byte in lowercase.bytes() {
        let slot = &mut flat[usize::from(BUCKET_OF[usize::from(byte)])];
        *slot = slot.saturating_add(1);
    }
    let mut counts = [[0u8; 16]; CHUNKS];
    for (chunk, lanes) in counts.iter_mut().zip(flat.chunks_exact(16)) {
        chunk.copy_from_slice(lanes);
    }
    counts
}

/// A fast hash of a name (eight bytes at a time, multiply and rotate), for the catalog's
/// open-addressing table. Not for untrusted input at scale: the table is fixed at build time.
pub(crate) fn name_hash(name: &str) -> u64 {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut hash = name.len() as u64;
    let mut chunks = name.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    hash = (hash.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(SEED);
    hash ^ (hash >> 29)
}
