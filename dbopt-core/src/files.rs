//! Reading the user's files, and their paths as shown. Only regular files are read:
//! `std::fs::read` on a FIFO waits for a writer forever, and a device such as `/dev/zero`
//! never ends.

use std::io;
use std::path::{Component, Path, PathBuf};

/// The bytes of the regular file at `path` (symlinks followed). A folder, FIFO, socket or
/// device is an error saying so, without opening it.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a folder, not a file",
        ));
    }
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket or device); not read",
        ));
    }
    std::fs::read(path)
}

/// `path` with `.` dropped and `..` applied lexically (no symlinks resolved), as cargo and
/// diesel show paths: `/ws/a/../b` is `/ws/b`; a leading `..` of a relative path stays.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn folders_fifos_and_devices_are_refused_without_blocking() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        let refused = |path: &Path| read_regular(path).unwrap_err().to_string();
        assert_eq!(
            refused(&fifo),
            "not a regular file (a FIFO, socket or device); not read"
        );
        assert_eq!(
            refused(Path::new("/dev/zero")),
            "not a regular file (a FIFO, socket or device); not read"
        );
        assert_eq!(refused(tmp.path()), "it is a folder, not a file");
        let file = tmp.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(read_regular(&file).unwrap(), b"x");
    }
}
