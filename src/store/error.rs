//! tantivy's errors in words a user can act on. A write that fails because
//! the disk is full, a file size limit was hit or the directory is read-only
//! is named as such, with the file and what to do, instead of tantivy's
//! debug rendering of nested I/O errors.

use std::io;

use tantivy::TantivyError;
use tantivy::directory::error::{OpenReadError, OpenWriteError};

/// One line for `e`.
pub fn plain(e: &TantivyError) -> String {
    let (io, file) = match e {
        TantivyError::OpenWriteError(OpenWriteError::IoError { io_error, filepath }) => {
            (Some(&**io_error), Some(filepath))
        }
        TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath }) => {
            (Some(&**io_error), Some(filepath))
        }
        TantivyError::IoError(io_error) => (Some(&**io_error), None),
        _ => (None, None),
    };
    let (what, kind) = match (io, e) {
        (Some(io), _) => {
            let what = match file {
                Some(file) => format!("writing {} failed: {io}", file.display()),
                None => format!("an index write failed: {io}"),
            };
            (what, Some(io.kind()))
        }
        // A worker thread's I/O error reaches us as text only.
        (None, TantivyError::InternalError(text) | TantivyError::ErrorInThread(text)) => {
            match os_error(text) {
                Some(code) => (
                    format!("an index write failed: {}", text.trim_matches('\'')),
                    Some(io::Error::from_raw_os_error(code).kind()),
                ),
                None => (e.to_string(), None),
            }
        }
        (None, _) => (e.to_string(), None),
    };
    match kind.and_then(hint) {
        Some(hint) => format!("{what}; {hint}"),
        None => what,
    }
}

/// The `N` of the last `(os error N)` in a message.
fn os_error(text: &str) -> Option<i32> {
    let at = text.rfind("(os error ")?;
    let rest = &text[at + "(os error ".len()..];
    rest[..rest.find(')')?].parse().ok()
}

/// What to do about an I/O error of this kind, when there is something.
fn hint(kind: io::ErrorKind) -> Option<&'static str> {
    match kind {
        io::ErrorKind::StorageFull | io::ErrorKind::FileTooLarge | io::ErrorKind::QuotaExceeded => {
            Some(
                "the file system is full or a file size limit was reached: free space, or give --store a directory on another file system",
            )
        }
        io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied => Some(
            "the store directory is not writable: fix its permissions, or give --store another directory",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;

    #[test]
    fn full_disks_and_size_limits_are_named_with_the_file() {
        let e = TantivyError::OpenWriteError(OpenWriteError::IoError {
            io_error: Arc::new(io::Error::from_raw_os_error(28)),
            filepath: PathBuf::from("8310b1c0.pos"),
        });
        let text = plain(&e);
        assert!(
            text.starts_with("writing 8310b1c0.pos failed: No space left on device (os error 28); the file system is full"),
            "{text}"
        );
        let e = TantivyError::IoError(Arc::new(io::Error::from_raw_os_error(27)));
        assert!(plain(&e).contains("File too large"), "{}", plain(&e));
        let e = TantivyError::IoError(Arc::new(io::Error::from_raw_os_error(30)));
        assert!(plain(&e).contains("not writable"), "{}", plain(&e));
        let e = TantivyError::InternalError("File too large (os error 27)".into());
        assert_eq!(
            plain(&e),
            "an index write failed: File too large (os error 27); the file system is full or a file size limit was reached: free space, or give --store a directory on another file system"
        );
        let other = TantivyError::InvalidArgument("x".into());
        assert_eq!(plain(&other), other.to_string());
    }
}
