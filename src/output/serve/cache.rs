//! The decoded records kept between rebuilds.
//!
//! Every rebuild still lists the records folder (so files added and removed are
//! found) and takes each file's stamp (`stat`), but reads again only a file whose
//! stamp changed or had not settled when it was read ([`FileStamp`]), and decodes
//! again only a file whose path, bundle flag or bytes changed: what a file decodes
//! to depends on nothing else but site.toml, and the builder clears the cache when
//! site.toml changes. Files that are gone are dropped at the end of each load.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use crate::load::{Decoded, FileStamp, Memo};

/// One file's last decoding.
struct Entry {
    bundle: bool,
    /// The file's stamp when it was read, if it had settled then: while it is the
    /// same, the file need not be read again.
    stamp: Option<FileStamp>,
    fingerprint: u64,
    decoded: Decoded,
    /// The last load that saw the file.
    load: u64,
}

/// Record files decoded by earlier loads, by path.
#[derive(Default)]
pub struct DecodeCache {
    entries: Mutex<HashMap<PathBuf, Entry>>,
    load: AtomicU64,
    decoded: AtomicUsize,
}

impl DecodeCache {
    fn entries(&self) -> MutexGuard<'_, HashMap<PathBuf, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a load: counts decodings from zero.
    pub fn begin(&self) {
        self.load.fetch_add(1, Ordering::Relaxed);
        self.decoded.store(0, Ordering::Relaxed);
    }

    /// Ends a load: forgets the files it did not see, and says how many files it
    /// saw and how many of them it decoded (the others came from the cache).
    pub fn end(&self) -> Decodings {
        let load = self.load.load(Ordering::Relaxed);
        let mut entries = self.entries();
        entries.retain(|_, entry| entry.load == load);
        Decodings {
            files: entries.len(),
            decoded: self.decoded.load(Ordering::Relaxed),
        }
    }

    /// Forgets everything (site.toml changed, so every file decodes anew).
    pub fn clear(&self) {
        self.entries().clear();
    }
}

/// What one load did, for the rebuild's summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decodings {
    /// Record files read.
    pub files: usize,
    /// Of those, files decoded because they were new or changed.
    pub decoded: usize,
}

/// A digest of a file's bytes (SipHash): a change that keeps it is out of reach
/// of an edit by chance.
fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

impl Memo for DecodeCache {
    /// The remembered result when the file's stamp is the settled one it had when
    /// it was read.
    fn unwritten(&self, path: &Path, bundle: bool, stamp: &FileStamp) -> Option<Decoded> {
        let load = self.load.load(Ordering::Relaxed);
        let mut entries = self.entries();
        let entry = entries.get_mut(path)?;
        if entry.bundle != bundle || entry.stamp.as_ref() != Some(stamp) {
            return None;
        }
        entry.load = load;
        Some(entry.decoded.clone())
    }

    /// The remembered result when the file's bytes are the same; else decodes and
    /// remembers. Either way the file's stamp is kept if it has settled.
    fn decode(
        &self,
        path: &Path,
        bundle: bool,
        stamp: Option<FileStamp>,
        bytes: &[u8],
        decode: &dyn Fn() -> Decoded,
    ) -> Decoded {
        let fingerprint = fingerprint(bytes);
        let load = self.load.load(Ordering::Relaxed);
        let stamp = stamp.filter(|stamp| stamp.settled(SystemTime::now()));
        if let Some(entry) = self.entries().get_mut(path) {
            if entry.bundle == bundle && entry.fingerprint == fingerprint {
                entry.load = load;
                entry.stamp = stamp;
                return entry.decoded.clone();
            }
        }
        let decoded = decode();
        self.decoded.fetch_add(1, Ordering::Relaxed);
        self.entries().insert(
            path.to_path_buf(),
            Entry {
                bundle,
                stamp,
                fingerprint,
                decoded: decoded.clone(),
                load,
            },
        );
        decoded
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::core::config::SiteConfig;
    use crate::load::record_from_bytes;

    const RECORD: &str = "---\nid: INC-1\ntitle: One\ndate: 2024-01-01\nseverity: SEV1\nstatus: resolved\n---\nBody\n";

    /// Runs the cache on `bytes` and says whether it decoded.
    fn decodes(cache: &DecodeCache, path: &str, bundle: bool, bytes: &str) -> (bool, Decoded) {
        let config = SiteConfig::default();
        let called = Cell::new(false);
        let decode = || {
            called.set(true);
            record_from_bytes(Path::new(path), bytes.as_bytes(), &config)
        };
        let decoded = cache.decode(Path::new(path), bundle, None, bytes.as_bytes(), &decode);
        (called.get(), decoded)
    }

    #[test]
    fn decodes_only_what_changed() {
        let cache = DecodeCache::default();
        cache.begin();
        let (fresh, first) = decodes(&cache, "content/incidents/a.md", false, RECORD);
        assert!(fresh);
        assert_eq!(first.0.expect("a record").title, "One");
        assert_eq!(
            cache.end(),
            Decodings {
                files: 1,
                decoded: 1
            }
        );

        cache.begin();
        assert!(!decodes(&cache, "content/incidents/a.md", false, RECORD).0);
        assert_eq!(
            cache.end(),
            Decodings {
                files: 1,
                decoded: 0
            }
        );

        cache.begin();
        let edited = RECORD.replace("title: One", "title: Two");
        let (fresh, second) = decodes(&cache, "content/incidents/a.md", false, &edited);
        assert!(fresh);
        assert_eq!(second.0.expect("a record").title, "Two");
        assert!(decodes(&cache, "content/incidents/a.md", true, &edited).0);
        assert_eq!(
            cache.end(),
            Decodings {
                files: 1,
                decoded: 2
            }
        );
    }

    #[test]
    fn forgets_files_a_load_did_not_see() {
        let cache = DecodeCache::default();
        cache.begin();
        decodes(&cache, "content/incidents/a.md", false, RECORD);
        decodes(&cache, "content/incidents/b.md", false, "not a record");
        assert_eq!(cache.end().files, 2);
        cache.begin();
        decodes(&cache, "content/incidents/a.md", false, RECORD);
        assert_eq!(
            cache.end(),
            Decodings {
                files: 1,
                decoded: 0
            }
        );
        cache.clear();
        cache.begin();
        assert!(decodes(&cache, "content/incidents/a.md", false, RECORD).0);
        assert_eq!(
            cache.end(),
            Decodings {
                files: 1,
                decoded: 1
            }
        );
    }

    /// The stamp of a file written long ago (this crate's manifest), and of one
    /// written just now.
    fn stamps() -> (FileStamp, FileStamp) {
        let old = std::fs::metadata(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .expect("the manifest");
        let fresh = std::env::temp_dir().join(format!("casebook-stamp-{}", std::process::id()));
        std::fs::write(&fresh, RECORD).expect("a temporary file");
        let new = std::fs::metadata(&fresh).expect("its metadata");
        let _ = std::fs::remove_file(&fresh);
        (FileStamp::of(&old), FileStamp::of(&new))
    }

    #[test]
    fn trusts_only_a_settled_stamp() {
        let (settled, just_written) = stamps();
        assert!(settled.settled(SystemTime::now()));
        assert!(!just_written.settled(SystemTime::now()));
        let config = SiteConfig::default();
        let path = Path::new("content/incidents/a.md");
        let decode = || record_from_bytes(path, RECORD.as_bytes(), &config);
        let cache = DecodeCache::default();
        cache.begin();
        cache.decode(path, false, Some(just_written), RECORD.as_bytes(), &decode);
        assert!(cache.unwritten(path, false, &just_written).is_none());
        cache.decode(path, false, Some(settled), RECORD.as_bytes(), &decode);
        assert!(cache.unwritten(path, false, &settled).is_some());
        assert!(cache.unwritten(path, true, &settled).is_none());
        assert!(cache.unwritten(path, false, &just_written).is_none());
        assert_eq!(cache.end().decoded, 1);
    }
}
