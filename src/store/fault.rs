//! A tantivy directory that fails on purpose, for the store's fault tests:
//! it passes everything to the real on-disk directory until its byte
//! budget is spent, then every write fails with "No space left on device",
//! as a full disk does.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tantivy::directory::error::{DeleteError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, TerminatingWrite,
    WatchCallback, WatchHandle, WritePtr,
};

/// Bytes that may still be written; below zero, writes fail.
#[derive(Clone, Debug)]
pub struct Budget(Arc<AtomicI64>);

impl Budget {
    /// No limit until [`Budget::set`].
    pub fn unlimited() -> Budget {
        Budget(Arc::new(AtomicI64::new(i64::MAX)))
    }

    /// From now on, `bytes` more may be written.
    pub fn set(&self, bytes: i64) {
        self.0.store(bytes, Ordering::SeqCst);
    }

    /// Takes `n` bytes, or fails as a full disk does.
    fn spend(&self, n: usize) -> io::Result<()> {
        let left = self.0.fetch_sub(n as i64, Ordering::SeqCst);
        if left < n as i64 {
            return Err(io::Error::from_raw_os_error(28));
        }
        Ok(())
    }
}

/// The real directory, with writes charged to a [`Budget`].
#[derive(Clone, Debug)]
pub struct FullDisk {
    inner: MmapDirectory,
    budget: Budget,
}

impl FullDisk {
    pub fn new(inner: MmapDirectory, budget: Budget) -> FullDisk {
        FullDisk { inner, budget }
    }
}

/// A file being written, charged to the budget.
struct Charged {
    inner: BufWriter<Box<dyn TerminatingWrite + Send + Sync>>,
    budget: Budget,
}

impl Write for Charged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.budget.spend(buf.len())?;
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl TerminatingWrite for Charged {
    fn terminate_ref(&mut self, token: AntiCallToken) -> io::Result<()> {
        self.inner.flush()?;
        self.inner.get_mut().terminate_ref(token)
    }
}

impl Directory for FullDisk {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        let inner = self.inner.open_write(path)?;
        Ok(BufWriter::new(Box::new(Charged {
            inner,
            budget: self.budget.clone(),
        })))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.budget.spend(data.len())?;
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(
        &self,
        lock: &Lock,
    ) -> Result<DirectoryLock, tantivy::directory::error::LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(callback)
    }
}
