//! The difference between two git tree objects, read from their raw bytes.
//!
//! An archive keeps thousands of records in one folder, so every commit writes a new
//! tree of that folder that differs from its parent's in one or two entries. Parsing
//! both trees entry by entry for every commit costs more than everything else the
//! history stage does; instead the equal stretches of the two byte strings are
//! skipped with block comparisons, and only the entries around a difference are
//! parsed. A tree entry is `<mode> <name>\0<object id>`, sorted by name.

use std::cmp::Ordering;

/// One entry of a tree, borrowed from its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeEntry<'a> {
    pub mode: &'a [u8],
    pub name: &'a [u8],
    pub id: &'a [u8],
}

impl TreeEntry<'_> {
    /// A sub-folder (mode 40000).
    pub fn is_tree(&self) -> bool {
        self.mode == b"40000" || self.mode == b"040000"
    }
}

/// How an entry differs between the old tree and the new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change<'a> {
    Added(TreeEntry<'a>),
    Deleted(TreeEntry<'a>),
    Modified {
        old: TreeEntry<'a>,
        new: TreeEntry<'a>,
    },
}

/// A tree's bytes that do not parse as a tree.
#[derive(Debug, thiserror::Error)]
#[error("a tree object does not parse")]
pub struct Malformed;

/// The modes git writes; an entry starts with one of them and a space.
const MODES: &[&[u8]] = &[
    b"100644", b"100755", b"120000", b"160000", b"40000", b"040000", b"100664",
];

/// Parses the entry at `pos`: the entry and where the next one starts.
pub fn entry_at(
    tree: &[u8],
    pos: usize,
    id_len: usize,
) -> Result<(TreeEntry<'_>, usize), Malformed> {
    let rest = tree.get(pos..).ok_or(Malformed)?;
    let space = memchr::memchr(b' ', rest).ok_or(Malformed)?;
    let nul = space + 1 + memchr::memchr(0, &rest[space + 1..]).ok_or(Malformed)?;
    let end = nul + 1 + id_len;
    let id = rest.get(nul + 1..end).ok_or(Malformed)?;
    if space == 0 || nul == space + 1 {
        return Err(Malformed);
    }
    Ok((
        TreeEntry {
            mode: &rest[..space],
            name: &rest[space + 1..nul],
            id,
        },
        pos + end,
    ))
}

/// Every entry of a tree, in order.
pub fn entries(tree: &[u8], id_len: usize) -> Result<Vec<TreeEntry<'_>>, Malformed> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < tree.len() {
        let (entry, next) = entry_at(tree, pos, id_len)?;
        out.push(entry);
        pos = next;
    }
    Ok(out)
}

/// git's order of tree entries: by name, a folder's name compared as if it ended
/// with `/`.
fn tree_order(a: &TreeEntry<'_>, b: &TreeEntry<'_>) -> Ordering {
    let common = a.name.len().min(b.name.len());
    match a.name[..common].cmp(&b.name[..common]) {
        Ordering::Equal => {
            let next = |e: &TreeEntry<'_>| {
                e.name
                    .get(common)
                    .copied()
                    .or(if e.is_tree() { Some(b'/') } else { None })
            };
            next(a).cmp(&next(b))
        }
        other => other,
    }
}

/// How many leading bytes `a` and `b` share, compared a block at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCKS: [usize; 3] = [4096, 256, 16];
    let len = a.len().min(b.len());
    let mut done = 0;
    for block in BLOCKS {
        while done + block <= len && a[done..done + block] == b[done..done + block] {
            done += block;
        }
    }
    done + a[done..len]
        .iter()
        .zip(&b[done..len])
        .position(|(x, y)| x != y)
        .unwrap_or(len - done)
}

/// Where the entry holding byte `at` of `tree` starts, searching back no further
/// than `floor` (a known entry start). An entry starts after the NUL that ends a
/// name and the object id that follows it, with a mode and a space.
fn entry_start(tree: &[u8], floor: usize, at: usize, id_len: usize) -> usize {
    let mut end = at.saturating_sub(id_len);
    while end > floor {
        let Some(nul) = memchr::memrchr(0, &tree[floor..end]) else {
            return floor;
        };
        let start = floor + nul + 1 + id_len;
        let rest = &tree[start..];
        if start <= at
            && MODES
                .iter()
                .any(|m| rest.starts_with(m) && rest.get(m.len()) == Some(&b' '))
        {
            return start;
        }
        end = floor + nul;
    }
    floor
}

/// Calls `found` with every difference between the trees `old` and `new`, in name
/// order. Equal stretches are skipped without parsing; an entry start found inside
/// one is checked by parsing the entries from it.
pub fn diff<'a>(
    old: &'a [u8],
    new: &'a [u8],
    id_len: usize,
    found: &mut dyn FnMut(Change<'a>),
) -> Result<(), Malformed> {
    let (mut i, mut j) = (0, 0);
    loop {
        let same = common_prefix(&old[i..], &new[j..]);
        if i + same == old.len() && j + same == new.len() {
            return Ok(());
        }
        let back = entry_start(old, i, i + same, id_len) - i;
        i += back;
        j += back;
        let a = (i < old.len())
            .then(|| entry_at(old, i, id_len))
            .transpose()?;
        let b = (j < new.len())
            .then(|| entry_at(new, j, id_len))
            .transpose()?;
        match (a, b) {
            (Some((a, next_i)), Some((b, next_j))) => match tree_order(&a, &b) {
                Ordering::Equal => {
                    if a != b {
                        found(Change::Modified { old: a, new: b });
                    }
                    (i, j) = (next_i, next_j);
                }
                Ordering::Less => {
                    found(Change::Deleted(a));
                    i = next_i;
                }
                Ordering::Greater => {
                    found(Change::Added(b));
                    j = next_j;
                }
            },
            (Some((a, next_i)), None) => {
                found(Change::Deleted(a));
                i = next_i;
            }
            (None, Some((b, next_j))) => {
                found(Change::Added(b));
                j = next_j;
            }
            (None, None) => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, &str, u8)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (mode, name, id) in entries {
            out.extend_from_slice(mode.as_bytes());
            out.push(b' ');
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            // Ids holding NULs and mode-like bytes, to trip a careless search for entry starts.
            out.extend_from_slice(&[0, b' ', *id, 0, b'4', b'0', b'0', b'0', b'0', b' ']);
            out.extend_from_slice(&[0; 10]);
        }
        out
    }

    fn changes(old: &[u8], new: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        diff(old, new, 20, &mut |c| {
            out.push(match c {
                Change::Added(e) => format!("A {}", String::from_utf8_lossy(e.name)),
                Change::Deleted(e) => format!("D {}", String::from_utf8_lossy(e.name)),
                Change::Modified { new, .. } => {
                    format!("M {}", String::from_utf8_lossy(new.name))
                }
            })
        })
        .unwrap();
        out
    }

    #[test]
    fn finds_each_kind_of_change_between_equal_stretches() {
        let names: Vec<String> = (0..200).map(|n| format!("2024-{n:04}.md")).collect();
        let old: Vec<(&str, &str, u8)> = names.iter().map(|n| ("100644", n.as_str(), 1)).collect();
        let mut new = old.clone();
        new[3].2 = 2;
        new.remove(150);
        new.insert(100, ("100644", "2024-0099a.md", 7));
        new.push(("40000", "zz", 3));
        assert_eq!(
            changes(&tree(&old), &tree(&new)),
            [
                "M 2024-0003.md",
                "A 2024-0099a.md",
                "D 2024-0150.md",
                "A zz"
            ]
        );
        assert!(changes(&tree(&old), &tree(&old)).is_empty());
        assert_eq!(changes(&[], &tree(&old[..1])), ["A 2024-0000.md"]);
    }

    #[test]
    fn a_folder_sorts_as_if_its_name_ended_with_a_slash() {
        let old = tree(&[("100644", "a.md", 1), ("40000", "a", 1)]);
        let new = tree(&[("100644", "a.md", 1), ("40000", "a", 2)]);
        assert_eq!(changes(&old, &new), ["M a"]);
    }

    #[test]
    fn malformed_trees_are_errors_not_panics() {
        for bytes in [&b"100644 x"[..], b"100644 \0", b" a\0", b"100644 a\0short"] {
            assert!(diff(&[], bytes, 20, &mut |_| {}).is_err());
            let _ = diff(bytes, &tree(&[("100644", "a", 1)]), 20, &mut |_| {});
        }
    }
}
