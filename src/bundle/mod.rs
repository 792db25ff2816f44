//! Support bundles as a stream of entries: a directory tree, a `.tar`
//! (plain or gzip, told by its magic bytes), or a `.zip`, read in place:
//! nothing is extracted to disk. Each regular entry is handed to the caller
//! with its path inside the bundle and a reader over its bytes.
//!
//! What a bundle may not do is reported, named by entry, and skipped:
//! absolute paths and `..` (they would point outside the bundle), symlinks
//! and hard links (directories are walked without following them), entries
//! larger than [`MAX_ENTRY`] or that inflate more than [`MAX_RATIO`] times
//! (zip bombs), and corrupt or truncated data. What is already read stays.

pub mod layout;
pub mod periscope;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Component, Path};

/// The most bytes read from one entry; the rest is cut with a problem.
pub const MAX_ENTRY: u64 = 2 << 30;

/// The most a zip entry may inflate (uncompressed / compressed) past 1 MiB.
pub const MAX_RATIO: u64 = 200;

/// One entry of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its path inside the bundle, `/`-separated, without a leading `./`.
    pub path: String,
    /// Its size, when the container says.
    pub size: Option<u64>,
}

/// What reading a bundle ran into, named by entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleProblem {
    /// The entry (or the bundle itself, as `-`).
    pub entry: String,
    pub message: String,
}

/// The kinds of container, told by magic bytes (or being a directory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Directory,
    Tar,
    TarGz,
    Zip,
    /// A single file that is none of the above (a log).
    File,
}

/// Tells the container kind of `path`.
pub fn container_of(path: &Path) -> io::Result<Container> {
    if path.is_dir() {
        return Ok(Container::Directory);
    }
    let mut head = [0u8; 262];
    let mut file = File::open(path)?;
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    let head = &head[..n];
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Container::TarGz
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Container::Zip
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Container::Tar
    } else {
        Container::File
    })
}

/// Reads every entry of the bundle at `path`, calling `visit` with each
/// regular entry and a reader over it, and `problem` for what is skipped.
pub fn read(
    path: &Path,
    visit: &mut dyn FnMut(&Entry, &mut dyn Read),
    problem: &mut dyn FnMut(BundleProblem),
) -> io::Result<Container> {
    let container = container_of(path)?;
    match container {
        Container::Directory => walk(path, path, visit, problem),
        Container::File => {
            let name = path
                .file_name()
                .map_or_else(|| "-".into(), |n| n.to_string_lossy().into_owned());
            let entry = Entry {
                path: name,
                size: path.metadata().ok().map(|m| m.len()),
            };
            visit(&entry, &mut File::open(path)?.take(MAX_ENTRY));
        }
        Container::Tar => read_tar(BufReader::new(File::open(path)?), visit, problem),
        Container::TarGz => {
            let gz = flate2::read::MultiGzDecoder::new(BufReader::new(File::open(path)?));
            read_tar(Inflated::spawn(gz), visit, problem)
        }
        Container::Zip => read_zip(File::open(path)?, visit, problem),
    }
    Ok(container)
}

/// `path` as a safe in-bundle path, or why not.
pub fn safe_path(path: &Path) -> Result<String, &'static str> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err("its path climbs out of the bundle with `..`; skipped");
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err("its path is absolute; skipped (entries must stay inside the bundle)");
            }
        }
    }
    if parts.is_empty() {
        return Err("it has an empty path; skipped");
    }
    Ok(parts.join("/"))
}

fn walk(
    root: &Path,
    dir: &Path,
    visit: &mut dyn FnMut(&Entry, &mut dyn Read),
    problem: &mut dyn FnMut(BundleProblem),
) {
    let rel = |p: &Path| {
        p.strip_prefix(root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut children = match std::fs::read_dir(dir) {
        Ok(d) => d.flatten().collect::<Vec<_>>(),
        Err(e) => {
            problem(BundleProblem {
                entry: rel(dir),
                message: format!("cannot be read: {e}"),
            });
            return;
        }
    };
    children.sort_by_key(|e| e.file_name());
    for child in children {
        let path = child.path();
        let Ok(kind) = child.file_type() else {
            continue;
        };
        if kind.is_symlink() {
            problem(BundleProblem {
                entry: rel(&path),
                message: "is a symbolic link; not followed".into(),
            });
        } else if kind.is_dir() {
            walk(root, &path, visit, problem);
        } else if kind.is_file() {
            let entry = Entry {
                path: rel(&path),
                size: child.metadata().ok().map(|m| m.len()),
            };
            match File::open(&path) {
                Ok(file) => visit(&entry, &mut file.take(MAX_ENTRY)),
                Err(e) => problem(BundleProblem {
                    entry: entry.path,
                    message: format!("cannot be read: {e}"),
                }),
            }
        }
    }
}

fn read_tar(
    input: impl Read,
    visit: &mut dyn FnMut(&Entry, &mut dyn Read),
    problem: &mut dyn FnMut(BundleProblem),
) {
    let mut archive = tar::Archive::new(input);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            problem(BundleProblem {
                entry: "-".into(),
                message: format!("is not a readable tar archive: {e}"),
            });
            return;
        }
    };
    let mut last = String::from("-");
    for item in entries {
        let mut item = match item {
            Ok(item) => item,
            Err(e) => {
                problem(BundleProblem {
                    entry: last.clone(),
                    message: format!(
                        "the archive is corrupt or truncated after this entry ({e}); the entries before it were read"
                    ),
                });
                return;
            }
        };
        let raw = item.path().map(|p| p.into_owned()).unwrap_or_default();
        let name = raw.to_string_lossy().into_owned();
        let kind = item.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            problem(BundleProblem {
                entry: name,
                message: "is a link; not followed".into(),
            });
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let path = match safe_path(&raw) {
            Ok(p) => p,
            Err(why) => {
                problem(BundleProblem {
                    entry: name,
                    message: why.into(),
                });
                continue;
            }
        };
        last.clone_from(&path);
        let entry = Entry {
            path,
            size: item.header().size().ok(),
        };
        visit_guarded(&entry, (&mut item).take(MAX_ENTRY), visit, problem);
    }
}

fn read_zip(
    file: File,
    visit: &mut dyn FnMut(&Entry, &mut dyn Read),
    problem: &mut dyn FnMut(BundleProblem),
) {
    let mut zip = match zip::ZipArchive::new(BufReader::new(file)) {
        Ok(z) => z,
        Err(e) => {
            problem(BundleProblem {
                entry: "-".into(),
                message: format!("is not a readable zip archive: {e}"),
            });
            return;
        }
    };
    for i in 0..zip.len() {
        let mut item = match zip.by_index(i) {
            Ok(item) => item,
            Err(e) => {
                problem(BundleProblem {
                    entry: format!("#{i}"),
                    message: format!("cannot be read: {e}"),
                });
                continue;
            }
        };
        let name = item.name().to_string();
        if item.is_dir() {
            continue;
        }
        if item.is_symlink() {
            problem(BundleProblem {
                entry: name,
                message: "is a link; not followed".into(),
            });
            continue;
        }
        let Some(path) = item.enclosed_name().and_then(|p| safe_path(&p).ok()) else {
            problem(BundleProblem {
                entry: name,
                message: "its path leaves the bundle (absolute or `..`); skipped".into(),
            });
            continue;
        };
        let (size, packed) = (item.size(), item.compressed_size().max(1));
        if size > MAX_ENTRY || (size > 1 << 20 && size / packed > MAX_RATIO) {
            problem(BundleProblem {
                entry: path,
                message: format!(
                    "would inflate {packed} bytes to {size} (limits: {MAX_ENTRY} bytes, {MAX_RATIO}x); skipped as a possible zip bomb"
                ),
            });
            continue;
        }
        let entry = Entry {
            path,
            size: Some(size),
        };
        // The declared size may lie: never read past it (or the limit).
        visit_guarded(
            &entry,
            (&mut item).take(size.min(MAX_ENTRY)),
            visit,
            problem,
        );
    }
}

/// Visits an entry through [`Guarded`]; a read error is reported as
/// corrupt data once the visit has made what it could of the bytes before.
fn visit_guarded(
    entry: &Entry,
    reader: impl Read,
    visit: &mut dyn FnMut(&Entry, &mut dyn Read),
    problem: &mut dyn FnMut(BundleProblem),
) {
    let mut guarded = Guarded {
        inner: reader,
        error: None,
    };
    visit(entry, &mut guarded);
    if let Some(e) = guarded.error {
        problem(BundleProblem {
            entry: entry.path.clone(),
            message: format!("corrupt data: {e}"),
        });
    }
}

/// Decompression on a thread of its own, a few chunks ahead of the reader,
/// so that inflating and classifying use two cores. A read error on the
/// thread reaches the reader in order, after the bytes before it.
struct Inflated {
    chunks: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
}

/// Bytes per chunk handed from the inflating thread.
const CHUNK: usize = 1 << 20;

impl Inflated {
    fn spawn(mut input: impl Read + Send + 'static) -> Inflated {
        let (send, chunks) = std::sync::mpsc::sync_channel(4);
        std::thread::spawn(move || {
            loop {
                let mut chunk = vec![0u8; CHUNK];
                let mut filled = 0;
                let result = loop {
                    match input.read(&mut chunk[filled..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            filled += n;
                            if filled == CHUNK {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                chunk.truncate(filled);
                let done = filled < CHUNK;
                if filled > 0 && send.send(Ok(chunk)).is_err() {
                    return;
                }
                if let Err(e) = result {
                    let _ = send.send(Err(e));
                    return;
                }
                if done {
                    return;
                }
            }
        });
        Inflated {
            chunks,
            current: Vec::new(),
            at: 0,
        }
    }
}

impl Read for Inflated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A reader that turns a read error into the end of the entry, keeping
/// the error for the caller to report (the scanner then finishes the
/// entry with what it has).
struct Guarded<R> {
    inner: R,
    error: Option<io::Error>,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.error = Some(e);
                Ok(0)
            }
        }
    }
}

#[cfg(test)]
mod tests;
