//! Objects read from the packs directly, where the object database does more work
//! than the walk needs.
//!
//! Trees: git packs store each version of `content/incidents/` as a small delta of
//! the version before or after it. The walk holds that version already, so it
//! applies the delta to it: one pass over the tree's bytes. Through the object
//! database the same tree costs five (the cached base copied out, the buffers grown
//! and cleared, the delta applied, the result copied back and copied again into the
//! cache), which was most of the walk.
//!
//! Blobs: a record's older version is stored as a delta of some other record's blob,
//! in chains about a dozen deep. The object database keeps only the objects asked
//! for, so every old version inflated its whole chain again; here every object on a
//! chain is kept (within [`KEPT_BYTES`]), so each delta is inflated once.
//!
//! Whenever a pack does not hold what is asked in that form, the caller reads it
//! through the object database.

use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use gix::odb::pack::data::entry::Header;
use gix::odb::pack::{data, index};
use gix::ObjectId;

/// A larger pack entry is left to the object database (which has its own limits):
/// a tree's delta on the one before it is a few hundred bytes, a record a few KB.
const MAX_ENTRY_BYTES: usize = 64 * 1024 * 1024;

/// How much memory the objects kept as delta bases may hold, per thread.
pub(super) const KEPT_BYTES: usize = 64 * 1024 * 1024;

/// The longest chain of deltas followed (git's own limit is 4095; packs made with
/// defaults have at most 50).
const MAX_CHAIN: usize = 4096;

/// The repository's packs, opened once per thread that diffs trees.
pub(super) struct Packs {
    packs: Vec<(index::File, data::File)>,
    inflate: gix::zlib::Inflate,
    /// The delta being applied, decompressed.
    delta: Vec<u8>,
    /// Objects decoded by [`Packs::read_object`], by pack and offset.
    kept: Kept,
}

/// Decoded objects kept as the bases of later reads, until [`KEPT_BYTES`] are held
/// (then no more are kept: the ones kept first stay).
#[derive(Default)]
struct Kept {
    objects: HashMap<(usize, u64), Rc<[u8]>>,
    bytes: usize,
}

impl Kept {
    fn keep(&mut self, at: (usize, u64), object: &Rc<[u8]>) {
        if self.bytes + object.len() <= KEPT_BYTES {
            self.bytes += object.len();
            self.objects.insert(at, Rc::clone(object));
        }
    }
}

impl Packs {
    /// The packs in `objects/pack` below `objects`; a pack that does not open is left
    /// out (its objects are read through the object database).
    pub(super) fn open(objects: &Path, hash: gix::hash::Kind) -> Packs {
        let mut indexes: Vec<_> = std::fs::read_dir(objects.join("pack"))
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|x| x == "idx"))
                    .collect()
            })
            .unwrap_or_default();
        indexes.sort();
        let packs = indexes
            .into_iter()
            .filter_map(|idx| {
                let index = index::File::at(&idx, hash).ok()?;
                let data = data::File::at(idx.with_extension("pack"), hash).ok()?;
                Some((index, data))
            })
            .collect();
        Packs {
            packs,
            inflate: gix::zlib::Inflate::default(),
            delta: Vec::new(),
            kept: Kept::default(),
        }
    }

    /// Reads the object `id` into `out`, its delta chain resolved with every object
    /// on it kept; returns false, with `out` in any state, when no pack holds it or
    /// it does not decode.
    pub(super) fn read_object(&mut self, id: &ObjectId, out: &mut Vec<u8>) -> bool {
        let found = self
            .packs
            .iter()
            .enumerate()
            .find_map(|(pack, (index, _))| {
                Some((pack, index.pack_offset_at_index(index.lookup(id)?)))
            });
        match found.and_then(|at| self.resolve(at)) {
            Some(object) => {
                out.clear();
                out.extend_from_slice(&object);
                true
            }
            None => false,
        }
    }

    /// The object at `at` (pack, offset): its chain of deltas followed back to a
    /// whole or kept object, then applied forward, each result kept.
    fn resolve(&mut self, at: (usize, u64)) -> Option<Rc<[u8]>> {
        let (pack, mut offset) = at;
        let (index, data) = self.packs.get(pack)?;
        let mut chain = Vec::new();
        let mut object: Rc<[u8]> = loop {
            if let Some(kept) = self.kept.objects.get(&(pack, offset)) {
                break Rc::clone(kept);
            }
            if chain.len() > MAX_CHAIN {
                return None;
            }
            let entry = data.entry(offset).ok()?;
            let base = match entry.header {
                Header::OfsDelta { base_distance } => {
                    entry.checked_base_pack_offset(base_distance)?
                }
                Header::RefDelta { base_id } => index.pack_offset_at_index(index.lookup(base_id)?),
                _ => {
                    decompress(data, &entry, &mut self.inflate, &mut self.delta)?;
                    let whole: Rc<[u8]> = self.delta.as_slice().into();
                    self.kept.keep((pack, offset), &whole);
                    break whole;
                }
            };
            chain.push((offset, entry));
            offset = base;
        };
        let mut applied = Vec::new();
        for (offset, entry) in chain.into_iter().rev() {
            decompress(data, &entry, &mut self.inflate, &mut self.delta)?;
            apply(&object, &self.delta, &mut applied)?;
            object = applied.as_slice().into();
            self.kept.keep((pack, offset), &object);
        }
        Some(object)
    }

    /// Whether a pack stores the object `id` as a delta of the object `base_id`.
    pub(super) fn is_delta_of(&self, id: &ObjectId, base_id: &ObjectId) -> bool {
        delta_entry(&self.packs, id, base_id).is_some()
    }

    /// Reads the object `id` into `out` when a pack stores it as a delta of the
    /// object `base_id`, whose bytes are `base`; returns false, with `out` in any
    /// state, when it does not (or the delta does not apply).
    pub(super) fn read_delta(
        &mut self,
        id: &ObjectId,
        base_id: &ObjectId,
        base: &[u8],
        out: &mut Vec<u8>,
    ) -> bool {
        let Some((data, entry)) = delta_entry(&self.packs, id, base_id) else {
            return false;
        };
        decompress(data, &entry, &mut self.inflate, &mut self.delta).is_some()
            && apply(base, &self.delta, out).is_some()
    }
}

/// Inflates the pack entry `entry` of `data` (a whole object, or a delta's
/// instructions) into `out`; `None` when it is too large or does not inflate.
fn decompress(
    data: &data::File,
    entry: &data::Entry,
    inflate: &mut gix::zlib::Inflate,
    out: &mut Vec<u8>,
) -> Option<()> {
    let size = usize::try_from(entry.decompressed_size)
        .ok()
        .filter(|&size| size <= MAX_ENTRY_BYTES)?;
    out.resize(size, 0);
    data.decompress_entry(entry, inflate, out).ok()?;
    Some(())
}

/// The pack entry of the object `id` in `packs` and its pack, when that entry is a
/// delta of the object `base_id`.
fn delta_entry<'p>(
    packs: &'p [(index::File, data::File)],
    id: &ObjectId,
    base_id: &ObjectId,
) -> Option<(&'p data::File, data::Entry)> {
    let (index, data, at) = packs
        .iter()
        .find_map(|(index, data)| Some((index, data, index.lookup(id)?)))?;
    let entry = data.entry(index.pack_offset_at_index(at)).ok()?;
    let on_base = match entry.header {
        Header::OfsDelta { base_distance } => {
            let base_at = index.lookup(base_id).map(|i| index.pack_offset_at_index(i));
            base_at.is_some() && entry.checked_base_pack_offset(base_distance) == base_at
        }
        Header::RefDelta { base_id: of } => of == *base_id,
        _ => false,
    };
    on_base.then_some((data, entry))
}

/// Applies the git delta `delta` to `base` into `out` (its instructions copy ranges
/// of the base or insert bytes of their own); `None` when the delta is malformed or
/// was made for another base.
fn apply(base: &[u8], mut delta: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let base_size = size(&mut delta)?;
    let result_size = usize::try_from(size(&mut delta)?).ok()?;
    if base_size != base.len() as u64 {
        return None;
    }
    out.clear();
    // The size a malformed delta claims is not trusted with memory: the output
    // grows only by bytes it really copies or inserts.
    out.reserve(result_size.min(base.len() + delta.len()));
    while let Some((&op, rest)) = delta.split_first() {
        delta = rest;
        if op & 0x80 != 0 {
            let offset = copy_field(&mut delta, op, 0, 4)?;
            let length = match copy_field(&mut delta, op, 4, 3)? {
                0 => 0x10000,
                length => length,
            };
            let end = offset.checked_add(length)?;
            out.extend_from_slice(base.get(offset..end)?);
        } else if op != 0 {
            let (insert, rest) = delta.split_at_checked(usize::from(op))?;
            out.extend_from_slice(insert);
            delta = rest;
        } else {
            return None;
        }
        if out.len() > result_size {
            return None;
        }
    }
    (out.len() == result_size).then_some(())
}

/// A size in a delta's header: seven bits a byte, least significant first.
fn size(delta: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = delta.split_first()?;
        *delta = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// A copy instruction's offset (`count` 4) or length (`count` 3): the bytes whose
/// bits, from `first` in `op`, are set, least significant first.
fn copy_field(delta: &mut &[u8], op: u8, first: u32, count: u32) -> Option<usize> {
    let mut value = 0usize;
    for n in 0..count {
        if op & (1 << (first + n)) != 0 {
            let (&byte, rest) = delta.split_first()?;
            *delta = rest;
            value |= usize::from(byte) << (8 * n);
        }
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
        let mut out = vec![b'x'; 3];
        apply(base, delta, &mut out).map(|()| out)
    }

    #[test]
    fn copies_and_inserts() {
        // base 10 bytes, result 9: copy 4 bytes from 2, insert "XY", copy 3 from 0.
        let delta = [10, 9, 0x91, 2, 4, 2, b'X', b'Y', 0x90, 3];
        assert_eq!(
            applied(b"0123456789", &delta).as_deref(),
            Some(&b"2345XY012"[..])
        );
    }

    #[test]
    fn a_length_of_zero_means_65536() {
        let base = vec![7u8; 0x10000];
        let delta = [0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80];
        assert_eq!(applied(&base, &delta), Some(base));
    }

    #[test]
    fn malformed_deltas_are_refused_never_panic() {
        let base = b"0123456789";
        for delta in [
            &[][..],                        // no header
            &[11, 4, 0x90, 4][..],          // made for another base
            &[10, 4, 0x91, 8, 4][..],       // copies past the base
            &[10, 4, 0x91, 0xff, 0xff][..], // offset far past the base
            &[10, 4, 3, b'a'][..],          // inserts more than it holds
            &[10, 4, 0][..],                // reserved instruction
            &[10, 3, 0x90, 4][..],          // longer than it says
            &[10, 5, 0x90, 4][..],          // shorter than it says
            &[10, 4, 0x91][..],             // copy without its bytes
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
        ] {
            assert_eq!(applied(base, delta), None, "{delta:?}");
        }
    }
}
