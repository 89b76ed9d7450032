//! Reading lockfiles and manifests as they are at a git ref, without a
//! checkout: `git ls-tree` lists them, `git cat-file --batch` reads them into
//! a temporary directory, which is inventoried like any project.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use palisade_inventory::{Format, Inventory};

use crate::error::{Error, Result};

/// Manifests read beside lockfiles (to tell direct from transitive).
const MANIFESTS: [&str; 4] = ["package.json", "Pipfile", "pyproject.toml", "composer.json"];

/// Largest file read from git; inventory parsers bound their input lower.
const MAX_BLOB_BYTES: u64 = 256 << 20;

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Git {
            command: args.join(" "),
            message: format!("cannot run git: {e}"),
        })?;
    if !output.status.success() {
        return Err(Error::Git {
            command: args.join(" "),
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A git working tree.
#[derive(Clone, Debug)]
pub struct Repo {
    top: PathBuf,
}

impl Repo {
    /// The repository containing `path` (a file or directory).
    pub fn discover(path: &Path) -> Result<Repo> {
        let dir = if path.is_dir() {
            path
        } else {
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
        };
        let top = git(dir, &["rev-parse", "--show-toplevel"])?;
        Ok(Repo {
            top: PathBuf::from(top.trim()),
        })
    }

    pub fn top(&self) -> &Path {
        &self.top
    }

    /// Runs git in the working tree.
    pub fn git(&self, args: &[&str]) -> Result<String> {
        git(&self.top, args)
    }

    /// The commit a ref names.
    pub fn commit(&self, rev: &str) -> Result<String> {
        let spec = format!("{rev}^{{commit}}");
        Ok(self
            .git(&["rev-parse", "--verify", "--quiet", &spec])
            .map_err(|e| match e {
                Error::Git { command, .. } => Error::Git {
                    command,
                    message: format!("{rev:?} is not a commit in {}", self.top.display()),
                },
                other => other,
            })?
            .trim()
            .to_string())
    }

    /// `path` relative to the top of the working tree, with `/` separators.
    fn relative(&self, path: &Path) -> Result<String> {
        let absolute = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
        let top = std::fs::canonicalize(&self.top).map_err(|e| Error::io(&self.top, e))?;
        let relative = absolute.strip_prefix(&top).map_err(|_| Error::Git {
            command: "ls-tree".into(),
            message: format!(
                "{} is outside the repository {}",
                path.display(),
                top.display()
            ),
        })?;
        Ok(relative.to_string_lossy().replace('\\', "/"))
    }

    /// The inventory of `paths` (inside this working tree) as they are at
    /// commit `rev`. Paths that did not exist then give an empty inventory.
    pub fn inventory_at(&self, rev: &str, paths: &[PathBuf]) -> Result<Inventory> {
        let commit = self.commit(rev)?;
        let mut specs = Vec::new();
        for p in paths {
            let rel = self.relative(p)?;
            specs.push(if rel.is_empty() { ".".to_string() } else { rel });
        }
        let mut args = vec![
            "ls-tree",
            "-r",
            "-z",
            "--full-tree",
            "--name-only",
            commit.as_str(),
            "--",
        ];
        args.extend(specs.iter().map(String::as_str));
        let listing = self.git(&args)?;
        let wanted: Vec<&str> = listing
            .split('\0')
            .filter(|p| {
                let name = p.rsplit('/').next().unwrap_or(p);
                !p.is_empty()
                    && !p.split('/').any(|c| c == "node_modules" || c == "..")
                    && (Format::from_name(name).is_some() || MANIFESTS.contains(&name))
            })
            .collect();
        let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
        self.materialize(&commit, &wanted, dir.path())?;
        let mut inventory = Inventory::default();
        for spec in &specs {
            let target = if spec == "." {
                dir.path().to_path_buf()
            } else {
                dir.path().join(spec)
            };
            if target.exists() {
                inventory.extend(palisade_inventory::inventory_of(&target)?);
            }
        }
        Ok(inventory)
    }

    /// Writes each file at `commit` under `dir`, keeping relative paths.
    fn materialize(&self, commit: &str, files: &[&str], dir: &Path) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let command = "cat-file --batch".to_string();
        let failed = |message: String| Error::Git {
            command: command.clone(),
            message,
        };
        let mut child = Command::new("git")
            .arg("-C")
            .arg(&self.top)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| failed(format!("cannot run git: {e}")))?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| failed("no stdin".into()))?;
        let request: String = files.iter().map(|f| format!("{commit}:{f}\n")).collect();
        let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| failed("no stdout".into()))?;
        let mut reader = BufReader::new(stdout);
        for file in files {
            let mut header = String::new();
            reader
                .read_line(&mut header)
                .map_err(|e| failed(e.to_string()))?;
            let fields: Vec<&str> = header.split_whitespace().collect();
            if fields.len() != 3 {
                // `<object> missing` or `ambiguous`: nothing to write.
                continue;
            }
            let size: u64 = fields[2]
                .parse()
                .map_err(|_| failed(format!("unexpected header {header:?}")))?;
            let mut content = Vec::new();
            (&mut reader)
                .take(size)
                .read_to_end(&mut content)
                .map_err(|e| failed(e.to_string()))?;
            let mut newline = [0u8; 1];
            reader
                .read_exact(&mut newline)
                .map_err(|e| failed(e.to_string()))?;
            if fields[1] != "blob" || size > MAX_BLOB_BYTES {
                continue;
            }
            let target = dir.join(file);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            std::fs::write(&target, &content).map_err(|e| Error::io(&target, e))?;
        }
        let _ = writer.join();
        let _ = child.wait();
        Ok(())
    }
}
