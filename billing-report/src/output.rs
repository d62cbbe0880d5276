//! Writing a run's outputs: one invoice workbook per invoice, the coordinator's overview
//! workbook, `lines.csv` and `invoices.json`; all into a temporary folder renamed into place.
//!
//! Outputs are deterministic: the same input and date give the same bytes (the workbooks'
//! creation time is the invoice date, never the clock).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

use billing_core::cooperation::Outcome;
use billing_core::invoice::{Invoice, InvoiceKind, LineKind, VatRate};
use billing_core::{ExcessPolicy, Money};

use crate::compute::Draft;
use crate::document::{Labels, Language};
use crate::input::float_decimal;
use crate::outputs::{OutputKind, Outputs};
use crate::workbook::Input;

pub(crate) mod sheet;
mod sorted_json;

/// An error writing outputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// A file or folder could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A workbook could not be written.
    #[error("{path}: {message}")]
    Xlsx {
        /// The path.
        path: String,
        /// The cause.
        message: String,
    },
    /// An invoice document (PDF, e-invoice) could not be made.
    #[error("{path}: {message}")]
    Document {
        /// The path.
        path: String,
        /// The cause.
        message: String,
    },
    /// Several outputs could not be made or written: each error, in the order of the files
    /// (said as one list when one of them holds several, e.g. an invoice's files).
    #[error("{}", several(.0))]
    Several(Vec<OutputError>),
    /// The output folder exists and `--force` was not given.
    #[error("{0} exists: give --force to replace it, or choose another folder")]
    Exists(String),
    /// `--force` was given, but the folder or file is not one it may replace.
    #[error("{path}: {why}; it was not replaced: choose another folder")]
    Protected {
        /// The folder or file.
        path: String,
        /// Why it may not be replaced.
        why: String,
    },
}

/// How many of the outputs that could not be written an [`OutputError::Several`] names: the
/// others are counted ("and N more"), so that a failing disk does not print a line for each of
/// the thousands of files of a folder.
const LISTED_ERRORS: usize = 10;

/// The text of [`OutputError::Several`]: how many outputs failed, then the first
/// [`LISTED_ERRORS`], one a line, and how many more.
fn several(errors: &[OutputError]) -> String {
    let all = flat(errors);
    let mut said = format!("{} outputs could not be written:", all.len());
    for e in all.iter().take(LISTED_ERRORS) {
        let _ = write!(said, "\n  - {e}");
    }
    if all.len() > LISTED_ERRORS {
        let _ = write!(said, "\n  - and {} more", all.len() - LISTED_ERRORS);
    }
    said
}

/// The errors of `errors`, those inside [`OutputError::Several`] one by one.
fn flat(errors: &[OutputError]) -> Vec<&OutputError> {
    errors
        .iter()
        .flat_map(|e| match e {
            OutputError::Several(inner) => flat(inner),
            e => vec![e],
        })
        .collect()
}

/// The file in every output folder that says what wrote it and what it holds; `--force`
/// replaces only a folder whose marker says it holds a draft (or a register export).
pub const MARKER: &str = ".billing-report";

/// What an output folder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderKind {
    /// Draft invoices (`run`): may be replaced with `--force`.
    Draft,
    /// Issued invoices (`issue`): never replaced.
    Issued,
    /// The register as exported (`register export`): may be replaced with `--force`.
    RegisterExport,
    /// A year report (`year`): may be replaced with `--force`.
    YearReport,
    /// A credit note and the corrected invoice (`credit`): never replaced.
    Credit,
}

impl FolderKind {
    fn status(self) -> &'static str {
        match self {
            FolderKind::Draft => "draft",
            FolderKind::Issued => "issued",
            FolderKind::RegisterExport => "register-export",
            FolderKind::YearReport => "year-report",
            FolderKind::Credit => "credit",
        }
    }

    fn marker(self) -> Vec<u8> {
        format!(
            "written by billing-report; only a draft or a register export is ever replaced\nstatus: {}\n",
            self.status()
        )
        .into_bytes()
    }
}

/// A path made absolute with its symbolic links resolved, as far as it exists.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => resolved(parent).join(name),
        (_, Some(name)) => std::env::current_dir()
            .map(|d| d.join(name))
            .unwrap_or_else(|_| path.to_owned()),
        _ => path.to_owned(),
    }
}

/// Whether `out`, which exists, may be replaced with `--force`: a folder whose marker says it
/// holds a draft or a register export, and which neither is nor contains any of `protect`
/// (the input, the register).
fn check_replaceable(out: &Path, protect: &[&Path]) -> Result<(), OutputError> {
    let refuse = |why: String| OutputError::Protected {
        path: out.display().to_string(),
        why,
    };
    let canonical = resolved(out);
    for p in protect {
        if resolved(p).starts_with(&canonical) {
            return Err(refuse(format!("it is or contains {}", p.display())));
        }
    }
    if !out.is_dir() {
        return Err(refuse(
            "it is not a folder written by billing-report".to_owned(),
        ));
    }
    let marker = std::fs::read_to_string(out.join(MARKER)).unwrap_or_default();
    let status = marker
        .lines()
        .find_map(|l| l.strip_prefix("status: "))
        .map(str::trim);
    match status {
        Some("draft") | Some("register-export") | Some("year-report") => Ok(()),
        Some("issued") | Some("credit") => Err(refuse(
            "it holds issued invoices, which are never replaced".to_owned(),
        )),
        _ => Err(refuse(format!(
            "it was not written by billing-report (it has no {MARKER} file saying it holds a draft)"
        ))),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `files` (relative path → bytes) into `out` atomically: into a temporary sibling
/// folder first, renamed into place at the end. An existing `out` is replaced only with
/// `force`, and only after the new folder is complete.
///
/// # Errors
/// [`OutputError::Exists`] without `force`, and any I/O error (the temporary folder is removed).
pub fn write_folder(
    out: &Path,
    files: &[(String, Vec<u8>)],
    force: bool,
) -> Result<(), OutputError> {
    stage_folder(out, files, FolderKind::Draft, force, &[])?
        .publish()
        .map(|_| ())
}

/// A complete output folder written beside its destination but not yet in place. Dropped
/// without [`Staged::publish`], it is removed: nothing is ever half-written. Once
/// [`Staged::recorded`], it is never removed: the register holds what it contains.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    out: PathBuf,
    force: bool,
    protect: Vec<PathBuf>,
    published: bool,
    recorded: bool,
    /// Whether the folder is made durable before it is returned complete (an issued folder or
    /// a credit note's, which the register records): every file and folder synced to the disk,
    /// so that a crash (or power cut) after the register commits never leaves numbers recorded
    /// with files missing or empty.
    durable: bool,
    /// How a durable folder's files reach the disk; `None` for other folders, and once
    /// [`Staged::sync_folders`] has synced them.
    syncer: Option<FileSync>,
}

/// Whether output may be written to `out`: it does not exist, or `force` is given and it is a
/// draft (or register export) folder holding none of `protect`.
///
/// # Errors
/// [`OutputError::Exists`] and [`OutputError::Protected`].
pub fn check_target(out: &Path, force: bool, protect: &[&Path]) -> Result<(), OutputError> {
    if out.symlink_metadata().is_ok() {
        if !force {
            return Err(OutputError::Exists(out.display().to_string()));
        }
        check_replaceable(out, protect)?;
    }
    Ok(())
}

/// Writes `files` and the [`MARKER`] of `kind` into a temporary sibling of `out`;
/// [`Staged::publish`] renames it into place. An existing `out` is replaced only with `force`,
/// and only if it is a draft (or register export) folder that holds none of `protect`.
///
/// # Errors
/// [`OutputError::Exists`] when `out` exists without `force`, [`OutputError::Protected`] when
/// it may not be replaced, and any I/O error (the temporary folder is removed).
pub fn stage_folder(
    out: &Path,
    files: &[(String, Vec<u8>)],
    kind: FolderKind,
    force: bool,
    protect: &[&Path],
) -> Result<Staged, OutputError> {
    let mut staged = Staged::begin(out, kind, force, protect)?;
    for (rel, bytes) in files {
        staged.write(rel, bytes)?;
    }
    staged.sync_folders()?;
    Ok(staged)
}

/// The outputs of `only` for `draft` (as [`render_only`] makes them, CSV files in `dialect`),
/// staged beside `out` as [`stage_folder`] stages them; each file is written into the
/// temporary folder by the thread that made it as soon as it is made, so that no more than
/// the files being made are held in memory. The bytes of every file are those [`render_only`]
/// returns, whatever the number of threads or the order in which the files are made.
///
/// # Errors
/// As [`stage_folder`] and [`render_only`]: every file that cannot be made or written is
/// reported ([`OutputError::Several`] when there are more than one, in the order of the files),
/// and the temporary folder is removed.
#[allow(clippy::too_many_arguments)]
pub fn stage_rendered(
    out: &Path,
    kind: FolderKind,
    force: bool,
    protect: &[&Path],
    input: &Input,
    draft: &Draft,
    final_issue: bool,
    only: &Outputs,
    dialect: CsvDialect,
) -> Result<Staged, OutputError> {
    let mut staged = Staged::begin(out, kind, force, protect)?;
    let tasks = tasks(draft, only);
    let order = longest_first(&tasks);
    let done = in_parallel(&order, |&i| -> Result<(), OutputError> {
        let Some(task) = tasks.get(i) else {
            return Ok(());
        };
        let mut files = task.make(input, draft, final_issue, only)?;
        apply_dialect(&mut files, dialect)?;
        for (rel, bytes) in &files {
            staged.write(rel, bytes)?;
        }
        Ok(())
    });
    let mut done: Vec<(usize, Result<(), OutputError>)> = order.into_iter().zip(done).collect();
    done.sort_by_key(|(i, _)| *i);
    let errors: Vec<OutputError> = done.into_iter().filter_map(|(_, r)| r.err()).collect();
    if errors.is_empty() {
        staged.sync_folders()?;
    }
    all_or_errors(staged, errors)
}

/// `value` when there are no `errors`; otherwise the one error, or [`OutputError::Several`]
/// holding them all in their order.
fn all_or_errors<T>(value: T, mut errors: Vec<OutputError>) -> Result<T, OutputError> {
    match errors.len() {
        0 => Ok(value),
        1 => Err(errors.remove(0)),
        _ => Err(OutputError::Several(errors)),
    }
}

impl Staged {
    /// An empty temporary folder beside `out` holding the [`MARKER`] of `kind`, once `out` is
    /// known to be writable (see [`check_target`]); a leftover of the same name is removed.
    fn begin(
        out: &Path,
        kind: FolderKind,
        force: bool,
        protect: &[&Path],
    ) -> Result<Staged, OutputError> {
        Staged::begin_syncing(out, kind, force, protect, SyncWay::Best)
    }

    /// [`Staged::begin`], a durable folder's files synced the way `way` says.
    fn begin_syncing(
        out: &Path,
        kind: FolderKind,
        force: bool,
        protect: &[&Path],
        way: SyncWay,
    ) -> Result<Staged, OutputError> {
        check_target(out, force, protect)?;
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let durable = matches!(kind, FolderKind::Issued | FolderKind::Credit);
        // The folders this run creates on the way to `out` (`issued/`, the --out folder): the
        // name of each synced into its parent, up to the first that existed, so that the path
        // of a durable folder survives a crash as well as its contents.
        let created = if durable {
            missing_levels(parent)
        } else {
            Vec::new()
        };
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        for dir in &created {
            sync_parent(dir)?;
        }
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        let mut staged = Staged {
            tmp,
            out: out.to_owned(),
            force,
            protect: protect.iter().map(|p| p.to_path_buf()).collect(),
            published: false,
            recorded: false,
            durable,
            syncer: None,
        };
        if staged.tmp.symlink_metadata().is_ok() {
            std::fs::remove_dir_all(&staged.tmp).map_err(io(&staged.tmp))?;
        }
        std::fs::create_dir_all(&staged.tmp).map_err(io(&staged.tmp))?;
        // Chosen once the folder exists and before its first file (the marker) is written:
        // a sync of the whole file system reports the errors since its handle was opened.
        if durable {
            staged.syncer = Some(FileSync::new(&staged.tmp, out, way));
        }
        staged.write(MARKER, &kind.marker())?;
        Ok(staged)
    }

    /// Writes one file, `rel` relative to the temporary folder, creating its sub-folder the
    /// first time. A file is written once: two outputs of the same name are an error, never
    /// one silently replacing the other.
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), OutputError> {
        use std::io::Write as _;
        let path = self.tmp.join(rel);
        let create = || {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
        };
        let mut file = match create() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io(dir))?;
                }
                create()
            }
            other => other,
        }
        .map_err(io(&path))?;
        file.write_all(bytes).map_err(io(&path))?;
        match &self.syncer {
            Some(FileSync::EachFile(syncer)) => syncer.hand(path, file),
            #[cfg(target_os = "linux")]
            Some(FileSync::FileSystem { written, .. }) => {
                written
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((path, bytes.len() as u64));
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Once every file is written (see [`Staged::durable`]): every file synced (see
    /// [`FileSync`]: waiting for the [`Syncer`] to sync the last ones, every file that could
    /// not be synced reported; or one sync of the file system, its failure reported for the
    /// folder), then the temporary folder, its sub-folders and its parent, so that the names
    /// survive a crash as well as the contents. Nothing for other folders.
    ///
    /// Called once: it consumes the syncer, and a later call on a durable folder is an error
    /// (it cannot know that the files were synced), never a success.
    fn sync_folders(&mut self) -> Result<(), OutputError> {
        if !self.durable {
            return Ok(());
        }
        let Some(syncer) = self.syncer.take() else {
            return Err(OutputError::Io {
                path: self.out.display().to_string(),
                source: std::io::Error::other("its files were already handed to be synced once"),
            });
        };
        syncer.finish(&self.tmp, &self.out)?;
        // These folder syncs must stay, after the files' sync: besides the names, they flush
        // the disk's cache once more. `syncfs` on ext2, or on an ext4 without a journal, flushes
        // it before writing the inodes and folders it synced, so without a later flush those
        // may still be only in the disk's volatile cache.
        let mut folders = vec![self.tmp.clone()];
        let mut i = 0;
        while let Some(dir) = folders.get(i).cloned() {
            for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
                let entry = entry.map_err(io(&dir))?;
                if entry.file_type().map_err(io(&dir))?.is_dir() {
                    folders.push(entry.path());
                }
            }
            i += 1;
        }
        folders.extend(self.tmp.parent().map(Path::to_owned));
        for dir in folders.iter().rev() {
            sync_folder(dir)?;
        }
        Ok(())
    }

    /// The final folder.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// The temporary folder holding the complete output until it is published.
    pub fn tmp(&self) -> &Path {
        &self.tmp
    }

    /// Marks the folder as recorded in the register (its invoices are numbered and committed):
    /// from now on it is never removed, even when [`Staged::publish`] fails, so that the next
    /// run (or the finance officer) can put the complete copy in place.
    #[must_use]
    pub fn recorded(mut self) -> Self {
        self.recorded = true;
        self
    }

    /// Renames the folder into place, replacing an existing one (with `force`) only once the
    /// new one is complete. On failure the temporary folder is removed and an existing folder
    /// is put back.
    ///
    /// Whether the rename is on the disk: `true` once its parent folder is synced (or always,
    /// for a folder that is not durable, see [`Staged::durable`]); `false` when that sync
    /// failed. The folder is in place either way; a register must record it as in place only
    /// on `true`: were the rename lost in a power cut, a register listing it as in place would
    /// let the next run remove its complete temporary copy (numbers without files).
    ///
    /// # Errors
    /// [`OutputError::Exists`] when the folder appeared meanwhile without `force`, and any I/O
    /// error of the renames.
    pub fn publish(mut self) -> Result<bool, OutputError> {
        let out = self.out.clone();
        if out.symlink_metadata().is_ok() {
            let protect: Vec<&Path> = self.protect.iter().map(PathBuf::as_path).collect();
            check_target(&out, self.force, &protect)?;
            let mut old = self.tmp.as_os_str().to_owned();
            old.push(".old");
            let old = PathBuf::from(old);
            std::fs::rename(&out, &old).map_err(io(&out))?;
            if let Err(e) = std::fs::rename(&self.tmp, &out) {
                let _ = std::fs::rename(&old, &out);
                return Err(OutputError::Io {
                    path: out.display().to_string(),
                    source: e,
                });
            }
            self.published = true;
            let removed = if old.is_dir() {
                std::fs::remove_dir_all(&old)
            } else {
                std::fs::remove_file(&old)
            };
            removed.map_err(io(&old))?;
        } else {
            std::fs::rename(&self.tmp, &out).map_err(io(&out))?;
            self.published = true;
        }
        if !self.durable {
            return Ok(true);
        }
        // The rename on the disk before the register records the folder as in place. The
        // folder is in place whatever this gives, so a failure is not a failure to publish; it
        // is reported so that the register keeps the folder as not yet in place (the next run
        // finds it in place, syncs again and records it, see `finish_publications`).
        Ok(!crate::test_fault("sync-parent") && sync_parent(&out).is_ok())
    }
}

/// Syncs the folder holding `path` (its name created or renamed there) to the disk, as
/// [`sync_folder`] does.
///
/// # Errors
/// As [`sync_folder`].
pub fn sync_parent(path: &Path) -> Result<(), OutputError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_folder(parent),
        _ => sync_folder(Path::new(".")),
    }
}

/// The folders of `dir`'s path that do not exist yet, `dir` first, up to the first that does
/// (a relative path's empty start is the current folder, which exists).
fn missing_levels(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && d.symlink_metadata().is_err())
        .map(Path::to_owned)
        .collect()
}

/// How the files of a durable [`Staged`] folder are synced to the disk, chosen when the
/// folder is begun (see [`FileSync::new`]).
#[derive(Debug)]
enum FileSync {
    /// Each file synced in the background as soon as it is written (fdatasync on Linux): on
    /// ext4 each sync is a journal commit of its own, about 0.5 ms, 760 for a national date.
    EachFile(Syncer),
    /// One `syncfs(2)` of the folder's whole file system once every file is written, through
    /// the handle `dir` on the temporary folder, opened before its first file: since Linux 5.8
    /// it reports every writeback error of that file system since the handle was opened (the
    /// superblock's error sequence, sampled at open and checked by the sync), so an I/O error
    /// of any of the folder's files fails the folder (it cannot say which file: the folder is
    /// named; an error of another program's file on the same file system fails it too).
    ///
    /// One failure it does not report: a file system that cannot find room for data it had
    /// accepted (ext4's delayed allocation failing at writeback, "Data will be lost") drops it
    /// without recording an error; a file's own `fdatasync` would have returned that failure.
    /// So once synced, each file of `written` (its path and length) is checked to hold data up
    /// to its length, with no hole where its data was dropped (`SEEK_HOLE`), and each that does
    /// not is reported. Only where [`syncfs_trusted`] holds.
    ///
    /// What remains weaker than a sync of each file, known to us: on an ext4 without a journal,
    /// an allocation that fails at writeback with ENOSPC while free blocks remain is left to be
    /// tried again later, its data still in memory and counted as data by `SEEK_HOLE`; the
    /// file system's sync returns without it, so the date may be committed before that file
    /// is on the disk. The space for every file is reserved when it is written (a full disk
    /// fails the write, and the folder), so this needs the allocator to fail with room left.
    /// Syncing each file again after the file system's sync would close it; not done, for its
    /// cost: 0.05-0.17 s more for each date of 876 files, measured here (16 at a time, a disk
    /// flush each).
    #[cfg(target_os = "linux")]
    FileSystem {
        dir: std::fs::File,
        written: std::sync::Mutex<Vec<(PathBuf, u64)>>,
    },
}

/// Which ways a durable folder's files may be synced: [`SyncWay::Best`], one sync of the file
/// system where it can be trusted, each file otherwise; [`SyncWay::EachFile`] (the tests of
/// the [`Syncer`]) each file always.
#[derive(Clone, Copy, Debug)]
enum SyncWay {
    Best,
    #[cfg_attr(not(test), allow(dead_code))]
    EachFile,
}

impl FileSync {
    /// How the files of the temporary folder `tmp` (to become `out`), just created and still
    /// empty, are to be synced: once, with the file system, where `way` allows it and
    /// [`syncfs_trusted`] holds; each file otherwise. The test faults `sync-file` and
    /// `sync-panic` (of the [`Syncer`]) sync each file; `sync-fs` (the file system's sync
    /// fails) syncs the file system on Linux whatever its kind.
    ///
    /// A folder that cannot be opened (to sync its file system) has its files synced each.
    fn new(tmp: &Path, out: &Path, way: SyncWay) -> FileSync {
        #[cfg(target_os = "linux")]
        if matches!(way, SyncWay::Best)
            && !crate::test_fault("sync-file")
            && !crate::test_fault("sync-panic")
        {
            if let Ok(dir) = std::fs::File::open(tmp) {
                if crate::test_fault("sync-fs") || syncfs_trusted(&dir) {
                    crate::test_note("files synced with their file system");
                    return FileSync::FileSystem {
                        dir,
                        written: std::sync::Mutex::new(Vec::new()),
                    };
                }
            }
        }
        let _ = way;
        FileSync::EachFile(Syncer::new(tmp, out))
    }

    /// Every file handed synced (see [`Syncer::finish`]), or the file system synced and each
    /// file checked (see [`FileSync::FileSystem`]): a failed sync is the folder's, at `out`, its
    /// final path; a file with a hole is named at its final path (`tmp` being its folder now).
    fn finish(self, tmp: &Path, out: &Path) -> Result<(), OutputError> {
        match self {
            FileSync::EachFile(syncer) => syncer.finish(),
            #[cfg(target_os = "linux")]
            FileSync::FileSystem { dir, written } => {
                let synced = if crate::test_fault("sync-fs") {
                    Err(std::io::Error::other("test fault: the sync failed"))
                } else {
                    rustix::fs::syncfs(&dir).map_err(std::io::Error::from)
                };
                synced.map_err(|e| OutputError::Io {
                    path: out.display().to_string(),
                    source: std::io::Error::new(
                        e.kind(),
                        format!(
                            "its file system could not be synced, so its files may not all be \
                             on the disk: {e}"
                        ),
                    ),
                })?;
                let written = written
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let errors = written
                    .iter()
                    .filter_map(|(path, len)| {
                        whole_on_disk(path, *len)
                            .err()
                            .map(|source| OutputError::Io {
                                path: final_path(tmp, out, path).display().to_string(),
                                source,
                            })
                    })
                    .collect();
                all_or_errors((), errors)
            }
        }
    }
}

/// Whether the file at `path`, written with `len` bytes and synced, holds data up to `len`:
/// its first hole (`SEEK_HOLE`, the end of the file where it has none) is at `len` or later.
/// A file system that dropped data it could not find room for leaves a hole there (its
/// blocks were never allocated). A file system without holes answers the end of the file.
/// Where `path` in the temporary folder `tmp` is to be once the folder is in place at `out`
/// (`path` itself when it is not in `tmp`).
fn final_path(tmp: &Path, out: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix(tmp) {
        Ok(rel) => out.join(rel),
        Err(_) => path.to_owned(),
    }
}

#[cfg(target_os = "linux")]
fn whole_on_disk(path: &Path, len: u64) -> std::io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let file = std::fs::File::open(path)?;
    let hole = rustix::fs::seek(&file, rustix::fs::SeekFrom::Hole(0))?;
    if hole < len {
        return Err(std::io::Error::other(format!(
            "after its file system was synced, the file holds no data from byte {hole} of its \
             {len}: the disk did not store it all"
        )));
    }
    Ok(())
}

/// The oldest Linux whose `syncfs(2)` reports every failure a file's `fdatasync` would: 5.8
/// made it report the writeback errors of the file system's files since the handle was
/// opened; 5.17 made it report the file system's own failure to commit (e.g. the ext4
/// journal's, "vfs: make sync_filesystem return errors from ->sync_fs"), which it ignored
/// before.
#[cfg(target_os = "linux")]
const SYNCFS_SINCE: (u32, u32) = (5, 17);

/// The file systems whose `syncfs(2)` is known to put every file written on the disk and to
/// report its errors through the superblock as `fdatasync` would (`statfs` magic numbers):
/// ext2/3/4, XFS, Btrfs, and tmpfs (nothing to put on a disk). Not overlayfs (which kept its
/// upper file system's errors to itself), FUSE or network file systems (whose sync may not
/// reach the server): their files are synced each.
#[cfg(target_os = "linux")]
const SYNCFS_FILE_SYSTEMS: [i64; 4] = [0xEF53, 0x5846_5342, 0x9123_683E, 0x0102_1994];

/// Whether the files of the folder `dir` (open, still empty) may be synced with one
/// `syncfs(2)` of its file system instead of one by one: a Linux of [`SYNCFS_SINCE`] or later,
/// one of the [`SYNCFS_FILE_SYSTEMS`], and a first `syncfs` in this process that succeeded
/// (not refused as unknown, ENOSYS, or forbidden, as a sandbox may).
#[cfg(target_os = "linux")]
// `f_type` is an i64 on 64-bit Linux, where the conversion does nothing, and narrower elsewhere.
#[allow(clippy::useless_conversion)]
fn syncfs_trusted(dir: &std::fs::File) -> bool {
    static WORKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let release = rustix::system::uname();
    if !release_at_least(&release.release().to_string_lossy(), SYNCFS_SINCE) {
        return false;
    }
    let known = rustix::fs::fstatfs(dir)
        // The magic number as the unsigned 32 bits it is, whatever the width and sign of
        // `f_type` (Btrfs's is negative as a 32-bit signed number).
        .is_ok_and(|fs| SYNCFS_FILE_SYSTEMS.contains(&(i64::from(fs.f_type) & 0xFFFF_FFFF)));
    // This first sync of an empty folder's file system writes nothing of ours, and reports
    // what earlier errors it finds (then every folder of the run syncs its files each).
    known && *WORKS.get_or_init(|| rustix::fs::syncfs(dir).is_ok())
}

/// Whether the kernel release `release` ("6.18.44-fc-v657") is `version` or later.
#[cfg(target_os = "linux")]
fn release_at_least(release: &str, version: (u32, u32)) -> bool {
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .map(str::parse::<u32>);
    match (numbers.next(), numbers.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) >= version,
        _ => false,
    }
}

/// How many written files a [`Staged`] folder holds open waiting to be synced: the
/// [`Syncer`]'s queue and the files its threads are syncing. Each thread writing the folder
/// holds one or two more (the file it writes, and one it waits to hand while the queue is
/// full), so a folder of many thousand files never exhausts the handles a process may hold.
const OPEN_FILES: usize = 256;

/// How many files a [`Syncer`] syncs at once, at most. They wait for the disk, not for a core;
/// a file system commits the syncs that wait together in one go (on ext4, one journal commit
/// for many files instead of one each).
const SYNC_THREADS: usize = 16;

/// A file written into a durable folder, handed to be synced: its path in the temporary
/// folder, and the handle that wrote it.
type Handed = (PathBuf, std::fs::File);

/// The files of a durable [`Staged`] folder, synced to the disk in the background as they are
/// written, so that the threads rendering the outputs wait for the disk only when
/// [`OPEN_FILES`] files wait to be synced. Each file is synced through the handle that wrote
/// it (on Windows a handle opened for reading cannot be synced), then closed.
///
/// Its threads (one per file handed, up to [`SYNC_THREADS`]: a three-file credit note starts
/// four, its marker included) take the files from one bounded queue; each keeps going after a
/// failure, so that [`Syncer::finish`] reports every file that could not be synced. Every file
/// handed is synced or reported before `finish` returns, by construction: `finish` joins
/// every thread started, then syncs itself whatever the queue still holds.
#[derive(Debug)]
struct Syncer {
    /// Where the writers hand their files; `None` once closed (by [`Syncer::finish`], or when
    /// the folder is dropped).
    queue: std::sync::Mutex<Option<std::sync::mpsc::SyncSender<Handed>>>,
    /// How many files were handed: a thread is started for each of the first [`SYNC_THREADS`].
    handed: std::sync::atomic::AtomicUsize,
    /// The threads syncing, each returning the files it could not sync.
    threads: std::sync::Mutex<Vec<std::thread::JoinHandle<Vec<OutputError>>>>,
    /// What the threads share with the syncer.
    shared: std::sync::Arc<SyncShared>,
}

/// The queue of a [`Syncer`] and what its threads need to sync and report its files.
#[derive(Debug)]
struct SyncShared {
    /// The files handed: one thread waits on the queue, the others for it.
    files: std::sync::Mutex<std::sync::mpsc::Receiver<Handed>>,
    /// Set when the folder is dropped unfinished: the files still queued are closed unsynced.
    abandoned: std::sync::atomic::AtomicBool,
    /// The temporary folder and the folder it is to become: a file that could not be synced
    /// is reported at its final path (the temporary one holds the process id, and is removed).
    tmp: PathBuf,
    out: PathBuf,
    /// The test fault given, if any (see [`crate::test_fault`]).
    fault: Option<SyncFault>,
    /// Whether the `sync-panic` fault has panicked (once: on the first file synced).
    panicked: std::sync::atomic::AtomicBool,
}

/// The test faults of a [`Syncer`]: `sync-file`, every file's sync fails, as on a failing
/// disk; `sync-panic`, the sync of the first file panics.
#[derive(Clone, Copy, Debug)]
enum SyncFault {
    Fail,
    Panic,
}

impl Syncer {
    /// A syncer for the files of the temporary folder `tmp`, which is to become `out`. No
    /// thread is started before the first file is handed.
    fn new(tmp: &Path, out: &Path) -> Syncer {
        use std::sync::{Arc, Mutex};
        let (queue, files) = std::sync::mpsc::sync_channel(OPEN_FILES - SYNC_THREADS);
        let fault = if crate::test_fault("sync-file") {
            Some(SyncFault::Fail)
        } else if crate::test_fault("sync-panic") {
            Some(SyncFault::Panic)
        } else {
            None
        };
        Syncer {
            queue: Mutex::new(Some(queue)),
            handed: std::sync::atomic::AtomicUsize::new(0),
            threads: Mutex::new(Vec::new()),
            shared: Arc::new(SyncShared {
                files: Mutex::new(files),
                abandoned: std::sync::atomic::AtomicBool::new(false),
                tmp: tmp.to_owned(),
                out: out.to_owned(),
                fault,
                panicked: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// Hands a written file to be synced, starting a thread for it if fewer than
    /// [`SYNC_THREADS`] run; waits only while [`OPEN_FILES`] files wait.
    fn hand(&self, path: PathBuf, file: std::fs::File) -> Result<(), OutputError> {
        use std::sync::PoisonError;
        let stopped = |path: &Path| OutputError::Io {
            path: self.shared.final_path(path).display().to_string(),
            source: std::io::Error::other("the threads syncing the folder stopped"),
        };
        let nth = self
            .handed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if nth < SYNC_THREADS {
            let shared = self.shared.clone();
            let thread = std::thread::Builder::new()
                .name("sync".to_owned())
                .spawn(move || sync_queued(&shared))
                .map_err(io(&self.shared.out))?;
            // Held as soon as it runs, whatever a writer's panic did to the lock.
            let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
            threads.push(thread);
        }
        let queue = self
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match queue {
            Some(queue) => queue.send((path, file)).map_err(|e| stopped(&e.0 .0)),
            None => Err(stopped(&path)),
        }
    }

    /// Closes the queue and waits until every file handed is synced; the files that could not
    /// be, each with its error ([`OutputError::Several`], in the order of their paths, when
    /// there are more than one). It consumes the syncer: nothing can be handed after it, and
    /// it reports its failures once, to the one caller that can act on them.
    fn finish(mut self) -> Result<(), OutputError> {
        all_or_errors((), self.stop())
    }

    /// Closes the queue, joins every thread started, and syncs what the queue still holds
    /// (nothing, unless a thread stopped early); the files that could not be synced.
    fn stop(&mut self) -> Vec<OutputError> {
        use std::sync::PoisonError;
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let threads = std::mem::take(
            self.threads
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let mut errors = Vec::new();
        for thread in threads {
            match thread.join() {
                Ok(failed) => errors.extend(failed),
                Err(_) => errors.push(OutputError::Io {
                    path: self.shared.out.display().to_string(),
                    source: std::io::Error::other("a thread syncing its files failed"),
                }),
            }
        }
        // Every sender is gone (the queue's, and each writer's, which `hand` holds only while
        // `&self` is borrowed), so this returns once the queue is empty.
        errors.extend(sync_queued(&self.shared));
        errors.sort_by_cached_key(|e| match e {
            OutputError::Io { path, .. } => path.clone(),
            _ => String::new(),
        });
        errors
    }
}

impl Drop for Syncer {
    /// An unfinished folder (a failed run, removed): its threads stop, closing the files still
    /// queued unsynced, before the folder is removed. Nothing after [`Syncer::finish`].
    fn drop(&mut self) {
        self.shared
            .abandoned
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = self.stop();
    }
}

impl SyncShared {
    /// Where `path` in the temporary folder is to be once the folder is in place.
    fn final_path(&self, path: &Path) -> PathBuf {
        final_path(&self.tmp, &self.out, path)
    }

    /// Syncs one file, or fails as the test fault says.
    fn sync(&self, file: &std::fs::File) -> std::io::Result<()> {
        use std::sync::atomic::Ordering;
        match self.fault {
            Some(SyncFault::Fail) => Err(std::io::Error::other("test fault: the sync failed")),
            Some(SyncFault::Panic) if !self.panicked.swap(true, Ordering::Relaxed) => {
                panic!("test fault: the sync panicked")
            }
            _ => file.sync_data(),
        }
    }
}

/// The loop of one of a [`Syncer`]'s threads: syncs the files of the queue until it is closed
/// and empty; the files it could not sync, each with its error at its final path. A panic
/// while syncing a file is that file's error: the thread goes on, so that the queue never
/// fills with no thread to empty it.
fn sync_queued(shared: &SyncShared) -> Vec<OutputError> {
    use std::sync::atomic::Ordering;
    let mut errors = Vec::new();
    loop {
        let next = shared
            .files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv();
        let Ok((path, file)) = next else {
            return errors;
        };
        if shared.abandoned.load(Ordering::Relaxed) {
            continue;
        }
        let synced = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| shared.sync(&file)))
            .unwrap_or_else(|_| Err(std::io::Error::other("the thread syncing it failed")));
        if let Err(e) = synced {
            errors.push(io(&shared.final_path(&path))(e));
        }
    }
}

/// Syncs a folder's entries (names created, renamed or removed in it) to the disk, where the
/// system can: on unix only (on Windows a folder cannot be opened as a file, and its entries
/// are not synced that way), and a file system that does not sync folders (FUSE, network
/// mounts: see [`sync_unsupported`]) is not an error, as SQLite treats it.
///
/// # Errors
/// Any other failure (EIO and the like): the folder may not be on the disk.
fn sync_folder(dir: &Path) -> Result<(), OutputError> {
    #[cfg(unix)]
    {
        match std::fs::File::open(dir).and_then(|d| d.sync_all()) {
            Err(e) if !sync_unsupported(&e) => Err(io(dir)(e)),
            _ => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Whether a folder's sync failed only because its file system does not sync folders: EINVAL,
/// ENOTSUP (EOPNOTSUPP) or EBADF, which SQLite ignores too (`unixSync`, "directory sync not
/// supported"); never EIO.
#[cfg(unix)]
fn sync_unsupported(e: &std::io::Error) -> bool {
    // ENOTSUP and EOPNOTSUPP are the same number on Linux, not on every unix.
    e.raw_os_error().is_some_and(|code| {
        [libc::EINVAL, libc::ENOTSUP, libc::EOPNOTSUPP, libc::EBADF].contains(&code)
    })
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Its files closed before the folder is removed.
        self.syncer.take();
        if !self.published && !self.recorded {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// The file name of an invoice's workbook, from the safe forms of the ids (see [`safe_name`]):
/// whatever an id holds, the file stays inside `invoices/`.
pub fn invoice_file(invoice: &Invoice) -> String {
    let (issuer, buyer) = (
        safe_name(invoice.issuer.as_str()),
        safe_name(invoice.buyer.as_str()),
    );
    match invoice.number {
        Some(n) => format!("invoices/{issuer}-{n}-{buyer}.xlsx"),
        None => format!("invoices/{issuer}-{buyer}.xlsx"),
    }
}

/// A form of `id` that is one plain file-name component on every system: letters (any script),
/// digits, `-` and `_` are kept, anything else becomes `_`, and it is cut at 64 characters. The
/// input refuses ids that would need more (path separators, control characters, device names),
/// so for every id it accepts this is the id itself unless it holds spaces or punctuation.
pub fn safe_name(id: &str) -> String {
    let mut out: String = id
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// A text field of a CSV output made safe for spreadsheets: a field that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return would be read as a formula (CSV injection), so it gets a
/// leading `'` as OWASP recommends. Amounts are never passed here: they stay numbers.
pub fn csv_text(field: &str) -> String {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_owned()
    }
}

/// A text field for a CSV line written by hand: neutralised as [`csv_text`], and quoted when
/// it holds a separator, a quote or a line end.
pub fn csv_field(field: &str) -> String {
    let field = csv_text(field);
    if field.contains([',', ';', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

/// Every output file of a draft or an issue, as bytes.
///
/// # Errors
/// A workbook that cannot be written, or an amount that cannot be written exactly.
pub fn render(
    input: &Input,
    draft: &Draft,
    final_issue: bool,
) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    render_only(input, draft, final_issue, &Outputs::all())
}

/// [`render`], writing only the outputs of `only` (`run --only`).
///
/// The files are made on every core the machine offers ([`in_parallel`]): each invoice's
/// workbook, PDF and e-invoice is one task, and each whole-draft output (overview, audit, lines,
/// html, json) another. Every task makes its bytes alone from the same input and draft, and
/// the files are listed in the same order as when made one after another, so the bytes and
/// the order do not depend on the number of cores; every file that cannot be made is reported,
/// in that order ([`OutputError::Several`] when more than one).
///
/// # Errors
/// A workbook that cannot be written, or an amount that cannot be written exactly.
pub fn render_only(
    input: &Input,
    draft: &Draft,
    final_issue: bool,
    only: &Outputs,
) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    let tasks = tasks(draft, only);
    let order = longest_first(&tasks);
    let made = in_parallel(&order, |&i| {
        tasks
            .get(i)
            .map_or(Ok(Vec::new()), |t| t.make(input, draft, final_issue, only))
    });
    let mut made: Vec<_> = order.into_iter().zip(made).collect();
    made.sort_by_key(|(i, _)| *i);
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for (_, task_files) in made {
        match task_files {
            Ok(task_files) => files.extend(task_files),
            Err(e) => errors.push(e),
        }
    }
    all_or_errors(files, errors)
}

/// The pieces of work of [`render_only`], in the order of their files.
fn tasks<'a>(draft: &'a Draft, only: &Outputs) -> Vec<Task<'a>> {
    let mut names = std::collections::BTreeSet::new();
    let per_invoice = only.has(OutputKind::Xlsx) || only.has(OutputKind::Pdf);
    let mut tasks = Vec::new();
    for invoice in draft.invoices.iter().filter(|_| per_invoice) {
        let mut name = invoice_file(invoice);
        // Two ids with the same safe form (`Region Kalmar`, `Region_Kalmar`) never share a
        // file: the later one is numbered. Nor do two that differ only in case (`Ale`,
        // `ale`): on macOS and Windows they would be one file.
        let mut n = 2;
        while !names.insert(name.to_lowercase()) {
            name = format!(
                "{}-{n}.xlsx",
                invoice_file(invoice).trim_end_matches(".xlsx")
            );
            n += 1;
        }
        tasks.push(Task::Invoice(invoice, name));
    }
    tasks.extend(
        [
            (OutputKind::Xlsx, Task::Overview),
            (OutputKind::Audit, Task::Audit),
            (OutputKind::Csv, Task::Csv),
            (OutputKind::Html, Task::Html),
            (OutputKind::Json, Task::Json),
        ]
        .into_iter()
        .filter(|(kind, _)| only.has(*kind))
        .map(|(_, task)| task),
    );
    tasks
}

/// The indices of `tasks` in the order they are started: the longest first, so that no long
/// task starts last and keeps one core busy while the others wait. At 2,901 parties the audit
/// workbook takes about 0.8 s of CPU, the overview 0.3 s, invoices.json, lines.csv and the html
/// page less than 0.1 s each, and each invoice's files under 1 ms.
fn longest_first(tasks: &[Task]) -> Vec<usize> {
    let rank = |task: &Task| match task {
        Task::Audit => 0,
        Task::Overview => 1,
        Task::Json => 2,
        Task::Html => 3,
        Task::Csv => 4,
        Task::Invoice(..) => 5,
    };
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    // A stable sort: the invoices keep their order.
    order.sort_by_key(|&i| tasks.get(i).map_or(usize::MAX, rank));
    order
}

/// One piece of work of [`render_only`].
enum Task<'a> {
    /// An invoice's workbook, PDF and (issued) e-invoice, under the workbook's file name.
    Invoice(&'a Invoice, String),
    Overview,
    Audit,
    Csv,
    Html,
    Json,
}

impl Task<'_> {
    fn make(
        &self,
        input: &Input,
        draft: &Draft,
        final_issue: bool,
        only: &Outputs,
    ) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
        Ok(match self {
            Task::Invoice(invoice, name) => {
                invoice_files(input, draft, invoice, name.clone(), final_issue, only)?
            }
            Task::Overview => vec![(
                "overview.xlsx".to_owned(),
                overview_workbook(input, draft).map_err(|e| xlsx("overview.xlsx", e))?,
            )],
            Task::Audit => crate::audit::audit_workbook(input, draft)
                .map_err(|message| OutputError::Xlsx {
                    path: "audit.xlsx".to_owned(),
                    message,
                })?
                .map(|audit| ("audit.xlsx".to_owned(), audit))
                .into_iter()
                .collect(),
            Task::Csv => vec![("lines.csv".to_owned(), lines_csv(input, draft)?)],
            Task::Html => {
                let page = crate::year::overview_page(input, draft).map_err(|message| {
                    OutputError::Xlsx {
                        path: "overview.html".to_owned(),
                        message,
                    }
                })?;
                vec![(
                    "overview.html".to_owned(),
                    crate::html::render(&page).into_bytes(),
                )]
            }
            Task::Json => vec![(
                "invoices.json".to_owned(),
                invoices_json(input, draft, final_issue)?,
            )],
        })
    }
}

/// One invoice's files: its workbook `name`, its PDF, and for an issued invoice its e-invoice.
///
/// # Errors
/// Every file that cannot be made, not only the first (see [`gather`]): the document they are
/// all made from, or each of the workbook, the PDF and the e-invoice that fails.
fn invoice_files(
    input: &Input,
    draft: &Draft,
    invoice: &Invoice,
    name: String,
    final_issue: bool,
    only: &Outputs,
) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    let stem = name.trim_end_matches(".xlsx").to_owned();
    // The document people open and send: a PDF beside the workbook, and for an issued
    // invoice the e-invoice (Peppol BIS Billing 3.0) with the PDF inside. The workbook
    // carries the same content, from the same document.
    let pdf_name = format!("{stem}.pdf");
    let doc =
        crate::invoice_document::invoice_document(input, draft, invoice).map_err(|problems| {
            OutputError::Document {
                path: pdf_name.clone(),
                message: problems.join("; "),
            }
        })?;
    let mut made = Vec::new();
    if only.has(OutputKind::Xlsx) {
        let bytes =
            invoice_workbook(input, draft, invoice, &doc, final_issue).map_err(|e| xlsx(&name, e));
        made.push((name, bytes));
    }
    if !only.has(OutputKind::Pdf) {
        return gather(made);
    }
    let pdf = crate::pdf::render(&doc).map_err(|e| OutputError::Document {
        path: pdf_name.clone(),
        message: e.to_string(),
    });
    // Only a numbered invoice is an e-invoice (`verify` recomputes an issued folder without
    // numbers when the register did not issue it: the difference is reported there).
    let xml = (final_issue && invoice.number.is_some()).then(|| {
        let xml_name = format!("{stem}.xml");
        let attached = pdf_name.rsplit('/').next().unwrap_or(&pdf_name);
        // A PDF that cannot be made is not attached: the e-invoice is still made, so that
        // its own problems are said in the same run.
        let pdf = pdf.as_ref().ok().map(|p| (attached, p.as_slice()));
        let xml = crate::ubl::write_ubl(&doc, pdf).map_err(|e| OutputError::Document {
            path: xml_name.clone(),
            message: e.to_string(),
        });
        (xml_name, xml)
    });
    made.push((pdf_name, pdf));
    made.extend(xml);
    gather(made)
}

/// The files made, in order, or every error among them: one, or [`OutputError::Several`] in
/// the order of the files (each error said, not only the first).
fn gather(
    made: Vec<(String, Result<Vec<u8>, OutputError>)>,
) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for (name, bytes) in made {
        match bytes {
            Ok(bytes) => files.push((name, bytes)),
            Err(e) => errors.push(e),
        }
    }
    all_or_errors(files, errors)
}

/// `f` of every item, in the items' order, computed on as many threads as the machine has
/// cores (at most one per item): each thread takes the next item not yet taken, so long and
/// short items share the cores. The results do not depend on the number of threads.
pub fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for other in others {
            // A worker only ends by returning (`f` never panics); were one lost all the same,
            // its items are made below rather than missing.
            if let Ok(done) = other.join() {
                all.extend(done);
            }
        }
        for (i, r) in all {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        }
    });
    results
        .into_iter()
        .zip(items)
        .map(|(r, item)| r.unwrap_or_else(|| f(item)))
        .collect()
}

fn xlsx(path: &str, e: rust_xlsxwriter::XlsxError) -> OutputError {
    OutputError::Xlsx {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// A money amount as the spreadsheet double that reads back as exactly the same öre; an error
/// when there is none (never a silent rounding).
pub(crate) fn money_f64(m: Money) -> Result<f64, rust_xlsxwriter::XlsxError> {
    // Every amount under 10^13 kr (the input refuses larger ones) has at most 15 significant
    // digits: its öre and 100 are exact doubles, so their quotient is the correctly rounded
    // double of the amount, the very double that parsing its text gives, and a decimal of at
    // most 15 significant digits always reads back from its nearest double (DBL_DIG). The
    // text round trip below is only needed beyond that; it cost 4 % of issuing every date of
    // the national agreement (issue 12).
    const EXACT: u128 = 1_000_000_000_000_000;
    if m.ore().unsigned_abs() < EXACT {
        // Both conversions are exact (|öre| < 10^15 < 2^53): no rounding but the division's.
        #[allow(clippy::cast_precision_loss, clippy::float_arithmetic)]
        return Ok(m.ore() as f64 / 100.0);
    }
    let f: f64 = m
        .to_string()
        .parse()
        .map_err(|_| rust_xlsxwriter::XlsxError::ParameterError(format!("amount {m}")))?;
    if float_decimal(f) != Some(m.to_decimal().normalize()) {
        return Err(rust_xlsxwriter::XlsxError::ParameterError(format!(
            "amount {m} cannot be written exactly as a spreadsheet number"
        )));
    }
    Ok(f)
}

/// Deflate at level 1, not the default 6: at 2,901 parties the invoice workbooks and the
/// overview took 2.65 s of CPU instead of 3.65 s (`run --only xlsx`), for files a quarter
/// larger (an invoice workbook 10 kB instead of 8 kB; the overview 2.5 MB instead of 1.5 MB).
/// The cells are the same.
pub(crate) const ZIP_LEVEL: u8 = 1;

fn party_name(input: &Input, id: &billing_core::PartyId) -> String {
    input
        .parties
        .get(id)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| id.to_string())
}

/// A decimal as the spreadsheet double that reads back as exactly the same value, if there is
/// one with at most `decimals` decimals (a quantity, a unit price); `None` when the cell must be
/// written as text to stay exact.
fn exact_f64(d: rust_decimal::Decimal, decimals: u32) -> Option<f64> {
    let d = d.normalize();
    if d.scale() > decimals {
        return None;
    }
    let f: f64 = d.to_string().parse().ok()?;
    (float_decimal(f) == Some(d)).then_some(f)
}

/// The invoice as a workbook: the same content as its PDF (R15, mervärdesskattelagen 17 kap.
/// 24 §), from the same [`InvoiceDocument`](crate::document::InvoiceDocument): the issuer's and
/// the buyer's names, postal addresses, organisation and VAT numbers, "Godkänd för F-skatt"
/// where set, the references, the invoice facts, the lines with period, quantity, unit, unit
/// price, amount and VAT rate, the VAT per rate with the reason where no VAT is charged, the
/// totals, öresavrundning, and the payment (bankgiro, OCR, due date); then the basis of every
/// line on its own sheet.
fn invoice_workbook(
    input: &Input,
    draft: &Draft,
    inv: &Invoice,
    doc: &crate::document::InvoiceDocument,
    final_issue: bool,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use crate::document::{document_date, swedish_decimal, DocumentKind, VatCode};
    use sheet::Style;
    let lang = doc.language;
    let w = Labels::of(lang);
    // Both sheets on A4 (paper size 9), one page wide, so that they print as an invoice; the
    // first in portrait, the basis in landscape.
    let mut wb = sheet::Book::new(w.invoice, draft.date, [w.invoice, w.basis]);
    let (ws, basis) = wb.sheets();
    for (c, width) in [40, 23, 10, 13, 14, 15, 13].into_iter().enumerate() {
        ws.set_column_width(c as u16, width)?;
    }
    let wrap = Some(Style::Wrap);
    let note = Some(Style::Note);
    let price = Some(Style::Price);
    let right = Some(Style::Right);
    // A label right-aligned: where it is longer than its column it runs into the empty cells
    // on its left, never under the figure on its right.
    let label_right = Some(Style::LabelRight);
    let bold = Some(Style::Bold);
    let money = Some(Style::Money);
    let kind = match doc.kind {
        DocumentKind::Invoice => w.invoice,
        DocumentKind::CreditNote => w.credit_note,
    };
    let title = if final_issue {
        kind.to_uppercase()
    } else {
        format!(
            "{} – {} ({})",
            kind.to_uppercase(),
            w.draft.to_uppercase(),
            w.not_issued
        )
    };
    ws.write_string(0, 0, title, Some(Style::Title))?;
    // The parties and the invoice facts, as (label, value) rows; an empty row between blocks.
    let mut facts: Vec<(String, String)> = Vec::new();
    let mut fact = |k: &str, v: &str| facts.push((k.to_owned(), v.to_owned()));
    for (heading, p, seller) in [(w.seller, &doc.seller, true), (w.buyer, &doc.buyer, false)] {
        fact(heading, &p.name);
        if let Some(a) = &p.address {
            fact("", &a.street);
            fact("", &format!("{} {}", a.postcode, a.city));
            if !a.country.is_empty() && a.country != "SE" {
                fact("", &a.country);
            }
        }
        if let Some(org) = &p.org_nr {
            fact(w.org_nr, org);
        }
        if let Some(vat) = &p.vat_number {
            fact(w.vat_number, vat);
        }
        if seller {
            if doc.seller_f_tax {
                fact("", w.f_tax);
            }
            fact(
                w.seller_reference,
                doc.seller.reference.as_deref().unwrap_or("–"),
            );
        } else {
            fact(
                w.buyer_reference,
                doc.buyer.reference.as_deref().unwrap_or("–"),
            );
            fact(w.buyer_id, &doc.buyer.id);
        }
        fact("", "");
    }
    let draft_mark = format!("– ({})", w.draft.to_lowercase());
    fact(
        w.number,
        &doc.number
            .map(|n| n.to_string())
            .unwrap_or_else(|| draft_mark.clone()),
    );
    fact(w.issue_date, &document_date(doc.issue_date));
    fact(w.due_date, &document_date(doc.due_date));
    fact(w.terms, &format!("{} {}", doc.payment.days, w.days_net));
    fact(w.subject, &doc.agreement);
    fact(w.currency, &doc.currency);
    if let Some(c) = &doc.credited {
        fact(
            w.credits_invoice,
            &format!(
                "{} ({} {})",
                c.number,
                w.issue_date.to_lowercase(),
                document_date(c.issue_date)
            ),
        );
    }
    let mut r = 2;
    for (k, v) in &facts {
        if !k.is_empty() {
            ws.write_string(r, 0, k, bold)?;
        }
        if !v.is_empty() {
            ws.write_string(r, 1, v, None)?;
        }
        r += 1;
    }
    if let Some(text) = &doc.note {
        ws.write_string(r, 0, text, None)?;
        r += 1;
    }
    r += 1;

    // The lines; a line's note (a share in words, why quantity × price is not the amount) on
    // the row below its description.
    for (c, h) in [
        w.description,
        w.period,
        w.quantity,
        w.unit,
        w.unit_price,
        w.amount,
        w.vat,
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(r, c as u16, *h, bold)?;
    }
    r += 1;
    // Rows of wrapped text as high as their text: spreadsheet programs keep the stored height.
    // A column 40 characters wide (of digits) holds about 46 of regular text.
    let tall = |ws: &mut sheet::Sheet, r: u32, texts: &[(&str, f64)]| {
        let lines = texts
            .iter()
            .map(|(t, w)| crate::audit::wrapped_lines(t, *w))
            .max()
            .unwrap_or(1);
        if lines > 1 {
            ws.set_row_height(r, u32::try_from(15 * lines).unwrap_or(u32::MAX))
        } else {
            Ok(())
        }
    };
    for line in &doc.lines {
        tall(ws, r, &[(&line.description, 46.0)])?;
        ws.write_string(r, 0, line.description.as_str(), wrap)?;
        if let Some((first, last)) = line.period {
            ws.write_string(
                r,
                1,
                format!("{} – {}", document_date(first), document_date(last)),
                None,
            )?;
        }
        match exact_f64(line.quantity, 10) {
            Some(q) => ws.write_number(r, 2, q, None)?,
            None => ws.write_string(r, 2, swedish_decimal(line.quantity), right)?,
        };
        ws.write_string(r, 3, line.unit.label(lang), None)?;
        match exact_f64(line.unit_price, 4) {
            Some(p) => ws.write_number(r, 4, p, price)?,
            None => ws.write_string(r, 4, swedish_decimal(line.unit_price), right)?,
        };
        ws.write_number(r, 5, money_f64(line.amount)?, money)?;
        ws.write_string(r, 6, format!("{} %", swedish_decimal(line.vat.rate)), right)?;
        r += 1;
        if let Some(text) = &line.note {
            tall(ws, r, &[(text, 46.0)])?;
            ws.write_string(r, 0, text.as_str(), note)?;
            r += 1;
        }
    }
    r += 1;

    // The VAT per rate, computed on the rate's net sum (BR-CO-17), with the reason in words
    // where no VAT is charged.
    for (c, h) in [
        (0, w.vat_category),
        (4, w.taxable),
        (5, w.vat_rate),
        (6, w.vat),
    ] {
        ws.write_string(r, c, h, Some(Style::BoldWrap))?;
    }
    tall(
        ws,
        r,
        &[
            (w.vat_category, 40.0),
            (w.taxable, 14.0),
            (w.vat_rate, 15.0),
            (w.vat, 13.0),
        ],
    )?;
    r += 1;
    for b in &doc.vat {
        let what = match (&b.category.exemption_reason, b.category.code) {
            (Some(reason), _) if !reason.is_empty() => reason.clone(),
            (_, VatCode::Standard) => w.taxable_standard.to_owned(),
            _ => w.vat_zero_rated.to_owned(),
        };
        tall(ws, r, &[(&what, 46.0)])?;
        ws.write_string(r, 0, what, wrap)?;
        ws.write_number(r, 4, money_f64(b.taxable)?, money)?;
        ws.write_string(
            r,
            5,
            format!("{} %", swedish_decimal(b.category.rate)),
            right,
        )?;
        ws.write_number(r, 6, money_f64(b.vat)?, money)?;
        r += 1;
    }
    r += 1;
    let payable_label = match doc.kind {
        DocumentKind::Invoice => w.payable,
        DocumentKind::CreditNote => w.to_credit,
    };
    for (k, m, bold) in [
        (w.net_total, doc.net_total, false),
        (w.vat_total, doc.vat_total, false),
        (w.rounding, doc.rounding, false),
        (payable_label, doc.payable, true),
    ] {
        ws.write_string(r, 4, k, label_right)?;
        ws.write_number(
            r,
            5,
            money_f64(m)?,
            Some(if bold { Style::MoneyBold } else { Style::Money }),
        )?;
        r += 1;
    }
    r += 1;

    // How to pay.
    let payable_text = format!("{} {}", doc.payable.to_swedish(), doc.currency);
    for (k, v) in [
        (w.bankgiro, doc.payment.bankgiro.as_deref().unwrap_or("–")),
        (w.ocr, doc.payment.ocr.as_deref().unwrap_or(&draft_mark)),
        (w.due_date, &document_date(doc.due_date)),
        (payable_label, &payable_text),
    ] {
        ws.write_string(r, 0, k, bold)?;
        ws.write_string(r, 1, v, None)?;
        r += 1;
    }

    // The basis of every line: how it was derived, with the party's own figures only.
    let ws = basis;
    ws.set_column_width(0, 60)?;
    ws.set_column_width(1, 60)?;
    ws.set_column_width(2, 24)?;
    ws.set_column_width(3, 22)?;
    ws.write_string(0, 0, w.basis_per_line, Some(Style::Title))?;
    let mut r = 2;
    for (c, h) in [w.step, w.formula, w.value, w.source].iter().enumerate() {
        ws.write_string(r, c as u16, *h, bold)?;
    }
    r += 1;
    for line in &inv.lines {
        ws.write_string(r, 0, line.description.get(input.settings.language), bold)?;
        ws.write_number(r, 2, money_f64(line.amount)?, Some(Style::MoneyBold))?;
        r += 1;
        for step in &line.explanation.steps {
            let lang = input.settings.language;
            ws.write_string(r, 0, step.label.get(lang), None)?;
            ws.write_string(
                r,
                1,
                step.formula.as_ref().map_or("", |f| f.get(lang)),
                None,
            )?;
            ws.write_string(r, 2, step.value.get(lang), None)?;
            ws.write_string(
                r,
                3,
                step.source.as_ref().map(|s| s.as_str()).unwrap_or(""),
                None,
            )?;
            r += 1;
        }
        r += 1;
    }
    wb.save(ZIP_LEVEL)
}

/// The Summary sheet's figures: the pools met on the invoices (by id, in order), and per invoice
/// one amount per pool, then user fees, other lines, VAT, öresavrundning and the payable total,
/// so that every row's amounts before the last add up to the last.
struct Summary {
    pools: Vec<String>,
    amounts: Vec<Vec<Money>>,
}

fn summary_rows(invoices: &[&Invoice]) -> Summary {
    // The pools' ids, each once, sorted: a set of the few ids, not a copy of every pool line's
    // id sorted (2,000,000 of them at 100,000 parties).
    let pools: Vec<String> = invoices
        .iter()
        .flat_map(|i| &i.lines)
        .filter(|l| l.kind == LineKind::Pool)
        .map(|l| l.explanation.pool.as_ref())
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let amounts = invoices
        .iter()
        .map(|inv| {
            let mut row = vec![Money::ZERO; pools.len() + 5];
            for l in &inv.lines {
                let column = match l.kind {
                    LineKind::Pool => pools
                        .iter()
                        .position(|p| *p == l.explanation.pool.as_ref())
                        .unwrap_or(pools.len() + 1),
                    LineKind::Advance | LineKind::Correction => pools.len(),
                    _ => pools.len() + 1,
                };
                row[column] += l.amount;
            }
            row[pools.len() + 2] = inv.vat_total;
            row[pools.len() + 3] = inv.rounding.unwrap_or_default();
            row[pools.len() + 4] = inv.payable;
            row
        })
        .collect();
    Summary { pools, amounts }
}

/// A key's name in the document's language.
fn key_words(key: &str, lang: Language) -> &str {
    match (key, lang) {
        ("population", Language::Sv) => "folkmängd",
        ("users", Language::Sv) => "användare",
        ("equal", Language::Sv) => "lika delar",
        ("weight", Language::Sv) => "vikt",
        ("fixed", Language::Sv) => "fasta belopp",
        ("direct", Language::Sv) => "direkt betalning",
        (other, _) => other,
    }
}

/// An excess policy in the document's language (the overview's and audit.xlsx's words).
pub(crate) fn excess_words(excess: &ExcessPolicy, lang: Language) -> String {
    match (excess, lang) {
        (ExcessPolicy::Absorb(p), Language::Sv) => format!("bärs av {p}"),
        (ExcessPolicy::Redistribute, Language::Sv) => "omfördelas".to_owned(),
        (ExcessPolicy::Uncovered, Language::Sv) => "täcks inte".to_owned(),
        (other, _) => other.to_string(),
    }
}

/// A fee review's outcome in the document's language.
fn outcome_words(outcome: &Outcome, lang: Language) -> String {
    let en = format!("{outcome:?}").to_lowercase();
    match lang {
        Language::En => en,
        Language::Sv => match outcome {
            Outcome::Surplus => "överskott".to_owned(),
            Outcome::Deficit => "underskott".to_owned(),
            Outcome::Balanced => "i balans".to_owned(),
        },
    }
}

/// A column wide enough for its heading wrapped on up to three lines, and at least `min`.
fn column_width(heading: &str, min: u16) -> u16 {
    let chars = u16::try_from(heading.chars().count()).unwrap_or(u16::MAX);
    min.max(chars.div_ceil(3).saturating_add(2)).min(40)
}

fn vat_text(rate: VatRate, w: &Labels) -> String {
    match rate {
        VatRate::OutsideScope => w.outside_short.to_owned(),
        other => format!("{}", other.percent()),
    }
}

/// The most rows a worksheet holds: 1,048,576 (Excel's limit, which rust_xlsxwriter enforces).
pub const SHEET_ROWS: u32 = 1_048_576;

/// The name of sheet `k` (0-based) of a table continued on further sheets: `Kassaflöde`,
/// `Kassaflöde (2)`, `Kassaflöde (3)`, … (as a spreadsheet program names the copy of a sheet).
pub(crate) fn part_name(name: &str, k: usize) -> String {
    if k == 0 {
        name.to_owned()
    } else {
        format!("{name} ({})", k + 1)
    }
}

/// What a table writes at the top of each of its sheets: widths, page setup, title, headings.
type Head<'a> = dyn Fn(&mut sheet::Sheet) -> Result<(), rust_xlsxwriter::XlsxError> + 'a;

/// A table of the overview on as many sheets as its rows need (issue 12: at 100,000 parties the
/// cash flow has more rows than a sheet holds). Its rows are numbered as on one sheet without a
/// limit; a sheet holds `limit` rows: the `first` heading rows, which `head` writes on every
/// sheet of the table, then the table's next rows. Once a table takes a second sheet, each of
/// its sheets is frozen below the headings, so that they stay in view. A table that fits is
/// written exactly as before (one sheet, nothing frozen). The rows are written out as the
/// table goes on: a table's rows come in order, and a row may still take cells until the row
/// after the next is asked for (the fee review completes a review's last row).
struct Pages<'a> {
    name: String,
    page: sheet::Page,
    first: u32,
    per: u32,
    sheets: Vec<usize>,
    head: &'a Head<'a>,
}

impl<'a> Pages<'a> {
    fn new(
        wb: &mut sheet::Streamed,
        name: &str,
        page: sheet::Page,
        first: u32,
        limit: u32,
        head: &'a Head<'a>,
    ) -> Result<Pages<'a>, rust_xlsxwriter::XlsxError> {
        let index = wb.add_sheet(name, page)?;
        head(wb.sheet(index)?)?;
        Ok(Pages {
            name: name.to_owned(),
            page,
            first,
            per: limit.saturating_sub(first).max(1),
            sheets: vec![index],
            head,
        })
    }

    /// The sheet (its place among the table's) and row of the table's row `row`.
    fn place(&self, row: u32) -> (usize, u32) {
        match row.checked_sub(self.first) {
            None => (0, row),
            Some(i) => ((i / self.per) as usize, self.first + i % self.per),
        }
    }

    /// The sheet and row of the table's row `row`, the sheet added when it is the first row
    /// on it; the rows above the one before are written out.
    fn at<'w>(
        &mut self,
        wb: &'w mut sheet::Streamed,
        row: u32,
    ) -> Result<(&'w mut sheet::Sheet, u32), rust_xlsxwriter::XlsxError> {
        let (k, r) = self.place(row);
        while self.sheets.len() <= k {
            let index = wb.add_sheet(&part_name(&self.name, self.sheets.len()), self.page)?;
            let ws = wb.sheet(index)?;
            (self.head)(ws)?;
            ws.set_freeze_rows(self.first)?;
            if let [only] = self.sheets[..] {
                wb.sheet(only)?.set_freeze_rows(self.first)?;
            }
            self.sheets.push(index);
        }
        let (done, below) = self.place(row.saturating_sub(1));
        wb.flush(self.sheets.get(done).copied().unwrap_or_default(), below)?;
        let index = self.sheets.get(k).copied().unwrap_or_default();
        Ok((wb.sheet(index)?, r))
    }
}

fn overview_workbook(input: &Input, draft: &Draft) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    overview_workbook_within(input, draft, SHEET_ROWS, ZIP_LEVEL)
}

/// `overview.xlsx` with sheets of at most `limit` rows ([`SHEET_ROWS`] in a run): a table with
/// more continues on further sheets. For tests of that without a million rows.
///
/// # Errors
/// As the overview of a run.
pub fn overview_within(input: &Input, draft: &Draft, limit: u32) -> Result<Vec<u8>, OutputError> {
    overview_workbook_within(input, draft, limit, ZIP_LEVEL).map_err(|e| xlsx("overview.xlsx", e))
}

/// `overview.xlsx` as a run writes it, its parts deflated at `level` (0 to 9) instead of 1: the
/// golden overviews under `testdata/cases/` were written at the zip crate's default, 6, and
/// `tests/cases.rs` compares them byte for byte. For that test only: not part of the API.
///
/// # Errors
/// As the overview of a run.
#[doc(hidden)]
pub fn overview_deflated(input: &Input, draft: &Draft, level: u8) -> Result<Vec<u8>, OutputError> {
    overview_workbook_within(input, draft, SHEET_ROWS, level.min(9))
        .map_err(|e| xlsx("overview.xlsx", e))
}

/// The overview workbook, each sheet of at most `limit` rows: a table with more continues on
/// further sheets ([`Pages`]).
#[allow(clippy::too_many_lines)]
fn overview_workbook_within(
    input: &Input,
    draft: &Draft,
    limit: u32,
    level: u8,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use sheet::{Page, Style};
    let lang = input.settings.language;
    let mut wb = sheet::Streamed::new(
        match lang {
            Language::Sv => "Sammanställning",
            Language::En => "Overview",
        },
        draft.date,
        level,
    );

    let tr = |sv: &'static str, en: &'static str| match lang {
        Language::Sv => sv,
        Language::En => en,
    };
    let w = Labels::of(lang);

    // Parties × what their invoice holds: one column per pool (headed by its name), user fees,
    // other lines (transactions, monthly costs), VAT and öresavrundning, which add up to the
    // payable total of the row. The coordinator's own share is a row too, never invoiced (R15).
    let title = format!(
        "{}: {} {}",
        input.settings.name,
        tr("fakturor med fakturadatum", "invoices dated"),
        draft.date
    );
    let rows: Vec<&Invoice> = draft
        .invoices
        .iter()
        .filter(|i| i.issuer == input.settings.issuer)
        .chain(&draft.issuer_share)
        .collect();
    let summary = summary_rows(&rows);
    let pool_name = |id: &str| {
        draft
            .allocations
            .iter()
            .find(|a| a.pool.as_ref() == id)
            .map_or_else(|| id.to_owned(), |a| a.name.clone())
    };
    let mut heads: Vec<String> = vec![
        tr("Part", "Party").to_owned(),
        tr("Namn", "Name").to_owned(),
    ];
    heads.extend(summary.pools.iter().map(|p| pool_name(p)));
    heads.extend(
        [
            tr("Användaravgifter", "User fees"),
            tr(
                "Övriga rader (transaktioner m.m.)",
                "Other lines (transactions etc.)",
            ),
            w.vat,
            w.rounding,
            w.payable,
            tr("Anmärkning", "Note"),
        ]
        .map(str::to_owned),
    );
    let header_row = 2;
    let head = |ws: &mut sheet::Sheet| {
        ws.write_string(0, 0, &title, Some(Style::Title))?;
        for (c, h) in heads.iter().enumerate() {
            ws.write_string(header_row, c as u16, h, Some(Style::BoldWrap))?;
            ws.set_column_width(c as u16, column_width(h, if c == 1 { 30 } else { 15 }))?;
        }
        ws.set_row_height(header_row, 45)?;
        Ok(())
    };
    let mut pages = Pages::new(
        &mut wb,
        tr("Sammanställning", "Summary"),
        Page::Landscape,
        header_row + 1,
        limit,
        &head,
    )?;
    let n = summary.pools.len() + 5;
    let mut r = header_row + 1;
    let mut totals = vec![Money::ZERO; n];
    for (inv, amounts) in rows.iter().zip(&summary.amounts) {
        let (ws, row) = pages.at(&mut wb, r)?;
        ws.write_string(row, 0, inv.buyer.as_str(), None)?;
        ws.write_string(row, 1, party_name(input, &inv.buyer), None)?;
        for (j, a) in amounts.iter().enumerate() {
            ws.write_number(row, 2 + j as u16, money_f64(*a)?, Some(Style::Money))?;
            totals[j] += *a;
        }
        if inv.buyer == inv.issuer {
            ws.write_string(
                row,
                2 + n as u16,
                tr("egen andel, faktureras inte", "own share, not invoiced"),
                None,
            )?;
        }
        r += 1;
    }
    // The total of every row, on the table's last sheet.
    let (ws, row) = pages.at(&mut wb, r)?;
    ws.write_string(row, 0, tr("Summa", "Total"), Some(Style::Bold))?;
    for (j, t) in totals.iter().enumerate() {
        ws.write_number(row, 2 + j as u16, money_f64(*t)?, Some(Style::MoneyBold))?;
    }

    // Pools: amount, allocated, absorbed, uncovered, outside.
    let heads = [
        tr("Kostnadspost", "Pool"),
        tr("Namn", "Name"),
        tr("Fördelningsnyckel", "Key"),
        tr("Belopp", "Amount"),
        tr("Takbelopp", "Cap"),
        tr("Överskjutande belopp", "Excess policy"),
        tr("Fördelat", "Allocated"),
        tr("Bärs av", "Absorbed by"),
        tr("Buret", "Absorbed"),
        tr("Ej täckt", "Uncovered"),
        tr("Bärs utanför avtalet", "Borne outside"),
    ];
    let head = |ws: &mut sheet::Sheet| {
        for c in 0..11u16 {
            ws.set_column_width(c, if c == 1 { 30 } else { 15 })?;
        }
        for (c, h) in heads.iter().enumerate() {
            ws.write_string(0, c as u16, *h, Some(Style::Bold))?;
        }
        Ok(())
    };
    let mut pages = Pages::new(
        &mut wb,
        tr("Kostnadsposter", "Pools"),
        Page::Landscape,
        1,
        limit,
        &head,
    )?;
    for (i, a) in draft.allocations.iter().enumerate() {
        let (ws, r) = pages.at(&mut wb, 1 + i as u32)?;
        ws.write_string(r, 0, a.pool.as_ref(), None)?;
        ws.write_string(r, 1, &a.name, None)?;
        ws.write_string(r, 2, key_words(a.key, lang), None)?;
        ws.write_number(r, 3, money_f64(a.amount)?, Some(Style::Money))?;
        if let Some(cap) = &a.cap {
            ws.write_number(r, 4, money_f64(cap.limit)?, Some(Style::Money))?;
            ws.write_string(r, 5, excess_words(&cap.excess, lang), None)?;
        }
        ws.write_number(r, 6, money_f64(a.allocated())?, Some(Style::Money))?;
        if let Some((p, amount)) = &a.absorbed {
            ws.write_string(r, 7, p.as_str(), None)?;
            ws.write_number(r, 8, money_f64(*amount)?, Some(Style::Money))?;
        }
        ws.write_number(r, 9, money_f64(a.uncovered)?, Some(Style::Money))?;
        let outside = a.outside.as_ref().map(|o| o.amount).unwrap_or_default();
        ws.write_number(r, 10, money_f64(outside)?, Some(Style::Money))?;
    }

    // Invoices.
    let heads = [
        w.seller,
        w.buyer,
        tr("Slag", "Kind"),
        w.number,
        w.net_total,
        w.vat,
        w.rounding,
        w.payable,
        w.due_date,
    ];
    let head = |ws: &mut sheet::Sheet| {
        for c in 0..9u16 {
            ws.set_column_width(c, 15)?;
        }
        for (c, h) in heads.iter().enumerate() {
            ws.write_string(0, c as u16, *h, Some(Style::Bold))?;
        }
        Ok(())
    };
    // An invoice's net total, VAT, öresavrundning and payable, in columns E to H.
    let amounts = |ws: &mut sheet::Sheet, r: u32, inv: &Invoice| {
        let rounding = inv.rounding.unwrap_or_default();
        for (c, m) in [inv.net_total, inv.vat_total, rounding, inv.payable]
            .into_iter()
            .enumerate()
        {
            ws.write_number(r, 4 + c as u16, money_f64(m)?, Some(Style::Money))?;
        }
        Ok::<(), rust_xlsxwriter::XlsxError>(())
    };
    let mut pages = Pages::new(
        &mut wb,
        tr("Fakturor", "Invoices"),
        Page::Default,
        1,
        limit,
        &head,
    )?;
    for (i, inv) in draft.invoices.iter().enumerate() {
        let (ws, r) = pages.at(&mut wb, 1 + i as u32)?;
        ws.write_string(r, 0, inv.issuer.as_str(), None)?;
        ws.write_string(r, 1, inv.buyer.as_str(), None)?;
        ws.write_string(
            r,
            2,
            match inv.kind {
                InvoiceKind::Invoice => w.invoice,
                InvoiceKind::CreditNote => w.credit_note,
            },
            None,
        )?;
        ws.write_string(
            r,
            3,
            inv.number.map(|n| n.to_string()).unwrap_or_default(),
            None,
        )?;
        amounts(ws, r, inv)?;
        ws.write_string(r, 8, inv.due_date.to_string(), None)?;
    }
    // R15: the coordinator's own share, computed like an invoice, never issued.
    if let Some(own) = &draft.issuer_share {
        let (ws, r) = pages.at(&mut wb, 1 + draft.invoices.len() as u32)?;
        ws.write_string(r, 0, own.issuer.as_str(), None)?;
        ws.write_string(r, 1, own.buyer.as_str(), None)?;
        ws.write_string(
            r,
            2,
            tr(
                "bärs av utfärdaren (faktureras inte)",
                "borne by the issuer (not invoiced)",
            ),
            None,
        )?;
        amounts(ws, r, own)?;
    }

    // Cash flow.
    let heads = [
        tr("Part", "Party"),
        tr("Datum", "Date"),
        tr("In", "In"),
        tr("Ut", "Out"),
        tr("Saldo", "Balance"),
    ];
    let head = |ws: &mut sheet::Sheet| {
        for c in 0..5u16 {
            ws.set_column_width(c, 15)?;
        }
        for (c, h) in heads.iter().enumerate() {
            ws.write_string(0, c as u16, *h, Some(Style::Bold))?;
        }
        Ok(())
    };
    let mut pages = Pages::new(
        &mut wb,
        tr("Kassaflöde", "Cash flow"),
        Page::Default,
        1,
        limit,
        &head,
    )?;
    let mut r = 1;
    for t in &draft.timeline {
        for e in &t.entries {
            let (ws, row) = pages.at(&mut wb, r)?;
            ws.write_string(row, 0, t.party.as_str(), None)?;
            ws.write_string(row, 1, e.date.to_string(), None)?;
            ws.write_number(row, 2, money_f64(e.incoming)?, Some(Style::Money))?;
            ws.write_number(row, 3, money_f64(e.outgoing)?, Some(Style::Money))?;
            ws.write_number(row, 4, money_f64(e.balance)?, Some(Style::Money))?;
            r += 1;
        }
    }

    // The fee review of each cooperation (R13).
    if !draft.fee_reviews.is_empty() {
        let heads = [
            tr("Samverkan", "Cooperation"),
            tr("Namn", "Name"),
            tr("År", "Year"),
            tr("Medlemmar", "Members"),
            tr("Debiterade avgifter", "Fees charged"),
            tr("Kostnad", "Cost"),
            tr("Antal", "Count"),
            tr("Kostnadsbelopp", "Cost amount"),
            tr("Summa kostnader", "Total costs"),
            tr(
                "Överskott (+) / underskott (−)",
                "Surplus (+) / deficit (−)",
            ),
            tr("Utfall", "Outcome"),
            tr(
                "Avgift som hade täckt kostnaderna",
                "Fee that would have covered the costs",
            ),
            tr(
                "Behöver personuppgiftsbiträdesavtal med administratören",
                "Needs a data-processing agreement with the administrator",
            ),
        ];
        let head = |ws: &mut sheet::Sheet| {
            for c in 0..13u16 {
                ws.set_column_width(c, 16)?;
            }
            for (c, h) in heads.iter().enumerate() {
                ws.write_string(0, c as u16, *h, Some(Style::Bold))?;
            }
            Ok(())
        };
        let mut pages = Pages::new(
            &mut wb,
            tr("Avgiftsprövning", "Fee review"),
            Page::Landscape,
            1,
            limit,
            &head,
        )?;
        let mut r = 1;
        for review in &draft.fee_reviews {
            let coop = input
                .cooperations
                .iter()
                .find(|c| c.cooperation.id() == review.cooperation);
            let needs: Vec<String> = coop
                .map(|c| {
                    c.cooperation
                        .need_processing_agreement()
                        .iter()
                        .map(|p| p.to_string())
                        .collect()
                })
                .unwrap_or_default();
            let first = r;
            let (ws, row) = pages.at(&mut wb, r)?;
            ws.write_string(row, 0, &review.cooperation, None)?;
            ws.write_string(row, 1, &review.name, None)?;
            ws.write_number(row, 2, f64::from(review.year), None)?;
            ws.write_string(
                row,
                3,
                review
                    .members
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                None,
            )?;
            ws.write_number(row, 4, money_f64(review.fees_charged)?, Some(Style::Money))?;
            for cost in &review.costs {
                let (ws, row) = pages.at(&mut wb, r)?;
                ws.write_string(
                    row,
                    5,
                    format!(
                        "{} {} {}",
                        cost.cost.counted.as_str(),
                        tr("prissatt som", "priced as"),
                        cost.cost.priced_as.as_str()
                    ),
                    None,
                )?;
                ws.write_number(row, 6, cost.count as f64, None)?;
                ws.write_number(row, 7, money_f64(cost.amount)?, Some(Style::Money))?;
                r += 1;
            }
            // The totals go on the review's last row: its last cost's, or its own without
            // costs (every review has costs today: the core reviews only cooperations that
            // cover some).
            let last = r.saturating_sub(1).max(first);
            let (ws, r0) = pages.at(&mut wb, last)?;
            ws.write_number(
                r0,
                8,
                money_f64(review.total_costs)?,
                Some(Style::MoneyBold),
            )?;
            ws.write_number(r0, 9, money_f64(review.balance)?, Some(Style::MoneyBold))?;
            ws.write_string(r0, 10, outcome_words(&review.outcome, lang), None)?;
            ws.write_number(r0, 11, money_f64(review.covering_fee)?, Some(Style::Money))?;
            ws.write_string(r0, 12, needs.join(", "), None)?;
            r = last + 1;
        }
    }

    // Findings and the fee.
    let head = |ws: &mut sheet::Sheet| {
        ws.set_column_width(0, 100)?;
        ws.write_string(0, 0, tr("Iakttagelse", "Finding"), Some(Style::Bold))?;
        Ok(())
    };
    let mut pages = Pages::new(
        &mut wb,
        tr("Iakttagelser", "Findings"),
        Page::Default,
        1,
        limit,
        &head,
    )?;
    let mut r = 1;
    for f in &draft.findings {
        let (ws, row) = pages.at(&mut wb, r)?;
        ws.write_string(row, 0, f.get(lang), None)?;
        r += 1;
    }
    for d in &draft.assumed_dates {
        let (ws, row) = pages.at(&mut wb, r)?;
        ws.write_string(
            row,
            0,
            match lang {
                Language::Sv => format!(
                    "inga fakturor daterade {d} i fakturaregistret: antas fakturerade som beräknat"
                ),
                Language::En => {
                    format!("no invoices of {d} in the register: assumed billed as computed")
                }
            },
            None,
        )?;
        r += 1;
    }
    for fee in &draft.fees {
        let (ws, row) = pages.at(&mut wb, r)?;
        // An exact fee (R5) as the explanations show it, to 10 decimals unless it ends in öre,
        // and marked: the lines are computed from B and N, not from F rounded to öre.
        let value = if fee.is_exact() {
            format!(
                "{} {}",
                fee.to_swedish(),
                tr("(exakt, B / N)", "(exact, B / N)")
            )
        } else {
            fee.amount().to_swedish()
        };
        ws.write_string(
            row,
            0,
            format!(
                "{} {}: {value}",
                tr("årlig användaravgift från", "annual user fee from"),
                fee.valid_from(),
            ),
            None,
        )?;
        r += 1;
    }
    wb.save()
}

fn kind_text(kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Invoice => "invoice",
        InvoiceKind::CreditNote => "credit_note",
    }
}

/// A line's unit in `lines.csv`: `piece`, `user`, `month`, `day`, or the transaction kind.
fn unit_text(unit: &billing_core::invoice::Unit) -> String {
    use billing_core::invoice::Unit;
    match unit {
        Unit::User => "user".to_owned(),
        Unit::Month => "month".to_owned(),
        Unit::Day => "day".to_owned(),
        Unit::Transaction(kind) => csv_text(kind),
        _ => "piece".to_owned(),
    }
}

/// The EN 16931 VAT category of a rate, as the invoice documents decide it
/// ([`crate::invoice_document`]): `E` for 0 %, `O` outside the scope, `S` otherwise.
fn vat_category(rate: VatRate) -> &'static str {
    match rate {
        VatRate::Zero => "E",
        VatRate::OutsideScope => "O",
        _ => "S",
    }
}

/// The income account a line is booked on: its pool's or fee's from the Accounts sheet, else
/// the BAS chart's for its VAT rate.
fn booking_account(
    accounts: &crate::accounts::Accounts,
    chart: &crate::sie::Chart,
    line: &billing_core::invoice::InvoiceLine,
) -> crate::sie::Account {
    accounts
        .booking(line.explanation.pool.as_ref())
        .account
        .unwrap_or(match line.vat_rate {
            VatRate::Six => chart.income_6,
            VatRate::Twelve => chart.income_12,
            VatRate::TwentyFive => chart.income_25,
            VatRate::Zero | VatRate::OutsideScope => chart.income_no_vat,
        })
}

/// The CSV form of the files written: `Default` (comma, decimal point, UTF-8) or `Sv` (what
/// Swedish Excel opens: semicolon, decimal comma, UTF-8 with a byte-order mark).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CsvDialect {
    /// Comma separated, decimal point.
    #[default]
    Default,
    /// Semicolon separated, decimal comma, UTF-8 with BOM.
    Sv,
}

/// The byte-order mark of UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The CSV files among `files` (`lines.csv`, `register.csv`, also in sub-folders) rewritten in
/// `dialect`: for `Sv`, semicolons, a decimal comma in the amount columns, and a BOM.
///
/// # Errors
/// A CSV file that does not read back.
pub fn apply_dialect(
    files: &mut [(String, Vec<u8>)],
    dialect: CsvDialect,
) -> Result<(), OutputError> {
    if dialect == CsvDialect::Default {
        return Ok(());
    }
    const AMOUNTS: &[&str] = &[
        "amount",
        "vat",
        "net",
        "rounding",
        "payable",
        "quantity",
        "unit_price",
    ];
    for (name, bytes) in files.iter_mut() {
        let file = name.rsplit('/').next().unwrap_or(name);
        if file != "lines.csv" && file != "register.csv" {
            continue;
        }
        let err = |e: csv::Error| OutputError::Xlsx {
            path: name.clone(),
            message: e.to_string(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        let mut out = BOM.to_vec();
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(Vec::new());
        let mut amount_columns: Vec<bool> = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(err)?;
            if i == 0 {
                amount_columns = record.iter().map(|h| AMOUNTS.contains(&h)).collect();
                w.write_record(&record).map_err(err)?;
                continue;
            }
            let row: Vec<String> = record
                .iter()
                .enumerate()
                .map(|(c, v)| {
                    if amount_columns.get(c).copied().unwrap_or(false) {
                        v.replace('.', ",")
                    } else {
                        v.to_owned()
                    }
                })
                .collect();
            w.write_record(&row).map_err(err)?;
        }
        out.extend(w.into_inner().map_err(|e| OutputError::Xlsx {
            path: name.clone(),
            message: e.to_string(),
        })?);
        *bytes = out;
    }
    Ok(())
}

/// One row per invoice line, for import into a finance system.
fn lines_csv(input: &Input, draft: &Draft) -> Result<Vec<u8>, OutputError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let to_err = |e: csv::Error| OutputError::Xlsx {
        path: "lines.csv".to_owned(),
        message: e.to_string(),
    };
    w.write_record([
        "invoice_number",
        "kind",
        "issuer",
        "buyer",
        "buyer_org",
        "issue_date",
        "due_date",
        "ocr",
        "line",
        "line_kind",
        "description",
        "period_start",
        "period_end",
        "amount",
        "vat_rate",
        "vat",
        "currency",
        "account",
        "cost_centre",
        "counterpart",
        "quantity",
        "unit",
        "unit_price",
        "vat_category",
    ])
    .map_err(to_err)?;
    let chart = input.accounts.chart();
    for inv in &draft.invoices {
        let org = input
            .parties
            .get(&inv.buyer)
            .and_then(|p| p.org.as_ref())
            .map(|o| o.to_string())
            .unwrap_or_default();
        let mut rows: Vec<[String; 24]> = inv
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                [
                    inv.number.map(|n| n.to_string()).unwrap_or_default(),
                    kind_text(inv.kind).to_owned(),
                    csv_text(inv.issuer.as_str()),
                    csv_text(inv.buyer.as_str()),
                    org.clone(),
                    inv.issue_date.to_string(),
                    inv.due_date.to_string(),
                    inv.ocr.clone().unwrap_or_default(),
                    (i + 1).to_string(),
                    format!("{:?}", l.kind).to_lowercase(),
                    csv_text(l.description.get(input.settings.language)),
                    l.period.map(|p| p.start().to_string()).unwrap_or_default(),
                    l.period
                        .map(|p| p.last_day().to_string())
                        .unwrap_or_default(),
                    l.amount.to_string(),
                    vat_text(l.vat_rate, Labels::of(crate::document::Language::Sv)),
                    l.vat.to_string(),
                    inv.currency.to_string(),
                    booking_account(&input.accounts, &chart, l).to_string(),
                    csv_text(
                        &input
                            .accounts
                            .booking(l.explanation.pool.as_ref())
                            .cost_centre
                            .unwrap_or_default(),
                    ),
                    org.clone(),
                    l.quantity.quantity.to_string(),
                    unit_text(&l.quantity.unit),
                    l.quantity.unit_price.to_string(),
                    vat_category(l.vat_rate).to_owned(),
                ]
            })
            .collect();
        if let Some(rounding) = inv.rounding {
            rows.push([
                inv.number.map(|n| n.to_string()).unwrap_or_default(),
                kind_text(inv.kind).to_owned(),
                csv_text(inv.issuer.as_str()),
                csv_text(inv.buyer.as_str()),
                org.clone(),
                inv.issue_date.to_string(),
                inv.due_date.to_string(),
                inv.ocr.clone().unwrap_or_default(),
                (inv.lines.len() + 1).to_string(),
                "rounding".to_owned(),
                Labels::of(input.settings.language).rounding.to_owned(),
                String::new(),
                String::new(),
                rounding.to_string(),
                "0".to_owned(),
                "0.00".to_owned(),
                inv.currency.to_string(),
                chart.rounding.to_string(),
                String::new(),
                org.clone(),
                "1".to_owned(),
                "piece".to_owned(),
                rounding.to_string(),
                String::new(),
            ]);
        }
        for row in rows {
            w.write_record(&row).map_err(to_err)?;
        }
    }
    w.into_inner().map_err(|e| OutputError::Xlsx {
        path: "lines.csv".to_owned(),
        message: e.to_string(),
    })
}

/// The invoices with their lines and explanations, and the run's context.
///
/// Written straight from the draft ([`sorted_json`]), one item after the other: no JSON tree is
/// made (at 10,000 parties a tree of the whole file took about 1 GB for a 41 MB file, and one
/// tree per invoice most of the file's time). The bytes are those of the whole tree written at
/// once: every object's keys in the order a JSON map sorts them, every text in the agreement's
/// language, each invoice line with the VAT category (EN 16931) beside its rate.
fn invoices_json(input: &Input, draft: &Draft, final_issue: bool) -> Result<Vec<u8>, OutputError> {
    let language = input.settings.language;
    let failed = |e: sorted_json::Error| OutputError::Xlsx {
        path: "invoices.json".to_owned(),
        message: e.to_string(),
    };
    let mut text = Vec::with_capacity(4096 + draft.invoices.len() * 4096);
    // The run's entries, in the order of their keys.
    let entry = |text: &mut Vec<u8>, key: &str| {
        text.extend_from_slice(if text.is_empty() { b"{" } else { b"," });
        text.extend_from_slice(b"\n  \"");
        text.extend_from_slice(key.as_bytes());
        text.extend_from_slice(b"\": ");
    };
    let put = |text: &mut Vec<u8>, key: &str, value: &dyn erased::Value| {
        entry(text, key);
        value.write(text, language).map_err(failed)
    };
    put(&mut text, "agreement", &input.settings.name.as_str())?;
    put(&mut text, "allocations", &draft.allocations.as_slice())?;
    put(
        &mut text,
        "assumed_billed_dates",
        &draft.assumed_dates.as_slice(),
    )?;
    put(&mut text, "currency", &input.settings.currency)?;
    put(&mut text, "date", &draft.date)?;
    put(&mut text, "fee_reviews", &draft.fee_reviews.as_slice())?;
    put(&mut text, "findings", &draft.findings.as_slice())?;
    entry(&mut text, "invoices");
    text.push(b'[');
    for (i, invoice) in draft.invoices.iter().enumerate() {
        text.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
        let categories: Vec<&'static str> = invoice
            .lines
            .iter()
            .map(|l| vat_category(l.vat_rate))
            .collect();
        sorted_json::write(&mut text, 2, language, Some(&categories), invoice).map_err(failed)?;
    }
    if !draft.invoices.is_empty() {
        text.extend_from_slice(b"\n  ");
    }
    text.push(b']');
    put(&mut text, "issuer_share", &draft.issuer_share)?;
    put(
        &mut text,
        "status",
        &if final_issue { "issued" } else { "draft" },
    )?;
    text.extend_from_slice(b"\n}\n");
    Ok(text)
}

/// The values of `invoices.json`'s entries, of their different types, in one list of calls.
mod erased {
    use crate::document::Language;

    pub(super) trait Value {
        fn write(&self, out: &mut Vec<u8>, language: Language) -> Result<(), serde_json::Error>;
    }

    impl<T: serde::Serialize> Value for T {
        fn write(&self, out: &mut Vec<u8>, language: Language) -> Result<(), serde_json::Error> {
            super::sorted_json::write(out, 1, language, None, self)
        }
    }
}

/// The JSON with every [`billing_core::Text`] (serialized as `{"sv": …, "en": …}`) replaced by
/// its words in `language`, so that the file holds one language, as a plain string per text.
/// Changed in place: the tree of a national run is large. (`invoices.json` is now written
/// without a tree, [`sorted_json`]; this is what its bytes are checked against.)
#[cfg(test)]
fn in_language(value: &mut serde_json::Value, language: Language) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let is_text = map.len() == 2
                && map.get("sv").is_some_and(Value::is_string)
                && map.get("en").is_some_and(Value::is_string);
            if is_text {
                let key = match language {
                    Language::Sv => "sv",
                    Language::En => "en",
                };
                let words = map.remove(key).unwrap_or(Value::Null);
                *value = words;
                return;
            }
            for v in map.values_mut() {
                in_language(v, language);
            }
        }
        Value::Array(items) => {
            for v in items {
                in_language(v, language);
            }
        }
        _ => {}
    }
}

/// A short summary of a run for the terminal.
pub fn summary(draft: &Draft, out: &Path) -> String {
    let mut s = String::new();
    let total: Money = draft.invoices.iter().map(|i| i.payable).sum();
    let _ = writeln!(
        s,
        "{} invoice(s) due {}, payable {} in all, written to {}",
        draft.invoices.len(),
        draft.date,
        total.to_swedish(),
        out.display()
    );
    for f in &draft.findings {
        let _ = writeln!(s, "finding: {}", f.get(Language::En));
    }
    if let (Some(first), Some(last)) = (draft.assumed_dates.first(), draft.assumed_dates.last()) {
        let _ = writeln!(
            s,
            "note: {} earlier billing date(s) from {first} to {last} are not in the invoice register; \
             what fell due then was taken as billed (see overview.xlsx, Findings)",
            draft.assumed_dates.len()
        );
    }
    s
}

/// The default output folder for a date beside the input: `out/<date>` for issued invoices,
/// `out/<date>-draft` for a draft, so that a draft never lands where issued invoices are.
pub fn default_out(input: &Path, date: chrono::NaiveDate, kind: FolderKind) -> PathBuf {
    let input = resolved(input);
    let dir = input.parent().unwrap_or(Path::new("."));
    let name = match kind {
        FolderKind::Issued => date.to_string(),
        FolderKind::Draft | FolderKind::RegisterExport | FolderKind::YearReport => {
            format!("{date}-draft")
        }
        FolderKind::Credit => format!("{date}-credit"),
    };
    dir.join("out").join(name)
}

/// Writes one file atomically: to a temporary sibling, renamed into place. An existing file is
/// replaced only with `force`.
///
/// # Errors
/// [`OutputError::Exists`] without `force`, and any I/O error.
pub fn write_file(path: &Path, bytes: &[u8], force: bool) -> Result<(), OutputError> {
    if path.symlink_metadata().is_ok() {
        if !force {
            return Err(OutputError::Exists(path.display().to_string()));
        }
        check_file_replaceable(path)?;
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        OutputError::Io {
            path: path.display().to_string(),
            source: e,
        }
    })
}

/// Whether `--force` may replace the file at `path`: never a folder, an invoice register, or a
/// workbook that has a register beside it (an agreement with issued invoices).
fn check_file_replaceable(path: &Path) -> Result<(), OutputError> {
    let refuse = |why: &str| OutputError::Protected {
        path: path.display().to_string(),
        why: why.to_owned(),
    };
    if path.is_dir() {
        return Err(refuse("it is a folder"));
    }
    let mut head = [0u8; 16];
    let is_sqlite = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == *b"SQLite format 3\0";
    if is_sqlite {
        return Err(refuse("it is a database (an invoice register?)"));
    }
    if crate::register::default_path(path).exists() {
        return Err(refuse(
            "it is an agreement with an invoice register beside it",
        ));
    }
    Ok(())
}

/// The register as `register.xlsx` and `register.csv`.
///
/// # Errors
/// A workbook or CSV that cannot be written.
pub fn register_files(rows: &[[String; 13]]) -> Result<Vec<(String, Vec<u8>)>, OutputError> {
    use crate::register::REGISTER_COLUMNS;
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |m: String| OutputError::Xlsx {
        path: "register".to_owned(),
        message: m,
    };
    w.write_record(REGISTER_COLUMNS)
        .map_err(|e| err(e.to_string()))?;
    for r in rows {
        // Ids and kinds are text; number, amounts and dates stay as they are.
        let safe: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, v)| match c {
                0 | 2 | 5 | 10 | 12 => csv_text(v),
                _ => v.clone(),
            })
            .collect();
        w.write_record(&safe).map_err(|e| err(e.to_string()))?;
    }
    let csv_bytes = w.into_inner().map_err(|e| err(e.to_string()))?;
    let xlsx_bytes = (|| -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = Workbook::new();
        let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
        wb.set_properties(
            &DocProperties::new()
                .set_title("Invoice register")
                .set_creation_datetime(&created),
        );
        let (bold, money) = (sheet::Style::Bold.format(), sheet::Style::Money.format());
        let ws = wb.add_worksheet().set_name("Register")?;
        for (c, h) in REGISTER_COLUMNS.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, r) in rows.iter().enumerate() {
            for (c, v) in r.iter().enumerate() {
                let row = 1 + i as u32;
                match c {
                    1 => {
                        ws.write_number(row, c as u16, v.parse::<f64>().unwrap_or_default())?;
                    }
                    6..=9 => match v.parse::<Money>() {
                        Ok(m) => {
                            ws.write_number_with_format(row, c as u16, money_f64(m)?, &money)?;
                        }
                        Err(_) => {
                            ws.write_string(row, c as u16, v)?;
                        }
                    },
                    _ => {
                        ws.write_string(row, c as u16, v)?;
                    }
                }
            }
        }
        wb.save_to_buffer()
    })()
    .map_err(|e| err(e.to_string()))?;
    Ok(vec![
        ("register.csv".to_owned(), csv_bytes),
        ("register.xlsx".to_owned(), xlsx_bytes),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An invoice's workbook and PDF that both failed were reported as the workbook's error
    /// alone: every file of an invoice that cannot be made is said, in the order of the files,
    /// and a list of them inside a list of outputs is said as one list.
    #[test]
    fn every_error_of_an_invoices_files_is_reported() {
        let failed = |path: &str| OutputError::Document {
            path: path.to_owned(),
            message: "broken".to_owned(),
        };
        let made = vec![
            ("a.xlsx".to_owned(), Err(failed("a.xlsx"))),
            ("a.pdf".to_owned(), Err(failed("a.pdf"))),
            ("a.xml".to_owned(), Ok(b"<x/>".to_vec())),
        ];
        let Err(OutputError::Several(errors)) = gather(made) else {
            panic!("two errors expected");
        };
        let paths: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(paths, ["a.xlsx: broken", "a.pdf: broken"]);
        let one = gather(vec![
            ("b.xlsx".to_owned(), Ok(Vec::new())),
            ("b.pdf".to_owned(), Err(failed("b.pdf"))),
        ]);
        assert!(matches!(one, Err(OutputError::Document { path, .. }) if path == "b.pdf"));
        let fine = gather(vec![("c.pdf".to_owned(), Ok(vec![1]))]).unwrap();
        assert_eq!(fine, [("c.pdf".to_owned(), vec![1])]);
        let all = OutputError::Several(vec![OutputError::Several(errors), failed("audit.xlsx")]);
        assert_eq!(
            all.to_string(),
            "3 outputs could not be written:\n  - a.xlsx: broken\n  - a.pdf: broken\n  - audit.xlsx: broken"
        );
    }

    /// Review of `errs`: the test above passes even if `invoice_files` stopped at the first
    /// file that fails (`?` after the PDF) or `render_only` returned at the first task that
    /// fails. Through `render_only`: an issued invoice whose PDF (a buyer's name the font
    /// cannot show) and e-invoice (no organisation number) both fail says both, in the order
    /// of its files, and the next invoice's e-invoice that fails is said too (each mutation
    /// makes this test fail).
    #[test]
    fn render_only_reports_every_file_of_an_invoice_that_fails() {
        let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cases/kalmar-2010");
        let (mut input, _) = crate::workbook::load(&case).unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2011, 7, 1).unwrap();
        let mut draft =
            crate::compute::compute(&input, date, &crate::compute::History::default()).unwrap();
        for (n, invoice) in (1..).zip(draft.invoices.iter_mut()) {
            invoice.number = Some(n);
        }
        // The first invoice's PDF and e-invoice fail, and the second invoice's e-invoice.
        let first = draft.invoices[0].buyer.clone();
        let second = draft.invoices[1].buyer.clone();
        assert_ne!(first, second);
        let info = input.parties.get_mut(&first).unwrap();
        info.name = "Kommun \u{6F22}".to_owned();
        info.org = None;
        input.parties.get_mut(&second).unwrap().org = None;
        let made = render_only(&input, &draft, true, &Outputs::all());
        let Err(e) = made else {
            panic!("errors expected");
        };
        let said = e.to_string();
        let lines: Vec<&str> = said.lines().collect();
        assert_eq!(lines.len(), 4, "{said}");
        assert_eq!(lines[0], "3 outputs could not be written:", "{said}");
        assert!(lines[1].contains(".pdf: the font has no glyph"), "{said}");
        assert!(
            lines[2].contains("-1-") && lines[2].contains(".xml:"),
            "{said}"
        );
        assert!(
            lines[3].contains("-2-") && lines[3].contains(".xml:"),
            "{said}"
        );
        assert!(said.matches("organisation number").count() == 2, "{said}");
    }

    /// What `invoices.json` held before it was written without a tree: the value made a JSON
    /// tree, its texts put in one language, written pretty.
    fn through_a_tree<T: serde::Serialize>(value: &T, language: Language) -> Vec<u8> {
        let mut tree = serde_json::to_value(value).unwrap();
        in_language(&mut tree, language);
        serde_json::to_vec_pretty(&tree).unwrap()
    }

    /// The JSON written straight ([`sorted_json`]) is byte for byte the tree's, for every shape
    /// serde gives: keys out of order, texts at every depth, every kind of enum variant, maps,
    /// empty lists and objects, numbers of every kind, escapes.
    #[test]
    fn json_written_straight_is_the_trees() {
        use billing_core::Text;
        use std::collections::{BTreeMap, HashMap};
        #[derive(serde::Serialize)]
        #[serde(tag = "finding", rename_all = "snake_case")]
        enum Tagged {
            Plain { zeta: u8, alpha: Text },
            Wrapped(Inner),
        }
        #[derive(serde::Serialize)]
        enum Outer {
            Unit,
            New(Text),
            Pair(i64, Text),
            Fields {
                z: Option<Text>,
                a: Vec<u8>,
                m: Inner,
            },
        }
        #[derive(serde::Serialize)]
        struct Inner {
            zz: f64,
            b: Option<u32>,
            aa: Vec<Text>,
            empty: Vec<u8>,
            nothing: BTreeMap<String, u8>,
        }
        #[derive(serde::Serialize)]
        struct Unit;
        /// Bytes as serde's `serialize_bytes` gives them (as `serde_bytes` would).
        struct Bytes(&'static [u8]);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        #[derive(serde::Serialize)]
        struct Top {
            when: chrono::NaiveDate,
            words: Text,
            sv: String,
            en: String,
            quoted: &'static str,
            tagged: Vec<Tagged>,
            outer: Vec<Outer>,
            by_number: BTreeMap<u32, Text>,
            hashed: HashMap<String, i32>,
            big: i128,
            small: i8,
            float: f64,
            flag: bool,
            letter: char,
            unit: Unit,
            tuple: (u8, Text, ()),
            nested: Vec<Vec<Inner>>,
            bytes: Bytes,
            no_bytes: Bytes,
            nested_bytes: Vec<Bytes>,
            single: f32,
            huge: u128,
            not_a_number: f64,
            infinite: f32,
        }
        let text = |n: u32| Text::new(format!("ord {n} \"å\"\n"), format!("word {n}"));
        let inner = |n: u32| Inner {
            zz: f64::from(n) / 3.0,
            b: n.is_multiple_of(2).then_some(n),
            aa: (0..n).map(text).collect(),
            empty: Vec::new(),
            nothing: BTreeMap::new(),
        };
        let top = Top {
            when: chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            words: text(1),
            sv: "ett".to_owned(),
            en: "one".to_owned(),
            quoted: "tab\t \\ \u{1} ✓",
            tagged: vec![
                Tagged::Plain {
                    zeta: 9,
                    alpha: text(2),
                },
                Tagged::Wrapped(inner(2)),
            ],
            outer: vec![
                Outer::Unit,
                Outer::New(text(3)),
                Outer::Pair(-4, text(4)),
                Outer::Fields {
                    z: None,
                    a: vec![1, 2],
                    m: inner(3),
                },
                Outer::Fields {
                    z: Some(text(5)),
                    a: Vec::new(),
                    m: inner(0),
                },
            ],
            by_number: (0..12).map(|n| (n * 7 % 12, text(n))).collect(),
            hashed: (0..20).map(|n| (format!("k{n}"), n)).collect(),
            big: i128::from(i64::MAX),
            small: -8,
            float: 1e21,
            flag: true,
            letter: 'ö',
            unit: Unit,
            tuple: (1, text(6), ()),
            nested: vec![vec![], vec![inner(1), inner(4)]],
            bytes: Bytes(&[0, 7, 255]),
            no_bytes: Bytes(&[]),
            nested_bytes: vec![Bytes(b"ab"), Bytes(&[])],
            single: 0.1,
            huge: u128::from(u64::MAX),
            not_a_number: f64::NAN,
            infinite: f32::INFINITY,
        };
        for language in [Language::Sv, Language::En] {
            let mut straight = Vec::new();
            sorted_json::write(&mut straight, 0, language, None, &top).unwrap();
            assert_eq!(
                String::from_utf8(straight).unwrap(),
                String::from_utf8(through_a_tree(&top, language)).unwrap()
            );
            // A text alone is its words; a list of them, a list of words.
            let mut straight = Vec::new();
            sorted_json::write(&mut straight, 0, language, None, &vec![text(7), text(8)]).unwrap();
            assert_eq!(straight, through_a_tree(&vec![text(7), text(8)], language));
        }
        // A value a tree refuses (beyond u64) is refused straight too.
        assert!(through_value_refused(u128::from(u64::MAX) + 1));

        // The hook of an invoice (see `invoices_json`): each of its `lines` gets the entry
        // `vat_category` of its place, in key order, as the tree had it inserted; nothing else
        // (not the lines of a nested object, not an object outside `lines`) gets one.
        #[derive(serde::Serialize)]
        struct Line {
            zeta: Text,
            amount: u32,
        }
        #[derive(serde::Serialize)]
        struct Invoice {
            number: u32,
            lines: Vec<Line>,
            other: Vec<Line>,
            nested: Vec<Invoice>,
        }
        let line = |n: u32| Line {
            zeta: text(n),
            amount: n,
        };
        let invoice = Invoice {
            number: 1,
            lines: vec![line(1), line(2), line(3)],
            other: vec![line(4)],
            nested: vec![Invoice {
                number: 2,
                lines: vec![line(5)],
                other: Vec::new(),
                nested: Vec::new(),
            }],
        };
        let categories = ["S", "E", "Z"];
        for language in [Language::Sv, Language::En] {
            let mut tree = serde_json::to_value(&invoice).unwrap();
            if let Some(lines) = tree.get_mut("lines").and_then(|l| l.as_array_mut()) {
                for (line, category) in lines.iter_mut().zip(categories) {
                    if let Some(line) = line.as_object_mut() {
                        line.insert("vat_category".to_owned(), category.into());
                    }
                }
            }
            in_language(&mut tree, language);
            let mut straight = Vec::new();
            sorted_json::write(&mut straight, 0, language, Some(&categories), &invoice).unwrap();
            assert_eq!(
                String::from_utf8(straight).unwrap(),
                serde_json::to_string_pretty(&tree).unwrap()
            );
        }
    }

    /// Whether both the tree and the straight writer refuse `v`.
    fn through_value_refused(v: u128) -> bool {
        let mut straight = Vec::new();
        serde_json::to_value(v).is_err()
            && sorted_json::write(&mut straight, 0, Language::Sv, None, &v).is_err()
    }

    /// The quick conversion of an amount gives the very double its text parses to, and that
    /// double reads back as the same öre, over amounts of every size up to 10^13 kr.
    #[test]
    fn an_amount_becomes_the_double_its_text_parses_to() {
        use proptest::prelude::*;
        let check = |ore: i128| -> Result<(), TestCaseError> {
            let m = Money::from_ore(ore);
            let quick = money_f64(m).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let parsed: f64 = m.to_string().parse().expect("an amount's text is a number");
            prop_assert_eq!(quick.to_bits(), parsed.to_bits(), "{}", m);
            prop_assert_eq!(
                float_decimal(quick),
                Some(m.to_decimal().normalize()),
                "{}",
                m
            );
            Ok(())
        };
        for ore in [
            0,
            1,
            -1,
            5,
            10,
            99,
            100,
            12_345,
            -12_345,
            999_999_999_999_999,
        ] {
            check(ore).unwrap();
            check(-ore).unwrap();
        }
        for digits in 1..=15u32 {
            let top = 10i128.pow(digits) - 1;
            check(top).unwrap();
            check(-top).unwrap();
            check(top / 3).unwrap();
        }
        proptest!(ProptestConfig::with_cases(20_000), |(ore in -999_999_999_999_999i128..=999_999_999_999_999)| {
            check(ore)?;
        });
        proptest!(ProptestConfig::with_cases(20_000), |(ore in -1_000_000i128..=1_000_000)| {
            check(ore)?;
        });
        // The extremes take the checked path (|i128::MIN| does not fit an i128) and are refused:
        // no spreadsheet number holds them exactly.
        for ore in [i128::MIN, i128::MAX, 10i128.pow(20) + 1] {
            assert!(money_f64(Money::from_ore(ore)).is_err(), "{ore}");
        }
    }

    /// Regression (review): `issue` commits the register, then renames its folder into place.
    /// When the rename failed (the folder had appeared meanwhile), the staged copy was removed
    /// with the failed publication: the numbered invoices' files were lost, and the next run
    /// marked them published because their folder was there. A recorded copy is kept.
    #[test]
    fn a_recorded_folder_is_kept_when_it_cannot_be_put_in_place() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("issued");
        let files = vec![("invoices/a.pdf".to_owned(), b"numbered".to_vec())];

        let draft = stage_folder(&out, &files, FolderKind::Draft, false, &[]).unwrap();
        let draft_tmp = draft.tmp().to_owned();
        std::fs::create_dir(&out).unwrap();
        assert!(matches!(draft.publish(), Err(OutputError::Exists(_))));
        assert!(!draft_tmp.exists(), "an unrecorded copy is removed");

        std::fs::remove_dir(&out).unwrap();
        let issued = stage_folder(&out, &files, FolderKind::Draft, false, &[])
            .unwrap()
            .recorded();
        let tmp = issued.tmp().to_owned();
        std::fs::create_dir(&out).unwrap();
        assert!(matches!(issued.publish(), Err(OutputError::Exists(_))));
        assert_eq!(
            std::fs::read(tmp.join("invoices/a.pdf")).unwrap(),
            b"numbered",
            "the recorded copy is kept, complete"
        );
    }

    /// Regression (review): a folder's sync was a hard error, so `issue` failed on every file
    /// system that does not sync folders (EINVAL from FUSE and network mounts). Those numbers
    /// mean "not supported" and are ignored, as SQLite ignores them; an I/O error is not.
    #[cfg(unix)]
    #[test]
    fn a_folder_sync_the_file_system_does_not_support_is_not_an_error() {
        for code in [libc::EINVAL, libc::ENOTSUP, libc::EOPNOTSUPP, libc::EBADF] {
            assert!(
                sync_unsupported(&std::io::Error::from_raw_os_error(code)),
                "{code}"
            );
        }
        for code in [libc::EIO, libc::ENOSPC, libc::EROFS, libc::EACCES] {
            assert!(
                !sync_unsupported(&std::io::Error::from_raw_os_error(code)),
                "{code}"
            );
        }
        assert!(!sync_unsupported(&std::io::Error::other("x")));
        let t = tempfile::tempdir().unwrap();
        sync_folder(t.path()).unwrap();
        assert!(sync_folder(&t.path().join("missing")).is_err());
    }

    /// Regression (review): the folders a run creates on the way to an issued folder
    /// (`issued/`, the --out folder) were never synced into their parents: each level that does
    /// not exist yet is found, up to the first that does, and synced.
    #[test]
    fn the_folders_created_on_the_way_are_found() {
        let t = tempfile::tempdir().unwrap();
        let deep = t.path().join("a").join("b").join("c");
        assert_eq!(
            missing_levels(&deep),
            vec![
                deep.clone(),
                t.path().join("a").join("b"),
                t.path().join("a")
            ]
        );
        assert!(missing_levels(t.path()).is_empty());
        assert_eq!(
            missing_levels(Path::new("no-such-folder-here/x")),
            vec![
                PathBuf::from("no-such-folder-here/x"),
                PathBuf::from("no-such-folder-here")
            ]
        );
        let out = deep.join("issued");
        let staged = stage_folder(&out, &[], FolderKind::Issued, false, &[]).unwrap();
        assert!(deep.is_dir());
        assert!(staged.recorded().publish().unwrap());
        assert!(out.join(MARKER).is_file());
    }

    /// A file that the disk did not store whole after the file system's sync (a range of it a
    /// hole, as where ext4 drops data it found no room for without recording an error, which a
    /// `syncfs` cannot report) fails its folder, named at its final path; the files stored
    /// whole, and an empty one, are not named. Without the hole the same folder is synced.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_not_stored_whole_after_the_file_systems_sync_fails_its_folder() {
        use rustix::fs::FallocateFlags;
        for punch in [true, false] {
            let t = tempfile::tempdir().unwrap();
            let out = t.path().join("issued");
            let mut staged =
                Staged::begin_syncing(&out, FolderKind::Issued, false, &[], SyncWay::Best).unwrap();
            // Whatever this file system is, its files are synced with it.
            staged.syncer = Some(FileSync::FileSystem {
                dir: std::fs::File::open(&staged.tmp).unwrap(),
                written: std::sync::Mutex::new(Vec::new()),
            });
            let bytes = vec![7u8; 16 * 4096];
            staged.write("invoices/a.pdf", &bytes).unwrap();
            staged.write("invoices/b.pdf", &bytes).unwrap();
            staged.write("empty.csv", b"").unwrap();
            if punch {
                let b = std::fs::OpenOptions::new()
                    .write(true)
                    .open(staged.tmp.join("invoices/b.pdf"))
                    .unwrap();
                rustix::fs::fallocate(
                    &b,
                    FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE,
                    8 * 4096,
                    4 * 4096,
                )
                .expect("punching a hole (ext4, tmpfs, XFS and Btrfs can)");
            }
            let synced = staged.sync_folders();
            if !punch {
                synced.unwrap();
                continue;
            }
            let Err(OutputError::Io { path, source }) = synced else {
                panic!("{synced:?}")
            };
            assert_eq!(path, out.join("invoices/b.pdf").display().to_string());
            assert_eq!(
                source.to_string(),
                "after its file system was synced, the file holds no data from byte 32768 of \
                 its 65536: the disk did not store it all"
            );
        }
    }

    /// A durable folder of more files than it holds open at once (written by one thread, which
    /// waits while the [`Syncer`]'s queue is full), or synced with its file system, is
    /// complete, and its rename is reported as synced; its files are synced once: a second
    /// [`Staged::sync_folders`] is an error. It would catch a deadlock (as a hang) and a lost
    /// file, not a missing sync.
    #[test]
    fn a_durable_folder_of_many_files_is_complete_and_synced() {
        for way in [SyncWay::Best, SyncWay::EachFile] {
            let t = tempfile::tempdir().unwrap();
            let out = t.path().join("new").join("issued");
            let files: Vec<(String, Vec<u8>)> = (0..OPEN_FILES * 2 + 3)
                .map(|i| (format!("invoices/{i}.pdf"), i.to_string().into_bytes()))
                .collect();
            let mut staged =
                Staged::begin_syncing(&out, FolderKind::Issued, false, &[], way).unwrap();
            for (rel, bytes) in &files {
                staged.write(rel, bytes).unwrap();
            }
            staged.sync_folders().unwrap();
            assert!(staged.sync_folders().is_err(), "{way:?}");
            assert!(staged.recorded().publish().unwrap());
            for (rel, bytes) in &files {
                assert_eq!(&std::fs::read(out.join(rel)).unwrap(), bytes, "{rel}");
            }
        }
    }

    /// The kernel releases under which one `syncfs(2)` is trusted with a folder's files: 5.17
    /// and later, whatever follows the version; nothing that cannot be read.
    #[cfg(target_os = "linux")]
    #[test]
    fn syncfs_is_trusted_from_linux_5_17() {
        for release in ["5.17.0", "6.18.44-fc-v657", "6.1.0-28-amd64", "10.0"] {
            assert!(release_at_least(release, SYNCFS_SINCE), "{release}");
        }
        for release in [
            "5.16.20",
            "5.15.0-91-generic",
            "4.19.0",
            "5",
            "",
            "x.y",
            "5.x",
        ] {
            assert!(!release_at_least(release, SYNCFS_SINCE), "{release}");
        }
    }

    /// Regression (review): an issued folder dropped half-finished (a failed run) while the
    /// [`Syncer`]'s queue is full is removed, and the drop returns: the files still queued
    /// are closed unsynced, nothing waits for a sender that is gone.
    #[test]
    fn a_durable_folder_dropped_with_a_full_queue_is_removed_without_waiting() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("issued");
        let staged =
            Staged::begin_syncing(&out, FolderKind::Issued, false, &[], SyncWay::EachFile).unwrap();
        let tmp = staged.tmp().to_owned();
        let Some(FileSync::EachFile(syncer)) = &staged.syncer else {
            panic!("{:?}", staged.syncer)
        };
        let shared = syncer.shared.clone();
        // No thread can take a file while the queue's lock is held: it fills up (the marker
        // is in it too, or in the hands of the first thread).
        let held = shared.files.lock().unwrap();
        for i in 0..OPEN_FILES - SYNC_THREADS - 1 {
            staged.write(&format!("invoices/{i}.pdf"), b"x").unwrap();
        }
        // Dropped with the queue full: the threads go on only once it is abandoned.
        let dropping = std::thread::spawn(move || drop(staged));
        while !shared.abandoned.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::yield_now();
        }
        drop(held);
        dropping.join().unwrap();
        assert!(!tmp.exists());
        assert!(!out.exists());
    }

    /// A three-file credit note starts a thread for each file and its marker, not
    /// [`SYNC_THREADS`]; the syncing of its files is finished once: a second
    /// [`Staged::sync_folders`] is an error, never a success that knows nothing of the first.
    #[test]
    fn a_small_folder_starts_few_threads_and_is_synced_once() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("credit");
        let mut staged =
            Staged::begin_syncing(&out, FolderKind::Credit, false, &[], SyncWay::EachFile).unwrap();
        for rel in ["a.pdf", "a.xml", "a.xlsx"] {
            staged.write(rel, b"x").unwrap();
        }
        let Some(FileSync::EachFile(syncer)) = &staged.syncer else {
            panic!("{:?}", staged.syncer)
        };
        assert_eq!(syncer.threads.lock().unwrap().len(), 4);
        staged.sync_folders().unwrap();
        let again = staged.sync_folders().unwrap_err().to_string();
        assert!(
            again.contains("already handed to be synced once"),
            "{again}"
        );
        assert!(staged.recorded().publish().unwrap());
        assert!(out.join("a.xml").is_file());
    }

    /// An [`OutputError::Several`] of many failures names the first [`LISTED_ERRORS`] and
    /// counts the others, each counted once.
    #[test]
    fn many_failures_are_counted_and_the_first_named() {
        let failed = |i: usize| OutputError::Io {
            path: format!("invoices/{i:05}.pdf"),
            source: std::io::Error::other("broken"),
        };
        let all = OutputError::Several(vec![
            OutputError::Several((0..5).map(failed).collect()),
            OutputError::Several((5..30_000).map(failed).collect()),
        ])
        .to_string();
        assert!(
            all.starts_with("30000 outputs could not be written:\n  - invoices/00000.pdf: broken"),
            "{all}"
        );
        assert!(all.contains("\n  - invoices/00009.pdf: broken\n  - and 29990 more"));
        assert!(!all.contains("00010"), "{all}");
        assert_eq!(all.lines().count(), 12);
    }

    /// Whatever an id holds, its file name is one component inside `invoices/`.
    #[test]
    fn file_names_never_leave_their_folder() {
        for id in [
            "../../../../tmp/inj/abs-escape",
            "..",
            "a\\b",
            "a\0b",
            "CON",
            "\u{202e}fdp.exe",
            &"x".repeat(300),
            "",
        ] {
            let name = safe_name(id);
            assert!(!name.is_empty() && name.chars().count() <= 64, "{id:?}");
            assert!(
                name.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_'),
                "{id:?} → {name:?}"
            );
        }
        assert_eq!(safe_name("gyf-kalmarsund"), "gyf-kalmarsund");
        assert_eq!(safe_name("0880"), "0880");
    }

    #[test]
    fn csv_fields_that_start_a_formula_are_neutralised() {
        for f in ["=1+1", "+1", "-x", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_text(f), format!("'{f}"));
        }
        assert_eq!(csv_text("Licenser"), "Licenser");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=a\"b"), "\"'=a\"\"b\"");
    }
}
