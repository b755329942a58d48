//! The data directories' write access, checked before storage is touched.
//!
//! A volume that belongs to another user (a host directory, a volume made by another image, a
//! Kubernetes volume without `fsGroup` under OpenShift's arbitrary uid) would otherwise fail deep
//! in the storage writer or the broker with a bare "Permission denied". Here it is one error per
//! directory naming its owner and mode and the container's user, with the three ways to fix it.

use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use nix::unistd::{AccessFlags, Gid, Uid, access};

/// Fails, naming every data directory (`log.dirs` entries and `metadata.log.dir`) the
/// container's user cannot write, or cannot create because its nearest existing parent is not
/// writable; I/O errors other than permissions are left to the storage step, which names them.
pub(crate) fn check_writable(dirs: &[&str]) -> anyhow::Result<()> {
    let (uid, gid) = (Uid::current(), Gid::current());
    let mut problems = Vec::new();
    for dir in dirs {
        let dir = Path::new(dir);
        let Some(existing) = dir.ancestors().find(|path| path.exists()) else {
            continue;
        };
        let denied = match access(existing, AccessFlags::W_OK | AccessFlags::X_OK) {
            Ok(()) => continue,
            Err(errno) => io::Error::from(errno),
        };
        if !matches!(
            denied.kind(),
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
        ) {
            continue;
        }
        let what = if existing == dir {
            format!("the data directory `{}` is not writable", dir.display())
        } else {
            format!(
                "the data directory `{}` cannot be created: `{}` is not writable",
                dir.display(),
                existing.display()
            )
        };
        let why = match std::fs::metadata(existing) {
            _ if denied.kind() == io::ErrorKind::ReadOnlyFilesystem => {
                "it is on a read-only file system (mount a volume there)".to_owned()
            }
            Ok(meta) => format!(
                "it belongs to uid {} (gid {}, mode {:04o}) and this container runs as uid {uid} \
                 (gid {gid})",
                meta.uid(),
                meta.gid(),
                meta.mode() & 0o7777
            ),
            Err(_) => format!("this container runs as uid {uid} (gid {gid})"),
        };
        problems.push(format!("{what}: {why}"));
    }
    if problems.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "{}\nhelp: give the container's user write access to the volume: run the container as \
         the volume's owner (`docker run --user <uid>:0`), or on the host `chown -R {uid}:0 <dir> \
         && chmod -R g=u <dir>`, or in Kubernetes set the pod's `securityContext.fsGroup` (its \
         volumes then belong to that group)",
        problems.join("\nerror: ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // The refusal itself is checked on the image as a non-root user (the sanity case
    // `unwritable_data_volume_fails_clearly`): root passes every permission check here.
    #[test]
    fn writable_and_creatable_directories_pass() {
        let dir = tempfile::tempdir().expect("temp dir");
        let existing = dir.path().to_str().expect("UTF-8");
        let missing = dir.path().join("kraft/meta");
        check_writable(&[existing, missing.to_str().expect("UTF-8")]).expect("writable");
    }
}
