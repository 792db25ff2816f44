//! The incident store: a tantivy index in a directory of its own
//! (`$XDG_DATA_HOME/aks-gw-logs/store` by default, `--store DIR` to choose).
//!
//! ```text
//! DIR/aks-gw-logs-store.json   marker: what this is and its schema version
//! DIR/index/                   the tantivy index (one document per incident)
//! DIR/signatures.json          each signature's guide step and remediation,
//!                              kept once instead of in every incident
//! DIR/writer.pid               the process writing now (informative; the
//!                              lock itself is tantivy's, released on exit)
//! ```
//!
//! A directory that is not empty and has no marker, or has a marker of
//! another version, or whose index cannot be opened, is refused with an
//! explanation and never written to. Incidents are upserted by id (delete
//! then add, in one commit); commits are batched by the caller and also
//! done when the store is closed. tantivy keeps the last completed commit
//! through a crash, so a killed writer loses only what it had not committed.
//! Readers see the last commit and never block the writer; a second writer
//! is told which process holds the store.

mod error;
#[cfg(test)]
mod fault;
mod query;
pub mod schema;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::directory::error::LockError;
use tantivy::directory::{Directory, MmapDirectory};
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{
    Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, TantivyError, Term,
};

pub use query::{Search, Stats, TimeBucket};
use schema::{Fields, SCHEMA_VERSION};

use crate::group::History;
use crate::incident::Incident;

/// The marker file's name.
const MARKER: &str = "aks-gw-logs-store.json";
/// What the marker says this directory is.
const FORMAT: &str = "aks-gw-logs incident store";
/// Memory the writer may use before it flushes a segment (shared by its threads).
const WRITER_HEAP: usize = 128 << 20;
/// Indexing threads: documents are tokenized and indexed off the thread
/// that classifies.
const WRITER_THREADS: usize = 2;

/// Why the store cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "no incident store at {0} yet; run `aks-gw-logs classify` (or pass --store DIR) to create one"
    )]
    Missing(PathBuf),
    #[error(
        "{0} is not an aks-gw-logs store (it is not empty and has no {MARKER}); refusing to use it. Give --store an empty or new directory"
    )]
    Foreign(PathBuf),
    #[error(
        "the store at {dir} has schema version {found}; this aks-gw-logs reads version {SCHEMA_VERSION}. It was left as it is: move it away, or pass --store DIR for a new one"
    )]
    Version { dir: PathBuf, found: u32 },
    #[error(
        "the store at {dir} is damaged ({detail}); it was left as it is: move it away, or pass --store DIR for a new one"
    )]
    Corrupt { dir: PathBuf, detail: String },
    #[error(
        "the store at {dir} is in use by process {pid}; wait for it to finish, or pass --no-store or another --store DIR"
    )]
    InUse { dir: PathBuf, pid: String },
    #[error("{0}")]
    Query(String),
    #[error("incident store at {dir}: {source}")]
    Io { dir: PathBuf, source: io::Error },
    #[error("incident store at {dir}: {}", error::plain(.source))]
    Index { dir: PathBuf, source: TantivyError },
}

/// The marker's content.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    format: String,
    schema_version: u32,
}

/// The file with each signature's guide step and remediation.
const TEXTS: &str = "signatures.json";

/// A signature's texts, as its incidents were stored with them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SignatureText {
    guide_step: String,
    remediation: String,
}

/// Read only, or read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Search and show; the store must exist.
    Read,
    /// Also upsert; the store is created if the directory is new or empty.
    Write,
}

/// An open incident store.
pub struct Store {
    dir: PathBuf,
    index: Index,
    fields: Fields,
    reader: IndexReader,
    writer: Option<IndexWriter>,
    /// Upserts since the last commit.
    pending: usize,
    /// Guide step and remediation per signature id ([`TEXTS`]).
    texts: BTreeMap<String, SignatureText>,
    texts_changed: bool,
}

/// The default store directory: `$XDG_DATA_HOME/aks-gw-logs/store`, else
/// `~/.local/share/aks-gw-logs/store`.
pub fn default_dir() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("aks-gw-logs").join("store"))
}

impl Store {
    /// Opens (and in [`Mode::Write`], creates) the store in `dir`.
    pub fn open(dir: &Path, mode: Mode) -> Result<Store, StoreError> {
        Store::open_with(dir, mode, |d| Box::new(d))
    }

    /// As [`Store::open`], with the index's directory wrapped by `wrap`
    /// (tests inject write errors this way).
    fn open_with(
        dir: &Path,
        mode: Mode,
        wrap: impl FnOnce(MmapDirectory) -> Box<dyn Directory>,
    ) -> Result<Store, StoreError> {
        let io_err = |source| StoreError::Io {
            dir: dir.to_path_buf(),
            source,
        };
        let marker_path = dir.join(MARKER);
        let exists = dir.exists();
        let empty = !exists || fs::read_dir(dir).map_err(io_err)?.next().is_none();
        if !marker_path.exists() {
            if !empty {
                return Err(StoreError::Foreign(dir.to_path_buf()));
            }
            if mode == Mode::Read {
                return Err(StoreError::Missing(dir.to_path_buf()));
            }
            Store::create(dir)?;
        }
        let marker: Marker = fs::read_to_string(&marker_path)
            .map_err(io_err)
            .and_then(|text| {
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                    dir: dir.to_path_buf(),
                    detail: format!("{MARKER} is not valid: {e}"),
                })
            })?;
        if marker.format != FORMAT {
            return Err(StoreError::Foreign(dir.to_path_buf()));
        }
        if marker.schema_version != SCHEMA_VERSION {
            return Err(StoreError::Version {
                dir: dir.to_path_buf(),
                found: marker.schema_version,
            });
        }
        let corrupt = |detail: String| StoreError::Corrupt {
            dir: dir.to_path_buf(),
            detail,
        };
        let directory = MmapDirectory::open(dir.join("index"))
            .map_err(|e| corrupt(format!("the index cannot be opened: {e}")))?;
        let index = Index::open(wrap(directory))
            .map_err(|e| corrupt(format!("the index cannot be opened: {e}")))?;
        let (schema, fields) = schema::schema();
        if index.schema() != schema {
            return Err(corrupt(
                "the index's fields are not those of this schema version".into(),
            ));
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| corrupt(format!("the index cannot be read: {e}")))?;
        let writer = match mode {
            Mode::Read => None,
            Mode::Write => Some(Store::lock(dir, &index)?),
        };
        let texts = match fs::read_to_string(dir.join(TEXTS)) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| corrupt(format!("{TEXTS} is not valid: {e}")))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(io_err(e)),
        };
        Ok(Store {
            dir: dir.to_path_buf(),
            index,
            fields,
            reader,
            writer,
            pending: 0,
            texts,
            texts_changed: false,
        })
    }

    fn create(dir: &Path) -> Result<(), StoreError> {
        let io_err = |source| StoreError::Io {
            dir: dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir.join("index")).map_err(io_err)?;
        let (schema, _) = schema::schema();
        Index::create_in_dir(dir.join("index"), schema).map_err(|source| StoreError::Index {
            dir: dir.to_path_buf(),
            source,
        })?;
        let marker = Marker {
            format: FORMAT.into(),
            schema_version: SCHEMA_VERSION,
        };
        // The marker goes last and atomically: a store whose creation was
        // cut short has none, and is refused like any foreign directory.
        let tmp = dir.join(format!("{MARKER}.tmp"));
        fs::write(
            &tmp,
            serde_json::to_string_pretty(&marker).expect("marker serialises"),
        )
        .map_err(io_err)?;
        fs::rename(&tmp, dir.join(MARKER)).map_err(io_err)
    }

    /// Takes tantivy's writer lock and records this process as the writer.
    fn lock(dir: &Path, index: &Index) -> Result<IndexWriter, StoreError> {
        let writer = match index.writer_with_num_threads(WRITER_THREADS, WRITER_HEAP) {
            Ok(w) => w,
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) => {
                let pid = fs::read_to_string(dir.join("writer.pid"))
                    .ok()
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| "(unknown)".into());
                return Err(StoreError::InUse {
                    dir: dir.to_path_buf(),
                    pid,
                });
            }
            Err(source) => {
                return Err(StoreError::Index {
                    dir: dir.to_path_buf(),
                    source,
                });
            }
        };
        let me = format!(
            "{} {}\n",
            std::process::id(),
            std::env::args().collect::<Vec<_>>().join(" ")
        );
        fs::write(dir.join("writer.pid"), me).map_err(|source| StoreError::Io {
            dir: dir.to_path_buf(),
            source,
        })?;
        Ok(writer)
    }

    /// Where the store lives.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn index_err(&self, source: TantivyError) -> StoreError {
        StoreError::Index {
            dir: self.dir.clone(),
            source,
        }
    }

    /// Adds the incident, replacing any stored one with its id (visible to
    /// searches after the next commit). Its signature's guide step and
    /// remediation are kept once per signature, not once per incident.
    pub fn upsert(&mut self, mut inc: Incident) -> Result<(), StoreError> {
        let texts = SignatureText {
            guide_step: std::mem::take(&mut inc.guide_step),
            remediation: std::mem::take(&mut inc.remediation),
        };
        if self.texts.get(&inc.signature) != Some(&texts) {
            self.texts.insert(inc.signature.clone(), texts);
            self.texts_changed = true;
        }
        let writer = self
            .writer
            .as_ref()
            .expect("upsert on a store opened for writing");
        writer.delete_term(Term::from_field_text(self.fields.id, &inc.id));
        if let Err(e) = writer.add_document(self.fields.document(&inc)) {
            let source = match e {
                TantivyError::ErrorInThread(_) => self.worker_error().unwrap_or(e),
                e => e,
            };
            return Err(StoreError::Index {
                dir: self.dir.clone(),
                source,
            });
        }
        self.pending += 1;
        Ok(())
    }

    /// Why an indexing thread died (a write the file system refused, say):
    /// tantivy hands it over only when the threads are joined, which
    /// preparing a commit does. The writer is of no further use.
    fn worker_error(&mut self) -> Option<TantivyError> {
        match self.writer.as_mut()?.prepare_commit() {
            Ok(prepared) => {
                let _ = prepared.abort();
                None
            }
            Err(e) => Some(e),
        }
    }

    /// Writes the signature texts when they changed (before the commit that
    /// needs them: a crash in between leaves only unused texts).
    fn save_texts(&mut self) -> Result<(), StoreError> {
        if !self.texts_changed {
            return Ok(());
        }
        let io_err = |source| StoreError::Io {
            dir: self.dir.clone(),
            source,
        };
        let tmp = self.dir.join(format!("{TEXTS}.tmp"));
        let json = serde_json::to_string(&self.texts).expect("texts serialise");
        fs::write(&tmp, json).map_err(io_err)?;
        fs::rename(&tmp, self.dir.join(TEXTS)).map_err(io_err)?;
        self.texts_changed = false;
        Ok(())
    }

    /// Upserts since the last commit.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Makes every upsert so far durable and visible; `payload` (where the
    /// input was read up to, say) is kept with the commit.
    pub fn commit(&mut self, payload: &str) -> Result<(), StoreError> {
        if self.writer.is_none() {
            return Ok(());
        }
        self.save_texts()?;
        let writer = self.writer.as_mut().expect("checked");
        let mut prepared = writer.prepare_commit().map_err(|e| StoreError::Index {
            dir: self.dir.clone(),
            source: e,
        })?;
        prepared.set_payload(payload);
        prepared.commit().map_err(|e| StoreError::Index {
            dir: self.dir.clone(),
            source: e,
        })?;
        self.pending = 0;
        self.reader.reload().map_err(|e| self.index_err(e))
    }

    /// The payload of the last commit.
    pub fn last_payload(&self) -> Option<String> {
        self.index.load_metas().ok()?.payload
    }

    /// Commits what is pending and lets go of the writer lock.
    pub fn close(mut self, payload: &str) -> Result<(), StoreError> {
        if self.writer.is_some() {
            self.commit(payload)?;
            if let Some(writer) = self.writer.take() {
                writer
                    .wait_merging_threads()
                    .map_err(|e| self.index_err(e))?;
            }
            let _ = fs::remove_file(self.dir.join("writer.pid"));
        }
        Ok(())
    }

    /// How many incidents the last commit holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// `true` when it holds no incident.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The incident with this id, or the only one whose id starts with it
    /// (at least 6 hex digits).
    pub fn get(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() < 6 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Query(format!(
                "{id:?} is not an incident id; expected the 16 hex digits `incident search` shows (6 or more are enough)"
            )));
        }
        let searcher = self.reader.searcher();
        let query =
            tantivy::query::RegexQuery::from_pattern(&format!("{id}[0-9a-f]*"), self.fields.id)
                .map_err(|e| self.index_err(e))?;
        let found = searcher
            .search(&query, &TopDocs::with_limit(2).order_by_score())
            .map_err(|e| self.index_err(e))?;
        match found.as_slice() {
            [] => Ok(None),
            [(_, addr)] => self.incident_at(&searcher, *addr).map(Some),
            _ => Err(StoreError::Query(format!(
                "{id:?} is the start of more than one incident id; give more of it"
            ))),
        }
    }

    fn incident_at(
        &self,
        searcher: &tantivy::Searcher,
        addr: tantivy::DocAddress,
    ) -> Result<Incident, StoreError> {
        let doc: TantivyDocument = searcher.doc(addr).map_err(|e| self.index_err(e))?;
        let json = doc
            .get_first(self.fields.json)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut inc: Incident = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
            dir: self.dir.clone(),
            detail: format!("a stored incident cannot be read: {e}"),
        })?;
        if let Some(texts) = self.texts.get(&inc.signature) {
            inc.guide_step.clone_from(&texts.guide_step);
            inc.remediation.clone_from(&texts.remediation);
        }
        Ok(inc)
    }

    /// The id and last hit of the newest stored incident with this key.
    pub fn latest(&self, key: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.key, key),
            IndexRecordOption::Basic,
        );
        let top = searcher
            .search(
                &query,
                &TopDocs::with_limit(1).order_by_fast_field::<i64>("last_seen", Order::Desc),
            )
            .map_err(|e| self.index_err(e))?;
        let Some((_, addr)) = top.first() else {
            return Ok(None);
        };
        let inc = self.incident_at(&searcher, *addr)?;
        Ok(Some((inc.id, inc.last_seen)))
    }
}

impl History for Store {
    fn latest(&mut self, key: &str) -> Option<(String, DateTime<Utc>)> {
        Store::latest(self, key).ok().flatten()
    }
}

#[cfg(test)]
mod tests;
