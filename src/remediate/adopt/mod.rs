//! Adopt: change the IaC so it matches live. [`preview`] computes file edits, a unified diff and
//! notes (what was not written and why); [`write`] applies a preview atomically. Terraform edits
//! live in [`hcl`] (the only module importing `hcl-edit`), CloudFormation template edits in
//! [`cfn`]. Nothing is ever written outside the IaC directory.

pub mod cfn;
pub mod hcl;

use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::{DriftItem, Format};

/// Errors of adoption.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    /// Read/write failure.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// OS error.
        source: std::io::Error,
    },
    /// A source file does not parse.
    #[error("{path}: cannot parse: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Parser message (with line and column).
        message: String,
    },
    /// The edited file would not parse: a bug, nothing was written.
    #[error("{path}: the edited file would not parse ({message}); nothing was written — please report this")]
    EditBroke {
        /// The file.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// The resource block was not found.
    #[error("{address}: no `resource \"{rtype}\" \"{name}\"` block in {dir} (*.tf); check --iac-dir")]
    ResourceNotFound {
        /// Item address.
        address: String,
        /// Resource type.
        rtype: String,
        /// Resource name.
        name: String,
        /// Directory searched.
        dir: PathBuf,
    },
    /// The module directory was not found.
    #[error(
        "{address}: cannot find the source of module {module} (no entry in .terraform/modules/modules.json and no module block with a local source); run `terraform init` or check --iac-dir"
    )]
    ModuleNotFound {
        /// Item address.
        address: String,
        /// Module path.
        module: String,
    },
    /// The address does not parse.
    #[error("{0}: not a Terraform resource address")]
    BadAddress(String),
    /// A path would leave the IaC directory.
    #[error(
        "{0}: resolves outside the IaC directory (through `..`, an absolute path or a symbolic link); refusing to write there. Check --iac-dir and the links under it"
    )]
    OutsideIacDir(PathBuf),
    /// A resource type that is not `^[a-z0-9_]+$` (from a hostile or broken report).
    #[error(
        "{address}: the resource type {rtype:?} is not a Terraform resource type (only a-z, 0-9 and _); refusing to write it into the IaC. Check the report"
    )]
    BadResourceType {
        /// Item address.
        address: String,
        /// The type as the report gave it.
        rtype: String,
    },
    /// The file changed since the preview.
    #[error("{0}: changed since the diff was shown; preview the adoption again")]
    Stale(PathBuf),
    /// No template for a CloudFormation stack.
    #[error("{stack}: no CloudFormation template found ({tried}); put it under --iac-dir")]
    TemplateNotFound {
        /// Stack name.
        stack: String,
        /// Paths tried.
        tried: String,
    },
}

/// One file change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEdit {
    /// Path relative to the IaC directory.
    pub path: PathBuf,
    /// Content before (empty for a new file).
    pub before: String,
    /// Content after.
    pub after: String,
    /// The file is new.
    pub new_file: bool,
}

/// What kind of note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// The attribute is set by an expression, not a literal: not overwritten.
    NotLiteral,
    /// A sensitive live value: never written.
    Sensitive,
    /// A `count`/`for_each` instance: the block is shared.
    Repetition,
    /// A module used by several instances: the edit reaches all of them.
    SharedModule,
    /// Something the edit cannot express.
    Unsupported,
    /// Information.
    Info,
}

/// A note about the adoption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdoptNote {
    /// Attribute path (empty for the resource).
    pub attribute: String,
    /// Kind.
    pub kind: NoteKind,
    /// The message.
    pub message: String,
}

impl AdoptNote {
    /// A note on `attribute`.
    pub fn new(attribute: &str, kind: NoteKind, message: impl Into<String>) -> Self {
        AdoptNote {
            attribute: attribute.to_string(),
            kind,
            message: message.into(),
        }
    }

    /// The note for a sensitive live value, which is never written into `into` (code, the
    /// template).
    pub fn sensitive(attribute: &str, into: &str) -> Self {
        AdoptNote::new(
            attribute,
            NoteKind::Sensitive,
            format!("the live value is sensitive and is never written into {into}"),
        )
    }
}

impl fmt::Display for AdoptNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.attribute.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.attribute, self.message)
        }
    }
}

/// The result of [`preview`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdoptPreview {
    /// Item address.
    pub address: String,
    /// File edits.
    pub edits: Vec<FileEdit>,
    /// Notes: what was not written and why.
    pub notes: Vec<AdoptNote>,
    /// Unified diff of all edits (paths relative to the IaC dir).
    pub diff: String,
}

impl AdoptPreview {
    /// True when nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// SHA-256 of the diff, journaled with the adoption.
    pub fn diff_sha256(&self) -> String {
        hex::encode(Sha256::digest(self.diff.as_bytes()))
    }
}

/// The unified diff of one edit.
pub fn unified_diff(edit: &FileEdit) -> String {
    let name = edit.path.display().to_string();
    let old = if edit.new_file {
        "/dev/null".to_string()
    } else {
        format!("a/{name}")
    };
    similar::TextDiff::from_lines(&edit.before, &edit.after)
        .unified_diff()
        .context_radius(3)
        .header(&old, &format!("b/{name}"))
        .to_string()
}

/// Computes the adoption of `item` into the IaC under `iac_dir` without writing anything.
pub fn preview(item: &DriftItem, iac_dir: &Path) -> Result<AdoptPreview, AdoptError> {
    let (edits, notes) = if item.format == Some(Format::Cloudformation) {
        cfn::adopt(item, iac_dir)?
    } else {
        hcl::adopt(item, iac_dir)?
    };
    for e in &edits {
        check_inside(iac_dir, &e.path)?;
    }
    let diff = edits.iter().map(unified_diff).collect::<String>();
    Ok(AdoptPreview {
        address: item.address.clone(),
        edits,
        notes,
        diff,
    })
}

/// Rejects absolute paths and `..` that would leave the IaC directory, and any path whose
/// directory or file resolves outside it through symbolic links (a dangling link too). Fails
/// closed: a directory that cannot be resolved is refused.
fn check_inside(iac_dir: &Path, rel: &Path) -> Result<PathBuf, AdoptError> {
    if rel.is_absolute()
        || rel.as_os_str().is_empty()
        || rel.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::Prefix(_) | Component::RootDir
            )
        })
    {
        return Err(AdoptError::OutsideIacDir(rel.to_path_buf()));
    }
    let full = iac_dir.join(rel);
    let root = iac_dir.canonicalize().map_err(|source| AdoptError::Io {
        path: iac_dir.to_path_buf(),
        what: "cannot resolve the IaC directory",
        source,
    })?;
    let parent = full.parent().unwrap_or(iac_dir);
    match parent.canonicalize() {
        Ok(p) if p.starts_with(&root) => {}
        Ok(_) => return Err(AdoptError::OutsideIacDir(full)),
        Err(source) => {
            return Err(AdoptError::Io {
                path: parent.to_path_buf(),
                what: "cannot resolve the directory to write in",
                source,
            });
        }
    }
    if let Ok(meta) = full.symlink_metadata()
        && meta.file_type().is_symlink()
    {
        // A link is followed only when it resolves, and only to a file inside.
        match full.canonicalize() {
            Ok(p) if p.starts_with(&root) => {}
            _ => return Err(AdoptError::OutsideIacDir(full)),
        }
    }
    Ok(full)
}

/// Checks that every file of the preview still has the content the diff was computed from (and
/// lies inside the IaC directory), without writing.
pub fn check_fresh(preview: &AdoptPreview, iac_dir: &Path) -> Result<(), AdoptError> {
    fresh_targets(preview, iac_dir).map(|_| ())
}

fn fresh_targets<'a>(
    preview: &'a AdoptPreview,
    iac_dir: &Path,
) -> Result<Vec<(PathBuf, &'a FileEdit)>, AdoptError> {
    let mut targets = Vec::new();
    for e in &preview.edits {
        let full = check_inside(iac_dir, &e.path)?;
        let now = match std::fs::read_to_string(&full) {
            Ok(s) => Some(s),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(AdoptError::Io {
                    path: full,
                    what: "cannot read",
                    source,
                });
            }
        };
        let fresh = if e.new_file {
            now.is_none()
        } else {
            now.as_deref() == Some(e.before.as_str())
        };
        if !fresh {
            return Err(AdoptError::Stale(full));
        }
        targets.push((full, e));
    }
    Ok(targets)
}

/// Writes a preview's edits (temp file + rename each), after checking every file still has the
/// content the diff was computed from. Returns the files written.
pub fn write(preview: &AdoptPreview, iac_dir: &Path) -> Result<Vec<PathBuf>, AdoptError> {
    let targets = fresh_targets(preview, iac_dir)?;
    let mut written = Vec::new();
    for (full, e) in targets {
        crate::fsutil::atomic_write(&full, e.after.as_bytes()).map_err(|source| AdoptError::Io {
            path: full.clone(),
            what: "cannot write",
            source,
        })?;
        written.push(full);
    }
    Ok(written)
}
