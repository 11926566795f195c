//! Reading the user's files, and their paths as shown. Every file dbopt opens (Rust sources,
//! schema.rs, migrations, diesel.toml, metadata.toml, the manifests the CLI reads itself)
//! goes through [`read_regular`]: only regular files are read, and only up to a size cap
//! that depends on the kind of file. `std::fs::read` on a FIFO waits for a writer forever,
//! a device such as `/dev/zero` never ends, and a huge regular file would be read whole
//! into memory.

use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// Largest Rust file read: the biggest generated sources seen in the wild (bindings, unicode
/// tables) are a few tens of MiB.
pub const MAX_RUST_BYTES: u64 = 256 << 20;
/// Largest TOML file read (Cargo.toml, diesel.toml, metadata.toml).
pub const MAX_TOML_BYTES: u64 = 16 << 20;
/// Largest file of any other kind read (SQL migrations, which may carry seed data).
pub const MAX_OTHER_BYTES: u64 = 1 << 30;

/// The size cap for `path`, by its extension.
pub fn max_bytes(path: &Path) -> u64 {
    match path.extension().and_then(|e| e.to_str()) {
        Some("rs") => MAX_RUST_BYTES,
        Some("toml") => MAX_TOML_BYTES,
        _ => MAX_OTHER_BYTES,
    }
}

/// The bytes of the regular file at `path` (symlinks followed), at most [`max_bytes`] of
/// them. A folder, FIFO, socket or device is an error saying so: it is refused before it
/// is opened, and a file swapped for one between the check and the open is opened without
/// blocking and refused then. A larger file is an error naming the cap.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    refuse_irregular(&std::fs::metadata(path)?)?;
    let mut file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    refuse_irregular(&meta)?;
    let max = max_bytes(path);
    if meta.len() > max {
        return Err(too_large(max));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow while it is read: never past the cap.
    (&mut file).take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(bytes)
}

/// The error for a folder where a file was expected.
pub fn folder_not_file() -> io::Error {
    io::Error::new(io::ErrorKind::IsADirectory, "it is a folder, not a file")
}

fn refuse_irregular(meta: &std::fs::Metadata) -> io::Result<()> {
    if meta.is_dir() {
        return Err(folder_not_file());
    }
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket or device); not read",
        ));
    }
    Ok(())
}

fn too_large(max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "larger than {} MiB, the most read of such a file; not read",
            max >> 20
        ),
    )
}

/// Opening a FIFO for reading waits for a writer unless `O_NONBLOCK` is set; for a regular
/// file the flag changes nothing.
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
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

    /// A sparse file one byte past the cap: refused by its size, nothing allocated.
    #[test]
    fn files_past_their_kinds_cap_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let big = tmp.path().join("Cargo.toml");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_TOML_BYTES + 1).unwrap();
        let e = read_regular(&big).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(
            e.to_string(),
            "larger than 16 MiB, the most read of such a file; not read"
        );
        file.set_len(MAX_TOML_BYTES).unwrap();
        assert_eq!(read_regular(&big).unwrap().len() as u64, MAX_TOML_BYTES);
        assert_eq!(max_bytes(Path::new("src/lib.rs")), MAX_RUST_BYTES);
        assert_eq!(max_bytes(Path::new("up.sql")), MAX_OTHER_BYTES);
    }
}
