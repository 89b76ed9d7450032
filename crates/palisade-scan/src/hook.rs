//! The git pre-push hook: installing and removing palisade's own hook, and
//! reading what git says is being pushed.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::git::Repo;

/// The line that marks a hook as palisade's; only such a hook is replaced
/// or removed.
pub const MARKER: &str = "# palisade pre-push hook";

/// git's name for "no object" in pre-push input.
const ZERO: &str = "0000000000000000000000000000000000000000";

/// The hook script: it hands git's arguments and stdin to `palisade hook run`.
pub fn script(palisade: &Path) -> String {
    let exe = palisade.display().to_string().replace('\'', "'\\''");
    format!(
        "#!/bin/sh\n{MARKER} (written by `palisade hook install`; `palisade hook uninstall` removes it).\n\
         # Blocks a push that adds vulnerable dependencies, as palisade.toml's policy says.\n\
         # PALISADE_HOOK=warn only warns; PALISADE_HOOK=off skips the check.\n\
         [ \"$PALISADE_HOOK\" = off ] && exit 0\n\
         palisade='{exe}'\n\
         [ -x \"$palisade\" ] || palisade=palisade\n\
         exec \"$palisade\" hook run \"$@\"\n"
    )
}

fn hooks_dir(repo: &Repo) -> Result<PathBuf> {
    let dir = repo.git(&["rev-parse", "--git-path", "hooks"])?;
    let dir = PathBuf::from(dir.trim());
    Ok(if dir.is_absolute() {
        dir
    } else {
        repo.top().join(dir)
    })
}

/// Writes the pre-push hook of the repository containing `dir`. An existing
/// hook that is not palisade's is left alone: an error says so.
pub fn install(dir: &Path, palisade: &Path) -> Result<PathBuf> {
    let repo = Repo::discover(dir)?;
    let hooks = hooks_dir(&repo)?;
    std::fs::create_dir_all(&hooks).map_err(|e| Error::io(&hooks, e))?;
    let path = hooks.join("pre-push");
    if let Ok(existing) = std::fs::read_to_string(&path)
        && !existing.contains(MARKER)
    {
        return Err(Error::Hook {
            path,
            message: "a pre-push hook that palisade did not write is already there; \
                      add `palisade hook run \"$@\"` to it, or move it away and install again"
                .into(),
        });
    }
    std::fs::write(&path, script(palisade)).map_err(|e| Error::io(&path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(&path, e))?;
    }
    Ok(path)
}

/// Removes the pre-push hook if palisade wrote it; `None` when there is none.
pub fn uninstall(dir: &Path) -> Result<Option<PathBuf>> {
    let repo = Repo::discover(dir)?;
    let path = hooks_dir(&repo)?.join("pre-push");
    let Ok(existing) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    if !existing.contains(MARKER) {
        return Err(Error::Hook {
            path,
            message: "this pre-push hook is not palisade's; it was left as it is".into(),
        });
    }
    std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    Ok(Some(path))
}

/// One ref being pushed, as git describes it on the hook's stdin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    pub local_ref: String,
    pub local_commit: String,
    pub remote_ref: String,
    /// What the remote has now, `None` for a new branch.
    pub remote_commit: Option<String>,
}

/// Reads `<local ref> <local sha> <remote ref> <remote sha>` lines; deletions
/// (nothing pushed) are left out.
pub fn pushes(stdin: &str) -> Vec<Push> {
    stdin
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [local_ref, local, remote_ref, remote] = f.as_slice() else {
                return None;
            };
            if local.chars().all(|c| c == '0') {
                return None;
            }
            Some(Push {
                local_ref: local_ref.to_string(),
                local_commit: local.to_string(),
                remote_ref: remote_ref.to_string(),
                remote_commit: (*remote != ZERO && !remote.chars().all(|c| c == '0'))
                    .then(|| remote.to_string()),
            })
        })
        .collect()
}

/// What a push is compared with: the remote's current commit, or for a new
/// branch the newest commit the remote already has that the pushed one
/// builds on (its merge base with the remote's branches).
pub fn base_of(repo: &Repo, remote: &str, push: &Push) -> Option<String> {
    if let Some(c) = &push.remote_commit
        && repo.commit(c).is_ok()
    {
        return Some(c.clone());
    }
    let refs = repo
        .git(&[
            "for-each-ref",
            "--format=%(objectname)",
            &format!("refs/remotes/{remote}/"),
        ])
        .ok()?;
    refs.lines()
        .filter_map(|c| repo.git(&["merge-base", &push.local_commit, c.trim()]).ok())
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .max_by_key(|b| {
            repo.git(&["rev-list", "--count", b])
                .ok()
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_skip_deletions_and_mark_new_branches() {
        let input = format!(
            "refs/heads/main 1111111111111111111111111111111111111111 refs/heads/main 2222222222222222222222222222222222222222\n\
             refs/heads/new 3333333333333333333333333333333333333333 refs/heads/new {ZERO}\n\
             (delete) {ZERO} refs/heads/old 4444444444444444444444444444444444444444\n"
        );
        let got = pushes(&input);
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].remote_commit.as_deref(),
            Some("2222222222222222222222222222222222222222")
        );
        assert_eq!(got[1].remote_commit, None);
        assert!(
            script(Path::new("/opt/it's/palisade")).contains("palisade='/opt/it'\\''s/palisade'")
        );
    }
}
