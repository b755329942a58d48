//! The entrypoint's file I/O rules, in one place: the one bounded read of an input file and the
//! one safe write of every file the entrypoint writes (final configs, storage files).
//!
//! Reading ([`read_regular`]): only regular files are read (a FIFO would block PID 1 forever, a
//! device such as `/dev/zero` never ends), and at most [`MAX_INPUT_BYTES`].
//!
//! Writing ([`Staging`]): each file goes to a temporary file created exclusively
//! (`O_CREAT|O_EXCL|O_NOFOLLOW`) in the target's own directory, so a planted link is never
//! followed and no other file is ever opened for writing; its final mode is set on the open
//! descriptor before any byte is written; then its bytes, `fsync`, and only when every file of
//! the set is staged, the renames, then an `fsync` of each directory. When a rename fails, the
//! renames already done are undone from hard-linked backups, so the previous files stay exactly
//! as they were.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, anyhow};
use nix::fcntl::OFlag;

/// The largest input file setup reads (configs, JAAS files, passwords): far above any real
/// one, small enough that a wrong mount cannot exhaust memory.
pub(crate) const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// Why an input file could not be read; the text names no content, only the kind of problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadProblem {
    /// Nothing is there.
    Missing,
    /// A directory is there.
    Directory,
    /// Something else that is not a regular file, or an I/O error.
    Unreadable(String),
}

impl std::fmt::Display for ReadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => f.write_str("it does not exist"),
            Self::Directory => f.write_str("it is a directory"),
            Self::Unreadable(reason) => f.write_str(reason),
        }
    }
}

fn kind_of(file_type: fs::FileType) -> &'static str {
    if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

fn not_regular(file_type: fs::FileType) -> ReadProblem {
    let kind = kind_of(file_type);
    if kind.starts_with("not") {
        ReadProblem::Unreadable(format!("it is {kind}"))
    } else {
        ReadProblem::Unreadable(format!("it is {kind}, not a regular file"))
    }
}

fn open_problem(path: &Path, error: &io::Error) -> ReadProblem {
    if error.kind() == io::ErrorKind::NotFound {
        // A dangling symbolic link (a broken ConfigMap or Secret mount) is not "no file".
        if fs::symlink_metadata(path).is_ok() {
            return ReadProblem::Unreadable("it is a symbolic link to nothing".to_owned());
        }
        return ReadProblem::Missing;
    }
    ReadProblem::Unreadable(error.to_string())
}

/// Checks that `path` (links followed) is a regular file, without reading it.
pub(crate) fn check_regular(path: &Path) -> Result<(), ReadProblem> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(ReadProblem::Directory),
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(meta) => Err(not_regular(meta.file_type())),
        Err(error) => Err(open_problem(path, &error)),
    }
}

/// Reads the regular file at `path` (links followed), at most [`MAX_INPUT_BYTES`].
///
/// The file is opened non-blocking, so a FIFO without a writer does not hang, and checked on
/// the open descriptor, so nothing can be swapped in between the check and the read.
pub(crate) fn read_regular(path: &Path) -> Result<Vec<u8>, ReadProblem> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(path)
        .map_err(|error| open_problem(path, &error))?;
    let meta = file
        .metadata()
        .map_err(|error| ReadProblem::Unreadable(error.to_string()))?;
    if meta.is_dir() {
        return Err(ReadProblem::Directory);
    }
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    // Sized from the metadata, so that a file is read in one call plus the one that sees its
    // end; the cap still holds when the file grows meanwhile.
    let expected = usize::try_from(meta.len().min(MAX_INPUT_BYTES)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(expected + 1);
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| ReadProblem::Unreadable(error.to_string()))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(ReadProblem::Unreadable(format!(
            "it is larger than {} MiB, the most setup reads from one file",
            MAX_INPUT_BYTES / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// A file written to its temporary name, waiting for [`Staging::commit`].
#[derive(Debug)]
struct Staged {
    temp: PathBuf,
    target: PathBuf,
}

/// A set of files written all or nothing (see the module documentation). Dropping it without
/// committing removes the temporary files and changes nothing else.
#[derive(Debug, Default)]
pub(crate) struct Staging {
    staged: Vec<Staged>,
}

/// A name in `dir` for a temporary or backup file of `target`, unique in this process.
fn sibling_name(target: &Path, purpose: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(
        ".{name}.{}.{unique}.kafka-entrypoint-{purpose}",
        std::process::id()
    ))
}

/// Creates a new file that did not exist, never through a link, with `mode` exactly.
fn create_exclusive(target: &Path, mode: u32) -> anyhow::Result<(PathBuf, File)> {
    for _ in 0..16 {
        let temp = sibling_name(target, "tmp");
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(OFlag::O_NOFOLLOW.bits())
            .open(&temp)
        {
            Ok(file) => {
                // The umask may have narrowed `mode`; set it exactly before any byte is written.
                file.set_permissions(fs::Permissions::from_mode(mode))
                    .with_context(|| format!("failed to set the mode of `{}`", temp.display()))?;
                return Ok((temp, file));
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("failed to create `{}`", temp.display()));
            }
        }
    }
    Err(anyhow!(
        "failed to create a temporary file next to `{}`: every name tried exists",
        target.display()
    ))
}

/// Whether reading `file` to its end gives exactly `contents`, compared a block at a time (no
/// copy of the whole file is held).
fn same_bytes(mut file: &File, contents: &[u8]) -> bool {
    let mut block = [0u8; 8192];
    let mut rest = contents;
    loop {
        match file.read(&mut block) {
            Ok(0) => return rest.is_empty(),
            Ok(read) => {
                let Some((expected, after)) = rest.split_at_checked(read) else {
                    return false;
                };
                if !kafka_config::byte_order::equal(&block[..read], expected) {
                    return false;
                }
                rest = after;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// Whether `target` is a regular file (not a link) holding exactly `contents`; then its mode
/// is set to `mode` and it needs no rewrite.
fn unchanged(target: &Path, contents: &[u8], mode: u32) -> bool {
    let Ok(file) = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK).bits())
        .open(target)
    else {
        return false;
    };
    let Ok(meta) = file.metadata() else {
        return false;
    };
    if !meta.is_file() || meta.len() != contents.len() as u64 {
        return false;
    }
    if !same_bytes(&file, contents) {
        return false;
    }
    meta.permissions().mode() & 0o7777 == mode
        || file
            .set_permissions(fs::Permissions::from_mode(mode))
            .is_ok()
}

impl Staging {
    /// An empty set.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Writes `contents` with `mode` to a temporary file beside `target`. A target that already
    /// holds exactly these bytes (as a regular file, not a link) is only given `mode`.
    pub(crate) fn stage(
        &mut self,
        target: &Path,
        contents: &[u8],
        mode: u32,
    ) -> anyhow::Result<()> {
        if fs::symlink_metadata(target).is_ok_and(|meta| meta.is_dir()) {
            anyhow::bail!("failed to write `{}`: it is a directory", target.display());
        }
        if unchanged(target, contents, mode) {
            return Ok(());
        }
        let (temp, mut file) = create_exclusive(target, mode)?;
        self.staged.push(Staged {
            temp: temp.clone(),
            target: target.to_owned(),
        });
        file.write_all(contents)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("failed to write `{}`", temp.display()))
    }

    /// Renames every staged file into place and syncs their directories; on failure, puts the
    /// previous files back.
    pub(crate) fn commit(mut self) -> anyhow::Result<()> {
        let staged = std::mem::take(&mut self.staged);
        let mut backups: Vec<Option<PathBuf>> = Vec::with_capacity(staged.len());
        for file in &staged {
            let backup = if fs::symlink_metadata(&file.target).is_ok_and(|meta| !meta.is_dir()) {
                let backup = sibling_name(&file.target, "old");
                if let Err(error) = fs::hard_link(&file.target, &backup) {
                    remove_all(&staged, &backups);
                    return Err(error).with_context(|| {
                        format!("failed to keep a copy of `{}`", file.target.display())
                    });
                }
                Some(backup)
            } else {
                None
            };
            backups.push(backup);
        }
        for (index, file) in staged.iter().enumerate() {
            if let Err(error) = fs::rename(&file.temp, &file.target) {
                roll_back(&staged[..index], &backups[..index]);
                remove_all(&staged[index..], &backups[index..]);
                return Err(error)
                    .with_context(|| format!("failed to write `{}`", file.target.display()));
            }
        }
        for backup in backups.iter().flatten() {
            // Best effort: a leftover hard link costs disk space, not correctness.
            let _ = fs::remove_file(backup);
        }
        let mut dirs: Vec<&Path> = staged.iter().filter_map(|f| f.target.parent()).collect();
        dirs.dedup();
        for dir in dirs {
            File::open(dir)
                .and_then(|dir| dir.sync_all())
                .with_context(|| format!("failed to sync `{}`", dir.display()))?;
        }
        Ok(())
    }
}

/// Undoes done renames: the previous file back from its backup, or the new file removed.
fn roll_back(done: &[Staged], backups: &[Option<PathBuf>]) {
    for (file, backup) in done.iter().zip(backups) {
        // Best effort: the error being reported matters more than one failed undo.
        let _ = match backup {
            Some(backup) => fs::rename(backup, &file.target),
            None => fs::remove_file(&file.target),
        };
    }
}

/// Removes temporary files and backups that were not used.
fn remove_all(staged: &[Staged], backups: &[Option<PathBuf>]) {
    for file in staged {
        let _ = fs::remove_file(&file.temp);
    }
    for backup in backups.iter().flatten() {
        let _ = fs::remove_file(backup);
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        for file in &self.staged {
            // Best effort: a failure is being reported already.
            let _ = fs::remove_file(&file.temp);
        }
    }
}

/// Creates the directory `dir` and its parents, also when `dir` is a link to a directory that
/// does not exist yet: the image links `/opt/kafka/config` and `/opt/kafka/logs` to directories
/// under `/tmp`, which is empty on a fresh tmpfs (a read-only root file system).
pub(crate) fn create_dir_all(dir: &Path) -> anyhow::Result<()> {
    let mut path = dir.to_owned();
    // A chain of links longer than the kernel's own limit is a loop.
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() && fs::metadata(&path).is_err() => {
                let target = fs::read_link(&path)
                    .with_context(|| format!("failed to read the link `{}`", path.display()))?;
                path = match path.parent() {
                    Some(parent) => parent.join(target),
                    None => target,
                };
            }
            _ => {
                return fs::create_dir_all(&path).with_context(|| {
                    if path == dir {
                        format!("failed to create `{}`", dir.display())
                    } else {
                        format!(
                            "failed to create `{}` (where `{}` links to)",
                            path.display(),
                            dir.display()
                        )
                    }
                });
            }
        }
    }
    Err(anyhow!("`{}` is a loop of links", dir.display()))
}

/// Writes one file safely (a [`Staging`] of one).
pub(crate) fn write_file(target: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut staging = Staging::new();
    staging.stage(target, contents, mode)?;
    staging.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn same_bytes_compares_the_whole_file_block_by_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        // Longer than one block, so that the last block decides.
        let contents: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        fs::write(&path, &contents).unwrap();
        let same = |expected: &[u8]| same_bytes(&File::open(&path).unwrap(), expected);
        assert!(same(&contents));
        let mut last_changed = contents.clone();
        *last_changed.last_mut().unwrap() ^= 1;
        assert!(!same(&last_changed));
        assert!(!same(&contents[..contents.len() - 1]));
        let mut longer = contents.clone();
        longer.push(0);
        assert!(!same(&longer));
        assert!(!same(b""));
    }

    #[test]
    fn create_dir_all_creates_what_a_dangling_link_points_to() {
        let dir = tempfile::tempdir().expect("temp dir");
        let link = dir.path().join("config");
        symlink("tmp/kafka/config", &link).expect("link");
        create_dir_all(&link).expect("created through the link");
        assert!(dir.path().join("tmp/kafka/config").is_dir());
        assert!(fs::symlink_metadata(&link).expect("link").is_symlink());
        // Existing directories and links to them are fine; a loop is an error naming the path.
        create_dir_all(&link).expect("again");
        create_dir_all(&dir.path().join("plain/dir")).expect("plain");
        let looped = dir.path().join("loop");
        symlink("loop", &looped).expect("loop");
        let error = create_dir_all(&looped).expect_err("a loop").to_string();
        assert!(error.contains("loop"), "{error}");
    }

    fn mode_of(path: &Path) -> u32 {
        fs::symlink_metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o7777
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains("kafka-entrypoint-"))
            .collect()
    }

    #[test]
    fn planted_link_at_the_target_is_replaced_never_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let foreign = dir.path().join("foreign");
        fs::write(&foreign, "keep me").expect("write");
        fs::set_permissions(&foreign, fs::Permissions::from_mode(0o644)).expect("chmod");
        let target = dir.path().join("server.properties");
        symlink(&foreign, &target).expect("symlink");
        write_file(&target, b"new", 0o600).expect("written");
        assert_eq!(fs::read(&foreign).expect("foreign"), b"keep me");
        assert_eq!(mode_of(&foreign), 0o644);
        assert_eq!(fs::read(&target).expect("target"), b"new");
        assert_eq!(mode_of(&target), 0o600);
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn mode_is_exact_despite_the_umask_and_set_on_unchanged_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("a");
        fs::write(&target, "same").expect("write");
        fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).expect("chmod");
        write_file(&target, b"same", 0o600).expect("written");
        assert_eq!(mode_of(&target), 0o600);
        write_file(&target, b"other", 0o640).expect("written");
        assert_eq!(mode_of(&target), 0o640);
    }

    #[test]
    fn failed_commit_leaves_every_previous_file_as_it_was() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = dir.path().join("first");
        fs::write(&first, "old first").expect("write");
        let second = dir.path().join("second");
        let mut staging = Staging::new();
        staging.stage(&first, b"new first", 0o600).expect("staged");
        staging
            .stage(&second, b"new second", 0o600)
            .expect("staged");
        // Make the second rename fail: a non-empty directory now stands at its target.
        fs::create_dir(&second).expect("dir");
        fs::write(second.join("x"), "x").expect("write");
        assert!(staging.commit().is_err());
        assert_eq!(fs::read(&first).expect("first"), b"old first");
        assert!(second.is_dir());
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }

    #[test]
    fn dropped_staging_removes_its_temporary_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut staging = Staging::new();
        staging
            .stage(&dir.path().join("a"), b"a", 0o600)
            .expect("staged");
        drop(staging);
        assert!(fs::read_dir(dir.path()).expect("dir").next().is_none());
    }

    #[test]
    fn only_regular_files_are_read_and_only_up_to_the_cap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
        assert_eq!(
            read_regular(&fifo),
            Err(ReadProblem::Unreadable(
                "it is a FIFO, not a regular file".into()
            ))
        );
        assert_eq!(
            read_regular(Path::new("/dev/zero")),
            Err(ReadProblem::Unreadable(
                "it is a device, not a regular file".into()
            ))
        );
        assert_eq!(read_regular(dir.path()), Err(ReadProblem::Directory));
        assert_eq!(
            read_regular(&dir.path().join("none")),
            Err(ReadProblem::Missing)
        );
        let big = dir.path().join("big");
        File::create(&big)
            .and_then(|f| f.set_len(MAX_INPUT_BYTES + 1))
            .expect("big");
        assert!(
            matches!(read_regular(&big), Err(ReadProblem::Unreadable(r)) if r.contains("larger"))
        );
        assert_eq!(check_regular(&fifo), read_regular(&fifo).map(drop));
    }
}
